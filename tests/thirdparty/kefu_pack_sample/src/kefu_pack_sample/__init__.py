"""A vendor's Kefu knowledge pack for a bicycle shop, registered in the kefu.pack namespace."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def pack_path() -> Path:
    """The folder holding the pack's source (pack.toml, intents.csv, faq.jsonl, ...)."""
    return Path(str(files(__name__) / "pack"))
