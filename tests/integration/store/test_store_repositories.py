"""The store against real databases: one suite, run on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fixtures_servers import create_pg_database, drop_pg_database, pg_url
from kefu.store import (
    BOT_SENDER_ID,
    AgentExistsError,
    Agents,
    AuditLog,
    ConversationClosedError,
    ConversationNotFoundError,
    Conversations,
    ConversationStatus,
    Database,
    Events,
    Messages,
    MessageWriter,
    NewMessage,
    SenderKind,
    SenderNotAllowedError,
    Visitors,
    WriterClosedError,
)


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"
        return
    name = await create_pg_database()
    yield pg_url(name)
    await drop_pg_database(name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


#: Conversation id -> its visitor's id, so messages can be sent as that visitor.
_VISITOR_OF: dict[str, str] = {}


async def _conversation(db: Database) -> str:
    async with db.write() as conn:
        visitor = await Visitors(conn).create("v")
        cid = (await Conversations(conn).create(visitor.id)).id
    _VISITOR_OF[cid] = visitor.id
    return cid


def _msg(cid: str, client_id: str, text: str = "hi") -> NewMessage:
    """A message from the conversation's own visitor."""
    return NewMessage(cid, client_id, SenderKind.VISITOR, _VISITOR_OF.get(cid, "nobody"), text)


async def test_migrations_create_the_schema_and_are_idempotent(db: Database) -> None:
    await db.migrate()  # second run: nothing to do, no error
    async with db.read() as conn:
        tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert {"visitors", "agents", "conversations", "messages", "events", "audit_entries"} <= tables
    assert "alembic_version" in tables
    if db.is_sqlite:
        async with db.read() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
        assert pragmas == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL
            "busy_timeout": 10000,
            "foreign_keys": 1,
        }


async def test_sequence_numbers_are_per_conversation_and_resends_are_not_duplicates(
    db: Database,
) -> None:
    first, second = await _conversation(db), await _conversation(db)
    async with db.write() as conn:
        messages = Messages(conn)
        a1 = await messages.append(_msg(first, "a1"))
        b1 = await messages.append(_msg(second, "b1"))
        a2 = await messages.append(_msg(first, "a2"))
        again = await messages.append(_msg(first, "a1", "different text"))
    assert (a1.seq, a2.seq, b1.seq) == (1, 2, 1)
    assert again.duplicate and again.seq == 1 and again.text == "hi"
    async with db.read() as conn:
        assert [m.client_msg_id for m in await Messages(conn).since(first)] == ["a1", "a2"]
        assert (await Conversations(conn).require(first)).last_seq == 2
        assert [m.seq for m in await Messages(conn).since(first, 1)] == [2]


async def test_only_participants_may_write_and_client_ids_are_per_sender(db: Database) -> None:
    cid = await _conversation(db)
    visitor_id = _VISITOR_OF[cid]
    async with db.write() as conn:
        alice = await Agents(conn).create("alice", "Alice", "hash", 2)
        bob = await Agents(conn).create("bob", "Bob", "hash", 2)
        messages = Messages(conn)
        with pytest.raises(SenderNotAllowedError, match="another visitor"):
            await messages.append(NewMessage(cid, "x", SenderKind.VISITOR, "intruder", "hi"))
        with pytest.raises(SenderNotAllowedError, match="not assigned"):
            await messages.append(NewMessage(cid, "x", SenderKind.AGENT, alice.id, "hi"))
        with pytest.raises(SenderNotAllowedError, match="bot"):
            await messages.append(NewMessage(cid, "x", SenderKind.BOT, "robot", "hi"))
        await Conversations(conn).enqueue(cid)
        await Conversations(conn).assign(cid, alice.id)
        with pytest.raises(SenderNotAllowedError, match="another agent"):
            await messages.append(NewMessage(cid, "1", SenderKind.AGENT, bob.id, "hi"))
        # The visitor, the agent and the bot each use client id "1": three messages.
        v1 = await messages.append(NewMessage(cid, "1", SenderKind.VISITOR, visitor_id, "v"))
        a1 = await messages.append(NewMessage(cid, "1", SenderKind.AGENT, alice.id, "a"))
        b1 = await messages.append(NewMessage(cid, "1", SenderKind.BOT, BOT_SENDER_ID, "b"))
        assert [v1.seq, a1.seq, b1.seq] == [1, 2, 3]
        assert not (v1.duplicate or a1.duplicate or b1.duplicate)
        await Conversations(conn).close(cid)
        # After closing, a resend still gets its original ack; anything new is refused.
        again = await messages.append(NewMessage(cid, "1", SenderKind.AGENT, alice.id, "a"))
        assert (again.seq, again.duplicate) == (2, True)
        with pytest.raises(ConversationClosedError):
            await messages.append(NewMessage(cid, "2", SenderKind.AGENT, alice.id, "late"))
        assert await messages.count(cid) == 3


async def test_a_bad_message_in_a_batch_does_not_block_the_others(db: Database) -> None:
    open_cid, closed_cid = await _conversation(db), await _conversation(db)
    async with db.write() as conn:
        await Conversations(conn).close(closed_cid)
    writer = MessageWriter(db)
    writer.start()
    results = await asyncio.gather(
        writer.append(_msg(open_cid, "ok1")),
        writer.append(_msg("missing", "x")),
        writer.append(_msg(closed_cid, "y")),
        writer.append(_msg(open_cid, "ok2")),
        writer.append(_msg(open_cid, "ok1")),  # resend inside the same batch
        return_exceptions=True,
    )
    await writer.close()
    assert isinstance(results[1], ConversationNotFoundError)
    assert isinstance(results[2], ConversationClosedError)
    ok1, ok2, dup = results[0], results[3], results[4]
    assert not isinstance(ok1, BaseException) and not isinstance(ok2, BaseException)
    assert not isinstance(dup, BaseException)
    assert (ok1.seq, ok2.seq, dup.seq, dup.duplicate) == (1, 2, 1, True)
    async with db.read() as conn:
        assert await Messages(conn).count(open_cid) == 2
        assert await Messages(conn).count(closed_cid) == 0
        assert (await Conversations(conn).require(closed_cid)).last_seq == 0


async def test_writers_sharing_a_database_never_hand_out_a_sequence_number_twice(
    db_url: str, db: Database
) -> None:
    cid = await _conversation(db)
    # A second Database object stands for a second process on the same database.
    other = Database(db_url)
    writers = [MessageWriter(db), MessageWriter(other)]
    for w in writers:
        w.start()
    appends = [writers[n % 2].append(_msg(cid, f"m{n % 150}", f"text {n}")) for n in range(300)]
    results = await asyncio.gather(*appends)
    for w in writers:
        await w.close()
    await other.close()
    by_client: dict[str, set[int]] = {}
    for r in results:
        by_client.setdefault(r.client_msg_id, set()).add(r.seq)
    assert all(len(seqs) == 1 for seqs in by_client.values())  # a resend got the original
    async with db.read() as conn:
        stored = await Messages(conn).since(cid)
    assert [m.seq for m in stored] == list(range(1, 151))
    assert sum(w.stats.messages for w in writers) >= 300
    assert max(w.stats.largest_batch for w in writers) > 1  # group commit happened


async def test_writer_drains_on_close_and_then_refuses(db: Database) -> None:
    cid = await _conversation(db)
    writer = MessageWriter(db)
    writer.start()
    pending = [asyncio.ensure_future(writer.append(_msg(cid, f"d{n}"))) for n in range(20)]
    await asyncio.sleep(0)
    await writer.close()
    assert sorted(m.seq for m in await asyncio.gather(*pending)) == list(range(1, 21))
    with pytest.raises(WriterClosedError):
        await writer.append(_msg(cid, "late"))


async def test_routing_state_transitions_are_conditional(db: Database) -> None:
    first, second = await _conversation(db), await _conversation(db)
    async with db.write() as conn:
        agent = await Agents(conn).create("alice", "Alice", "hash", 2)
        conversations = Conversations(conn)
        queued = await conversations.enqueue(first)
        assert queued is not None and queued.status is ConversationStatus.QUEUED
        assert await conversations.enqueue(first) is None  # already queued
        await conversations.enqueue(second)
        later = await conversations.require(second)
        assert await conversations.queue_position(later) == 2
        assigned = await conversations.assign(first, agent.id)
        assert assigned is not None and assigned.agent_id == agent.id
        assert await conversations.assign(first, agent.id) is None  # not queued any more
        assert await conversations.queue_position(await conversations.require(second)) == 1
        assert await Agents(conn).loads() == {agent.id: 1}
        with pytest.raises(ConversationNotFoundError):
            await conversations.enqueue("missing")


async def test_read_marks_only_move_forward_and_stop_at_the_last_message(db: Database) -> None:
    cid = await _conversation(db)
    async with db.write() as conn:
        for n in range(3):
            await Messages(conn).append(_msg(cid, f"r{n}"))
        conversations = Conversations(conn)
        assert await conversations.mark_read(cid, SenderKind.VISITOR, 2) == 2
        assert await conversations.mark_read(cid, SenderKind.VISITOR, 1) == 2
        assert await conversations.mark_read(cid, SenderKind.VISITOR, 50) == 3
        assert await conversations.mark_read(cid, SenderKind.AGENT, 1) == 1


async def test_agents_presence_and_unique_usernames(db: Database) -> None:
    async with db.write() as conn:
        agents = Agents(conn)
        alice = await agents.create("alice", "Alice", "hash", 3)
        with pytest.raises(AgentExistsError):
            await agents.create("alice", "Other", "hash", 1)
        assert (await agents.add_session(alice.id, +1)).online
        assert (await agents.add_session(alice.id, -1)).online_sessions == 0
        assert (await agents.add_session(alice.id, -1)).online_sessions == 0  # floors at zero
        assert [a.username for a in await agents.online_for_update()] == []


async def test_events_and_audit_entries_round_trip(db: Database) -> None:
    cid = await _conversation(db)
    async with db.write() as conn:
        await Events(conn).record("conversation.queued", subject=cid, data={"reasons": ["x"]})
        await Events(conn).record("conversation.assigned", subject=cid, data={"agent_id": "a"})
        await AuditLog(conn).record("agent:a", "conversation.close", cid, {"by": "agent"})
    async with db.read() as conn:
        events = await Events(conn).for_subject(cid)
        audit = await AuditLog(conn).for_subject(cid)
    assert [e.type for e in events] == ["conversation.queued", "conversation.assigned"]
    assert events[0].data == {"reasons": ["x"]} and events[0].time.tzinfo is not None
    assert events[0].source.startswith("kefu://")
    assert [(a.actor, a.action, a.data) for a in audit] == [
        ("agent:a", "conversation.close", {"by": "agent"})
    ]
