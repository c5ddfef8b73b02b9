"""The finance compliance policy: no forbidden promises or personal advice; disclaimers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kefu.contracts import Decision, DecisionAction, PluginContext, Turn
from kefu_plugins.policies.default import DefaultPolicy

#: Promises a regulated firm must never make (English and Chinese).
DEFAULT_FORBIDDEN: tuple[tuple[str, str], ...] = (
    (r"guarantee[ds]?\s+(returns?|profits?|income|gains?)", "guaranteed returns"),
    (r"\b(risk[- ]free|no risk|zero risk)\b", "a promise of no risk"),
    (r"\bcan(?:'|no)t\s+lose\b|\bnever\s+lose\b", "a promise of no loss"),
    (r"保本|保收益|稳赚|零风险|无风险|包赚", "guaranteed returns (zh)"),
)
#: Requests for personalised investment advice, which the bot must not give.
DEFAULT_ADVICE_REQUESTS: tuple[str, ...] = (
    r"\bshould i (buy|sell|invest)\b",
    r"\bwhich (stocks?|funds?|shares?|crypto\w*) (should|to)\b",
    r"\b(best|good) (stock|fund|investment) for me\b",
    r"\binvest my (savings|money|pension)\b",
    r"买哪(只|个)|推荐.*(股票|基金)|该不该(买|卖)|投资建议",
)
DEFAULT_ADVICE_REPLY = (
    "I can't give personal investment advice. A licensed adviser can help you decide what "
    "suits your situation; I can connect you with one."
)
DEFAULT_DISCLAIMER = (
    "This is general information, not financial advice. The value of investments can go "
    "down as well as up."
)
#: Topics that always go to a human, whatever the bot's confidence.
DEFAULT_ESCALATE_INTENTS: tuple[str, ...] = (
    "compromised_card",
    "lost_or_stolen_card",
    "lost_or_stolen_phone",
    "card_swallowed",
)
DEFAULT_ESCALATE_PATTERNS: tuple[str, ...] = (
    r"\b(fraud|scam(med)?|stolen|unauthori[sz]ed|complain(t)?|ombudsman|lawyer)\b",
    r"诈骗|被盗|盗刷|投诉|律师",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled compliance pattern with the reason recorded when it fires."""

    pattern: re.Pattern[str]
    reason: str


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid compliance pattern {pattern!r}: {exc}") from exc


class FinanceCompliancePolicy(DefaultPolicy):
    """Keeps a bank's bot within the rules, and records which rule fired on every decision.

    * A reply that would contain a forbidden promise is rewritten without the offending
      sentences; when nothing is left, the turn is handed to a human.
    * A request for personalised investment advice gets a fixed refusal (and a human offer).
    * Escalation topics (fraud, stolen cards, complaints) always go to a human.
    * Replies on topics listed in ``disclaimer_intents`` (or every reply when that list is
      empty and ``disclaimer`` is set) end with the required disclaimer.

    Options beyond :class:`DefaultPolicy`'s: ``forbidden`` (``[[pattern, reason], ...]``),
    ``advice_requests``, ``advice_reply``, ``disclaimer``, ``disclaimer_intents``,
    ``escalate_intents``, ``escalate_patterns``.
    """

    name = "finance_compliance"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        forbidden: Sequence[Sequence[str]] = DEFAULT_FORBIDDEN,
        advice_requests: Sequence[str] = DEFAULT_ADVICE_REQUESTS,
        advice_reply: str = DEFAULT_ADVICE_REPLY,
        disclaimer: str = DEFAULT_DISCLAIMER,
        disclaimer_intents: Sequence[str] = (),
        escalate_intents: Sequence[str] = DEFAULT_ESCALATE_INTENTS,
        escalate_patterns: Sequence[str] = DEFAULT_ESCALATE_PATTERNS,
        **options: Any,
    ) -> None:
        super().__init__(context, **options)
        self.forbidden = [Rule(_compile(p), reason) for p, reason in forbidden]
        self.advice_requests = [_compile(p) for p in advice_requests]
        self.advice_reply = advice_reply
        self.disclaimer = disclaimer
        self.disclaimer_intents = frozenset(disclaimer_intents)
        self.escalate_intents = frozenset(escalate_intents)
        self.escalate_patterns = [_compile(p) for p in escalate_patterns]

    async def decide(self, turn: Turn) -> Decision:
        """Apply the compliance rules around the default decision."""
        intent = turn.intent
        label = intent.label if intent is not None and intent.in_scope else None
        if label in self.escalate_intents:
            return Decision(
                DecisionAction.HANDOFF,
                confidence=intent.confidence if intent else 0,
                reasons=(f"escalation topic: {label}",),
            )
        for pattern in self.escalate_patterns:
            found = pattern.search(turn.text)
            if found:
                return Decision(
                    DecisionAction.HANDOFF,
                    reasons=(f"escalation topic mentioned: {found.group(0)!r}",),
                )
        if any(p.search(turn.text) for p in self.advice_requests):
            action = DecisionAction.SUGGEST if turn.agent_assigned else DecisionAction.REPLY
            return Decision(
                action,
                text=self._with_disclaimer(self.advice_reply, None),
                confidence=1.0,
                reasons=("personalised investment advice requested: refused",),
            )
        decision = await super().decide(turn)
        return self._sanitise(decision, label)

    def _sanitise(self, decision: Decision, label: str | None) -> Decision:
        reasons = list(decision.reasons)
        text = decision.text
        if text:
            cleaned, fired = self.strip_forbidden(text)
            if fired:
                reasons.extend(f"removed forbidden content: {r}" for r in fired)
                if not cleaned and decision.action is DecisionAction.REPLY:
                    return Decision(
                        DecisionAction.HANDOFF,
                        confidence=decision.confidence,
                        reasons=(*reasons, "nothing compliant left to send"),
                    )
            text = self._with_disclaimer(cleaned, label) if cleaned else ""
            if text != cleaned:
                reasons.append("disclaimer added")
        suggestions = []
        for s in decision.suggestions:
            cleaned, _ = self.strip_forbidden(s.text)
            if cleaned:
                suggestions.append(replace(s, text=self._with_disclaimer(cleaned, label)))
        return replace(decision, text=text, reasons=tuple(reasons), suggestions=tuple(suggestions))

    def strip_forbidden(self, text: str) -> tuple[str, list[str]]:
        """``text`` without the sentences that break a rule, and the reasons that fired."""
        fired: list[str] = []
        kept: list[str] = []
        for sentence in _sentences(text):
            hits = [r.reason for r in self.forbidden if r.pattern.search(sentence)]
            if hits:
                fired.extend(hits)
            else:
                kept.append(sentence)
        return " ".join(kept).strip(), fired

    def _with_disclaimer(self, text: str, label: str | None) -> str:
        if not self.disclaimer or self.disclaimer in text:
            return text
        if self.disclaimer_intents and label not in self.disclaimer_intents:
            return text
        return f"{text}\n\n{self.disclaimer}"


_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def rules_from(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Policy options from a pack's compliance table (keys as in the constructor)."""
    allowed = {
        "forbidden",
        "advice_requests",
        "advice_reply",
        "disclaimer",
        "disclaimer_intents",
        "escalate_intents",
        "escalate_patterns",
    }
    unknown = set(mapping) - allowed
    if unknown:
        raise ValueError(f"unknown compliance settings: {', '.join(sorted(unknown))}")
    return dict(mapping)
