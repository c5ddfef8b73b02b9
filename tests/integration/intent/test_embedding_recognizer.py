"""The embedding recognizer over the real MiniLM: conformance suite and out-of-scope checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kefu import registry
from kefu.contracts import Embedder, IntentRecognizer, PluginContext
from kefu.embedding import shared_embedder
from kefu.testing.intent import UNRELATED, IntentRecognizerSuite, training_examples
from kefu_plugins.intent.embedding import EmbeddingIntentRecognizer

pytestmark = pytest.mark.slow


CONTEXT = PluginContext(Path("."), embedder_factory=shared_embedder)


class TestEmbeddingRecognizer(IntentRecognizerSuite):
    def make_recognizer(self) -> IntentRecognizer:
        return EmbeddingIntentRecognizer(CONTEXT)

    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        return EmbeddingIntentRecognizer(CONTEXT, min_similarity=0.35)

    def make_embedder(self) -> Embedder:
        return shared_embedder()


def test_registered_and_reads_embeddings(context: PluginContext) -> None:
    recognizer = registry.load("kefu.intent", "embedding", context)
    assert isinstance(recognizer, EmbeddingIntentRecognizer)
    assert recognizer.uses_embeddings is True


def test_fit_with_precomputed_embeddings_matches(context: PluginContext, model: Embedder) -> None:
    examples = training_examples()
    first = EmbeddingIntentRecognizer(context)
    first.fit(examples)
    second = EmbeddingIntentRecognizer(context)
    second.fit(examples, embeddings=model.encode([e.text for e in examples]))
    texts = ["refund please", *UNRELATED]
    np.testing.assert_allclose(first.predict_proba(texts), second.predict_proba(texts), atol=1e-4)


def test_unrelated_texts_are_far_from_every_centroid(context: PluginContext) -> None:
    recognizer = EmbeddingIntentRecognizer(context)
    recognizer.fit(training_examples())
    assert recognizer._centroids is not None
    from kefu_plugins.intent._common import centroid_similarity

    texts = ["my card has not come yet", *UNRELATED]
    vectors = shared_embedder().encode(texts)
    similarity = centroid_similarity(
        vectors, recognizer._centroids, recognizer.predict_proba(texts).argmax(1)
    )
    assert similarity[0] > 0.5
    assert (similarity[1:] < similarity[0] - 0.2).all(), similarity


def test_a_model_for_another_embedder_is_refused(context: PluginContext, tmp_path: Path) -> None:
    recognizer = EmbeddingIntentRecognizer(context)
    recognizer.fit(training_examples())
    recognizer.save(tmp_path)
    meta = tmp_path / "kefu_intent.json"
    meta.write_text(meta.read_text().replace('"dimension": 384', '"dimension": 768'))
    with pytest.raises(ValueError, match="dimension 768"):
        EmbeddingIntentRecognizer(context).load(tmp_path)
