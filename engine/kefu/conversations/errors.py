"""Domain errors of the conversations package; each maps to one gateway error code."""

from __future__ import annotations


class ConversationError(Exception):
    """Base class; ``code`` is the stable, machine-readable name clients see."""

    code = "conversation_error"


class InvalidMessageError(ConversationError):
    """The message text is empty or too long."""

    code = "invalid_message"


class MessageTooLongError(InvalidMessageError):
    """The message text exceeds ``settings.max_message_chars``."""

    code = "message_too_long"


class NotParticipantError(ConversationError):
    """The caller is not the visitor or the assigned agent of the conversation."""

    code = "forbidden"


class AgentUnavailableError(ConversationError):
    """The target agent is unknown, offline or at capacity."""

    code = "agent_unavailable"


class InvalidTransitionError(ConversationError):
    """The conversation is not in a state that allows the operation."""

    code = "invalid_state"
