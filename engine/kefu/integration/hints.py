"""Agent hints from business events: "new order pending", "parcel delayed".

* A visitor who opens the chat within ``order_window`` of placing an order (either order of
  arrival: the chat first or the ``order.created`` event first) gets a ``new_order_pending``
  hint on that conversation, unless the order has been paid meanwhile.
* ``shipment.delayed`` gives a ``parcel_delayed`` hint on each open conversation of the
  customer; a chat opened within ``delay_window`` after a delay gets it too.

Hints are events of type ``agent.hint`` on the :data:`HINT_STREAM` stream, subject = the
conversation id. They are written to the outbox in the same transaction that marks the business
event processed (table ``integration_processed``), so a redelivered event yields no second hint.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.bus.base import Delivery, EventBus
from kefu.bus.consumer import StreamConsumer
from kefu.bus.events import Event
from kefu.integration import tables
from kefu.integration.inbox import BUSINESS_STREAM
from kefu.integration.links import CustomerLink, CustomerLinks
from kefu.integration.outbox import OutboxRelay
from kefu.integration.schemas import customer_of
from kefu.store import schema
from kefu.store.database import Database
from kefu.store.records import as_utc, utcnow
from kefu.store.repositories import Conversations

log = logging.getLogger(__name__)

HINT_STREAM = "agent.hints"
HINT_SOURCE = "kefu://integration/hints"
NEW_ORDER_PENDING = "new_order_pending"
PARCEL_DELAYED = "parcel_delayed"


@dataclass(frozen=True, slots=True)
class Hint:
    """A note for the agent handling a conversation."""

    kind: str
    text: str
    conversation_id: str
    customer_id: str
    agent_id: str | None
    cause: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable per (kind, cause, conversation): the same hint is never produced twice."""
        key = f"{self.kind}|{self.cause}|{self.conversation_id}".encode()
        return "hint-" + hashlib.sha256(key).hexdigest()[:40]

    def to_event(self) -> Event:
        """The ``agent.hint`` event carrying this hint (id derived from cause + conversation)."""
        return Event(
            id=self.id,
            type="agent.hint",
            source=HINT_SOURCE,
            subject=self.conversation_id,
            data={
                "kind": self.kind,
                "text": self.text,
                "conversation_id": self.conversation_id,
                "customer_id": self.customer_id,
                "agent_id": self.agent_id,
                "cause": self.cause,
                **self.data,
            },
        )


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _parse_time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return fallback
    return fallback


class HintEngine:
    """Turns business events and chat openings into hints, each exactly once."""

    CONSUMER = "hints"

    def __init__(
        self,
        database: Database,
        *,
        relay: OutboxRelay | None = None,
        order_window: timedelta = timedelta(minutes=30),
        delay_window: timedelta = timedelta(days=3),
    ) -> None:
        self._db = database
        self._relay = relay
        self.order_window = order_window
        self.delay_window = delay_window

    # -- business events -----------------------------------------------------------------

    async def handle(self, delivery: Delivery) -> None:
        """Consumer-group handler: hints for one business event (idempotent on its id)."""
        await self.on_event(delivery.event)

    async def on_event(self, event: Event) -> list[Hint]:
        """Hints for ``event``; a second call with the same event id produces none."""
        customer = customer_of(event.data)
        try:
            async with self._db.write() as conn:
                if not await self._claim(conn, event.id):
                    return []
                found = await self._hints_for(conn, event, customer) if customer else []
                hints = [h for h in found if await self._claim(conn, h.id)]
                await self._queue(conn, hints)
        except IntegrityError:
            return []  # another consumer processed it concurrently
        if hints and self._relay is not None:
            self._relay.wake()
        return hints

    async def _claim(self, conn: AsyncConnection, event_id: str) -> bool:
        p = tables.processed
        seen = await conn.execute(
            sa.select(p.c.event_id).where(p.c.consumer == self.CONSUMER, p.c.event_id == event_id)
        )
        if seen.first() is not None:
            return False
        await conn.execute(
            sa.insert(p).values(consumer=self.CONSUMER, event_id=event_id, processed_at=utcnow())
        )
        return True

    async def _hints_for(self, conn: AsyncConnection, event: Event, customer: str) -> list[Hint]:
        data = event.data if isinstance(event.data, dict) else {}
        links = await CustomerLinks(conn).open_for(customer)
        if event.type == "order.created":
            placed = _parse_time(data.get("placed_at"), event.time)
            return [
                self._order_hint(link, data, placed, event.id)
                for link in links
                if abs(link.opened_at - placed) <= self.order_window
            ]
        if event.type == "shipment.delayed":
            return [self._delay_hint(link, data, event.id) for link in links]
        return []

    def _order_hint(
        self, link: CustomerLink, data: dict[str, Any], placed: datetime, cause: str
    ) -> Hint:
        order_id = str(data.get("order_id", "?"))
        gap = link.opened_at - placed
        when = (
            f"placed {_minutes(gap)} min before the chat opened"
            if gap >= timedelta(0)
            else f"placed {_minutes(-gap)} min after the chat opened"
        )
        return Hint(
            kind=NEW_ORDER_PENDING,
            text=f"New order {order_id} pending: {when}",
            conversation_id=link.conversation_id,
            customer_id=link.customer_id,
            agent_id=link.agent_id,
            cause=cause,
            data={"order_id": order_id, "placed_at": placed.isoformat()},
        )

    @staticmethod
    def _delay_hint(link: CustomerLink, data: dict[str, Any], cause: str) -> Hint:
        order_id = str(data.get("order_id", "?"))
        reason = str(data.get("reason", "")) or "carrier delay"
        expected = data.get("expected_at")
        text = f"Parcel delayed: order {order_id} ({data.get('carrier', '?')}), {reason}"
        if expected:
            text += f"; now expected {str(expected)[:10]}"
        return Hint(
            kind=PARCEL_DELAYED,
            text=text,
            conversation_id=link.conversation_id,
            customer_id=link.customer_id,
            agent_id=link.agent_id,
            cause=cause,
            data={"order_id": order_id, "tracking": data.get("tracking"), "reason": reason},
        )

    async def _queue(self, conn: AsyncConnection, hints: list[Hint]) -> None:
        now = utcnow()
        for hint in hints:
            event = hint.to_event()
            await conn.execute(
                sa.insert(tables.outbox).values(
                    stream=HINT_STREAM,
                    event_id=event.id,
                    payload=event.to_json().decode(),
                    created_at=now,
                )
            )

    # -- chats opening -------------------------------------------------------------------

    async def conversation_exists(self, conversation_id: str) -> bool:
        """Whether the store knows the conversation (checked before linking it over HTTP)."""
        async with self._db.read() as conn:
            return await Conversations(conn).get(conversation_id) is not None

    async def on_chat_opened(
        self,
        conversation_id: str,
        customer_id: str,
        *,
        agent_id: str | None = None,
        now: datetime | None = None,
    ) -> list[Hint]:
        """Link the conversation to the customer and hint about recent orders and delays."""
        opened = now or utcnow()
        async with self._db.write() as conn:
            link = await CustomerLinks(conn).link(
                conversation_id, customer_id, agent_id=agent_id, opened_at=opened
            )
            hints = await self._recent_hints(conn, link)
            fresh: list[Hint] = []
            for hint in hints:
                if await self._claim(conn, hint.id):
                    fresh.append(hint)
            await self._queue(conn, fresh)
        if fresh and self._relay is not None:
            self._relay.wake()
        return fresh

    async def _recent_hints(self, conn: AsyncConnection, link: CustomerLink) -> list[Hint]:
        e = schema.events
        since = link.opened_at - max(self.order_window, self.delay_window)
        rows = await conn.execute(
            sa.select(e.c.id, e.c.type, e.c.time, e.c.data)
            .where(
                e.c.type.in_(("order.created", "order.paid", "shipment.delayed")),
                e.c.time >= since,
            )
            .order_by(e.c.time)
        )
        created: dict[str, tuple[str, dict[str, Any], datetime]] = {}
        paid: set[str] = set()
        delays: dict[str, tuple[str, dict[str, Any]]] = {}
        for row in rows:
            data = row.data if isinstance(row.data, dict) else {}
            if customer_of(data) != link.customer_id:
                continue
            order_id = str(data.get("order_id", ""))
            when = as_utc(row.time)
            if row.type == "order.created":
                created[order_id] = (row.id, data, _parse_time(data.get("placed_at"), when))
            elif row.type == "order.paid":
                paid.add(order_id)
            elif link.opened_at - when <= self.delay_window:
                delays[order_id] = (row.id, data)
        hints = [
            self._order_hint(link, data, placed, cause)
            for order_id, (cause, data, placed) in created.items()
            if order_id not in paid and timedelta(0) <= link.opened_at - placed <= self.order_window
        ]
        hints += [self._delay_hint(link, data, cause) for cause, data in delays.values()]
        return hints


class HintConsumer:
    """Runs the hint engine as a consumer group on the business stream (one group cluster-wide)."""

    def __init__(
        self,
        bus: EventBus,
        engine: HintEngine,
        *,
        name: str,
        group: str = "agent-hints",
        stream: str = BUSINESS_STREAM,
        min_idle: float = 30.0,
        block: float = 1.0,
    ) -> None:
        self.consumer = StreamConsumer(
            bus, stream, group, name, engine.handle, min_idle=min_idle, block=block
        )

    def start(self) -> None:
        """Consume in the background."""
        self.consumer.start()

    async def stop(self) -> None:
        """Stop consuming."""
        await self.consumer.stop()
