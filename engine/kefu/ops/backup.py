"""Backups and restores of Kefu's database: SQLite's online backup, or pg_dump for PostgreSQL.

A backup is a directory ``kefu-backup-<UTC time>/`` holding the database copy and a
``manifest.json`` with its SHA-256, the schema revision and the row counts of the tables that
must never be lost (messages, audit entries, events). A restore verifies the checksum before it
touches anything, and refuses to overwrite a database unless told to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

MANIFEST = "manifest.json"
SQLITE_FILE = "kefu.db"
PG_FILE = "kefu.pgdump"
COUNTED_TABLES = ("messages", "audit_entries", "events", "conversations")


class BackupError(Exception):
    """A backup or restore could not be made; nothing was changed."""


@dataclass(frozen=True, slots=True)
class BackupManifest:
    """What a backup holds, to check it before restoring."""

    kind: str  # "sqlite" | "postgresql"
    file: str
    sha256: str
    created_at: str
    schema_revision: str | None
    row_counts: dict[str, int]
    kefu_version: str

    def write(self, directory: Path) -> None:
        """Save as manifest.json in ``directory``."""
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, directory: Path) -> BackupManifest:
        """Load a backup's manifest, with a clear error when it is missing or malformed."""
        path = directory / MANIFEST
        if not path.is_file():
            raise BackupError(f"{directory} is not a Kefu backup: {MANIFEST} is missing")
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{path} is malformed: {exc}") from exc


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(url: URL) -> str:
    """The SQLAlchemy URL as a libpq connection string for pg_dump / pg_restore."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_facts(path: Path) -> tuple[str | None, dict[str, int]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        counts = {
            t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
            for t in COUNTED_TABLES
            if t in tables
        }
        return revision, counts
    finally:
        conn.close()


def _pg_facts(url: URL) -> tuple[str | None, dict[str, int]]:
    def psql(query: str) -> str:
        done = subprocess.run(
            ["psql", _libpq_url(url), "-Atc", query], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise BackupError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    tables = set(
        psql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").split()
    )
    revision = (
        psql("SELECT version_num FROM alembic_version") if "alembic_version" in tables else None
    )
    counts = {t: int(psql(f'SELECT count(*) FROM "{t}"')) for t in COUNTED_TABLES if t in tables}
    return revision or None, counts


def backup(database_url: str, target_dir: Path) -> Path:
    """Back the database up into a new directory under ``target_dir``; returns that directory.

    Blocking (file and process I/O): call it from a worker thread inside the server.
    """
    from kefu import __version__

    url = make_url(database_url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out = target_dir / f"kefu-backup-{stamp}"
    out.mkdir(parents=True, exist_ok=False)
    try:
        if url.get_backend_name() == "sqlite":
            source = _sqlite_path(url)
            if not source.is_file():
                raise BackupError(f"no database at {source}")
            file = out / SQLITE_FILE
            src = sqlite3.connect(source)
            dst = sqlite3.connect(file)
            try:
                with dst:
                    src.backup(dst)  # consistent while the server keeps writing
            finally:
                dst.close()
                src.close()
            revision, counts = _sqlite_facts(file)
            kind = "sqlite"
        elif url.get_backend_name() == "postgresql":
            file = out / PG_FILE
            done = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={file}", _libpq_url(url)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            revision, counts = _pg_facts(url)
            kind = "postgresql"
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()!r} database")
        BackupManifest(
            kind=kind,
            file=file.name,
            sha256=sha256_of(file),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            schema_revision=revision,
            row_counts=counts,
            kefu_version=__version__,
        ).write(out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def verify(backup_dir: Path) -> BackupManifest:
    """Check a backup's manifest and checksum; raises BackupError when anything is off."""
    manifest = BackupManifest.read(backup_dir)
    file = backup_dir / manifest.file
    if not file.is_file():
        raise BackupError(f"{file} is missing from the backup")
    actual = sha256_of(file)
    if actual != manifest.sha256:
        raise BackupError(f"{file} does not match its checksum (corrupted or edited backup)")
    return manifest


def restore(backup_dir: Path, database_url: str, *, force: bool = False) -> BackupManifest:
    """Restore a verified backup into the database at ``database_url``.

    SQLite: the current file (if any) is kept beside it as ``<name>.before-restore-<time>``;
    without ``force`` an existing database is refused. PostgreSQL: pg_restore --clean into the
    target database (``force`` is required when it already holds Kefu tables).
    """
    manifest = verify(backup_dir)
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend != manifest.kind:
        raise BackupError(f"this is a {manifest.kind} backup; cannot restore into {backend}")
    source = backup_dir / manifest.file
    if backend == "sqlite":
        target = _sqlite_path(url)
        if target.exists():
            if not force:
                raise BackupError(f"{target} exists; pass force to replace it (it is kept aside)")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target.rename(target.with_name(f"{target.name}.before-restore-{stamp}"))
            for suffix in ("-wal", "-shm"):
                side = target.with_name(target.name + suffix)
                if side.exists():
                    side.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        return manifest
    _, counts = _pg_facts(url)
    if counts and not force:
        raise BackupError("the target PostgreSQL database already holds Kefu tables; pass force")
    done = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", _libpq_url(url), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    return manifest
