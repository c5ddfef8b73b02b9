"""The conversation domain: start, post, read, hand off, assign, transfer, close (no HTTP here).

One visitor message goes: screen with every filter -> store durably (the caller acks on return)
-> deliver to the other side unless a filter blocked it -> ask the assistant in the background
-> act on its decision (bot reply, suggestions, hand-off to the queue, block notice).

A BLOCK verdict keeps the message stored with its verdicts and ``blocked=True`` (evidence for
compliance review, and the sender's own history stays complete) but it is never delivered to
the other side and the assistant does not see it; the sender gets a ``blocked`` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.contracts import Decision, DecisionAction
from kefu.conversations import addressing
from kefu.conversations.assistant import Assistant
from kefu.conversations.errors import (
    AgentUnavailableError,
    InvalidMessageError,
    InvalidTransitionError,
    MessageTooLongError,
    NotParticipantError,
)
from kefu.conversations.filters import FilterChain
from kefu.conversations.notices import (
    Notice,
    Notifier,
    ReadNotice,
    StatusNotice,
    TypingNotice,
)
from kefu.conversations.publisher import ConversationEvents, NoEvents
from kefu.conversations.routing import Assignment, Router
from kefu.store.database import Database
from kefu.store.errors import ConversationClosedError, SenderNotAllowedError
from kefu.store.records import (
    BOT_SENDER_ID,
    Agent,
    Conversation,
    ConversationStatus,
    NewMessage,
    SenderKind,
    StoredMessage,
    Visitor,
    utcnow,
)
from kefu.store.repositories import Agents, AuditLog, Conversations, Events, Messages, Visitors
from kefu.store.writer import MessageWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation with what its participants need to see about its routing."""

    conversation: Conversation
    agent: Agent | None
    queue_position: int
    waited_seconds: float


class ConversationService:
    """Everything that happens to conversations, independent of transport."""

    def __init__(
        self,
        database: Database,
        writer: MessageWriter,
        filters: FilterChain,
        assistant: Assistant,
        notifier: Notifier,
        *,
        events: ConversationEvents | None = None,
        max_message_chars: int = 4_000,
        queue_updates: int = 50,
    ) -> None:
        self._db = database
        self._writer = writer
        self._filters = filters
        self._assistant = assistant
        self._notifier = notifier
        self._events: ConversationEvents = events or NoEvents()
        self._max_chars = max_message_chars
        self._queue_updates = queue_updates
        self.router = Router(database)
        self._tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- lifecycle

    async def start(self, display_name: str = "") -> tuple[Visitor, Conversation]:
        """A new visitor with a new bot-first conversation."""
        async with self._db.write() as conn:
            visitor = await Visitors(conn).create(display_name)
            conversation = await Conversations(conn).create(visitor.id)
            await Events(conn).record(
                "conversation.started", subject=conversation.id, data={"visitor_id": visitor.id}
            )
        await self._events.lifecycle("started", conversation.id, {"visitor_id": visitor.id})
        return visitor, conversation

    async def open_for_visitor(self, visitor_id: str) -> Conversation:
        """A new bot-first conversation for a returning visitor."""
        async with self._db.write() as conn:
            if await Visitors(conn).get(visitor_id) is None:
                raise NotParticipantError(f"unknown visitor {visitor_id!r}")
            conversation = await Conversations(conn).create(visitor_id)
            await Events(conn).record(
                "conversation.started", subject=conversation.id, data={"visitor_id": visitor_id}
            )
        await self._events.lifecycle("started", conversation.id, {"visitor_id": visitor_id})
        return conversation

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation; raises ConversationNotFoundError."""
        async with self._db.read() as conn:
            return await Conversations(conn).require(conversation_id)

    async def view(self, conversation_id: str) -> ConversationView:
        """The conversation with its agent and queue position."""
        async with self._db.read() as conn:
            conversation = await Conversations(conn).require(conversation_id)
            agent = await Agents(conn).get(conversation.agent_id) if conversation.agent_id else None
            position = await Conversations(conn).queue_position(conversation)
        waited = 0.0
        if conversation.status is ConversationStatus.QUEUED and conversation.queued_at:
            waited = (utcnow() - conversation.queued_at).total_seconds()
        return ConversationView(conversation, agent, position, waited)

    async def find(
        self,
        *,
        status: ConversationStatus | None = None,
        agent_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Conversation]:
        """Conversations by status and/or agent, most recently active first."""
        async with self._db.read() as conn:
            return await Conversations(conn).find(
                status=status, agent_id=agent_id, limit=limit, offset=offset
            )

    # ---------------------------------------------------------------- messages

    async def post(
        self,
        conversation_id: str,
        sender: SenderKind,
        sender_id: str,
        client_msg_id: str,
        text: str,
    ) -> StoredMessage:
        """Screen, store durably and deliver one visitor or agent message.

        Returns once the message is committed (acknowledge it then). A resend returns the
        original (``duplicate=True``) and delivers nothing again. Raises
        ConversationNotFoundError, ConversationClosedError, NotParticipantError,
        InvalidMessageError or MessageTooLongError; nothing is stored in those cases.
        """
        if sender is SenderKind.BOT:
            raise ValueError("bot messages are posted by the service itself")
        if not text.strip():
            raise InvalidMessageError("message text is empty")
        if len(text) > self._max_chars:
            raise MessageTooLongError(
                f"message has {len(text)} characters; the limit is {self._max_chars}"
            )
        screening = await self._filters.screen(text)
        try:
            # The writer checks, inside the transaction, that the sender may write here.
            stored = await self._writer.append(
                NewMessage(
                    conversation_id=conversation_id,
                    client_msg_id=client_msg_id,
                    sender_kind=sender,
                    sender_id=sender_id,
                    text=text,
                    verdicts=screening.verdict_dicts(),
                    filter_action=screening.action.value,
                    blocked=screening.blocked,
                    redacted=screening.redacted,
                )
            )
        except SenderNotAllowedError as exc:
            raise NotParticipantError(exc.reason) from exc
        if stored.duplicate:
            return stored
        await self._deliver(stored)
        await self._events.message(stored)
        if stored.blocked:
            await self._notifier.notify(
                [addressing.to_sender(stored, "blocked", {"seq": stored.seq})]
            )
        elif sender is SenderKind.VISITOR:
            self._background(self._consult(stored))
        return stored

    async def history(
        self, conversation_id: str, viewer: SenderKind, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]:
        """What ``viewer`` may see of the conversation after ``after_seq``, in order."""
        async with self._db.read() as conn:
            await Conversations(conn).require(conversation_id)
            found = await Messages(conn).since(conversation_id, after_seq, limit=limit)
        return [m for m in found if m.visible_to(viewer)]

    async def mark_read(
        self, conversation_id: str, side: SenderKind, actor_id: str, seq: int
    ) -> int:
        """Record that ``side`` read up to ``seq`` and tell the other side; returns the mark."""
        conversation = await self.get(conversation_id)
        self._check_participant(conversation, side, actor_id, allow_closed=True)
        async with self._db.write() as conn:
            mark = await Conversations(conn).mark_read(conversation_id, side, seq)
        await self._notifier.notify(
            [addressing.to_other_side(conversation, side, ReadNotice(conversation_id, side, mark))]
        )
        return mark

    async def typing(
        self, conversation_id: str, side: SenderKind, actor_id: str, active: bool
    ) -> None:
        """Tell the other side that ``side`` is (or stopped) typing."""
        conversation = await self.get(conversation_id)
        self._check_participant(conversation, side, actor_id)
        await self._notifier.notify(
            [
                addressing.to_other_side(
                    conversation, side, TypingNotice(conversation_id, side, active)
                )
            ]
        )

    # ---------------------------------------------------------------- routing

    async def agent_connected(self, agent_id: str) -> list[Conversation]:
        """Count a new agent socket, hand them waiting work; returns their open conversations."""
        async with self._db.write() as conn:
            await Agents(conn).add_session(agent_id, +1)
        try:
            await self.dispatch()
        except Exception:
            # The agent is online either way; the next dispatch hands out the work.
            log.exception("dispatch failed while agent %s came online", agent_id)
        async with self._db.read() as conn:
            return await Conversations(conn).open_for_agent(agent_id)

    async def agent_disconnected(self, agent_id: str) -> None:
        """Count an agent socket closing; their conversations stay theirs (offline delivery)."""
        async with self._db.write() as conn:
            await Agents(conn).add_session(agent_id, -1)

    async def handoff(self, conversation_id: str, reasons: Sequence[str] = ()) -> None:
        """Queue a bot conversation for a human and assign it when someone is free."""
        async with self._db.write() as conn:
            queued = await Conversations(conn).enqueue(conversation_id)
            if queued is None:
                return
            await Events(conn).record(
                "conversation.queued", subject=conversation_id, data={"reasons": list(reasons)}
            )
        await self._events.lifecycle("queued", conversation_id, {"reasons": list(reasons)})
        assignments = await self.dispatch()
        if not any(a.conversation.id == conversation_id for a in assignments):
            view = await self.view(conversation_id)
            if view.conversation.status is ConversationStatus.QUEUED:
                await self._notifier.notify(
                    [addressing.queued(conversation_id, view.queue_position, view.waited_seconds)]
                )

    async def dispatch(self) -> list[Assignment]:
        """Assign waiting conversations to free agents and tell everyone concerned."""
        assignments = await self.router.dispatch()
        if not assignments:
            return []
        notices: list[Notice] = []
        for a in assignments:
            notices.extend(addressing.assigned(a.conversation, a.agent))
        notices.extend(await self._queue_positions())
        await self._notifier.notify(notices)
        for a in assignments:
            await self._events.lifecycle("assigned", a.conversation.id, {"agent_id": a.agent.id})
        return assignments

    async def transfer(self, conversation_id: str, actor_id: str, to_agent_id: str) -> Conversation:
        """Move an assigned conversation to another online agent with free capacity."""
        async with self._db.write() as conn:
            conversations = Conversations(conn)
            agents = Agents(conn)
            current = await conversations.require(conversation_id, for_update=True)
            if current.status is not ConversationStatus.ASSIGNED or current.agent_id is None:
                raise InvalidTransitionError(
                    f"conversation is {current.status.value}; only assigned ones can be transferred"
                )
            if current.agent_id != actor_id:
                raise NotParticipantError("only the assigned agent can transfer a conversation")
            if to_agent_id == current.agent_id:
                raise AgentUnavailableError("the conversation is already with that agent")
            target = await agents.get(to_agent_id)
            if target is None or not target.online:
                raise AgentUnavailableError(f"agent {to_agent_id!r} is unknown or offline")
            load = (await agents.loads()).get(target.id, 0)
            if load >= target.capacity:
                raise AgentUnavailableError(f"agent {target.username!r} is at capacity")
            moved = await conversations.assign(
                conversation_id, target.id, from_status={ConversationStatus.ASSIGNED}
            )
            if moved is None:
                raise InvalidTransitionError("the conversation changed while transferring")
            data = {"from_agent_id": current.agent_id, "to_agent_id": target.id}
            await Events(conn).record(
                "conversation.transferred", subject=conversation_id, data=data
            )
            await AuditLog(conn).record(
                f"agent:{actor_id}", "conversation.transfer", conversation_id, data
            )
        info = {"agent": addressing.agent_info(target), "from_agent_id": current.agent_id}
        await self._notifier.notify(
            [
                Notice(
                    StatusNotice(conversation_id, "transferred", info), to_visitor=conversation_id
                ),
                Notice(
                    StatusNotice(conversation_id, "transferred", info),
                    to_agents=(current.agent_id,),
                ),
                *addressing.assigned(moved, target, tell_visitor=False),
            ]
        )
        await self._events.lifecycle(
            "transferred",
            conversation_id,
            {"from_agent_id": current.agent_id, "to_agent_id": target.id},
        )
        await self.dispatch()  # the previous agent has room again
        return moved

    async def close(self, conversation_id: str, actor: SenderKind, actor_id: str) -> Conversation:
        """Close the conversation (by its visitor or assigned agent) and free the agent."""
        async with self._db.write() as conn:
            conversations = Conversations(conn)
            current = await conversations.require(conversation_id, for_update=True)
            self._check_participant(current, actor, actor_id, allow_closed=True)
            closed = await conversations.close(conversation_id)
            if closed is None:
                raise InvalidTransitionError("the conversation is already closed")
            data = {"by": actor.value, "actor_id": actor_id}
            await Events(conn).record("conversation.closed", subject=conversation_id, data=data)
            await AuditLog(conn).record(
                f"{actor.value}:{actor_id}", "conversation.close", conversation_id, data
            )
        recipients = (current.agent_id,) if current.agent_id else ()
        await self._notifier.notify(
            [
                Notice(
                    StatusNotice(conversation_id, "closed", {"by": actor.value}),
                    to_visitor=conversation_id,
                    to_agents=recipients,
                )
            ]
        )
        await self._events.lifecycle("closed", conversation_id, {"by": actor.value})
        if current.status is ConversationStatus.ASSIGNED:
            await self.dispatch()
        return closed

    async def drain(self) -> None:
        """Wait for background assistant work (for clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---------------------------------------------------------------- internals

    async def _consult(self, message: StoredMessage) -> None:
        try:
            decision = await self._assistant(message)
        except Exception:
            log.exception("assistant failed on %s#%d", message.conversation_id, message.seq)
            decision = Decision(DecisionAction.HANDOFF, reasons=("assistant error",))
        await self._act(message, decision)

    async def _act(self, message: StoredMessage, decision: Decision) -> None:
        cid = message.conversation_id
        if decision.action is DecisionAction.REPLY and decision.text:
            reply = await self._writer.append(
                NewMessage(
                    conversation_id=cid,
                    # Derived from the visitor message so a retried decision is not stored twice.
                    client_msg_id=f"bot-reply-{message.seq}",
                    sender_kind=SenderKind.BOT,
                    sender_id=BOT_SENDER_ID,
                    text=decision.text,
                    verdicts=(),
                )
            )
            if not reply.duplicate:
                await self._deliver(reply)
                # Where the answer came from, so the visitor can see (and check) its sources.
                provenance = {
                    "seq": reply.seq,
                    "sources": list(decision.sources),
                    "confidence": round(decision.confidence, 4),
                }
                await self._notifier.notify(
                    [Notice(StatusNotice(cid, "bot_reply", provenance), to_visitor=cid)]
                )
                await self._events.message(reply)
        elif (
            decision.action is DecisionAction.SUGGEST and message.agent_id and decision.suggestions
        ):
            suggestions = [
                {"text": s.text, "sources": list(s.sources), "confidence": s.confidence}
                for s in decision.suggestions
            ]
            await self._notifier.notify(
                [
                    Notice(
                        StatusNotice(
                            cid, "suggestions", {"seq": message.seq, "items": suggestions}
                        ),
                        to_agents=(message.agent_id,),
                    )
                ]
            )
        elif decision.action is DecisionAction.HANDOFF:
            if message.status is ConversationStatus.BOT:
                await self.handoff(cid, decision.reasons)
        elif decision.action is DecisionAction.BLOCK:
            await self._notifier.notify(
                [
                    Notice(
                        StatusNotice(
                            cid, "blocked", {"seq": message.seq, "reasons": list(decision.reasons)}
                        ),
                        to_visitor=cid,
                    )
                ]
            )

    @staticmethod
    def _check_participant(
        conversation: Conversation,
        side: SenderKind,
        actor_id: str,
        *,
        allow_closed: bool = False,
    ) -> None:
        closed = conversation.status is ConversationStatus.CLOSED
        if side is SenderKind.VISITOR:
            if conversation.visitor_id != actor_id:
                raise NotParticipantError("this conversation belongs to another visitor")
        elif side is SenderKind.AGENT:
            if conversation.agent_id != actor_id:
                raise NotParticipantError("the conversation is not assigned to this agent")
            if not closed and conversation.status is not ConversationStatus.ASSIGNED:
                raise NotParticipantError("the conversation is not assigned to this agent")
        if closed and not allow_closed:
            raise ConversationClosedError(conversation.id)

    async def _deliver(self, message: StoredMessage) -> None:
        notice = addressing.delivery(message)
        if notice is not None:
            await self._notifier.notify([notice])

    async def _queue_positions(self) -> list[Notice]:
        entries = await self.router.waiting(self._queue_updates)
        return [addressing.queued(e.conversation.id, e.position, e.waited_seconds) for e in entries]

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
