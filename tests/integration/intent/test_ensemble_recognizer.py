"""The ensemble recognizer: the suite over tfidf + embedding, and the full default ensemble."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kefu import registry
from kefu.contracts import Embedder, IntentRecognizer, PluginContext
from kefu.embedding import shared_embedder
from kefu.testing.intent import IntentRecognizerSuite, training_examples
from kefu_plugins.intent.ensemble import EMBED_STEP, EnsembleIntentRecognizer

pytestmark = pytest.mark.slow

CONTEXT = PluginContext(Path("."), embedder_factory=shared_embedder)
FAST = ("tfidf", "embedding")


class TestFastEnsemble(IntentRecognizerSuite):
    def make_recognizer(self) -> IntentRecognizer:
        return EnsembleIntentRecognizer(CONTEXT, members=FAST)

    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        return EnsembleIntentRecognizer(CONTEXT, members=FAST, threshold=0.4)

    def make_embedder(self) -> Embedder:
        return shared_embedder()


def test_probabilities_are_the_weighted_member_average() -> None:
    ensemble = EnsembleIntentRecognizer(CONTEXT, members=FAST, weights=[1.0, 3.0])
    ensemble.fit(training_examples())
    texts = ["refund please", "when do you open"]
    members = ensemble.members
    expected = 0.25 * members["tfidf"].predict_proba(texts) + 0.75 * members[
        "embedding"
    ].predict_proba(texts)
    np.testing.assert_allclose(ensemble.predict_proba(texts), expected, atol=1e-6)
    assert set(ensemble.fit_seconds) == {"tfidf", "embedding", EMBED_STEP}


def test_default_members_include_the_finetuned_model(tmp_path: Path) -> None:
    ensemble = registry.load(
        "kefu.intent",
        "ensemble",
        CONTEXT,
        member_options={"finetuned": {"epochs": 1, "batch_size": 8, "progress": False}},
    )
    assert list(ensemble.members) == ["tfidf", "embedding", "finetuned"]
    ensemble.fit(training_examples())
    assert set(ensemble.fit_seconds) == {"tfidf", "embedding", "finetuned", EMBED_STEP}
    texts = ["is delivery free", "I forgot my password"]
    assert [p.label for p in ensemble.predict(texts)] == ["shipping_cost", "reset_password"]
    ensemble.save(tmp_path)
    fresh = registry.load("kefu.intent", "ensemble", CONTEXT)
    fresh.load(tmp_path)
    np.testing.assert_allclose(fresh.predict_proba(texts), ensemble.predict_proba(texts), atol=1e-5)


def test_loading_a_different_ensemble_is_refused(tmp_path: Path) -> None:
    ensemble = EnsembleIntentRecognizer(CONTEXT, members=FAST)
    ensemble.fit(training_examples())
    ensemble.save(tmp_path)
    with pytest.raises(ValueError, match="configured with"):
        EnsembleIntentRecognizer(CONTEXT, members=["tfidf"]).load(tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"members": []}, "at least one member"),
        ({"members": ["tfidf", "tfidf"]}, "distinct"),
        ({"members": ["ensemble"]}, "another ensemble"),
        ({"members": FAST, "weights": [1.0]}, "weights"),
        ({"members": FAST, "weights": [0.0, 0.0]}, "weights"),
        ({"members": FAST, "member_options": {"finetuned": {}}}, "not members"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EnsembleIntentRecognizer(CONTEXT, **options)  # type: ignore[arg-type]


def test_an_unknown_member_names_what_is_installed() -> None:
    with pytest.raises(LookupError, match=r"installed: .*tfidf"):
        EnsembleIntentRecognizer(CONTEXT, members=["nonexistent"])
