"""Errors the store raises; each names what was wrong so the gateway can map it to a code."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for store errors."""


class ConversationNotFoundError(StoreError, LookupError):
    """No conversation has that id."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"no conversation {conversation_id!r}")


class ConversationClosedError(StoreError):
    """The conversation is closed and takes no more messages."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"conversation {conversation_id!r} is closed")


class SenderNotAllowedError(StoreError):
    """The sender is not a participant of the conversation (or not allowed to write now)."""

    def __init__(self, conversation_id: str, reason: str) -> None:
        self.conversation_id = conversation_id
        self.reason = reason
        super().__init__(reason)


class AgentNotFoundError(StoreError, LookupError):
    """No agent has that id or username."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"no agent {key!r}")


class AgentExistsError(StoreError):
    """An agent with that username already exists."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"an agent named {username!r} already exists")


class WriterClosedError(StoreError):
    """The message writer is shut down and accepts no more appends."""
