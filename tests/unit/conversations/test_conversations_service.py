"""The conversation domain on a real SQLite file: hand-off, queue, assignment, transfer, close."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.bus.memory import MemoryEventBus
from kefu.contracts import Decision, DecisionAction, FilterAction, Verdict
from kefu.conversations import (
    CONVERSATION_STREAM,
    AgentUnavailableError,
    BusPublisher,
    ConversationService,
    FilterChain,
    InvalidMessageError,
    InvalidTransitionError,
    MessageNotice,
    MessageTooLongError,
    NotParticipantError,
    RecordingNotifier,
)
from kefu.store import (
    Agent,
    Agents,
    ConversationClosedError,
    ConversationStatus,
    Database,
    Messages,
    MessageWriter,
    SenderKind,
    StoredMessage,
)
from support.filters import WordFilter


class ScriptedAssistant:
    """Answers with a fixed decision and remembers what it was asked."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.seen: list[StoredMessage] = []

    async def __call__(self, message: StoredMessage) -> Decision:
        self.seen.append(message)
        return self.decision


class BrokenFilter:
    name = "broken"

    async def inspect(self, text: str) -> Verdict:
        raise RuntimeError("boom")


@dataclass
class Env:
    db: Database
    service: ConversationService
    notifier: RecordingNotifier
    assistant: ScriptedAssistant
    bus: MemoryEventBus

    async def agent(self, username: str, capacity: int = 2, online: bool = True) -> Agent:
        async with self.db.write() as conn:
            agent = await Agents(conn).create(username, username.title(), "x", capacity)
        if online:
            await self.service.agent_connected(agent.id)
        return agent

    async def visitor_says(self, text: str = "hello") -> tuple[str, str, StoredMessage]:
        visitor, conversation = await self.service.start()
        stored = await self.service.post(
            conversation.id, SenderKind.VISITOR, visitor.id, "m1", text
        )
        await self.service.drain()
        return visitor.id, conversation.id, stored


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
    await db.migrate()
    writer = MessageWriter(db)
    writer.start()
    notifier = RecordingNotifier()
    assistant = ScriptedAssistant(Decision(DecisionAction.HANDOFF, reasons=("test",)))
    bus = MemoryEventBus()
    await bus.start()
    service = ConversationService(
        db,
        writer,
        FilterChain([WordFilter(), BrokenFilter()]),
        assistant,
        notifier,
        events=BusPublisher(bus),
        max_message_chars=50,
    )
    yield Env(db, service, notifier, assistant, bus)
    await service.drain()
    await writer.close()
    await bus.close()
    await db.close()


async def test_conversation_starts_with_the_bot_and_the_bot_can_reply(env: Env) -> None:
    env.assistant.decision = Decision(DecisionAction.REPLY, text="We ship in 2 days.")
    _, cid, stored = await env.visitor_says("when do you ship?")
    assert stored.seq == 1 and stored.status is ConversationStatus.BOT
    assert [m.text for m in env.assistant.seen] == ["when do you ship?"]
    history = await env.service.history(cid, SenderKind.VISITOR)
    assert [(m.seq, m.sender_kind, m.text) for m in history] == [
        (1, SenderKind.VISITOR, "when do you ship?"),
        (2, SenderKind.BOT, "We ship in 2 days."),
    ]
    delivered = [n for n in env.notifier.notices if isinstance(n.body, MessageNotice)]
    assert [(n.body.message.seq, n.to_visitor) for n in delivered] == [(2, cid)]
    assert (await env.service.get(cid)).status is ConversationStatus.BOT


async def test_handoff_without_agents_queues_with_positions(env: Env) -> None:
    _, first, _ = await env.visitor_says()
    _, second, _ = await env.visitor_says()
    views = [await env.service.view(c) for c in (first, second)]
    assert [v.conversation.status for v in views] == [ConversationStatus.QUEUED] * 2
    assert [v.queue_position for v in views] == [1, 2]
    queued = env.notifier.events("queued")
    assert [(n.to_visitor, n.body.data["position"]) for n in queued] == [(first, 1), (second, 2)]


async def test_agent_coming_online_takes_the_oldest_waiting_within_capacity(env: Env) -> None:
    _, first, _ = await env.visitor_says()
    _, second, _ = await env.visitor_says()
    alice = await env.agent("alice", capacity=1)
    assert (await env.service.get(first)).agent_id == alice.id
    view = await env.service.view(second)
    assert view.conversation.status is ConversationStatus.QUEUED and view.queue_position == 1
    assigned = env.notifier.events("assigned")
    assert {n.to_agents for n in assigned if n.to_agents} == {(alice.id,)}
    # The one still waiting was told its new place in line.
    assert env.notifier.events("queued")[-1].body.data["position"] == 1


async def test_round_robin_among_agents_below_capacity(env: Env) -> None:
    alice = await env.agent("alice", capacity=2)
    bob = await env.agent("bob", capacity=1)
    owners = []
    for _ in range(4):
        _, cid, _ = await env.visitor_says()
        owners.append((await env.service.get(cid)).agent_id)
    assert owners == [alice.id, bob.id, alice.id, None]


async def test_closing_frees_capacity_for_the_queue(env: Env) -> None:
    alice = await env.agent("alice", capacity=1)
    _, first, _ = await env.visitor_says()
    visitor2, second, _ = await env.visitor_says()
    assert (await env.service.get(second)).status is ConversationStatus.QUEUED
    closed = await env.service.close(first, SenderKind.AGENT, alice.id)
    assert closed.status is ConversationStatus.CLOSED and closed.closed_at is not None
    assert (await env.service.get(second)).agent_id == alice.id
    with pytest.raises(ConversationClosedError):
        await env.service.post(first, SenderKind.AGENT, alice.id, "late", "hello?")
    with pytest.raises(InvalidTransitionError):
        await env.service.close(first, SenderKind.AGENT, alice.id)
    # Only participants may close.
    with pytest.raises(NotParticipantError):
        await env.service.close(second, SenderKind.VISITOR, "someone-else")
    assert (await env.service.close(second, SenderKind.VISITOR, visitor2)).closed_at


async def test_transfer_moves_the_conversation_and_tells_everyone(env: Env) -> None:
    alice = await env.agent("alice", capacity=1)
    bob = await env.agent("bob", capacity=1)
    carol = await env.agent("carol", capacity=1, online=False)
    _, cid, _ = await env.visitor_says()
    owner = (await env.service.get(cid)).agent_id
    other = bob if owner == alice.id else alice
    assert owner in {alice.id, bob.id}

    with pytest.raises(NotParticipantError):
        await env.service.transfer(cid, other.id, other.id)
    with pytest.raises(AgentUnavailableError):
        await env.service.transfer(cid, owner, carol.id)  # offline
    with pytest.raises(AgentUnavailableError):
        await env.service.transfer(cid, owner, "no-such-agent")

    moved = await env.service.transfer(cid, owner, other.id)
    assert moved.agent_id == other.id and moved.agent_read_seq == 0
    transferred = env.notifier.events("transferred")
    assert {n.to_visitor for n in transferred} - {None} == {cid}
    assert {a for n in transferred for a in n.to_agents} == {owner}
    assert env.notifier.events("assigned")[-1].to_agents == (other.id,)
    # The next visitor goes to the freed agent, who is then full: no transfer back.
    _, extra, _ = await env.visitor_says()
    assert (await env.service.get(extra)).agent_id == owner
    with pytest.raises(AgentUnavailableError):
        await env.service.transfer(cid, other.id, owner)
    assert (await env.service.get(cid)).agent_id == other.id


async def test_messages_for_an_offline_agent_are_kept_for_them(env: Env) -> None:
    alice = await env.agent("alice")
    visitor_id, cid, _ = await env.visitor_says("first")
    await env.service.agent_disconnected(alice.id)
    for n in range(2):
        await env.service.post(cid, SenderKind.VISITOR, visitor_id, f"off{n}", f"offline {n}")
    await env.service.drain()
    # Still hers: the conversation waits for her instead of going back to the queue.
    conversation = await env.service.get(cid)
    assert conversation.agent_id == alice.id and conversation.agent_read_seq == 0
    owned = await env.service.agent_connected(alice.id)
    assert [c.id for c in owned] == [cid]
    missed = await env.service.history(cid, SenderKind.AGENT, owned[0].agent_read_seq)
    assert [m.text for m in missed] == ["first", "offline 0", "offline 1"]
    assert await env.service.mark_read(cid, SenderKind.AGENT, alice.id, 99) == 3


async def test_blocked_message_is_stored_but_not_delivered_or_assisted(env: Env) -> None:
    alice = await env.agent("alice")
    visitor_id, cid, _ = await env.visitor_says("hi")
    env.assistant.seen.clear()
    before = len([n for n in env.notifier.notices if isinstance(n.body, MessageNotice)])
    stored = await env.service.post(cid, SenderKind.VISITOR, visitor_id, "b", "FORBIDDENWORD!")
    await env.service.drain()
    assert stored.blocked and stored.filter_action == FilterAction.BLOCK.value
    assert {v["filter"]: v["action"] for v in stored.verdicts} == {
        "test_words": "block",
        "broken": "flag",  # a failing filter flags instead of letting the text through silently
    }
    after = len([n for n in env.notifier.notices if isinstance(n.body, MessageNotice)])
    assert after == before and env.assistant.seen == []
    assert env.notifier.events("blocked")[-1].to_visitor == cid
    assert [m.seq for m in await env.service.history(cid, SenderKind.AGENT)] == [1]
    assert [m.seq for m in await env.service.history(cid, SenderKind.VISITOR)] == [1, 2]
    # The agent's own blocked message goes back to the agent only.
    mine = await env.service.post(cid, SenderKind.AGENT, alice.id, "a", "forbiddenword")
    assert mine.blocked and env.notifier.events("blocked")[-1].to_agents == (alice.id,)


async def test_bad_messages_are_refused_and_store_nothing(env: Env) -> None:
    visitor_id, cid, _ = await env.visitor_says("hi")
    with pytest.raises(InvalidMessageError):
        await env.service.post(cid, SenderKind.VISITOR, visitor_id, "e", "  \n ")
    with pytest.raises(MessageTooLongError):
        await env.service.post(cid, SenderKind.VISITOR, visitor_id, "l", "x" * 51)
    with pytest.raises(NotParticipantError):
        await env.service.post(cid, SenderKind.VISITOR, "another-visitor", "o", "hi")
    with pytest.raises(NotParticipantError):
        await env.service.post(cid, SenderKind.AGENT, "not-assigned", "o", "hi")
    async with env.db.read() as conn:
        assert await Messages(conn).count(cid) == 1


async def test_what_happens_is_published_on_the_event_bus(env: Env) -> None:
    await env.bus.ensure_group(CONVERSATION_STREAM, "test", start="earliest")
    alice = await env.agent("alice")
    visitor_id, cid, _ = await env.visitor_says("where is my parcel?")
    await env.service.post(cid, SenderKind.AGENT, alice.id, "a1", "let me check")
    await env.service.close(cid, SenderKind.VISITOR, visitor_id)
    deliveries = await env.bus.read(CONVERSATION_STREAM, "test", "c1", count=50)
    events = [d.event for d in deliveries]
    assert [e.type for e in events] == [
        "conversation.started",
        "conversation.message",
        "conversation.queued",
        "conversation.assigned",
        "conversation.message",
        "conversation.closed",
    ]
    assert {e.subject for e in events} == {f"conversation/{cid}"}
    first = events[1].data
    assert (first["seq"], first["sender"], first["text"]) == (1, "visitor", "where is my parcel?")
    assert events[3].data["agent_id"] == alice.id
