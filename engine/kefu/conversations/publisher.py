"""Publishes what happens to conversations onto the event bus, for other modules to consume.

Stream :data:`CONVERSATION_STREAM` carries CloudEvents-shaped events: ``conversation.message``
for every stored message and ``conversation.started/queued/assigned/transferred/closed`` for
routing changes, each with ``subject`` ``conversation/<id>``. The database is the source of
truth: events are published after the commit, and a bus failure is logged, never raised, so a
chat never fails because a consumer's transport is down (at-most-once on a crash between the
commit and the publish).
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
from datetime import datetime
from typing import Any, Protocol

from kefu.bus.base import EventBus
from kefu.bus.events import Event
from kefu.store.records import StoredMessage, utcnow

log = logging.getLogger(__name__)

CONVERSATION_STREAM = "conversations"
EVENT_SOURCE = "kefu://conversations"


class EventIds:
    """Unique event ids (32 hex digits, like a UUID's) without a system call for each.

    A random 64-bit prefix per process and a counter: unique within the process, and across
    processes and restarts as long as two prefixes never collide. A forked child draws its own.
    """

    def __init__(self) -> None:
        self._renew()
        os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count()

    def __call__(self) -> str:
        """The next id."""
        return f"{self._prefix}{next(self._counter):016x}"


_new_event_id = EventIds()


class ConversationEvents(Protocol):
    """Where the conversation domain reports events (the bus, or nowhere)."""

    async def message(self, message: StoredMessage) -> None:
        """A message was stored."""
        ...

    async def lifecycle(self, kind: str, conversation_id: str, data: dict[str, Any]) -> None:
        """A routing change: ``kind`` is started, queued, assigned, transferred or closed."""
        ...


class NoEvents:
    """Reports nothing (tools and tests without a bus)."""

    async def message(self, message: StoredMessage) -> None:
        """Drop it."""

    async def lifecycle(self, kind: str, conversation_id: str, data: dict[str, Any]) -> None:
        """Drop it."""


class BusPublisher:
    """Publishes conversation events to an :class:`~kefu.bus.EventBus` stream."""

    def __init__(self, bus: EventBus, *, stream: str = CONVERSATION_STREAM) -> None:
        self._bus = bus
        self._stream = stream

    async def message(self, message: StoredMessage) -> None:
        """Publish ``conversation.message`` (text as the other side sees it), timed as stored."""
        await self._publish(
            "conversation.message",
            message.conversation_id,
            {
                "conversation_id": message.conversation_id,
                "seq": message.seq,
                "client_msg_id": message.client_msg_id,
                "sender": message.sender_kind.value,
                "sender_id": message.sender_id,
                "text": message.delivered_text,
                "filter_action": message.filter_action,
                "blocked": message.blocked,
                "agent_id": message.agent_id,
                "status": message.status.value if message.status else None,
            },
            message.created_at,
        )

    async def lifecycle(self, kind: str, conversation_id: str, data: dict[str, Any]) -> None:
        """Publish ``conversation.<kind>``."""
        await self._publish(
            f"conversation.{kind}", conversation_id, {"conversation_id": conversation_id, **data}
        )

    async def _publish(
        self,
        event_type: str,
        conversation_id: str,
        data: dict[str, Any],
        time: datetime | None = None,
    ) -> None:
        event = Event(
            type=event_type,
            source=EVENT_SOURCE,
            subject=f"conversation/{conversation_id}",
            data=data,
            id=_new_event_id(),
            time=time or utcnow(),
        )
        try:
            await self._bus.publish(self._stream, event)
        except Exception:
            log.exception("could not publish %s for %s", event_type, conversation_id)
