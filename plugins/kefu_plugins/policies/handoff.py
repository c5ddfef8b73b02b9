"""A policy that hands every conversation to a human: the floor under every other policy."""

from __future__ import annotations

from typing import Any

from kefu.contracts import Decision, DecisionAction, PluginContext, Turn


class AlwaysHandoffPolicy:
    """Hands every message to a human agent (used when no assistant is configured)."""

    name = "handoff"

    def __init__(self, context: PluginContext | None = None, **options: Any) -> None:
        if options:
            raise TypeError(f"handoff policy takes no options, got {sorted(options)}")

    async def decide(self, turn: Turn) -> Decision:
        """Always hand off, saying why."""
        if turn.agent_assigned:
            return Decision(DecisionAction.SUGGEST, reasons=("no assistant configured",))
        return Decision(DecisionAction.HANDOFF, reasons=("no assistant configured",))
