"""The public Python API: load, fit, predict in batches, save, register and ship to a pack."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest

from kefu import api
from kefu.contracts import OUT_OF_SCOPE, IntentExample, IntentPrediction, IntentScore
from kefu.evaluation.sources import intent_source


class FirstWordRecognizer:
    """A toy recognizer: the label whose training texts most often start with the same word."""

    uses_embeddings = False

    def __init__(self, context: object, *, default: str = OUT_OF_SCOPE) -> None:
        self._words: dict[str, str] = {}
        self._labels: tuple[str, ...] = ()
        self._default = default

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def fit(self, examples: Sequence[IntentExample]) -> None:
        for example in examples:
            self._words.setdefault(example.text.split()[0].lower(), example.label)
        self._labels = tuple(sorted({e.label for e in examples}))

    def predict(self, texts: Sequence[str], **_: object) -> list[IntentPrediction]:
        out = []
        for text in texts:
            label = self._words.get(text.split()[0].lower(), self._default)
            out.append(IntentPrediction(label, 1.0, (IntentScore(label, 1.0),)))
        return out

    def save(self, directory: Path) -> None:  # pragma: no cover - not used here
        raise NotImplementedError

    def load(self, directory: Path) -> None:  # pragma: no cover - not used here
        raise NotImplementedError


def test_fit_predict_in_batches_save_and_load(train_csv: Path, tmp_path: Path) -> None:
    recognizer = api.load_plugin("kefu.intent", "tfidf", C=10.0)
    api.fit(recognizer, train_csv)
    texts = ["refund my order please", "reset my password", "when do you open", "card?"]
    whole = api.predict(recognizer, texts, batch_size=100)
    batched = api.predict(recognizer, texts, batch_size=1)
    assert [p.label for p in batched] == [p.label for p in whole]
    assert [p.label for p in whole][:3] == ["refund", "password", "opening_hours"]
    saved = api.save(recognizer, tmp_path / "model")
    restored = api.load_saved("kefu.intent", "tfidf", saved, C=10.0)
    assert [p.confidence for p in api.predict(restored, texts)] == pytest.approx(
        [p.confidence for p in whole]
    )


def test_fit_accepts_datasets_and_examples(train_csv: Path) -> None:
    data = api.read_dataset(train_csv)
    for source in (data, data.examples):
        recognizer = api.fit(api.load_plugin("kefu.intent", "tfidf"), source)
        assert recognizer.labels == ("card_arrival", "opening_hours", "password", "refund")


def test_unknown_plugin_and_refused_options() -> None:
    with pytest.raises(api.EvaluationError, match=r"installed: .*tfidf"):
        api.load_plugin("kefu.intent", "missing")
    with pytest.raises(api.EvaluationError, match="refused its options"):
        api.load_plugin("kefu.intent", "tfidf", colour="blue")


def test_a_registered_class_is_evaluated_like_an_installed_plugin(
    train_csv: Path, test_csv: Path
) -> None:
    api.register_plugin("kefu.intent", "first_word", FirstWordRecognizer)
    try:
        assert "first_word" in api.available_plugins("kefu.intent")
        source = intent_source(train=train_csv, test=test_csv)
        result = api.evaluate_intents(source, ["first_word", "tfidf"])
        first, tfidf = result.runs
        assert first.plugin == "first_word"
        assert 0.0 <= first.metrics.accuracy < tfidf.metrics.accuracy
        plugins = result.report["provenance"]["plugins"]
        assert plugins["first_word"]["distribution"] == "(registered in this process)"
        # a pack can only name installed plugins
        with pytest.raises(api.EvaluationError, match="not installed"):
            api.add_to_pack(train_csv.parent, "intent", "first_word")
    finally:
        api.unregister_plugin("kefu.intent", "first_word")
    assert "first_word" not in api.available_plugins("kefu.intent")


def test_add_to_pack_writes_the_plugin_options_and_threshold(tmp_path: Path) -> None:
    (tmp_path / "pack.toml").write_text(
        '[pack]\nname = "demo"\n\n[plugins]\nintent = "tfidf"\nretriever = "bm25"\n'
        'policy = "default"\n\n[thresholds]\nreply = 0.7\n'
    )
    api.add_to_pack(
        tmp_path, "intent", "embedding", {"C": 12.5, "head": "mlp"}, reply_threshold=0.82
    )
    data = tomllib.loads((tmp_path / "pack.toml").read_text())
    assert data["plugins"] == {
        "intent": "embedding",
        "retriever": "bm25",
        "policy": "default",
        "intent_options": {"C": 12.5, "head": "mlp"},
    }
    assert data["thresholds"]["reply"] == 0.82
