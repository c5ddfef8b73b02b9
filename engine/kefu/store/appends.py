"""Appending messages: sequence numbers, idempotent resends and sender checks, for a batch.

Used by :class:`kefu.store.writer.MessageWriter` (one batch per group commit) and by
:meth:`kefu.store.repositories.Messages.append` (a batch of one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.store import schema
from kefu.store.errors import (
    ConversationClosedError,
    ConversationNotFoundError,
    SenderNotAllowedError,
)
from kefu.store.records import (
    BOT_SENDER_ID,
    ConversationStatus,
    NewMessage,
    SenderKind,
    StoredMessage,
    as_utc,
    utcnow,
)

#: What makes a resend a resend: the same sender reusing a client message id in a conversation.
_Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class _Participants:
    visitor_id: str
    agent_id: str | None
    status: ConversationStatus


def message_from_row(
    row: Mapping[str, Any] | sa.RowMapping,
    *,
    status: ConversationStatus | None = None,
    agent_id: str | None = None,
    duplicate: bool = False,
) -> StoredMessage:
    """Build a :class:`StoredMessage` from a ``messages`` row mapping."""
    return StoredMessage(
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        client_msg_id=row["client_msg_id"],
        sender_kind=SenderKind(row["sender_kind"]),
        sender_id=row["sender_id"],
        text=row["text"],
        redacted=row["redacted"],
        verdicts=tuple(row["verdicts"] or ()),
        filter_action=row["filter_action"],
        blocked=bool(row["blocked"]),
        created_at=as_utc(row["created_at"]),
        status=status,
        agent_id=agent_id,
        duplicate=duplicate,
    )


async def append_batch(
    conn: AsyncConnection, batch: Sequence[NewMessage]
) -> list[StoredMessage | Exception]:
    """Append messages in the caller's transaction; results align with ``batch``.

    * A resend (same conversation, sender and client message id, already stored or earlier in
      the batch) gets the original back with ``duplicate=True``, even after the conversation
      was closed or transferred.
    * A new message must come from a participant: the conversation's visitor, its assigned
      agent, or the bot; otherwise its slot holds SenderNotAllowedError. Unknown and closed
      conversations give ConversationNotFoundError and ConversationClosedError. The other
      messages of the batch are stored regardless.
    * The conversations are read (row-locked on PostgreSQL, in id order so concurrent writers
      cannot deadlock) before anything is decided, and each one's sequence numbers are
      reserved by one ``UPDATE ... SET last_seq = last_seq + n ... RETURNING`` for the whole
      batch, so processes sharing a database never hand out the same number. New rows go in
      with one executemany insert.
    """
    if not batch:
        return []
    conversation_ids = sorted({msg.conversation_id for msg in batch})
    participants = await _lock_conversations(conn, conversation_ids)
    existing = await _existing(conn, batch, conversation_ids)
    plan = _plan(batch, participants, existing)
    now = utcnow()
    reserved = await _reserve_sequences(conn, plan.counts(), now)
    insert_rows = plan.rows(batch, reserved, now)
    if insert_rows:
        await conn.execute(sa.insert(schema.messages), insert_rows)
    return plan.finish()


@dataclass(slots=True)
class _Plan:
    """What a batch comes to once the conversations and earlier client ids are known."""

    results: list[StoredMessage | Exception | None]
    #: New messages to store, by conversation, as indexes into the batch (in batch order).
    fresh: dict[str, list[int]]
    #: Resends of a new message earlier in the same batch: index -> the original's index.
    followers: dict[int, int]

    def counts(self) -> dict[str, int]:
        """How many sequence numbers each conversation needs."""
        return {cid: len(indexes) for cid, indexes in self.fresh.items()}

    def rows(
        self,
        batch: Sequence[NewMessage],
        reserved: Mapping[str, tuple[int, ConversationStatus, str | None]],
        now: datetime,
    ) -> list[dict[str, Any]]:
        """The ``messages`` rows to insert; fills in the results of the new messages.

        ``reserved`` maps each conversation to its ``last_seq`` after the reservation, its
        status and its agent.
        """
        insert_rows: list[dict[str, Any]] = []
        for conversation_id, indexes in self.fresh.items():
            last_seq, status, agent_id = reserved[conversation_id]
            first_seq = last_seq - len(indexes) + 1
            for offset, index in enumerate(indexes):
                msg = batch[index]
                row = {
                    "conversation_id": conversation_id,
                    "seq": first_seq + offset,
                    "client_msg_id": msg.client_msg_id,
                    "sender_kind": msg.sender_kind.value,
                    "sender_id": msg.sender_id,
                    "text": msg.text,
                    "redacted": msg.redacted,
                    "verdicts": list(msg.verdicts),
                    "filter_action": msg.filter_action,
                    "blocked": msg.blocked,
                    "created_at": now,
                }
                insert_rows.append(row)
                self.results[index] = StoredMessage(
                    conversation_id=conversation_id,
                    seq=first_seq + offset,
                    client_msg_id=msg.client_msg_id,
                    sender_kind=msg.sender_kind,
                    sender_id=msg.sender_id,
                    text=msg.text,
                    redacted=msg.redacted,
                    verdicts=msg.verdicts,
                    filter_action=msg.filter_action,
                    blocked=msg.blocked,
                    created_at=now,
                    status=status,
                    agent_id=agent_id,
                )
        return insert_rows

    def finish(self) -> list[StoredMessage | Exception]:
        """The results, aligned with the batch, once the new rows are written."""
        for index, original in self.followers.items():
            first = self.results[original]
            self.results[index] = (
                replace(first, duplicate=True) if isinstance(first, StoredMessage) else first
            )
        return [
            r if r is not None else RuntimeError("message was not processed") for r in self.results
        ]


def _plan(
    batch: Sequence[NewMessage],
    participants: Mapping[str, _Participants],
    existing: Mapping[_Key, StoredMessage],
) -> _Plan:
    """Sort a batch into resends, refusals and new messages (the rules of append_batch)."""
    results: list[StoredMessage | Exception | None] = [None] * len(batch)
    fresh: dict[str, list[int]] = {}
    first_in_batch: dict[_Key, int] = {}
    followers: dict[int, int] = {}
    for index, msg in enumerate(batch):
        key = (msg.conversation_id, msg.sender_id, msg.client_msg_id)
        found = participants.get(msg.conversation_id)
        if found is None:
            results[index] = ConversationNotFoundError(msg.conversation_id)
        elif key in existing:
            results[index] = existing[key]
        elif key in first_in_batch:
            followers[index] = first_in_batch[key]
        elif found.status is ConversationStatus.CLOSED:
            results[index] = ConversationClosedError(msg.conversation_id)
        elif (problem := _sender_problem(msg, found)) is not None:
            results[index] = SenderNotAllowedError(msg.conversation_id, problem)
        else:
            first_in_batch[key] = index
            fresh.setdefault(msg.conversation_id, []).append(index)
    return _Plan(results, fresh, followers)


def _sender_problem(msg: NewMessage, conversation: _Participants) -> str | None:
    if msg.sender_kind is SenderKind.VISITOR:
        if msg.sender_id != conversation.visitor_id:
            return "this conversation belongs to another visitor"
    elif msg.sender_kind is SenderKind.AGENT:
        if conversation.status is not ConversationStatus.ASSIGNED:
            return "the conversation is not assigned to an agent"
        if msg.sender_id != conversation.agent_id:
            return "the conversation is assigned to another agent"
    elif msg.sender_id != BOT_SENDER_ID:
        return f"bot messages must have sender_id {BOT_SENDER_ID!r}"
    return None


async def _lock_conversations(
    conn: AsyncConnection, conversation_ids: list[str]
) -> dict[str, _Participants]:
    c = schema.conversations
    query = (
        sa.select(c.c.id, c.c.visitor_id, c.c.agent_id, c.c.status)
        .where(c.c.id.in_(conversation_ids))
        .order_by(c.c.id)
    )
    if conn.dialect.name == "postgresql":
        # SQLite needs no lock: its write transactions (BEGIN IMMEDIATE) are serial.
        query = query.with_for_update()
    rows = await conn.execute(query)
    return {r[0]: _Participants(r[1], r[2], ConversationStatus(r[3])) for r in rows}


async def _existing(
    conn: AsyncConnection, batch: Sequence[NewMessage], conversation_ids: list[str]
) -> dict[_Key, StoredMessage]:
    m = schema.messages
    client_ids = sorted({msg.client_msg_id for msg in batch})
    rows = await conn.execute(
        sa.select(m).where(
            m.c.conversation_id.in_(conversation_ids), m.c.client_msg_id.in_(client_ids)
        )
    )
    found: dict[_Key, StoredMessage] = {}
    for row in rows:
        stored = message_from_row(row._mapping, duplicate=True)
        found[(stored.conversation_id, stored.sender_id, stored.client_msg_id)] = stored
    return found


async def _reserve_sequences(
    conn: AsyncConnection, counts: Mapping[str, int], now: datetime
) -> dict[str, tuple[int, ConversationStatus, str | None]]:
    """Add ``counts[id]`` to each conversation's ``last_seq`` in one statement."""
    if not counts:
        return {}
    c = schema.conversations
    # A CTE rather than FROM (VALUES ...) AS t(cols): SQLite has no column alias lists.
    wanted = (
        sa.values(sa.column("cid", sa.String), sa.column("n", sa.Integer), name="wanted")
        .data([(cid, counts[cid]) for cid in sorted(counts)])
        .cte("wanted")
    )
    rows = await conn.execute(
        sa.update(c)
        .where(c.c.id == wanted.c.cid)
        .values(last_seq=c.c.last_seq + wanted.c.n, updated_at=now)
        .returning(c.c.id, c.c.last_seq, c.c.status, c.c.agent_id)
    )
    return {r[0]: (int(r[1]), ConversationStatus(r[2]), r[3]) for r in rows}


class SqliteAppender:
    """:func:`append_batch` for SQLite, as one synchronous call on the driver's connection.

    Going through SQLAlchemy and aiosqlite costs a hand-off to the driver's thread for every
    statement, cursor and fetch (about twenty per batch); this runs a whole transaction,
    ``BEGIN IMMEDIATE`` to ``COMMIT``, in one call, with plain SQL and the ``sqlite3`` module,
    so :class:`~kefu.store.writer.MessageWriter` hands it to the driver's thread once per
    batch. The rules are those of :func:`append_batch`. Values are converted with the
    SQLAlchemy column types of ``dialect`` (the engine's), so rows read the same whichever
    way they were written. BEGIN IMMEDIATE takes the database's write lock before the reads:
    nobody else can change these conversations until the commit, in this process or another.
    """

    _SELECT_CONVERSATIONS = (
        "SELECT id, visitor_id, agent_id, status, last_seq FROM conversations WHERE id IN ({})"
    )
    _SELECT_EXISTING = (
        "SELECT conversation_id, seq, client_msg_id, sender_kind, sender_id, text, redacted, "
        "verdicts, filter_action, blocked, created_at FROM messages "
        "WHERE conversation_id = ? AND sender_id = ? AND client_msg_id = ?"
    )
    _UPDATE_SEQ = "UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?"
    _INSERT = (
        "INSERT INTO messages (conversation_id, seq, client_msg_id, sender_kind, sender_id, "
        "text, redacted, verdicts, filter_action, blocked, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, dialect: sa.Dialect) -> None:
        m = schema.messages.c
        self._bind_time = _bind(m.created_at.type, dialect)
        self._bind_json = _bind(m.verdicts.type, dialect)
        self._bind_bool = _bind(m.blocked.type, dialect)
        self._read_time = _result(m.created_at.type, dialect)
        self._read_json = _result(m.verdicts.type, dialect)
        self._read_bool = _result(m.blocked.type, dialect)

    def __call__(
        self, raw: sqlite3.Connection, batch: Sequence[NewMessage]
    ) -> list[StoredMessage | Exception]:
        """Append ``batch`` in a transaction of its own on ``raw``; committed on return."""
        if not batch:
            return []
        raw.execute("BEGIN IMMEDIATE")
        try:
            results = self._append(raw, batch)
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return results

    def _append(
        self, raw: sqlite3.Connection, batch: Sequence[NewMessage]
    ) -> list[StoredMessage | Exception]:
        conversation_ids = sorted({msg.conversation_id for msg in batch})
        marks = ", ".join("?" * len(conversation_ids))
        participants: dict[str, _Participants] = {}
        last_seqs: dict[str, int] = {}
        for cid, visitor_id, agent_id, status, last_seq in raw.execute(
            self._SELECT_CONVERSATIONS.format(marks), conversation_ids
        ):
            participants[cid] = _Participants(visitor_id, agent_id, ConversationStatus(status))
            last_seqs[cid] = int(last_seq)
        existing: dict[_Key, StoredMessage] = {}
        for key in {(m.conversation_id, m.sender_id, m.client_msg_id) for m in batch}:
            if key[0] in participants:
                row = raw.execute(self._SELECT_EXISTING, key).fetchone()
                if row is not None:
                    existing[key] = self._stored(row)
        plan = _plan(batch, participants, existing)
        counts = plan.counts()
        if not counts:
            return plan.finish()
        now = utcnow()
        stamp = self._bind_time(now)
        reserved: dict[str, tuple[int, ConversationStatus, str | None]] = {}
        updates = []
        for cid, n in counts.items():
            last = last_seqs[cid] + n
            found = participants[cid]
            reserved[cid] = (last, found.status, found.agent_id)
            updates.append((last, stamp, cid))
        raw.executemany(self._UPDATE_SEQ, updates)
        rows = plan.rows(batch, reserved, now)
        bind_json, bind_bool = self._bind_json, self._bind_bool
        raw.executemany(
            self._INSERT,
            [
                (
                    r["conversation_id"],
                    r["seq"],
                    r["client_msg_id"],
                    r["sender_kind"],
                    r["sender_id"],
                    r["text"],
                    r["redacted"],
                    bind_json(r["verdicts"]),
                    r["filter_action"],
                    bind_bool(r["blocked"]),
                    stamp,
                )
                for r in rows
            ],
        )
        return plan.finish()

    def _stored(self, row: tuple[Any, ...]) -> StoredMessage:
        names = (
            "conversation_id", "seq", "client_msg_id", "sender_kind", "sender_id", "text",
            "redacted", "verdicts", "filter_action", "blocked", "created_at",
        )  # fmt: skip
        values = dict(zip(names, row, strict=True))
        values["verdicts"] = self._read_json(values["verdicts"])
        values["blocked"] = self._read_bool(values["blocked"])
        values["created_at"] = self._read_time(values["created_at"])
        return message_from_row(values, duplicate=True)


def _bind(column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _result(column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    process = column_type.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value
