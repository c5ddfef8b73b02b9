"""Careful in-place edits of a pack's pack.toml: the reply threshold and the plugin choices.

The file is edited line by line, not re-serialised, so comments, order and formatting of
everything else survive. Every edit is verified before the file is written: the edited text is
parsed again and must equal the original document with exactly the intended change, otherwise
nothing is written and :class:`~kefu.evaluation.errors.EvaluationError` explains why (for
example a ``thresholds.reply`` written as a dotted key, which this editor does not rewrite).
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kefu.evaluation.errors import DataError

PACK_TOML = "pack.toml"
PLUGIN_KINDS = ("intent", "retriever", "policy")

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any, where: str = "value") -> str:
    """``value`` written as a TOML value (inline tables for mappings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v, where) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{toml_key(str(k))} = {toml_value(v, where)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if value is None:
        raise DataError(PACK_TOML, f"{where} is None, which TOML cannot hold: leave it out")
    raise DataError(PACK_TOML, f"{where} is a {type(value).__name__}, which TOML cannot hold")


def toml_key(key: str) -> str:
    """A TOML key, quoted unless it is a bare key."""
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _table_spans(lines: list[str]) -> list[tuple[str, int, int]]:
    """``(table name, header line index, end index)`` of every ``[table]`` of the file."""
    headers = [(i, m["name"]) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    spans: list[tuple[str, int, int]] = []
    for position, (index, raw) in enumerate(headers):
        end = headers[position + 1][0] if position + 1 < len(headers) else len(lines)
        name = ".".join(part.strip().strip('"').strip("'") for part in raw.split("."))
        spans.append((name, index, end))
    return spans


def _set_key(lines: list[str], table: str, key: str, rendered: str) -> list[str]:
    """Set ``key = rendered`` in ``[table]``: replace its line, or add it under the header."""
    assignment = re.compile(rf"^(\s*){re.escape(key)}\s*=\s*[^#]*?(\s*#.*)?$")
    for name, start, end in _table_spans(lines):
        if name != table:
            continue
        for i in range(start + 1, end):
            found = assignment.match(lines[i])
            if found:
                comment = found.group(2) or ""
                lines[i] = f"{found.group(1)}{key} = {rendered}{comment}"
                return lines
        return [*lines[: start + 1], f"{key} = {rendered}", *lines[start + 1 :]]
    tail = [""] if lines and lines[-1].strip() else []
    return [*lines, *tail, f"[{table}]", f"{key} = {rendered}"]


def _replace_table(lines: list[str], table: str, body: list[str]) -> list[str]:
    """Replace ``[table]`` (and its sub-tables) with ``body``, or append it at the end."""
    spans = [s for s in _table_spans(lines) if s[0] == table or s[0].startswith(table + ".")]
    block = [f"[{table}]", *body]
    if not spans:
        tail = [""] if lines and lines[-1].strip() else []
        return [*lines, *tail, *block]
    first = spans[0][1]
    drop = {i for _, start, end in spans for i in range(start, end)}
    kept_after = [line for i, line in enumerate(lines) if i >= first and i not in drop]
    trailing_blank = [""] if kept_after else []
    return [*lines[:first], *block, *trailing_blank, *kept_after]


def _read(pack_dir: Path) -> tuple[Path, str, dict[str, Any]]:
    path = Path(pack_dir) / PACK_TOML
    if not path.is_file():
        raise DataError(path, "no such file (is this a pack folder?)")
    text = path.read_text(encoding="utf-8")
    try:
        return path, text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(path, f"is not valid TOML: {exc}") from exc


def _write_checked(path: Path, text: str, lines: list[str], expected: dict[str, Any]) -> Path:
    new_text = "\n".join(lines) + ("\n" if text.endswith("\n") or not text else "")
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(
            path,
            f"could not be edited safely (the edit would make it invalid: {exc}); edit it by hand",
        ) from exc
    if parsed != expected:
        raise DataError(
            path,
            "could not be edited safely (the key is written in a form this editor does "
            "not rewrite, e.g. a dotted key or an inline table); edit it by hand",
        )
    path.write_text(new_text, encoding="utf-8")
    return path


def out_of_scope_threshold(pack_dir: Path | str) -> float:
    """The pack's ``[thresholds] out_of_scope`` (0.0 when unset): the floor of ``reply``."""
    _, _, document = _read(Path(pack_dir))
    value = document.get("thresholds", {}).get("out_of_scope", 0.0)
    return float(value) if isinstance(value, (int, float)) else 0.0


def set_reply_threshold(pack_dir: Path | str, value: float) -> Path:
    """Write ``[thresholds] reply = value`` into the pack's pack.toml, keeping everything else."""
    if not 0.0 <= value <= 1.0:
        raise DataError(PACK_TOML, f"a reply threshold must be in [0, 1], got {value}")
    path, text, document = _read(Path(pack_dir))
    expected = copy.deepcopy(document)
    expected.setdefault("thresholds", {})["reply"] = float(value)
    lines = _set_key(text.splitlines(), "thresholds", "reply", toml_value(float(value)))
    return _write_checked(path, text, lines, expected)


def set_plugin(
    pack_dir: Path | str, kind: str, name: str, options: Mapping[str, Any] | None = None
) -> Path:
    """Name the pack's ``kind`` plugin and replace its ``[plugins.<kind>_options]`` table."""
    if kind not in PLUGIN_KINDS:
        raise DataError(PACK_TOML, f"unknown plugin kind {kind!r}; use {', '.join(PLUGIN_KINDS)}")
    path, text, document = _read(Path(pack_dir))
    chosen = dict(options or {})
    body = [f"{toml_key(str(k))} = {toml_value(v, f'option {k!r}')}" for k, v in chosen.items()]
    expected = copy.deepcopy(document)
    plugins = expected.setdefault("plugins", {})
    plugins[kind] = name
    plugins[f"{kind}_options"] = tomllib.loads("\n".join(body)) if body else {}
    lines = _set_key(text.splitlines(), "plugins", kind, toml_value(name))
    lines = _replace_table(lines, f"plugins.{kind}_options", body)
    return _write_checked(path, text, lines, expected)
