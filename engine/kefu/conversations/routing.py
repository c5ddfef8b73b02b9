"""Capacity-aware assignment of waiting conversations to online agents, round robin.

The state lives in the database (presence counters, loads, ``last_assigned_at``), so processes
sharing PostgreSQL agree: online agents are row-locked for the duration of one dispatch, which
serialises concurrent dispatchers, and each conversation is claimed with a conditional UPDATE
(``WHERE status = 'queued'``), so it can never be given out twice. Inside one process an asyncio
lock keeps SQLite's single writer free of needless contention.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kefu.store.database import Database
from kefu.store.records import Agent, Conversation, utcnow
from kefu.store.repositories import Agents, Conversations, Events


@dataclass(frozen=True, slots=True)
class Assignment:
    """A conversation just given to an agent."""

    conversation: Conversation
    agent: Agent


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A waiting conversation with its place in line and how long it has waited."""

    conversation: Conversation
    position: int
    waited_seconds: float


class Router:
    """Hands queued conversations to online agents below capacity, in round-robin order."""

    def __init__(self, database: Database, *, batch: int = 100) -> None:
        self._db = database
        self._batch = batch
        self._lock = asyncio.Lock()

    async def dispatch(self) -> list[Assignment]:
        """Assign as many waiting conversations as free capacity allows (oldest first)."""
        async with self._lock, self._db.write() as conn:
            conversations = Conversations(conn)
            waiting = await conversations.queued(self._batch)
            if not waiting:
                return []
            agents_repo = Agents(conn)
            rotation = await agents_repo.online_for_update()
            loads = await agents_repo.loads()
            events = Events(conn)
            done: list[Assignment] = []
            for conversation in waiting:
                agent = next((a for a in rotation if loads.get(a.id, 0) < a.capacity), None)
                if agent is None:
                    break
                claimed = await conversations.assign(conversation.id, agent.id)
                if claimed is None:  # closed or taken meanwhile
                    continue
                now = utcnow()
                await agents_repo.touch_assigned(agent.id, now)
                loads[agent.id] = loads.get(agent.id, 0) + 1
                rotation.remove(agent)
                rotation.append(agent)
                await events.record(
                    "conversation.assigned",
                    subject=claimed.id,
                    data={"agent_id": agent.id, "by": "router"},
                    time=now,
                )
                done.append(Assignment(claimed, agent))
            return done

    async def waiting(self, limit: int = 50) -> list[QueueEntry]:
        """The head of the queue with positions and waiting times."""
        async with self._db.read() as conn:
            queued = await Conversations(conn).queued(limit)
        now = utcnow()
        return [
            QueueEntry(
                conversation=c,
                position=index + 1,
                waited_seconds=(now - c.queued_at).total_seconds() if c.queued_at else 0.0,
            )
            for index, c in enumerate(queued)
        ]
