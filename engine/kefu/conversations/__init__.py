"""The conversation domain: routing, hand-off, filters and the assistant hook (no HTTP).

Entry points: :class:`ConversationService` (everything that happens to conversations),
:class:`Assistant` (the hook the dialog manager implements), :class:`FilterChain`,
:class:`Notifier` (the port the gateway implements to fan notices out).
"""

from kefu.conversations.assistant import Assistant, PolicyAssistant, verdicts_of
from kefu.conversations.errors import (
    AgentUnavailableError,
    ConversationError,
    InvalidMessageError,
    InvalidTransitionError,
    MessageTooLongError,
    NotParticipantError,
)
from kefu.conversations.filters import FilterChain, Screening
from kefu.conversations.notices import (
    MessageNotice,
    Notice,
    NoticeBody,
    Notifier,
    NullNotifier,
    ReadNotice,
    RecordingNotifier,
    StatusNotice,
    TypingNotice,
)
from kefu.conversations.publisher import (
    CONVERSATION_STREAM,
    BusPublisher,
    ConversationEvents,
    NoEvents,
)
from kefu.conversations.routing import Assignment, QueueEntry, Router
from kefu.conversations.service import ConversationService, ConversationView

__all__ = [
    "CONVERSATION_STREAM",
    "AgentUnavailableError",
    "Assignment",
    "Assistant",
    "BusPublisher",
    "ConversationError",
    "ConversationEvents",
    "ConversationService",
    "ConversationView",
    "FilterChain",
    "InvalidMessageError",
    "InvalidTransitionError",
    "MessageNotice",
    "MessageTooLongError",
    "NoEvents",
    "NotParticipantError",
    "Notice",
    "NoticeBody",
    "Notifier",
    "NullNotifier",
    "PolicyAssistant",
    "QueueEntry",
    "ReadNotice",
    "RecordingNotifier",
    "Router",
    "Screening",
    "StatusNotice",
    "TypingNotice",
    "verdicts_of",
]
