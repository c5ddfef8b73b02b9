"""The one point where the conversation domain consults the assistant about a visitor message.

The dialog manager plugs in here: anything matching :class:`Assistant` (an async callable from a
stored message to a :class:`~kefu.contracts.Decision`) can be passed to ``create_app``. The
default, :class:`PolicyAssistant`, asks the configured ``kefu.policy`` plugin directly.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kefu.contracts import Decision, FilterAction, Match, ReplyPolicy, Turn, Verdict
from kefu.store.records import ConversationStatus, StoredMessage


@runtime_checkable
class Assistant(Protocol):
    """Decides what happens after a visitor message was stored (and not blocked)."""

    async def __call__(self, message: StoredMessage) -> Decision:
        """Return reply / suggest / handoff / block for ``message``; should not raise."""
        ...


def verdicts_of(message: StoredMessage) -> tuple[Verdict, ...]:
    """The filter verdicts stored with a message, as contract objects again."""
    verdicts: list[Verdict] = []
    for raw in message.verdicts:
        matches = tuple(
            Match(term=m["term"], start=m["start"], end=m["end"], category=m["category"])
            for m in raw.get("matches", ())
        )
        verdicts.append(
            Verdict(
                filter=raw.get("filter", "?"),
                action=FilterAction(raw.get("action", "allow")),
                matches=matches,
                redacted=raw.get("redacted"),
            )
        )
    return tuple(verdicts)


class PolicyAssistant:
    """An assistant that is only a reply policy: no intent, retrieval or context yet."""

    def __init__(self, policy: ReplyPolicy) -> None:
        self._policy = policy

    async def __call__(self, message: StoredMessage) -> Decision:
        """Build a Turn from the message and let the policy decide."""
        turn = Turn(
            conversation_id=message.conversation_id,
            text=message.delivered_text,
            verdicts=verdicts_of(message),
            agent_assigned=message.status is ConversationStatus.ASSIGNED,
        )
        return await self._policy.decide(turn)
