"""Group commit for chat messages: one writer task turns concurrent appends into one transaction.

Every :meth:`MessageWriter.append` resolves only after the transaction holding its row has
committed, so an ack sent on its result is durable. While one batch commits, new appends queue
up and go into the next batch together: the cost of a commit (an fsync on SQLite) is shared by
everyone who was waiting, which is what makes durable acks fast under load.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from kefu.store.appends import SqliteAppender, append_batch
from kefu.store.database import Database
from kefu.store.errors import WriterClosedError
from kefu.store.records import NewMessage, StoredMessage

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    message: NewMessage
    future: asyncio.Future[StoredMessage]


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters for metrics and benchmarks."""

    batches: int
    messages: int
    largest_batch: int


class MessageWriter:
    """Batches message appends into group commits; start it before use and close it to drain."""

    def __init__(self, database: Database, *, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._db = database
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._batches = 0
        self._messages = 0
        self._largest = 0
        self._sqlite = SqliteAppender(database.write_engine.dialect) if database.is_sqlite else None

    @property
    def stats(self) -> WriterStats:
        """How many batches and messages were committed so far."""
        return WriterStats(self._batches, self._messages, self._largest)

    def start(self) -> None:
        """Start the writer task on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kefu-message-writer")

    async def append(self, message: NewMessage) -> StoredMessage:
        """Store ``message`` durably and return it with its sequence number.

        A resend (same conversation and ``client_msg_id``) returns the original with
        ``duplicate=True``. Raises ConversationNotFoundError / ConversationClosedError, or
        WriterClosedError after :meth:`close` began.
        """
        if self._closing or self._task is None:
            raise WriterClosedError("the message writer is not running")
        future: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(message, future))
        # A caller that gives up cancels only its own future: the writer task does the write
        # regardless and skips settling a future that is already done.
        return await future

    async def close(self) -> None:
        """Stop accepting appends, commit everything already queued, then stop the task."""
        if self._task is None:
            return
        self._closing = True
        self._queue.put_nowait(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            batch: list[_Pending] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    continue
                batch.append(item)
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = await self._write([p.message for p in batch])
        except IntegrityError:
            # Another process stored one of these client ids between our read and our insert:
            # retry one by one so each caller gets the original or its own error.
            for pending in batch:
                await self._commit_one(pending)
            return
        except Exception as exc:
            log.exception("group commit of %d messages failed", len(batch))
            for pending in batch:
                _fail(pending.future, exc)
            return
        self._record(len(batch))
        for pending, result in zip(batch, results, strict=True):
            _settle(pending.future, result)

    async def _commit_one(self, pending: _Pending) -> None:
        for attempt in range(3):
            try:
                (result,) = await self._write([pending.message])
            except (IntegrityError, OperationalError) as exc:
                if attempt == 2:
                    _fail(pending.future, exc)
                continue
            except Exception as exc:
                _fail(pending.future, exc)
                return
            self._record(1)
            _settle(pending.future, result)
            return

    async def _write(self, messages: list[NewMessage]) -> list[StoredMessage | Exception]:
        if self._sqlite is not None:
            return await self._write_sqlite(self._sqlite, messages)
        async with self._db.write() as conn:
            return await append_batch(conn, messages)

    async def _write_sqlite(
        self, appender: SqliteAppender, messages: list[NewMessage]
    ) -> list[StoredMessage | Exception]:
        """The whole transaction in one call on aiosqlite's thread (see SqliteAppender).

        The connection is the write engine's only one, checked out for the batch, so SQLite
        writes of this process stay serial; ``BEGIN IMMEDIATE`` orders them with other
        processes'. sqlite3's errors are turned into SQLAlchemy's, which callers expect.
        """
        async with self._db.write_engine.connect() as conn:
            fairy = await conn.get_raw_connection()
            driver: Any = fairy.driver_connection
            run_in_driver_thread = getattr(driver, "_execute", None)
            if run_in_driver_thread is None:  # not aiosqlite: the portable way
                async with conn.begin():
                    return await append_batch(conn, messages)
            try:
                results: list[StoredMessage | Exception] = await run_in_driver_thread(
                    lambda: appender(driver._conn, messages)
                )
            except sqlite3.IntegrityError as exc:
                raise IntegrityError("message append", None, exc) from exc
            except sqlite3.OperationalError as exc:
                raise OperationalError("message append", None, exc) from exc
            return results

    def _record(self, size: int) -> None:
        self._batches += 1
        self._messages += size
        self._largest = max(self._largest, size)


def _settle(future: asyncio.Future[StoredMessage], result: StoredMessage | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)


def _fail(future: asyncio.Future[StoredMessage], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
