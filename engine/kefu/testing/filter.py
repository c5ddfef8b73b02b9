"""The conformance suite every :class:`~kefu.contracts.MessageFilter` plugin must pass.

Subclass :class:`MessageFilterConformance` in a test module (name it ``Test...``), implement
:meth:`~MessageFilterConformance.make_filter`, and list a few texts with the action your filter
must reach in ``examples``::

    class TestMyFilter(MessageFilterConformance):
        examples = (("my card is 4111 1111 1111 1111", FilterAction.MASK),)

        async def make_filter(self) -> MessageFilter:
            return MyFilter()

The suite checks the contract every caller relies on: ``inspect`` never raises on odd input,
always returns a :class:`~kefu.contracts.Verdict` named after the filter, with match offsets
inside the text, and a redacted text whenever it asks to mask.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar

import pytest

from kefu.contracts import FilterAction, MessageFilter, Verdict

#: Inputs that have broken filters before: empty, blank, control characters, every script.
ODD_TEXTS: tuple[str, ...] = (
    "",
    " ",
    " \t\n\r\u3000 ",
    "\x00\x01\x7f",
    "a",
    "你",
    "😀",
    "👩‍👩‍👧‍👦🏳️‍🌈",
    "hello 你好 😀 مرحبا שלום こんにちは 안녕하세요 Привет",
    "ｆｕｌｌ-ｗｉｄｔｈ　ＡＢＣ　１２３",
    "e\u0301\u0302\u0303 combining marks",
    "zero\u200bwidth\u200djoiner\ufeff",
    "\u202eright-to-left override",
    "lone surrogate \ud800 here",
    "ﬁ ligature ① circled ㈱ squared ß sharp İ dotted",
    "<script>alert(1)</script> ' OR 1=1 --",
)

#: A long message mixing scripts, about 10,000 characters.
LONG_TEXT = ("Where is my order #12345? 我的订单什么时候发货？😀 " * 250)[:10_000]


class MessageFilterConformance(abc.ABC):
    """Behaviour shared by every message filter."""

    #: Texts with the action the filter must return for each (subclasses fill this in).
    examples: ClassVar[Sequence[tuple[str, FilterAction]]] = ()
    #: Longest time one inspection of LONG_TEXT may take, in seconds.
    long_text_budget: ClassVar[float] = 1.0

    @abc.abstractmethod
    async def make_filter(self) -> MessageFilter:
        """Build the filter under test."""

    async def _inspect(self, text: str) -> Verdict:
        message_filter = await self.make_filter()
        verdict = await message_filter.inspect(text)
        self.check_verdict(message_filter, text, verdict)
        return verdict

    @staticmethod
    def check_verdict(message_filter: MessageFilter, text: str, verdict: Verdict) -> None:
        """Assert the invariants of any verdict on ``text``."""
        assert isinstance(verdict, Verdict)
        assert verdict.filter == message_filter.name
        assert isinstance(verdict.action, FilterAction)
        for match in verdict.matches:
            assert 0 <= match.start < match.end <= len(text), (match, len(text))
            assert match.category, match
        if verdict.action is FilterAction.ALLOW:
            assert verdict.redacted is None, "an allowed text is not rewritten"
        if verdict.action is FilterAction.MASK:
            assert isinstance(verdict.redacted, str), "a MASK verdict carries the redacted text"
            assert verdict.redacted != text, "a MASK verdict changes the text"
        verdict.to_dict()  # stays JSON-ready

    async def test_satisfies_the_protocol(self) -> None:
        message_filter = await self.make_filter()
        assert isinstance(message_filter, MessageFilter)
        assert isinstance(message_filter.name, str) and message_filter.name

    async def test_empty_text_is_allowed(self) -> None:
        verdict = await self._inspect("")
        assert verdict.action is FilterAction.ALLOW
        assert verdict.matches == ()

    async def test_whitespace_is_allowed(self) -> None:
        verdict = await self._inspect(" \t\n\u3000 ")
        assert verdict.action is FilterAction.ALLOW
        assert verdict.matches == ()

    @pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
    async def test_odd_input_gives_a_valid_verdict(self, text: str) -> None:
        await self._inspect(text)

    async def test_long_text_gives_a_valid_verdict_in_time(self) -> None:
        message_filter = await self.make_filter()
        started = time.perf_counter()
        verdict = await message_filter.inspect(LONG_TEXT)
        elapsed = time.perf_counter() - started
        self.check_verdict(message_filter, LONG_TEXT, verdict)
        assert elapsed < self.long_text_budget, f"{elapsed:.3f}s for {len(LONG_TEXT)} chars"

    async def test_examples_reach_their_action(self) -> None:
        message_filter = await self.make_filter()
        for text, expected in self.examples:
            verdict = await message_filter.inspect(text)
            self.check_verdict(message_filter, text, verdict)
            assert verdict.action is expected, (text, verdict)
            if expected is not FilterAction.ALLOW:
                assert verdict.matches, f"{text!r}: a {expected} verdict should say what it found"

    async def test_concurrent_inspections_agree_with_sequential_ones(self) -> None:
        message_filter = await self.make_filter()
        texts = [text for text, _ in self.examples] + list(ODD_TEXTS) + [LONG_TEXT]
        sequential = [await message_filter.inspect(text) for text in texts]
        concurrent = await asyncio.gather(*(message_filter.inspect(text) for text in texts))
        assert list(concurrent) == sequential
