"""Functions shared by the knowledge-pack generators and the pack checker."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

PACKS = Path(__file__).resolve().parent.parent
DATA = Path("/work/shared/data")
_SPACE = re.compile(r"\s+")
_INTENT = re.compile(r"[^a-z0-9_]+")


def norm(text: str) -> str:
    """The form under which two texts count as the same: case- and whitespace-insensitive."""
    return _SPACE.sub(" ", text).strip().casefold()


def intent_name(category: str) -> str:
    """A dataset category as a pack intent name (``[a-z0-9_]+``)."""
    name = _INTENT.sub("", category.strip().lower().replace("-", "_").replace(" ", "_"))
    if not name:
        raise ValueError(f"category {category!r} has no usable characters")
    return name


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 without a byte-order mark, with Unix newlines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_intents(path: Path, rows: Iterable[tuple[str, str, str]]) -> int:
    """Write ``text,intent,lang`` rows; refuse a text that appears twice."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["text", "intent", "lang"])
    seen: set[str] = set()
    count = 0
    for text, intent, lang in rows:
        key = norm(text)
        if key in seen:
            raise ValueError(f"{path.name}: duplicate example {text!r}")
        seen.add(key)
        writer.writerow([text.strip(), intent, lang])
        count += 1
    write_text(path, buf.getvalue())
    return count


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    lines = [json.dumps(dict(r), ensure_ascii=False) for r in records]
    write_text(path, "\n".join(lines) + "\n")
    return len(lines)
