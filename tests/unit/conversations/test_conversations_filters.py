"""The filter chain: all filters concurrently, strongest verdict wins, failures flag."""

from __future__ import annotations

import asyncio
import time

from kefu.contracts import FilterAction, Verdict
from kefu.conversations import FilterChain
from support.filters import WordFilter


class SlowFilter:
    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def inspect(self, text: str) -> Verdict:
        await asyncio.sleep(self.seconds)
        return Verdict(self.name, FilterAction.ALLOW)


class FlagAll:
    name = "flag_all"

    async def inspect(self, text: str) -> Verdict:
        return Verdict(self.name, FilterAction.FLAG)


async def test_no_filters_allow_everything() -> None:
    screening = await FilterChain([]).screen("anything")
    assert screening.action is FilterAction.ALLOW and screening.verdicts == ()


async def test_filters_run_concurrently_and_the_strongest_action_wins() -> None:
    chain = FilterChain([SlowFilter(0.5), SlowFilter(0.5), FlagAll(), WordFilter()])
    started = time.perf_counter()
    screening = await chain.screen("the secretcode please")
    assert time.perf_counter() - started < 0.9  # one after the other would take 1 s
    assert [v.filter for v in screening.verdicts] == ["slow", "slow", "flag_all", "test_words"]
    assert screening.action is FilterAction.MASK and not screening.blocked
    assert screening.redacted == "the ********** please"
    blocked = await chain.screen("secretcode and forbiddenword")
    assert blocked.blocked and blocked.action is FilterAction.BLOCK


async def test_a_filter_that_overruns_its_deadline_flags_the_message() -> None:
    screening = await FilterChain([SlowFilter(5)], timeout=0.05).screen("hi")
    assert screening.action is FilterAction.FLAG
    (verdict,) = screening.verdict_dicts()
    assert verdict["filter"] == "slow"
    assert verdict["matches"][0]["category"] == "filter_timeout"
