"""The ``sensitive_words`` message filter: one Aho-Corasick pass over a normalised text.

Terms come from the built-in list and an optional site file (``words_file``, set through
``KEFU_FILTER_OPTIONS={"sensitive_words": {"words_file": "..."}}``).
Matching is case-insensitive and full-width/half-width blind (NFKC); Latin-script terms match
whole words only ("class" does not contain "ass"), CJK terms match anywhere. Findings carry
offsets into the original text; MASK and BLOCK findings are starred out in ``redacted``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path

import ahocorasick

from kefu.contracts import FilterAction, Match, PluginContext, Verdict
from kefu_plugins.filters.normalise import Normalised, is_word_char, normalise
from kefu_plugins.filters.wordlist import WordEntry, default_words, read_word_file

#: Texts longer than this are matched in a worker thread so the event loop stays responsive.
THREAD_THRESHOLD = 2_000
MASK_CHAR = "*"


class _Term:
    """A compiled term: its entry and whether each end must sit on a word boundary."""

    __slots__ = ("bound_end", "bound_start", "entry", "length")

    def __init__(self, entry: WordEntry, normalised: str) -> None:
        self.entry = entry
        self.length = len(normalised)
        self.bound_start = is_word_char(normalised[0])
        self.bound_end = is_word_char(normalised[-1])


class SensitiveWordFilter:
    """Finds listed abusive, fraudulent and self-harm terms in Chinese and English messages."""

    name = "sensitive_words"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        words_file: Path | None = None,
        include_default: bool = True,
    ) -> None:
        entries: list[WordEntry] = list(default_words()) if include_default else []
        if words_file is not None:
            entries.extend(read_word_file(Path(words_file)))
        self._automaton, self._size = self._build(entries)
        if self._size == 0:
            raise ValueError(
                "the sensitive_words filter has no words: the default list is off "
                "and words_file adds none"
            )

    @staticmethod
    def _build(entries: Iterable[WordEntry]) -> tuple[ahocorasick.Automaton, int]:
        terms: dict[str, _Term] = {}
        for entry in entries:
            key = normalise(entry.term).text.strip()
            # A later entry for the same term replaces the earlier one; ALLOW removes it.
            terms.pop(key, None)
            if entry.action is not FilterAction.ALLOW:
                terms[key] = _Term(entry, key)
        automaton = ahocorasick.Automaton()
        for key, term in terms.items():
            automaton.add_word(key, term)
        if terms:
            automaton.make_automaton()
        return automaton, len(terms)

    def __len__(self) -> int:
        """How many terms are active."""
        return self._size

    async def inspect(self, text: str) -> Verdict:
        """Find every listed term in ``text``; long texts are matched off the event loop."""
        if len(text) > THREAD_THRESHOLD:
            return await asyncio.to_thread(self.inspect_sync, text)
        return self.inspect_sync(text)

    def inspect_sync(self, text: str) -> Verdict:
        """The same as :meth:`inspect`, for callers outside an event loop (notebooks, eval)."""
        if not text or text.isspace():
            return Verdict(self.name)
        norm = normalise(text)
        matches = self._find(norm)
        if not matches:
            return Verdict(self.name)
        action = max((m[1] for m in matches), key=lambda a: a.severity)
        found = tuple(m[0] for m in matches)
        redacted = None
        if action.severity >= FilterAction.MASK.severity:
            redacted = _redact(
                text, [m[0] for m in matches if m[1].severity >= FilterAction.MASK.severity]
            )
        return Verdict(self.name, action=action, matches=found, redacted=redacted)

    def _find(self, norm: Normalised) -> list[tuple[Match, FilterAction]]:
        haystack = norm.text
        found: dict[tuple[int, int, str], tuple[Match, FilterAction]] = {}
        for last, term in self._automaton.iter(haystack):
            start, end = last - term.length + 1, last + 1
            if term.bound_start and start > 0 and is_word_char(haystack[start - 1]):
                continue
            if term.bound_end and end < len(haystack) and is_word_char(haystack[end]):
                continue
            orig_start, orig_end = norm.original_span(start, end)
            entry = term.entry
            match = Match(entry.term, orig_start, orig_end, entry.category)
            key = (orig_start, orig_end, entry.category)
            earlier = found.get(key)
            # Two terms can land on one original span (e.g. via 'ß' -> 'ss'): keep the stronger.
            if earlier is None or entry.action.severity > earlier[1].severity:
                found[key] = (match, entry.action)
        return sorted(found.values(), key=lambda m: (m[0].start, -m[0].end))


def _redact(text: str, matches: Sequence[Match]) -> str:
    """``text`` with every character inside a match replaced by MASK_CHAR."""
    chars = list(text)
    for match in matches:
        chars[match.start : match.end] = MASK_CHAR * (match.end - match.start)
    return "".join(chars)
