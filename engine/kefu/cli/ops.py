"""``kefu backup`` and ``kefu restore``: copies of the database an operator can trust."""

from __future__ import annotations

from pathlib import Path

import click

from kefu.ops.backup import BackupError, backup, restore, verify
from kefu.settings import Settings


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Back the configured database up into a new directory under TARGET."""
    settings = Settings()
    try:
        out = backup(settings.resolved_database_url, target)
        manifest = verify(out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{k}={v}" for k, v in sorted(manifest.row_counts.items()))
    click.echo(f"backup written to {out} ({manifest.kind}, {counts})")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database (SQLite keeps it aside).")
@click.option("--verify-only", is_flag=True, help="Check the backup's checksum and stop.")
def restore_command(source: Path, force: bool, verify_only: bool) -> None:
    """Restore the backup in SOURCE into the configured database (stop Kefu first)."""
    settings = Settings()
    try:
        manifest = (
            verify(source)
            if verify_only
            else restore(source, settings.resolved_database_url, force=force)
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{k}={v}" for k, v in sorted(manifest.row_counts.items()))
    verb = "verified" if verify_only else "restored"
    click.echo(f"{verb} {source} ({manifest.kind}, {counts})")
