"""What the conversation domain tells connected clients, and the port it tells it through.

The domain decides *who* must hear about something (the visitor side of a conversation and/or
some agents); the gateway's :class:`Notifier` turns notices into frames and fans them out to
every process holding a matching socket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kefu.store.records import SenderKind, StoredMessage


@dataclass(frozen=True, slots=True)
class MessageNotice:
    """A stored message to deliver."""

    message: StoredMessage


@dataclass(frozen=True, slots=True)
class StatusNotice:
    """A system event about a conversation: assigned, transferred, queued, closed, blocked..."""

    conversation_id: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TypingNotice:
    """One side started or stopped typing (never stored)."""

    conversation_id: str
    side: SenderKind
    active: bool


@dataclass(frozen=True, slots=True)
class ReadNotice:
    """One side has read everything up to ``seq``."""

    conversation_id: str
    side: SenderKind
    seq: int


NoticeBody = MessageNotice | StatusNotice | TypingNotice | ReadNotice


@dataclass(frozen=True, slots=True)
class Notice:
    """A body and its recipients: a conversation's visitor side and/or agents by id."""

    body: NoticeBody
    to_visitor: str | None = None
    to_agents: tuple[str, ...] = ()


class Notifier(Protocol):
    """Delivers notices to whoever is connected, in any process."""

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Fan the notices out, in order; must not raise when nobody listens."""
        ...


class NullNotifier:
    """A notifier that drops everything (for tools and tests without sockets)."""

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Drop the notices."""


class RecordingNotifier:
    """A notifier that keeps every notice, for tests of the domain."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Remember the notices."""
        self.notices.extend(notices)

    def events(self, event: str) -> list[Notice]:
        """The status notices with that event name."""
        return [
            n for n in self.notices if isinstance(n.body, StatusNotice) and n.body.event == event
        ]
