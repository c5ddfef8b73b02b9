"""Pushes hints and action outcomes from the bus to the agents' sockets (Litestar channels).

One consumer group per stream for the whole cluster is enough: channels fan a frame out to
every process holding the agent's socket. A hint goes to the agent who owns the conversation
now (looked up in the store), falling back to the agent recorded with the hint; an action
outcome goes to the agent who requested it. Frames are the gateway's ``event`` frames, named
``hint`` and ``action_result``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from kefu.bus.base import Delivery, EventBus
from kefu.bus.consumer import StreamConsumer
from kefu.gateway.fanout import agent_channel
from kefu.gateway.frames import EventOut, encode
from kefu.integration.actions import ACTION_STREAM
from kefu.integration.hints import HINT_STREAM
from kefu.store.database import Database
from kefu.store.repositories import Conversations

log = logging.getLogger(__name__)

#: Publishes encoded frames to channels (``ChannelsPlugin.wait_published`` fits).
Publish = Callable[[bytes, list[str]], Awaitable[Any]]


class AgentForwarder:
    """Consumes ``agent.hints`` and ``agent.actions`` and pushes them to agents' channels."""

    def __init__(
        self,
        bus: EventBus,
        database: Database,
        publish: Publish,
        *,
        name: str,
        group: str = "agent-sockets",
        block: float = 1.0,
        min_idle: float = 30.0,
    ) -> None:
        self._db = database
        self._publish = publish
        self.consumers = [
            StreamConsumer(
                bus, HINT_STREAM, group, name, self.forward_hint, block=block, min_idle=min_idle
            ),
            StreamConsumer(
                bus, ACTION_STREAM, group, name, self.forward_action, block=block, min_idle=min_idle
            ),
        ]

    async def forward_hint(self, delivery: Delivery) -> None:
        """Send a hint to the agent owning its conversation (if any)."""
        data = delivery.event.data if isinstance(delivery.event.data, dict) else {}
        conversation_id = str(data.get("conversation_id") or delivery.event.subject or "")
        if not conversation_id:
            return
        agent_id = data.get("agent_id")
        async with self._db.read() as conn:
            conversation = await Conversations(conn).get(conversation_id)
        if conversation is not None and conversation.agent_id:
            agent_id = conversation.agent_id
        if not agent_id:
            log.info("hint for unassigned conversation %s kept on the bus only", conversation_id)
            return
        frame = EventOut(conversation_id=conversation_id, name="hint", data=dict(data))
        await self._publish(encode(frame), [agent_channel(str(agent_id))])

    async def forward_action(self, delivery: Delivery) -> None:
        """Send an action's outcome to the agent who asked for it."""
        data = delivery.event.data if isinstance(delivery.event.data, dict) else {}
        agent_id = data.get("requested_by")
        if not agent_id:
            return
        frame = EventOut(
            conversation_id=str(data.get("conversation_id") or ""),
            name="action_result",
            data=dict(data),
        )
        await self._publish(encode(frame), [agent_channel(str(agent_id))])

    def start(self) -> None:
        """Consume both streams in the background."""
        for consumer in self.consumers:
            consumer.start()

    async def stop(self) -> None:
        """Stop consuming."""
        for consumer in self.consumers:
            await consumer.stop()
