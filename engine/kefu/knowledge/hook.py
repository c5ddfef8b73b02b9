"""Plugs a :class:`~kefu.knowledge.runtime.PackRuntime` into the conversation domain."""

from __future__ import annotations

from kefu.assistant.manager import TurnRequest
from kefu.contracts import Decision
from kefu.conversations.assistant import verdicts_of
from kefu.integration.links import customer_of_conversation
from kefu.knowledge.runtime import PackRuntime
from kefu.store.database import Database
from kefu.store.records import ConversationStatus, StoredMessage


class RuntimeAssistant:
    """The conversation domain's ``Assistant``, answering from the runtime's current pack."""

    def __init__(self, runtime: PackRuntime, database: Database | None = None) -> None:
        self._runtime = runtime
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
        return await self._runtime.handle(request)

    async def _customer_of(self, conversation_id: str) -> str | None:
        """The business customer linked to the conversation, when an adapter needs one."""
        if self._database is None or self._runtime.adapter is None:
            return None
        return await customer_of_conversation(self._database, conversation_id)
