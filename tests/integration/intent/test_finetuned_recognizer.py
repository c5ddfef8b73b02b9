"""The finetuned recognizer: one epoch on the suite's tiny training set, then the suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kefu import registry
from kefu.contracts import IntentRecognizer, PluginContext
from kefu.testing.intent import IntentRecognizerSuite, training_examples
from kefu_plugins.intent.finetuned import FineTunedIntentRecognizer

pytestmark = pytest.mark.slow

CONTEXT = PluginContext(Path("."))
TINY = {"epochs": 1, "batch_size": 8, "progress": False}


class TestFineTuned(IntentRecognizerSuite):
    def make_recognizer(self) -> IntentRecognizer:
        return FineTunedIntentRecognizer(CONTEXT, **TINY)  # type: ignore[arg-type]

    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        return FineTunedIntentRecognizer(CONTEXT, min_similarity=0.35, **TINY)  # type: ignore[arg-type]

    def test_saved_model_holds_no_pickle(self, fitted: IntentRecognizer, tmp_path: Path) -> None:
        fitted.save(tmp_path)
        names = {p.name for p in tmp_path.rglob("*") if p.is_file()}
        assert "head.safetensors" in names and "model.safetensors" in names
        assert not any(name.endswith((".pkl", ".joblib", ".bin")) for name in names)


def test_registered_under_kefu_intent() -> None:
    recognizer = registry.load("kefu.intent", "finetuned", CONTEXT, epochs=1)
    assert isinstance(recognizer, FineTunedIntentRecognizer)
    assert recognizer.uses_embeddings is False


def test_training_is_deterministic() -> None:
    examples = training_examples()
    texts = ["is shipping free", "my card never came"]
    first = FineTunedIntentRecognizer(CONTEXT, **TINY)  # type: ignore[arg-type]
    first.fit(examples)
    second = FineTunedIntentRecognizer(CONTEXT, **TINY)  # type: ignore[arg-type]
    second.fit(examples)
    np.testing.assert_allclose(first.predict_proba(texts), second.predict_proba(texts), atol=1e-6)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"max_length": 4}, "max_length"),
        ({"threads": 0}, "threads"),
        ({"min_similarity": 2}, "min_similarity"),
    ],
)
def test_bad_options_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FineTunedIntentRecognizer(CONTEXT, **options)  # type: ignore[arg-type]


def test_missing_model_path_is_reported(tmp_path: Path) -> None:
    recognizer = FineTunedIntentRecognizer(CONTEXT, model_path=tmp_path / "nope", **TINY)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="nope"):
        recognizer.fit(training_examples())
