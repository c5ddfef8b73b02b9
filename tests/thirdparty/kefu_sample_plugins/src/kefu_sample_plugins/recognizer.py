"""A keyword intent recognizer: each intent is the set of words its examples contain."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kefu.contracts import OUT_OF_SCOPE, IntentExample, IntentPrediction, IntentScore, PluginContext

WORD = re.compile(r"\w+")


class KeywordRecognizer:
    """Scores intents by the share of a text's words seen in each intent's examples."""

    uses_embeddings = False

    def __init__(self, context: PluginContext | None = None, *, threshold: float = 0.3, **_: Any):
        self.threshold = threshold
        self._vocab: dict[str, set[str]] = {}

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(self._vocab))

    def fit(self, examples: Sequence[IntentExample]) -> None:
        labels = {e.label for e in examples}
        if len(labels) < 2:
            raise ValueError("need examples of at least two intents")
        if any(not e.text.strip() for e in examples):
            raise ValueError("examples must not be empty")
        vocab: dict[str, Counter[str]] = {}
        for e in examples:
            vocab.setdefault(e.label, Counter()).update(WORD.findall(e.text.lower()))
        self._vocab = {label: set(words) for label, words in vocab.items()}

    def predict(self, texts: Sequence[str], *, embeddings: Any = None) -> list[IntentPrediction]:
        if not self._vocab:
            raise RuntimeError("the recognizer is not fitted")
        out = []
        for text in texts:
            words = set(WORD.findall(text.lower()))
            scores = sorted(
                (
                    IntentScore(label, len(words & vocab) / len(words) if words else 0.0)
                    for label, vocab in self._vocab.items()
                ),
                key=lambda s: -s.confidence,
            )
            best = scores[0]
            label = best.label if best.confidence >= self.threshold else OUT_OF_SCOPE
            out.append(IntentPrediction(label, best.confidence, tuple(scores)))
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        data = {label: sorted(words) for label, words in self._vocab.items()}
        (directory / "keywords.json").write_text(json.dumps(data))

    def load(self, directory: Path) -> None:
        data = json.loads((directory / "keywords.json").read_text())
        self._vocab = {label: set(words) for label, words in data.items()}
