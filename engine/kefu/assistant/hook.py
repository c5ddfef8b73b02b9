"""Plugs the assistant (a dialog manager or a pack runtime) into the conversation domain."""

from __future__ import annotations

from typing import Protocol

from kefu.assistant.manager import TurnRequest
from kefu.contracts import BusinessAdapter, Decision
from kefu.conversations.assistant import verdicts_of
from kefu.integration.links import customer_of_conversation
from kefu.store.database import Database
from kefu.store.records import ConversationStatus, StoredMessage


class TurnHandler(Protocol):
    """What runs a turn: :class:`~kefu.assistant.manager.DialogManager` or a pack runtime."""

    @property
    def adapter(self) -> BusinessAdapter | None:
        """The business adapter turns read customer context from, if any."""
        ...

    async def handle(self, request: TurnRequest) -> Decision:
        """Decide for one turn."""
        ...


class DialogAssistant:
    """The conversation domain's ``Assistant``: each stored visitor message becomes a turn."""

    def __init__(self, handler: TurnHandler, database: Database | None = None) -> None:
        self._handler = handler
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
        return await self._handler.handle(request)

    async def _customer_of(self, conversation_id: str) -> str | None:
        """The business customer linked to the conversation, when the adapter needs one."""
        if self._database is None or self._handler.adapter is None:
            return None
        return await customer_of_conversation(self._database, conversation_id)
