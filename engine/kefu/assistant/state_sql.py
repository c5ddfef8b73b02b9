"""Dialog state kept in Kefu's database (the default when Redis is not configured)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kefu.assistant.state import DialogState
from kefu.store.database import Database

log = logging.getLogger(__name__)

#: The assistant's own table; created by migration 0002.
dialog_states = sa.Table(
    "dialog_states",
    sa.MetaData(),
    sa.Column("conversation_id", sa.String(32), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class SqlDialogStateStore:
    """Dialog state as one JSON row per conversation, upserted after every turn."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, conversation_id: str) -> DialogState:
        """The state of a conversation (a fresh one if none is stored)."""
        query = sa.select(dialog_states.c.state).where(
            dialog_states.c.conversation_id == conversation_id
        )
        async with self._db.read() as conn:
            raw = (await conn.execute(query)).scalar_one_or_none()
        return DialogState.from_json(raw) if raw else DialogState()

    async def put(self, conversation_id: str, state: DialogState) -> None:
        """Insert or replace the stored state."""
        await self.put_many({conversation_id: state})

    async def put_many(self, states: Mapping[str, DialogState]) -> None:
        """Insert or replace several states in one transaction (one statement, many rows)."""
        if not states:
            return
        now = datetime.now(UTC)
        rows = [
            {"conversation_id": cid, "state": state.to_json(), "updated_at": now}
            for cid, state in states.items()
        ]
        insert = postgresql.insert if not self._db.is_sqlite else sqlite.insert
        statement = insert(dialog_states)
        statement = statement.on_conflict_do_update(
            index_elements=[dialog_states.c.conversation_id],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
        )
        async with self._db.write() as conn:
            await conn.execute(statement, rows)


class WriteBehindStateStore:
    """Dialog state served from process memory and written to the database in batches.

    For a Kefu that runs as one process (SQLite, or PostgreSQL with the memory bus): every turn
    reads and writes memory, and a background task upserts the states that changed, all in one
    transaction, every ``flush_interval`` seconds and on close. A crash loses at most that
    interval of dialog memory (turn counts, intent history), never a message: conversation
    routing lives in the conversations table. Clusters keep dialog state in Redis instead.
    """

    def __init__(
        self, inner: SqlDialogStateStore, *, flush_interval: float = 0.5, max_entries: int = 50_000
    ) -> None:
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be positive, got {flush_interval}")
        self._inner = inner
        self._interval = flush_interval
        self._max = max_entries
        self._cache: OrderedDict[str, DialogState] = OrderedDict()
        self._dirty: dict[str, DialogState] = {}
        self._task: asyncio.Task[None] | None = None

    async def get(self, conversation_id: str) -> DialogState:
        """The state from memory, else from the database (then remembered)."""
        state = self._cache.get(conversation_id)
        if state is not None:
            self._cache.move_to_end(conversation_id)
            return state
        state = await self._inner.get(conversation_id)
        self._remember(conversation_id, state)
        return state

    async def put(self, conversation_id: str, state: DialogState) -> None:
        """Remember the state; it reaches the database with the next flush."""
        self._remember(conversation_id, state)
        self._dirty[conversation_id] = state
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_later())

    async def flush(self) -> None:
        """Write every changed state now (kept for a retry when the write fails)."""
        pending, self._dirty = self._dirty, {}
        try:
            await self._inner.put_many(pending)
        except Exception:
            self._dirty = {**pending, **self._dirty}
            raise

    async def aclose(self) -> None:
        """Stop the background task and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _flush_later(self) -> None:
        while self._dirty:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:
                log.exception("could not write dialog state; will retry")

    def _remember(self, conversation_id: str, state: DialogState) -> None:
        self._cache[conversation_id] = state
        self._cache.move_to_end(conversation_id)
        while len(self._cache) > self._max:
            oldest, _ = self._cache.popitem(last=False)
            if oldest in self._dirty:  # never forget a state the database has not seen
                self._cache[oldest] = self._dirty[oldest]
                break
