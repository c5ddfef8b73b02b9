"""The ReplyPolicy conformance suite: subclass it and implement ``make_policy``."""

from __future__ import annotations

import pytest

from kefu.contracts import (
    OUT_OF_SCOPE,
    Chunk,
    CustomerContext,
    Decision,
    DecisionAction,
    FilterAction,
    Hit,
    IntentPrediction,
    IntentScore,
    Match,
    ReplyPolicy,
    Turn,
    Verdict,
)


def faq_hit(intent: str = "greeting", score: float = 0.9) -> Hit:
    """A retrieved FAQ chunk whose answer is in its metadata."""
    chunk = Chunk(
        id=f"faq-{intent}",
        text=f"question about {intent}",
        source="faq",
        metadata={"intent": intent, "answer": f"Here is the answer about {intent}."},
    )
    return Hit(chunk, score)


def confident(label: str = "greeting", confidence: float = 0.97) -> IntentPrediction:
    """An in-scope prediction."""
    return IntentPrediction(label, confidence, (IntentScore(label, confidence),))


ODD_TEXTS = ("", "   \n\t ", "x" * 10_000, "我的订单 where is it 📦🚚 ??? 謝謝")


class ReplyPolicyConformance:
    """Behaviour every reply policy, built-in or third-party, must show."""

    def make_policy(self) -> ReplyPolicy:
        """Build the policy under test with its default options."""
        raise NotImplementedError

    @pytest.fixture
    def policy(self) -> ReplyPolicy:
        return self.make_policy()

    def check(self, decision: Decision) -> None:
        """Invariants of any decision."""
        assert isinstance(decision, Decision)
        assert isinstance(decision.action, DecisionAction)
        assert 0.0 <= decision.confidence <= 1.0
        assert all(0.0 <= s.confidence <= 1.0 for s in decision.suggestions)
        assert len(decision.suggestions) <= 3
        if decision.action is DecisionAction.REPLY:
            assert decision.text.strip(), "a reply must carry text"
        if decision.action in (DecisionAction.HANDOFF, DecisionAction.BLOCK):
            assert decision.reasons, "handoff and block must say why"

    def test_is_a_reply_policy(self, policy: ReplyPolicy) -> None:
        assert isinstance(policy, ReplyPolicy)
        assert isinstance(policy.name, str) and policy.name

    @pytest.mark.parametrize("text", ODD_TEXTS, ids=["empty", "blank", "10k", "mixed"])
    async def test_odd_text_gets_a_decision(self, policy: ReplyPolicy, text: str) -> None:
        for intent in (None, IntentPrediction(OUT_OF_SCOPE, 0.1), confident()):
            self.check(await policy.decide(Turn("c1", text, intent=intent, hits=(faq_hit(),))))

    async def test_never_replies_when_an_agent_owns_the_conversation(
        self, policy: ReplyPolicy
    ) -> None:
        turn = Turn("c1", "hello", intent=confident(), hits=(faq_hit(),), agent_assigned=True)
        decision = await policy.decide(turn)
        self.check(decision)
        assert decision.action is not DecisionAction.REPLY

    async def test_out_of_scope_is_not_answered_by_the_bot(self, policy: ReplyPolicy) -> None:
        turn = Turn(
            "c1", "what is the airspeed of a swallow", intent=IntentPrediction(OUT_OF_SCOPE, 0.2)
        )
        decision = await policy.decide(turn)
        self.check(decision)
        assert decision.action is not DecisionAction.REPLY

    async def test_blocking_filter_verdict_is_never_answered(self, policy: ReplyPolicy) -> None:
        verdict = Verdict("words", FilterAction.BLOCK, (Match("bad", 0, 3, "abuse"),))
        turn = Turn("c1", "bad words", intent=confident(), hits=(faq_hit(),), verdicts=(verdict,))
        decision = await policy.decide(turn)
        self.check(decision)
        assert decision.action in (DecisionAction.BLOCK, DecisionAction.HANDOFF)

    async def test_degraded_context_still_decides(self, policy: ReplyPolicy) -> None:
        context = CustomerContext("cust-1", {}, degraded=("orders", "payments"))
        turn = Turn("c1", "where is my order", intent=confident("order_status"), context=context)
        self.check(await policy.decide(turn))
