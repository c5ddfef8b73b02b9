"""A tiny message filter for tests: blocks one word, masks another."""

from __future__ import annotations

from kefu.contracts import FilterAction, Match, Verdict

BLOCKED_WORD = "forbiddenword"
MASKED_WORD = "secretcode"


class WordFilter:
    """Blocks texts containing BLOCKED_WORD and masks MASKED_WORD."""

    name = "test_words"

    async def inspect(self, text: str) -> Verdict:
        """Judge ``text`` by the two fixed words."""
        lowered = text.lower()
        start = lowered.find(BLOCKED_WORD)
        if start >= 0:
            match = Match(BLOCKED_WORD, start, start + len(BLOCKED_WORD), "test")
            return Verdict(self.name, FilterAction.BLOCK, (match,))
        start = lowered.find(MASKED_WORD)
        if start >= 0:
            end = start + len(MASKED_WORD)
            redacted = text[:start] + "*" * len(MASKED_WORD) + text[end:]
            return Verdict(
                self.name, FilterAction.MASK, (Match(MASKED_WORD, start, end, "test"),), redacted
            )
        return Verdict(self.name)
