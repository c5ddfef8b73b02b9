"""Strict reading of a pack's text files: UTF-8 without a byte-order mark, nothing else."""

from __future__ import annotations

import codecs
from pathlib import Path

from kefu.knowledge.errors import Problem

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE"),
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE"),
)


def decode(data: bytes, name: str) -> tuple[str | None, Problem | None]:
    """The text of ``data``, or the problem that stops it being read as plain UTF-8.

    A byte-order mark is refused (it would end up inside the first id or header), and so is
    any byte sequence that is not UTF-8; the problem names the line of the first bad byte.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return None, Problem(
                name,
                1,
                f"starts with a {encoding} byte-order mark; save the file as UTF-8 without a BOM",
            )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        return None, Problem(
            name,
            line,
            f"is not UTF-8 (byte 0x{byte} at column {column}); save the file as UTF-8",
        )


def read_text(path: Path, name: str) -> tuple[str | None, Problem | None]:
    """Read and :func:`decode` one file; an unreadable file is a problem too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Problem(name, None, f"cannot be read: {exc.strerror or exc}")
    return decode(data, name)
