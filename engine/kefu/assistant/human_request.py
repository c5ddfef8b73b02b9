"""Recognises a visitor asking for a human, in English and Chinese."""

from __future__ import annotations

import re
import unicodedata

_PATTERNS = (
    # English: "human", "agent", "a real person", "talk to someone", "representative"...
    r"\b(human|humans|live agent|agent|real person|operator|representative|someone real)\b",
    r"\b(talk|speak|chat)\s+(to|with)\s+(a\s+|an\s+|some)?(person|one|body|staff|people)\b",
    r"\bcustomer (service|support) (rep|person|agent)\b",
    # Chinese: 人工, 转人工, 真人, 人工客服, 客服人员, 找客服
    r"人工|真人|客服人员|找客服|转客服|在线客服",
)
_REGEX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_MAX_SCAN = 2_000


def asks_for_human(text: str) -> bool:
    """True when the visitor asks to talk to a person rather than the bot."""
    normalised = unicodedata.normalize("NFKC", text[:_MAX_SCAN])
    return _REGEX.search(normalised) is not None
