"""Runs every enabled message filter concurrently and combines their verdicts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.contracts import FilterAction, Match, MessageFilter, Verdict
from kefu.conversations import eager

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Screening:
    """The combined judgement of all filters on one text."""

    verdicts: tuple[Verdict, ...]
    action: FilterAction
    #: The masked text to show the other side, when a filter masked something.
    redacted: str | None

    @property
    def blocked(self) -> bool:
        """True when any filter said BLOCK."""
        return self.action is FilterAction.BLOCK

    def verdict_dicts(self) -> tuple[dict[str, Any], ...]:
        """The verdicts in their stored JSON form."""
        return tuple(v.to_dict() for v in self.verdicts)


class FilterChain:
    """The enabled filters; :meth:`screen` runs them all at once on a text.

    A filter that raises or overruns ``timeout`` (counted from its first wait: a filter that
    never waits cannot be interrupted anyway) does not let the message through unchecked:
    its verdict becomes FLAG with the failure recorded, so the message is delivered but marked
    for review. (Failing closed with BLOCK would let one broken plugin silence every chat.)
    """

    def __init__(self, filters: Sequence[MessageFilter], *, timeout: float = 2.0) -> None:
        self._filters = tuple(filters)
        self._timeout = timeout

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the filters, in order."""
        return tuple(f.name for f in self._filters)

    async def screen(self, text: str) -> Screening:
        """Inspect ``text`` with every filter concurrently."""
        if not self._filters:
            return Screening((), FilterAction.ALLOW, None)
        if len(self._filters) == 1:
            # One filter (the default): await it in this task instead of spawning one for it.
            verdicts: Sequence[Verdict] = (await self._inspect(self._filters[0], text),)
        else:
            verdicts = await asyncio.gather(*(self._inspect(f, text) for f in self._filters))
        action = max((v.action for v in verdicts), key=lambda a: a.severity)
        redacted = next(
            (v.redacted for v in verdicts if v.action is FilterAction.MASK and v.redacted), None
        )
        return Screening(tuple(verdicts), action, redacted)

    async def _inspect(self, message_filter: MessageFilter, text: str) -> Verdict:
        name = getattr(message_filter, "name", type(message_filter).__name__)
        try:
            # A filter that finishes without waiting (a short text) needs no timer: only one
            # that waits runs on, from where it stopped, under the timeout.
            started = eager.start(message_filter.inspect(text))
            if isinstance(started, eager.Done):
                return started.value
            async with asyncio.timeout(self._timeout):
                return await started.finish()
        except TimeoutError:
            log.warning("filter %s timed out after %.1fs", name, self._timeout)
            failure = "timeout"
        except Exception:
            log.exception("filter %s failed", name)
            failure = "error"
        return Verdict(
            filter=name,
            action=FilterAction.FLAG,
            matches=(Match(term="", start=0, end=0, category=f"filter_{failure}"),),
        )
