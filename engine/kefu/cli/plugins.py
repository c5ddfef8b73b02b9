"""``kefu plugins``: what is installed in each of Kefu's entry-point namespaces."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from kefu.registry import NAMESPACES, describe


@click.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
@click.option(
    "--namespace",
    type=click.Choice(sorted(NAMESPACES)),
    default=None,
    help="Only this namespace.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_plugins(namespace: str | None, as_json: bool) -> None:
    """Show every namespace, its plugins, their distribution and summary."""
    infos = describe(namespace)
    if as_json:
        click.echo(json.dumps([asdict(info) for info in infos], indent=2))
        return
    spaces = [namespace] if namespace else list(NAMESPACES)
    for space in spaces:
        click.secho(f"{space}  ({NAMESPACES[space]})", bold=True)
        rows = [info for info in infos if info.namespace == space]
        if not rows:
            click.echo("  (none installed)")
        width = max((len(r.name) for r in rows), default=0)
        for row in rows:
            click.echo(f"  {row.name.ljust(width)}  [{row.distribution}]  {row.summary}")
