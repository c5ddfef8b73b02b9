"""MicroBatcher: gathering, scattering, errors and shutdown, against a counting fake embedder."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from kefu.embedding.batcher import BatcherClosedError, MicroBatcher

DIM = 4


class CountingEmbedder:
    """Embeds each text as [len, hash bits...]; records every call and the thread it ran on."""

    model_id = "fake"
    dimension = DIM

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.delay = delay
        self.fail_on = fail_on

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.threads.add(threading.current_thread().name)
        if self.delay:
            threading.Event().wait(self.delay)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError(f"cannot embed {self.fail_on!r}")
        return np.stack([vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)


def vector(text: str) -> np.ndarray:
    seed = sum(ord(c) for c in text)
    return np.array([len(text), seed % 7, seed % 11, seed % 13], dtype=np.float32)


async def test_concurrent_calls_are_batched_and_scattered_back() -> None:
    embedder = CountingEmbedder(delay=0.01)
    async with MicroBatcher(embedder, max_batch=64, max_wait_ms=20) as batcher:
        texts = [f"message {i}" for i in range(200)]
        rows = await asyncio.gather(*(batcher.encode(t) for t in texts))
    assert len(embedder.calls) <= 8, [len(c) for c in embedder.calls]
    assert max(len(c) for c in embedder.calls) <= 64
    assert sum(len(c) for c in embedder.calls) == 200
    for text, row in zip(texts, rows, strict=True):
        np.testing.assert_array_equal(row, vector(text))
    assert batcher.stats.texts == 200
    assert batcher.stats.batches == len(embedder.calls)
    assert batcher.stats.mean_batch >= 25


async def test_encoding_runs_on_one_worker_thread_not_the_loop() -> None:
    embedder = CountingEmbedder()
    async with MicroBatcher(embedder, max_batch=8, max_wait_ms=1) as batcher:
        await asyncio.gather(*(batcher.encode(str(i)) for i in range(50)))
        await batcher.encode_many([str(i) for i in range(30)])
    assert len(embedder.threads) == 1
    (name,) = embedder.threads
    assert name.startswith("kefu-embed")
    assert name != threading.current_thread().name


async def test_the_event_loop_stays_responsive_while_encoding() -> None:
    embedder = CountingEmbedder(delay=0.2)
    async with MicroBatcher(embedder, max_wait_ms=0) as batcher:
        task = asyncio.ensure_future(batcher.encode("slow"))
        ticks = 0
        while not task.done():
            await asyncio.sleep(0.01)
            ticks += 1
        await task
    assert ticks >= 10  # the loop kept running during the 0.2 s encode


async def test_encode_many_keeps_order_and_splits_large_batches() -> None:
    embedder = CountingEmbedder()
    texts = [f"text number {i}" for i in range(100)]
    async with MicroBatcher(embedder, max_batch=16, max_wait_ms=0) as batcher:
        rows = await batcher.encode_many(texts)
        empty = await batcher.encode_many([])
    assert rows.shape == (100, DIM) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows, np.stack([vector(t) for t in texts]))
    assert all(len(call) <= 16 for call in embedder.calls)
    assert empty.shape == (0, DIM)


async def test_a_lone_text_waits_at_most_max_wait() -> None:
    embedder = CountingEmbedder()
    async with MicroBatcher(embedder, max_batch=64, max_wait_ms=30) as batcher:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await batcher.encode("alone")
        elapsed = loop.time() - started
    assert 0.02 <= elapsed < 0.5
    assert embedder.calls == [["alone"]]


async def test_errors_reach_every_caller_of_the_failing_batch_only() -> None:
    embedder = CountingEmbedder(fail_on="poison")
    async with MicroBatcher(embedder, max_batch=64, max_wait_ms=20) as batcher:
        results = await asyncio.gather(
            batcher.encode("fine"), batcher.encode("poison"), return_exceptions=True
        )
        assert all(isinstance(r, RuntimeError) and "poison" in str(r) for r in results)
        # The batcher keeps serving after a failed batch.
        np.testing.assert_array_equal(await batcher.encode("later"), vector("later"))
    assert batcher.stats.failed_batches == 1


async def test_wrong_shape_from_the_embedder_is_an_error() -> None:
    class Broken(CountingEmbedder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros((1, DIM), np.float32)

    async with MicroBatcher(Broken(), max_wait_ms=10) as batcher:
        with pytest.raises(ValueError, match="shape"):
            await asyncio.gather(batcher.encode("a"), batcher.encode("b"))


async def test_cancelled_callers_are_skipped() -> None:
    embedder = CountingEmbedder(delay=0.05)
    async with MicroBatcher(embedder, max_batch=4, max_wait_ms=0) as batcher:
        first = asyncio.ensure_future(batcher.encode("first"))
        await asyncio.sleep(0.01)  # "first" is now being encoded
        doomed = asyncio.ensure_future(batcher.encode("doomed"))
        await asyncio.sleep(0)
        doomed.cancel()
        kept = await batcher.encode("kept")
        await first
    np.testing.assert_array_equal(kept, vector("kept"))
    assert all("doomed" not in call for call in embedder.calls)


async def test_close_drains_queued_texts_then_refuses_new_ones() -> None:
    embedder = CountingEmbedder(delay=0.02)
    batcher = MicroBatcher(embedder, max_batch=2, max_wait_ms=0)
    tasks = [asyncio.ensure_future(batcher.encode(str(i))) for i in range(6)]
    await asyncio.sleep(0)
    await batcher.aclose()
    assert all(t.done() and t.exception() is None for t in tasks)
    with pytest.raises(BatcherClosedError):
        await batcher.encode("too late")
    await batcher.aclose()  # idempotent


async def test_close_without_draining_fails_queued_texts() -> None:
    embedder = CountingEmbedder(delay=0.05)
    batcher = MicroBatcher(embedder, max_batch=1, max_wait_ms=0)
    tasks = [asyncio.ensure_future(batcher.encode(str(i))) for i in range(5)]
    await asyncio.sleep(0.01)  # the first text is being encoded
    await batcher.aclose(drain=False)
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[0], np.ndarray)
    assert all(isinstance(o, BatcherClosedError) for o in outcomes[1:])


async def test_close_before_first_use() -> None:
    batcher = MicroBatcher(CountingEmbedder())
    await batcher.aclose()
    with pytest.raises(BatcherClosedError):
        await batcher.encode("x")


async def test_bad_input_is_refused_clearly() -> None:
    async with MicroBatcher(CountingEmbedder()) as batcher:
        with pytest.raises(TypeError, match="str"):
            await batcher.encode(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="single str"):
            await batcher.encode_many("abc")
        with pytest.raises(TypeError, match="item 1"):
            await batcher.encode_many(["ok", None])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_batch": 0}, "max_batch"), ({"max_wait_ms": -1}, "max_wait_ms")],
)
def test_bad_options_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MicroBatcher(CountingEmbedder(), **options)  # type: ignore[arg-type]


def test_options_are_reported() -> None:
    batcher = MicroBatcher(CountingEmbedder(), max_batch=12, max_wait_ms=2.5)
    assert (batcher.max_batch, batcher.max_wait_ms) == (12, 2.5)
