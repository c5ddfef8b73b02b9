"""The general-purpose reply policy: answer when confident, suggest to agents, else hand off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.assistant.templates import try_render
from kefu.contracts import (
    Decision,
    DecisionAction,
    FilterAction,
    Hit,
    PluginContext,
    Suggestion,
    Turn,
)


def answer_of(hit: Hit) -> str:
    """The text to send for a retrieved chunk: its ``answer`` metadata, else the chunk text."""
    return hit.chunk.metadata.get("answer") or hit.chunk.text


def source_of(hit: Hit) -> str:
    """How a hit is cited: ``source#chunk-id`` (or just the id)."""
    return f"{hit.chunk.source}#{hit.chunk.id}" if hit.chunk.source else hit.chunk.id


class DefaultPolicy:
    """Replies from templates and retrieved answers when confident; otherwise hands off.

    Options (all optional, usually set by a knowledge pack's ``pack.toml``):

    * ``reply_threshold`` -- the intent confidence at or above which the bot replies (0.7).
    * ``min_hit_score`` -- hits scoring below this are ignored (0.0; retriever-specific scale).
    * ``templates`` -- ``{intent: "text with {slots}"}``; slots come from :meth:`slots`.
    * ``max_suggestions`` -- how many replies to suggest to an agent (3).
    """

    name = "default"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        reply_threshold: float = 0.7,
        min_hit_score: float = 0.0,
        templates: Mapping[str, str] | None = None,
        max_suggestions: int = 3,
    ) -> None:
        if not 0.0 <= reply_threshold <= 1.0:
            raise ValueError(f"reply_threshold must be within [0, 1], got {reply_threshold}")
        if max_suggestions < 1:
            raise ValueError(f"max_suggestions must be at least 1, got {max_suggestions}")
        self.reply_threshold = reply_threshold
        self.min_hit_score = min_hit_score
        self.templates: dict[str, str] = dict(templates or {})
        self.max_suggestions = max_suggestions

    # -- extension points for vertical policies ------------------------------------------------

    def slots(self, turn: Turn) -> dict[str, Any]:
        """Values templates may use: ``intent``, ``text``, ``customer.*`` sections, ``answer``."""
        slots: dict[str, Any] = {"text": turn.text}
        if turn.intent is not None:
            slots["intent"] = turn.intent.label
        if turn.context is not None:
            slots["customer"] = {"id": turn.context.customer_id, **dict(turn.context.sections)}
        hits = self.usable_hits(turn)
        if hits:
            slots["answer"] = answer_of(hits[0])
        return slots

    def candidates(self, turn: Turn) -> list[Suggestion]:
        """Possible replies, best first: the intent's template, then retrieved answers."""
        out: list[Suggestion] = []
        intent = turn.intent
        confidence = intent.confidence if intent is not None and intent.in_scope else 0.0
        hits = self.usable_hits(turn)
        if intent is not None and intent.in_scope and intent.label in self.templates:
            text = try_render(self.templates[intent.label], self.slots(turn))
            if text:
                sources = (
                    tuple(source_of(h) for h in hits[:1])
                    if "{answer" in self.templates[intent.label]
                    else (f"template:{intent.label}",)
                )
                out.append(Suggestion(text, sources, confidence))
        for hit in hits:
            hit_intent = hit.chunk.metadata.get("intent")
            agrees = intent is None or not intent.in_scope or hit_intent in (None, intent.label)
            score = confidence if agrees and intent is not None and intent.in_scope else 0.0
            out.append(Suggestion(answer_of(hit), (source_of(hit),), score or _squash(hit.score)))
        return _dedupe(out)

    def usable_hits(self, turn: Turn) -> list[Hit]:
        """Retrieved hits at or above ``min_hit_score``, best first."""
        return [h for h in turn.hits if h.score >= self.min_hit_score]

    # -- the contract ---------------------------------------------------------------------------

    async def decide(self, turn: Turn) -> Decision:
        """Reply, suggest, hand off or block, with the reasons."""
        blocked = [v for v in turn.verdicts if v.action is FilterAction.BLOCK]
        if blocked:
            names = ", ".join(sorted({v.filter for v in blocked}))
            return Decision(DecisionAction.BLOCK, reasons=(f"blocked by filter: {names}",))
        candidates = self.candidates(turn)
        if turn.agent_assigned:
            top = tuple(candidates[: self.max_suggestions])
            return Decision(
                DecisionAction.SUGGEST,
                suggestions=top,
                confidence=top[0].confidence if top else 0.0,
                reasons=(f"{len(top)} suggestion(s) for the agent",),
            )
        if not turn.text.strip():
            return Decision(DecisionAction.HANDOFF, reasons=("empty message",))
        intent = turn.intent
        if intent is None or not intent.in_scope:
            return Decision(
                DecisionAction.HANDOFF,
                confidence=intent.confidence if intent else 0.0,
                reasons=("no intent recognised",),
                suggestions=tuple(candidates[: self.max_suggestions]),
            )
        confident = [c for c in candidates if c.confidence >= self.reply_threshold]
        if intent.confidence < self.reply_threshold or not confident:
            why = (
                f"intent {intent.label} at {intent.confidence:.2f} is below the reply "
                f"threshold {self.reply_threshold:.2f}"
                if intent.confidence < self.reply_threshold
                else f"no answer for intent {intent.label} reaches the reply threshold"
            )
            return Decision(
                DecisionAction.HANDOFF,
                confidence=intent.confidence,
                reasons=(why,),
                suggestions=tuple(candidates[: self.max_suggestions]),
            )
        best = confident[0]
        return Decision(
            DecisionAction.REPLY,
            text=best.text,
            sources=best.sources,
            confidence=best.confidence,
            reasons=(f"intent {intent.label} at {intent.confidence:.2f}",),
            suggestions=tuple(candidates[: self.max_suggestions]),
        )


def _squash(score: float) -> float:
    """Map a retriever score onto [0, 1] for display when no intent confidence applies."""
    return max(0.0, min(1.0, score))


def _dedupe(items: list[Suggestion]) -> list[Suggestion]:
    seen: set[str] = set()
    out: list[Suggestion] = []
    for item in items:
        key = " ".join(item.text.split()).lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out
