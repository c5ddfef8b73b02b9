"""Plugs the dialog manager into the conversation domain's assistant hook."""

from __future__ import annotations

from kefu.assistant.manager import DialogManager, TurnRequest
from kefu.contracts import Decision
from kefu.conversations.assistant import verdicts_of
from kefu.integration.links import customer_of_conversation
from kefu.store.database import Database
from kefu.store.records import ConversationStatus, StoredMessage


class DialogAssistant:
    """The conversation domain's ``Assistant``: each stored visitor message becomes a turn."""

    def __init__(self, manager: DialogManager, database: Database | None = None) -> None:
        self._manager = manager
        self._database = database

    async def __call__(self, message: StoredMessage) -> Decision:
        """Run the turn for a stored (not blocked) visitor message."""
        request = TurnRequest(
            conversation_id=message.conversation_id,
            text=message.delivered_text,
            verdicts=verdicts_of(message),
            agent_assigned=message.status is ConversationStatus.ASSIGNED,
            customer_id=await self._customer_of(message.conversation_id),
        )
        return await self._manager.handle(request)

    async def _customer_of(self, conversation_id: str) -> str | None:
        """The business customer linked to the conversation, when the adapter needs one."""
        if self._database is None or self._manager.adapter is None:
            return None
        return await customer_of_conversation(self._database, conversation_id)
