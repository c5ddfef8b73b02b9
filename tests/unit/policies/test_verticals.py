"""What each vertical reply policy does beyond the shared contract."""

from __future__ import annotations

import pytest

from kefu.contracts import Chunk, CustomerContext, DecisionAction, Hit, IntentPrediction, Turn
from kefu.testing.policy import confident, faq_hit
from kefu_plugins.policies.default import DefaultPolicy
from kefu_plugins.policies.ecommerce import EcommercePolicy
from kefu_plugins.policies.education import EducationPolicy
from kefu_plugins.policies.finance import FinanceCompliancePolicy

ORDERS = CustomerContext(
    "cust-1",
    {
        "orders": [
            {"id": "A-10001", "status": "delivered", "placed_at": "2026-10-01"},
            {
                "id": "A-10002",
                "status": "shipped",
                "placed_at": "2026-11-20",
                "carrier": "SF Express",
                "tracking": "SF123",
            },
        ]
    },
)


async def test_default_replies_with_the_agreeing_answer_when_confident() -> None:
    policy = DefaultPolicy(reply_threshold=0.8)
    turn = Turn("c", "hi", intent=confident("greeting", 0.9), hits=(faq_hit("greeting"),))
    decision = await policy.decide(turn)
    assert decision.action is DecisionAction.REPLY
    assert decision.text == "Here is the answer about greeting."
    assert decision.sources == ("faq#faq-greeting",)


async def test_default_hands_off_below_threshold_and_keeps_suggestions() -> None:
    policy = DefaultPolicy(reply_threshold=0.8)
    turn = Turn("c", "hi", intent=confident("greeting", 0.5), hits=(faq_hit("greeting"),))
    decision = await policy.decide(turn)
    assert decision.action is DecisionAction.HANDOFF
    assert "below the reply threshold" in decision.reasons[0]
    assert decision.suggestions[0].text == "Here is the answer about greeting."


async def test_default_does_not_reply_with_an_answer_for_another_intent() -> None:
    policy = DefaultPolicy(reply_threshold=0.8)
    turn = Turn("c", "hi", intent=confident("refund", 0.95), hits=(faq_hit("greeting", 0.3),))
    assert (await policy.decide(turn)).action is DecisionAction.HANDOFF


async def test_default_fills_templates_and_suggests_top_three_to_agents() -> None:
    policy = DefaultPolicy(templates={"greeting": "Hello {customer.name}!"})
    context = CustomerContext("cust-1", {"name": "Li Lei"})
    hits = tuple(faq_hit(f"i{n}", 0.9 - n / 10) for n in range(5))
    turn = Turn(
        "c", "hi", intent=confident("greeting"), hits=hits, context=context, agent_assigned=True
    )
    decision = await policy.decide(turn)
    assert decision.action is DecisionAction.SUGGEST
    assert decision.suggestions[0].text == "Hello Li Lei!"
    assert len(decision.suggestions) == 3


async def test_default_template_with_missing_slot_is_not_sent() -> None:
    policy = DefaultPolicy(templates={"greeting": "Hello {customer.name}!"})
    decision = await policy.decide(Turn("c", "hi", intent=confident("greeting")))
    assert decision.action is DecisionAction.HANDOFF


def test_default_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="reply_threshold"):
        DefaultPolicy(reply_threshold=1.5)


async def test_ecommerce_answers_from_the_most_recent_order() -> None:
    decision = await EcommercePolicy().decide(
        Turn("c", "where is my parcel?", intent=confident("order_status"), context=ORDERS)
    )
    assert decision.action is DecisionAction.REPLY
    assert "A-10002" in decision.text and "SF123" in decision.text
    assert decision.sources == ("context:orders#A-10002",)


async def test_ecommerce_uses_the_order_the_visitor_names() -> None:
    decision = await EcommercePolicy().decide(
        Turn("c", "what about order A-10001?", intent=confident("order_status"), context=ORDERS)
    )
    assert "A-10001" in decision.text and "delivered" in decision.text


async def test_ecommerce_templates_can_name_the_order() -> None:
    policy = EcommercePolicy(templates={"refund_status": "Refund for {order.id}: on its way."})
    decision = await policy.decide(
        Turn("c", "refund?", intent=confident("refund_status"), context=ORDERS)
    )
    assert decision.action is DecisionAction.REPLY
    assert decision.text == "Refund for A-10002: on its way."


async def test_ecommerce_hands_off_when_orders_are_degraded() -> None:
    context = CustomerContext("cust-1", {}, degraded=("orders",))
    decision = await EcommercePolicy().decide(
        Turn("c", "where is my order", intent=confident("order_status"), context=context)
    )
    assert decision.action is DecisionAction.HANDOFF
    assert decision.reasons == ("order data is unavailable right now",)


CATALOG = {
    "py101": {"title": "Python Basics", "prerequisites": []},
    "ds201": {"title": "Data Analysis", "prerequisites": ["py101"]},
    "ml301": {"title": "Machine Learning", "prerequisites": ["ds201", "math200"]},
    "math200": {"title": "Linear Algebra", "prerequisites": []},
}


async def test_education_lays_out_prerequisites_first() -> None:
    policy = EducationPolicy(catalog=CATALOG)
    path = policy.learning_path(["ml301"])
    assert path.index("py101") < path.index("ds201") < path.index("ml301")
    assert path.index("math200") < path.index("ml301")
    decision = await policy.decide(
        Turn("c", "how do I get to machine learning?", intent=confident("learning_path"))
    )
    assert decision.action is DecisionAction.REPLY
    assert decision.text.endswith("Machine Learning.")
    assert "catalog#ml301" in decision.sources


def test_education_refuses_cyclic_or_dangling_catalogs() -> None:
    with pytest.raises(ValueError, match="cycle"):
        EducationPolicy(catalog={"a": {"prerequisites": ["b"]}, "b": {"prerequisites": ["a"]}})
    with pytest.raises(ValueError, match="unknown course 'zz'"):
        EducationPolicy(catalog={"a": {"prerequisites": ["zz"]}})


def answer_hit(answer: str) -> Hit:
    """A savings FAQ hit with the given answer."""
    chunk = Chunk("faq-savings", "savings", "faq", {"intent": "savings", "answer": answer})
    return Hit(chunk, 0.9)


async def test_finance_strips_forbidden_promises_and_adds_disclaimer() -> None:
    hit = answer_hit("Our savings account pays 3% a year. It offers guaranteed returns forever.")
    decision = await FinanceCompliancePolicy().decide(
        Turn("c", "tell me about savings", intent=confident("savings"), hits=(hit,))
    )
    assert decision.action is DecisionAction.REPLY
    assert "guaranteed" not in decision.text
    assert decision.text.startswith("Our savings account pays 3% a year.")
    assert "not financial advice" in decision.text
    assert "removed forbidden content: guaranteed returns" in decision.reasons


async def test_finance_hands_off_when_nothing_compliant_is_left() -> None:
    hit = answer_hit("This fund is risk-free.")
    decision = await FinanceCompliancePolicy().decide(
        Turn("c", "is it safe", intent=confident("savings"), hits=(hit,))
    )
    assert decision.action is DecisionAction.HANDOFF
    assert "nothing compliant left to send" in decision.reasons


@pytest.mark.parametrize("text", ["Should I buy Tesla shares?", "我该买哪只股票"])
async def test_finance_refuses_personal_investment_advice(text: str) -> None:
    decision = await FinanceCompliancePolicy().decide(Turn("c", text, intent=confident("x")))
    assert decision.action is DecisionAction.REPLY
    assert "can't give personal investment advice" in decision.text
    assert decision.reasons == ("personalised investment advice requested: refused",)


@pytest.mark.parametrize(
    ("text", "intent"),
    [("my card was stolen", "card_arrival"), ("hello", "compromised_card"), ("我被诈骗了", "x")],
)
async def test_finance_escalates_sensitive_topics(text: str, intent: str) -> None:
    decision = await FinanceCompliancePolicy().decide(
        Turn("c", text, intent=IntentPrediction(intent, 0.99))
    )
    assert decision.action is DecisionAction.HANDOFF
    assert decision.reasons[0].startswith("escalation topic")


def test_finance_rejects_invalid_patterns() -> None:
    with pytest.raises(ValueError, match="invalid compliance pattern"):
        FinanceCompliancePolicy(escalate_patterns=["(unclosed"])
