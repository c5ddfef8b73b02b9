"""Dialog state kept in Kefu's database (the default when Redis is not configured)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kefu.assistant.state import DialogState
from kefu.store.database import Database

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
        values = {
            "conversation_id": conversation_id,
            "state": state.to_json(),
            "updated_at": datetime.now(UTC),
        }
        insert = postgresql.insert if not self._db.is_sqlite else sqlite.insert
        statement = insert(dialog_states).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[dialog_states.c.conversation_id],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
        )
        async with self._db.write() as conn:
            await conn.execute(statement)
