"""The e-commerce reply policy: answers order questions from customer context, suggests products."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kefu.assistant.templates import try_render
from kefu.contracts import Decision, DecisionAction, PluginContext, Suggestion, Turn
from kefu_plugins.policies.default import DefaultPolicy, answer_of, source_of

DEFAULT_ORDER_TEMPLATES: dict[str, str] = {
    "pending": "Your order {order.id} has been received and is waiting to be shipped.",
    "paid": "Your order {order.id} is paid and will ship soon.",
    "shipped": "Your order {order.id} has shipped with {order.carrier}; "
    "tracking number {order.tracking}.",
    "delivered": "Your order {order.id} was delivered.",
    "cancelled": "Your order {order.id} was cancelled.",
    "refunded": "Your order {order.id} was refunded.",
}
DEFAULT_ORDER_FALLBACK = "Your order {order.id} is currently {order.status}."
ORDER_ID = re.compile(r"\b[A-Z]{0,4}-?\d{4,}\b", re.IGNORECASE)


class EcommercePolicy(DefaultPolicy):
    """Answers order and shipping questions from the customer's orders; recommends products.

    Options beyond :class:`DefaultPolicy`'s:

    * ``order_intents`` -- intents that ask about an order's state.
    * ``order_templates`` -- ``{status: template}``; slots ``order.*`` come from the order.
    * ``product_intents`` -- intents that ask for a recommendation; product hits are those
      whose chunk metadata has ``type = "product"``.
    """

    name = "ecommerce"

    def __init__(
        self,
        context: PluginContext | None = None,
        *,
        order_intents: Sequence[str] = ("order_status", "shipping_status", "status_delivery_time"),
        order_templates: Mapping[str, str] | None = None,
        product_intents: Sequence[str] = ("product_recommendation",),
        **options: Any,
    ) -> None:
        super().__init__(context, **options)
        self.order_intents = frozenset(order_intents)
        self.order_templates = {**DEFAULT_ORDER_TEMPLATES, **dict(order_templates or {})}
        self.product_intents = frozenset(product_intents)

    def slots(self, turn: Turn) -> dict[str, Any]:
        """The default slots plus ``order.*``: the order the visitor means (see pick_order)."""
        slots = super().slots(turn)
        order = pick_order(turn)
        if order is not None:
            slots["order"] = order
        return slots

    def candidates(self, turn: Turn) -> list[Suggestion]:
        """Order answers and product picks first, then the general candidates."""
        intent = turn.intent
        if intent is None or not intent.in_scope:
            return super().candidates(turn)
        first: list[Suggestion] = []
        if intent.label in self.order_intents:
            answer = self._order_answer(turn)
            if answer is not None:
                first.append(Suggestion(answer[0], answer[1], intent.confidence))
        if intent.label in self.product_intents:
            products = [
                h for h in self.usable_hits(turn) if h.chunk.metadata.get("type") == "product"
            ]
            if products:
                lines = [f"- {answer_of(h)}" for h in products[:3]]
                text = "You might like:\n" + "\n".join(lines)
                first.append(
                    Suggestion(text, tuple(source_of(h) for h in products[:3]), intent.confidence)
                )
        return first + super().candidates(turn)

    async def decide(self, turn: Turn) -> Decision:
        """Like the default policy, but an order question without order data goes to a human."""
        intent = turn.intent
        if (
            not turn.agent_assigned
            and intent is not None
            and intent.in_scope
            and intent.label in self.order_intents
            and self._order_answer(turn) is None
        ):
            degraded = turn.context is not None and "orders" in turn.context.degraded
            why = "order data is unavailable right now" if degraded else "no matching order found"
            return Decision(DecisionAction.HANDOFF, confidence=intent.confidence, reasons=(why,))
        return await super().decide(turn)

    def _order_answer(self, turn: Turn) -> tuple[str, tuple[str, ...]] | None:
        order = pick_order(turn)
        if order is None:
            return None
        slots = self.slots(turn)
        template = self.order_templates.get(str(order.get("status", "")), DEFAULT_ORDER_FALLBACK)
        text = try_render(template, slots) or try_render(DEFAULT_ORDER_FALLBACK, slots)
        if text is None:
            return None
        return text, (f"context:orders#{order.get('id')}",)


def pick_order(turn: Turn) -> Mapping[str, Any] | None:
    """The order the visitor means: one whose id they typed, else their most recent one."""
    if turn.context is None:
        return None
    orders = turn.context.sections.get("orders")
    if not isinstance(orders, Sequence) or not orders:
        return None
    valid = [o for o in orders if isinstance(o, Mapping) and "id" in o]
    if not valid:
        return None
    mentioned = {m.group(0).lower() for m in ORDER_ID.finditer(turn.text)}
    for order in valid:
        if str(order["id"]).lower() in mentioned:
            return order
    return max(valid, key=lambda o: str(o.get("placed_at", "")))
