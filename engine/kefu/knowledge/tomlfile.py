"""TOML parsing with located errors: tomllib's message carries the line; keys are found by scan."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from kefu.knowledge.errors import Problem

_AT = re.compile(r"^(?P<message>.*?)\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def parse_toml(text: str, name: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """The document, or a problem at the line and column tomllib reports."""
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        found = _AT.match(str(exc))
        if found is None:
            return None, Problem(name, None, f"is not valid TOML: {exc}")
        return None, Problem(
            name,
            int(found["line"]),
            f"is not valid TOML: {found['message']}",
            column=int(found["column"]),
        )


def _normal_table(header: str) -> str:
    return ".".join(part.strip().strip('"').strip("'") for part in header.split("."))


def key_line(text: str, table: str, key: str | None = None) -> int | None:
    """The line where ``key`` is set in ``[table]`` (or the table's header when ``key`` is None).

    A best-effort scan of the source, good for pointing an author at the right place; returns
    None when the key is written in a form it does not follow (dotted keys, inline tables).
    """
    current = ""
    header_line: int | None = None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TABLE.match(line)
        if match:
            current = _normal_table(match.group(1))
            if current == table and header_line is None:
                header_line = number
                if pattern is None:
                    return number
            continue
        if pattern is not None and current == table and pattern.match(line):
            return number
    return header_line
