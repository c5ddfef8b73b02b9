"""Kefu's event bus: durable business and conversation events in CloudEvents-shaped envelopes.

``create_bus(settings.bus_url)`` picks a backend from the ``kefu.bus`` entry points:
``memory://`` (in-process, the default) or ``redis://host:6379/0`` (Redis Streams)::

    bus = create_bus(settings.bus_url)
    await bus.start()
    await bus.publish("conversations", Event(type="conversation.message", source="/gateway",
                                             subject=f"conversation/{cid}", data={"seq": 7}))

    async def on_event(delivery: Delivery) -> None:  # must be idempotent on delivery.event.id
        ...

    consumer = StreamConsumer(bus, "conversations", "notifier", "process-1", on_event)
    consumer.start()
    ...
    await consumer.stop()
    await bus.close()

Delivery is at-least-once: every consumer group sees every event in order; an event a
consumer received but did not acknowledge is reclaimed by another consumer after ``min_idle``.
"""

from kefu.bus.base import (
    DEFAULT_MAXLEN,
    MAX_EVENT_BYTES,
    Delivery,
    EventBus,
    PendingEntry,
    StartFrom,
)
from kefu.bus.consumer import Handler, StreamConsumer
from kefu.bus.errors import (
    BusClosedError,
    BusError,
    BusUnavailableError,
    EventDecodeError,
    GroupNotFoundError,
    InvalidEventError,
    UnknownBusBackendError,
)
from kefu.bus.events import Event
from kefu.bus.factory import create_bus

__all__ = [
    "DEFAULT_MAXLEN",
    "MAX_EVENT_BYTES",
    "BusClosedError",
    "BusError",
    "BusUnavailableError",
    "Delivery",
    "Event",
    "EventBus",
    "EventDecodeError",
    "GroupNotFoundError",
    "Handler",
    "InvalidEventError",
    "PendingEntry",
    "StartFrom",
    "StreamConsumer",
    "UnknownBusBackendError",
    "create_bus",
]
