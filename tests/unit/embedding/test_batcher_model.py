"""MicroBatcher over the real all-MiniLM-L6-v2: batched rows equal one-by-one encoding."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kefu.embedding import SentenceTransformerEmbedder, shared_embedder
from kefu.embedding.batcher import MicroBatcher

pytestmark = pytest.mark.slow

TEXTS = [
    "I am still waiting on my card?",
    "How do I reset my passcode?",
    "我的退款什么时候到账",
    "",
    "Is there a fee for topping up by card? 💳",
    "card " * 400,
]


@pytest.fixture(scope="session")
def model() -> SentenceTransformerEmbedder:
    """The process-wide embedder, loaded once per test session."""
    return shared_embedder()


async def test_batched_rows_match_unbatched_encoding(model: SentenceTransformerEmbedder) -> None:
    expected = np.concatenate([model.encode([text]) for text in TEXTS])
    async with MicroBatcher(model, max_batch=32, max_wait_ms=20) as batcher:
        rows = await asyncio.gather(*(batcher.encode(text) for text in TEXTS))
        many = await batcher.encode_many(TEXTS)
    assert batcher.stats.batches == 2  # all single calls in one batch, encode_many in another
    np.testing.assert_allclose(np.stack(rows), expected, atol=1e-5)
    np.testing.assert_allclose(many, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(many, axis=1), 1.0, atol=1e-4)


def test_rows_do_not_depend_on_how_texts_are_grouped_for_the_model(
    model: SentenceTransformerEmbedder,
) -> None:
    # Groups of 2 pad each pair to its own longest text; one group pads all to the longest.
    pairs = SentenceTransformerEmbedder(batch_size=2)
    whole = SentenceTransformerEmbedder(batch_size=len(TEXTS))
    np.testing.assert_allclose(pairs.encode(TEXTS), whole.encode(TEXTS), atol=1e-5)
    np.testing.assert_allclose(model.encode(TEXTS), whole.encode(TEXTS), atol=1e-5)
