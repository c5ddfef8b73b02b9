"""The immutable records the store hands out: plain data that crosses tasks freely."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The ``sender_id`` of messages the bot writes.
BOT_SENDER_ID = "bot"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every record carries aware UTC ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ConversationStatus(enum.StrEnum):
    """Where a conversation is in its life."""

    BOT = "bot"  # the assistant answers
    QUEUED = "queued"  # handed off, waiting for a free agent
    ASSIGNED = "assigned"  # an agent owns it
    CLOSED = "closed"


class SenderKind(enum.StrEnum):
    """Who wrote a message."""

    VISITOR = "visitor"
    AGENT = "agent"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class Visitor:
    """An anonymous or identified person using the chat widget."""

    id: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Agent:
    """A human who answers conversations, with their capacity and presence."""

    id: str
    username: str
    display_name: str
    capacity: int
    online_sessions: int
    last_assigned_at: datetime | None
    created_at: datetime

    @property
    def online(self) -> bool:
        """True while the agent has at least one open socket in any process."""
        return self.online_sessions > 0


@dataclass(frozen=True, slots=True)
class Conversation:
    """One chat between a visitor and the bot and/or an agent."""

    id: str
    visitor_id: str
    status: ConversationStatus
    agent_id: str | None
    last_seq: int
    visitor_read_seq: int
    agent_read_seq: int
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    assigned_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to append; the sender reusing a ``client_msg_id`` makes it a resend."""

    conversation_id: str
    client_msg_id: str
    sender_kind: SenderKind
    #: The visitor's or agent's id, or BOT_SENDER_ID.
    sender_id: str
    text: str
    verdicts: tuple[dict[str, Any], ...] = ()
    filter_action: str = "allow"
    blocked: bool = False
    redacted: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A committed message with its per-conversation sequence number.

    ``status`` and ``agent_id`` are the conversation's state at the moment the message was
    stored, so that routing decisions need no second read.
    """

    conversation_id: str
    seq: int
    client_msg_id: str
    sender_kind: SenderKind
    sender_id: str
    text: str
    redacted: str | None
    verdicts: tuple[dict[str, Any], ...]
    filter_action: str
    blocked: bool
    created_at: datetime
    status: ConversationStatus | None = None
    agent_id: str | None = None
    #: True when this is the original of a resend (nothing new was stored).
    duplicate: bool = False

    @property
    def delivered_text(self) -> str:
        """What the other side sees: the masked text when a filter masked it."""
        return self.redacted if self.redacted is not None else self.text

    def visible_to(self, side: SenderKind) -> bool:
        """Whether ``side`` may see this message: its own always, the other's unless blocked."""
        return self.sender_kind == side or not self.blocked


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A CloudEvents-shaped record of something that happened."""

    id: str
    type: str
    source: str
    time: datetime
    subject: str | None
    data: Any = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which subject, and when."""

    id: int
    time: datetime
    actor: str
    action: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)
