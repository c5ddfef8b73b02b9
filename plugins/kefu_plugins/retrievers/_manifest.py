"""The manifest.json every saved retriever index carries: its kind, format and build facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"

#: Bumped when a retriever's on-disk layout changes incompatibly.
FORMAT_VERSION = 1


def write_manifest(directory: Path, kind: str, **facts: Any) -> None:
    """Write the manifest last, so that a directory with a manifest holds a complete index."""
    record = {"kind": kind, "format": FORMAT_VERSION, **facts}
    (directory / MANIFEST_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def read_manifest(directory: Path, kind: str) -> dict[str, Any]:
    """Read and check a manifest written by :func:`write_manifest` for a ``kind`` retriever."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {directory} holds no saved retriever index")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise ValueError(f"{path} must hold a JSON object")
    if record.get("kind") != kind:
        raise ValueError(f"{directory} holds a {record.get('kind')!r} index, not a {kind!r} one")
    if record.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"{directory} has index format {record.get('format')!r}; this Kefu reads "
            f"format {FORMAT_VERSION}: rebuild the index"
        )
    return record


def prepare_directory(directory: Path) -> Path:
    """Create ``directory`` for a save and drop a stale manifest, so a failed save is detected."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / MANIFEST_FILE).unlink(missing_ok=True)
    return path
