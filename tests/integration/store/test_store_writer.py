"""The message writer's group commit against real databases (SQLite file and PostgreSQL).

On SQLite the writer runs each batch as one call on the driver's connection with plain SQL;
these tests pin that what it writes reads back exactly as the SQLAlchemy path reads it, and
that its rules (resends, participants, closed conversations) are those of ``append_batch``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fixtures_servers import migrated_database
from kefu.store import (
    Agents,
    ConversationClosedError,
    Conversations,
    ConversationStatus,
    Database,
    Messages,
    MessageWriter,
    NewMessage,
    SenderKind,
    SenderNotAllowedError,
    StoredMessage,
    Visitors,
)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database of each kind."""
    async with migrated_database(request.param, tmp_path) as database:
        yield database


async def _conversation(db: Database) -> tuple[str, str]:
    async with db.write() as conn:
        visitor = await Visitors(conn).create("v")
        cid = (await Conversations(conn).create(visitor.id)).id
    return cid, visitor.id


def _same_row(a: StoredMessage, b: StoredMessage) -> bool:
    fields = (
        "conversation_id", "seq", "client_msg_id", "sender_kind", "sender_id", "text",
        "redacted", "verdicts", "filter_action", "blocked", "created_at",
    )  # fmt: skip
    return all(getattr(a, f) == getattr(b, f) for f in fields)


async def test_what_the_writer_stores_reads_back_the_same_and_resends_get_it(
    db: Database,
) -> None:
    cid, visitor_id = await _conversation(db)
    verdicts = ({"filter": "sensitive_words", "action": "mask", "matches": [{"term": "傻瓜"}]},)
    new = [
        NewMessage(cid, "a", SenderKind.VISITOR, visitor_id, "你好 hello"),
        NewMessage(
            cid,
            "b",
            SenderKind.VISITOR,
            visitor_id,
            "你是傻瓜",
            verdicts=verdicts,
            filter_action="mask",
            redacted="你是**",
        ),
        NewMessage(cid, "c", SenderKind.VISITOR, visitor_id, "blocked", blocked=True),
    ]
    writer = MessageWriter(db)
    writer.start()
    stored = await asyncio.gather(*(writer.append(m) for m in new))
    await writer.close()
    assert [m.seq for m in stored] == [1, 2, 3]
    assert all(m.status is ConversationStatus.BOT and not m.duplicate for m in stored)
    async with db.read() as conn:
        read = await Messages(conn).since(cid)
        conversation = await Conversations(conn).require(cid)
    assert conversation.last_seq == 3
    assert all(_same_row(a, b) for a, b in zip(stored, read, strict=True))
    assert read[1].verdicts == verdicts and read[1].redacted == "你是**" and read[2].blocked

    # A resend after a restart (a new writer) gets the stored original back.
    again = MessageWriter(db)
    again.start()
    resent = await asyncio.gather(*(again.append(m) for m in new))
    await again.close()
    assert all(r.duplicate and _same_row(r, s) for r, s in zip(resent, stored, strict=True))
    async with db.read() as conn:
        assert await Messages(conn).count(cid) == 3


async def test_the_writer_refuses_outsiders_and_closed_conversations_per_message(
    db: Database,
) -> None:
    cid, visitor_id = await _conversation(db)
    other_cid, other_visitor = await _conversation(db)
    async with db.write() as conn:
        alice = await Agents(conn).create("alice", "Alice", "x", 5)
        await Conversations(conn).close(other_cid)
    writer = MessageWriter(db)
    writer.start()
    results = await asyncio.gather(
        writer.append(NewMessage(cid, "1", SenderKind.VISITOR, other_visitor, "not mine")),
        writer.append(NewMessage(cid, "2", SenderKind.AGENT, alice.id, "not assigned")),
        writer.append(NewMessage(other_cid, "3", SenderKind.VISITOR, other_visitor, "closed")),
        writer.append(NewMessage(cid, "4", SenderKind.VISITOR, visitor_id, "fine")),
        return_exceptions=True,
    )
    await writer.close()
    assert isinstance(results[0], SenderNotAllowedError)
    assert isinstance(results[1], SenderNotAllowedError)
    assert isinstance(results[2], ConversationClosedError)
    assert isinstance(results[3], StoredMessage) and results[3].seq == 1


async def test_a_caller_giving_up_does_not_stop_the_batch_it_joined(db: Database) -> None:
    cid, visitor_id = await _conversation(db)
    writer = MessageWriter(db)
    writer.start()
    given_up = asyncio.create_task(
        writer.append(NewMessage(cid, "gone", SenderKind.VISITOR, visitor_id, "first"))
    )
    await asyncio.sleep(0)  # its message is queued
    staying = asyncio.create_task(
        writer.append(NewMessage(cid, "kept", SenderKind.VISITOR, visitor_id, "second"))
    )
    given_up.cancel()
    kept = await staying
    await writer.close()
    assert given_up.cancelled()
    async with db.read() as conn:
        stored = await Messages(conn).since(cid)
    # The write went ahead without its caller: a resend gets it back, in order.
    assert [(m.client_msg_id, m.seq) for m in stored] == [("gone", 1), ("kept", 2)]
    assert kept.seq == 2 and not kept.duplicate
