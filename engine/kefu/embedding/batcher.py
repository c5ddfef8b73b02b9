"""Micro-batching of concurrent embedding requests into one encoder call on a worker thread.

Many visitors send messages at once; encoding them one by one wastes the encoder, which is
several times faster per text on a batch. :class:`MicroBatcher` collects the texts that callers
``await`` within a short window (``max_wait_ms``) or until ``max_batch`` texts are waiting, runs
*one* ``Embedder.encode`` call for all of them on a single dedicated worker thread (never on the
event loop), and hands each caller its own rows. While a batch is being encoded, new requests
queue up and form the next batch, so under load batches grow by themselves.

Typical use::

    async with MicroBatcher(shared_embedder()) as batcher:
        vector = await batcher.encode("where is my card?")
        matrix = await batcher.encode_many(["refund please", "cancel my order"])
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kefu.contracts import Embedder, Embeddings


class BatcherClosedError(RuntimeError):
    """The batcher was closed: it accepts no new texts and drops work it did not start."""


@dataclass(slots=True)
class _Job:
    """Texts from one caller, and the future that receives their embedding rows."""

    texts: list[str]
    future: asyncio.Future[Embeddings]


@dataclass(slots=True)
class BatcherStats:
    """Counters for tests, metrics and benchmarks."""

    texts: int = 0
    batches: int = 0
    largest_batch: int = 0
    failed_batches: int = 0
    encode_seconds: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def mean_batch(self) -> float:
        """Average number of texts per encoder call."""
        return self.texts / self.batches if self.batches else 0.0


class MicroBatcher:
    """Gathers concurrent ``encode`` calls into batched ``Embedder.encode`` calls on one thread.

    Args:
        embedder: the model to call; it only ever runs on this batcher's worker thread.
        max_batch: the most texts in one encoder call; a larger ``encode_many`` is split.
        max_wait_ms: how long the first waiting text may wait for company before its batch
            starts. 0 still batches everything that is already queued.
        keep_batch_sizes: record every batch size in :attr:`stats` (off by default: unbounded).

    Errors raised by the embedder reach every caller whose texts were in the failing batch;
    the batcher keeps serving later calls. Close it with :meth:`aclose` (or ``async with``);
    texts already queued are still encoded unless ``aclose(drain=False)`` is used.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_batch: int = 64,
        max_wait_ms: float = 5.0,
        keep_batch_sizes: bool = False,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, got {max_wait_ms}")
        self._embedder = embedder
        self._max_batch = max_batch
        self._max_wait = max_wait_ms / 1000.0
        self._keep_sizes = keep_batch_sizes
        self._pending: deque[_Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._in_flight: list[_Job] = []
        self.stats = BatcherStats()

    @property
    def embedder(self) -> Embedder:
        """The wrapped embedder."""
        return self._embedder

    @property
    def max_batch(self) -> int:
        """The most texts in one encoder call."""
        return self._max_batch

    @property
    def max_wait_ms(self) -> float:
        """How long a lone text may wait for company before its batch starts, in ms."""
        return self._max_wait * 1000.0

    @property
    def dimension(self) -> int:
        """The width of one embedding row."""
        return self._embedder.dimension

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has been called."""
        return self._closed

    async def encode(self, text: str) -> Embeddings:
        """Embed one text; returns a float32 vector of shape (dim,)."""
        if not isinstance(text, str):
            raise TypeError(f"encode() takes a str, got {type(text).__name__}")
        rows = await self._submit([text])
        row: Embeddings = rows[0]
        return row

    async def encode_many(self, texts: Sequence[str]) -> Embeddings:
        """Embed a batch; returns float32 rows of shape (len(texts), dim), in order."""
        if isinstance(texts, str):
            raise TypeError("encode_many() takes a sequence of str, not a single str")
        items = list(texts)
        for position, text in enumerate(items):
            if not isinstance(text, str):
                raise TypeError(f"encode_many() item {position} is {type(text).__name__}, not str")
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        step = self._max_batch
        parts = await asyncio.gather(
            *(self._submit(items[i : i + step]) for i in range(0, len(items), step))
        )
        return np.concatenate(parts, axis=0)

    async def aclose(self, *, drain: bool = True) -> None:
        """Stop taking texts; finish (``drain=False``: fail) the queued ones; stop the thread."""
        if self._closed:
            return
        self._closed = True
        if not drain:
            self._fail_pending(BatcherClosedError("the batcher was closed before this text ran"))
        if self._wakeup is not None:
            self._wakeup.set()
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._executor is not None:
            # The worker loop has ended, so the thread is idle and this returns at once.
            self._executor.shutdown(wait=True)

    async def __aenter__(self) -> MicroBatcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ----------------------------------------------------------------------------------------

    async def _submit(self, texts: list[str]) -> Embeddings:
        if self._closed:
            raise BatcherClosedError("the batcher is closed")
        self._ensure_worker()
        assert self._loop is not None and self._wakeup is not None
        job = _Job(texts, self._loop.create_future())
        self._pending.append(job)
        self._wakeup.set()
        return await job.future

    def _ensure_worker(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._wakeup = asyncio.Event()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-embed")
            self._worker = loop.create_task(self._run(), name="kefu-embed-batcher")
        elif self._loop is not loop:
            raise RuntimeError("a MicroBatcher serves the event loop it was first used on only")

    async def _run(self) -> None:
        assert self._wakeup is not None
        try:
            while True:
                if not self._pending:
                    if self._closed:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                await self._gather_more()
                batch = self._take_batch()
                if batch:
                    self._in_flight = batch
                    await self._encode(batch)
                    self._in_flight = []
        finally:
            # Reached with work left only when the task is cancelled (loop shutdown):
            # nobody may be left awaiting forever.
            self._closed = True
            error = BatcherClosedError("the batcher stopped before this text was encoded")
            for job in self._in_flight:
                if not job.future.done():
                    job.future.set_exception(error)
            self._in_flight = []
            self._fail_pending(error)

    async def _gather_more(self) -> None:
        """Wait up to max_wait for the queue to reach max_batch texts."""
        assert self._wakeup is not None
        deadline = time.monotonic() + self._max_wait
        while not self._closed and self._queued_texts() < self._max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _queued_texts(self) -> int:
        return sum(len(job.texts) for job in self._pending)

    def _take_batch(self) -> list[_Job]:
        batch: list[_Job] = []
        size = 0
        while self._pending:
            job = self._pending[0]
            if batch and size + len(job.texts) > self._max_batch:
                break
            self._pending.popleft()
            if job.future.done():  # the caller was cancelled while waiting
                continue
            batch.append(job)
            size += len(job.texts)
        return batch

    async def _encode(self, batch: list[_Job]) -> None:
        assert self._loop is not None and self._executor is not None
        texts = [text for job in batch for text in job.texts]
        started = time.perf_counter()
        try:
            rows = await self._loop.run_in_executor(self._executor, self._embedder.encode, texts)
            rows = np.asarray(rows, dtype=np.float32)
            if rows.ndim != 2 or rows.shape[0] != len(texts):
                raise ValueError(
                    f"embedder returned shape {rows.shape} for {len(texts)} texts; "
                    f"expected ({len(texts)}, dim)"
                )
        except Exception as exc:
            self.stats.failed_batches += 1
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        finally:
            self.stats.encode_seconds += time.perf_counter() - started
        self._record(len(texts))
        offset = 0
        for job in batch:
            count = len(job.texts)
            if not job.future.done():
                job.future.set_result(rows[offset : offset + count])
            offset += count

    def _record(self, size: int) -> None:
        self.stats.texts += size
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, size)
        if self._keep_sizes:
            self.stats.batch_sizes.append(size)

    def _fail_pending(self, exc: BaseException) -> None:
        while self._pending:
            job = self._pending.popleft()
            if not job.future.done():
                job.future.set_exception(exc)
