"""Text normalisation for matching, keeping a map from normalised to original offsets.

Matching happens on a normalised copy of the text: NFKC (full-width -> half-width, ligatures,
circled digits), case-folded, invisible format characters dropped, whitespace runs collapsed to
one space and whitespace between two CJK characters dropped (Chinese does not use spaces, so
"保 本 保 息" is the same phrase as "保本保息"). Every normalised character remembers the span of
the original text it came from, so findings are reported and masked in the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_CJK_CLASS = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
# Whitespace the general path would rewrite: anything but a lone ' ', or a space between CJK.
_SPACING = re.compile(f"[^\\S ]|  |[{_CJK_CLASS}] [{_CJK_CLASS}]")
#: Most distinct characters the per-character fold cache remembers.
_CACHE_LIMIT = 65_536


def is_cjk(char: str) -> bool:
    """True for characters of scripts written without spaces between words (CJK, kana, Hangul)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B and later
    )


def is_word_char(char: str) -> bool:
    """True for letters and digits of space-separated scripts, where word boundaries apply."""
    return char.isalnum() and not is_cjk(char)


def _joins_neighbours(char: str) -> bool:
    """True when NFKC may combine ``char`` with the character before it."""
    code = ord(char)
    return unicodedata.category(char)[0] == "M" or 0x1100 <= code <= 0x11FF  # marks, jamo


def _fold(piece: str) -> str:
    folded = unicodedata.normalize("NFKC", piece).casefold()
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table folding one character at a time, filled on first sight.

    ``irregular`` collects characters whose fold is not exactly one character, or that may
    combine with their neighbour: a text containing any of them takes the general path.
    """

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _fold(char)
        if len(folded) != 1 or _joins_neighbours(char):
            self.irregular.add(char)
        if len(self) < _CACHE_LIMIT:
            self[code] = folded
        return folded


_TABLE = _FoldTable()


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text with, per character, the original span ``[starts[i], ends[i])``."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering normalised characters ``start`` to ``end`` (exclusive)."""
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for matching (see the module docstring), with the offset map."""
    folded = text.translate(_TABLE)
    irregular = _TABLE.irregular  # filled by the translate above for characters seen first
    # The common case: every character folds to exactly one, in place.
    if (not irregular or irregular.isdisjoint(text)) and not _SPACING.search(folded):
        return Normalised(folded, range(len(text)), range(1, len(text) + 1))
    return _normalise_generally(text)


def _segments(text: str) -> list[tuple[int, int]]:
    """Spans of a character with the marks and jamo that NFKC may combine into it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not _joins_neighbours(text[index]):
            spans.append((start, index))
            start = index
    return spans


def _normalise_generally(text: str) -> Normalised:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    space_at: int | None = None  # original offset where a pending whitespace run began
    for seg_start, seg_end in _segments(text) if text else ():
        piece = text[seg_start:seg_end]
        folded = piece.translate(_TABLE) if seg_end - seg_start == 1 else _fold(piece)
        if not folded:
            continue
        if folded.isspace():
            if space_at is None:
                space_at = seg_start
            continue
        if space_at is not None:
            # Keep a single space, except between two CJK characters.
            if not (out and is_cjk(out[-1]) and is_cjk(folded[0])):
                out.append(" ")
                starts.append(space_at)
                ends.append(seg_start)
            space_at = None
        for char in folded:
            out.append(char)
            starts.append(seg_start)
            ends.append(seg_end)
    if space_at is not None:
        out.append(" ")
        starts.append(space_at)
        ends.append(len(text))
    return Normalised("".join(out), starts, ends)
