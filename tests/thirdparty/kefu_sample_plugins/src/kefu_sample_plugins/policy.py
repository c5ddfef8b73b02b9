"""A reply policy that answers every recognised intent politely and hands off the rest."""

from __future__ import annotations

from typing import Any

from kefu.contracts import Decision, DecisionAction, PluginContext, Suggestion, Turn


class PolitePolicy:
    """Replies "Certainly! (intent: X)" to recognised intents; a human takes the rest.

    It raises on the word "explode", so that tests can show Kefu falling back to a human when
    a third-party plugin fails.
    """

    name = "sample_polite"

    def __init__(self, context: PluginContext | None = None, **_: Any) -> None:
        pass

    async def decide(self, turn: Turn) -> Decision:
        if "explode" in turn.text.lower():
            raise RuntimeError("the sample policy exploded, as asked")
        intent = turn.intent
        if intent is None or not intent.in_scope:
            return Decision(DecisionAction.HANDOFF, reasons=("sample: no intent",))
        text = f"Certainly! (intent: {intent.label})"
        if turn.agent_assigned:
            return Decision(
                DecisionAction.SUGGEST,
                suggestions=(Suggestion(text, ("sample",), intent.confidence),),
                confidence=intent.confidence,
            )
        return Decision(DecisionAction.REPLY, text=text, sources=("sample",),
                        confidence=intent.confidence, reasons=(f"sample: {intent.label}",))
