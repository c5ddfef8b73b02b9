"""Plugs the dialog manager into the conversation domain's assistant hook."""

from __future__ import annotations

from kefu.assistant.manager import DialogManager, TurnRequest
from kefu.contracts import Decision
from kefu.conversations.assistant import verdicts_of
from kefu.store.records import ConversationStatus, StoredMessage


class DialogAssistant:
    """The conversation domain's ``Assistant``: each stored visitor message becomes a turn."""

    def __init__(self, manager: DialogManager) -> None:
        self._manager = manager

    async def __call__(self, message: StoredMessage) -> Decision:
        """Run the turn for a stored (not blocked) visitor message."""
        request = TurnRequest(
            conversation_id=message.conversation_id,
            text=message.delivered_text,
            verdicts=verdicts_of(message),
            agent_assigned=message.status is ConversationStatus.ASSIGNED,
        )
        return await self._manager.handle(request)
