"""The ``ensemble`` intent recognizer: a weighted average of other recognizers' probabilities."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kefu import registry
from kefu.contracts import Embeddings, IntentExample, IntentPrediction, PluginContext
from kefu_plugins.intent._common import (
    NotFittedError,
    OutOfScope,
    check_embeddings,
    check_examples,
    check_texts,
    read_meta,
    to_predictions,
    write_meta,
)

if TYPE_CHECKING:
    from kefu_plugins.intent._common import FloatArray

#: Kefu's most accurate default: n-grams, frozen embeddings and a fine-tuned encoder.
DEFAULT_MEMBERS: tuple[str, ...] = ("tfidf", "embedding", "finetuned")
#: The key of :attr:`EnsembleIntentRecognizer.fit_seconds` for embedding the training texts.
EMBED_STEP = "shared embeddings"


class ProbabilisticRecognizer(Protocol):
    """A member of an ensemble: an intent recognizer that exposes its probability matrix."""

    uses_embeddings: bool

    @property
    def labels(self) -> tuple[str, ...]: ...

    def fit(self, examples: Sequence[IntentExample]) -> None: ...

    def predict_proba(self, texts: Sequence[str], **kwargs: Any) -> FloatArray: ...

    def save(self, directory: Path) -> None: ...

    def load(self, directory: Path) -> None: ...


class EnsembleIntentRecognizer:
    """Averages the calibrated probabilities of several ``kefu.intent`` recognizers.

    Members are other installed recognizers, built by name through the plugin registry with
    the same context, so third-party recognizers can join as long as they offer
    ``predict_proba(texts)`` (every built-in does). Errors of models that look at different
    evidence (character n-grams, frozen sentence embeddings, a fine-tuned encoder) are partly
    independent, which is why their average beats each of them. The default members are
    ``tfidf``, ``embedding`` and ``finetuned``; ``members=["tfidf", "embedding"]`` trains in
    about a minute instead of a quarter of an hour, for about one point less accuracy.

    When the texts' shared embeddings are passed as ``embeddings=``, members that read them
    reuse them; the shared embedder is also called once for all such members in ``fit``.

    Out of scope, on the averaged probabilities: ``threshold`` and ``margin`` (see
    :class:`~kefu_plugins.intent._common.OutOfScope`). Members' own out-of-scope options are
    not used.

    Options:
        members: recognizer names, in ``kefu.intent``.
        weights: one non-negative weight per member (default: equal).
        member_options: ``{name: {option: value}}`` passed to each member's constructor.
        top_k: how many intents each prediction's ranking lists.
    """

    kind = "ensemble"

    def __init__(
        self,
        context: PluginContext,
        *,
        members: Sequence[str] = DEFAULT_MEMBERS,
        weights: Sequence[float] | None = None,
        member_options: Mapping[str, Mapping[str, Any]] | None = None,
        threshold: float | None = None,
        margin: float | None = None,
        top_k: int = 5,
    ) -> None:
        names = list(members)
        if len(names) < 1:
            raise ValueError("an ensemble needs at least one member")
        if len(set(names)) != len(names):
            raise ValueError(f"ensemble members must be distinct, got {names}")
        if self.kind in names:
            raise ValueError("an ensemble cannot contain another ensemble")
        options = dict(member_options or {})
        unknown = set(options) - set(names)
        if unknown:
            raise ValueError(
                f"member_options name recognizers that are not members: {sorted(unknown)}"
            )
        if weights is None:
            weights = [1.0] * len(names)
        if len(weights) != len(names) or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(
                f"weights must be {len(names)} non-negative numbers with a positive sum, got "
                f"{list(weights)}"
            )
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self._context = context
        self._names = names
        self._weights = np.asarray(weights, dtype=np.float64) / float(sum(weights))
        self._members: list[ProbabilisticRecognizer] = [
            registry.load("kefu.intent", name, context, **options.get(name, {})) for name in names
        ]
        for name, member in zip(names, self._members, strict=True):
            if not callable(getattr(member, "predict_proba", None)):
                raise TypeError(
                    f"intent recognizer {name!r} has no predict_proba(); it cannot join an ensemble"
                )
        self.uses_embeddings = any(member.uses_embeddings for member in self._members)
        self.out_of_scope = OutOfScope(threshold=threshold, margin=margin)
        self._top_k = top_k
        self._labels: tuple[str, ...] = ()
        #: Seconds each member spent in its last ``fit``, by member name, plus the shared
        #: embedding of the training texts under :data:`EMBED_STEP` when the ensemble did it.
        self.fit_seconds: dict[str, float] = {}

    @property
    def labels(self) -> tuple[str, ...]:
        """The intents learned by ``fit`` or restored by ``load``."""
        return self._labels

    @property
    def members(self) -> dict[str, ProbabilisticRecognizer]:
        """The member recognizers by name."""
        return dict(zip(self._names, self._members, strict=True))

    def fit(
        self, examples: Sequence[IntentExample], *, embeddings: Embeddings | None = None
    ) -> None:
        """Train every member on the same examples (``embeddings`` go to members that read them)."""
        texts, _ = check_examples(examples)
        self.fit_seconds = {}
        if embeddings is None and self.uses_embeddings:
            started = time.perf_counter()
            embeddings = self._context.embedder().encode(texts)
            self.fit_seconds[EMBED_STEP] = time.perf_counter() - started
        for name, member in zip(self._names, self._members, strict=True):
            started = time.perf_counter()
            if member.uses_embeddings and embeddings is not None:
                member.fit(examples, embeddings=embeddings)  # type: ignore[call-arg]
            else:
                member.fit(examples)
            self.fit_seconds[name] = time.perf_counter() - started
        self._labels = self._check_labels()

    def predict_proba(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> FloatArray:
        """The weighted average of the members' probabilities (columns in :attr:`labels` order)."""
        items = check_texts(texts)
        if not self._labels:
            raise NotFittedError(self.kind)
        if not items:
            return np.zeros((0, len(self._labels)), dtype=np.float32)
        if embeddings is None and self.uses_embeddings:
            embeddings = self._context.embedder().encode(items)
        if embeddings is not None:
            embeddings = check_embeddings(embeddings, len(items), np.shape(embeddings)[-1])
        total = np.zeros((len(items), len(self._labels)), dtype=np.float64)
        for weight, member in zip(self._weights, self._members, strict=True):
            if weight == 0:
                continue
            if member.uses_embeddings:
                total += weight * member.predict_proba(items, embeddings=embeddings)
            else:
                total += weight * member.predict_proba(items)
        return total.astype(np.float32)

    def predict(
        self, texts: Sequence[str], *, embeddings: Embeddings | None = None
    ) -> list[IntentPrediction]:
        """Classify a batch; ``embeddings`` (rows aligned with ``texts``) saves an encode."""
        probabilities = self.predict_proba(texts, embeddings=embeddings)
        return to_predictions(probabilities, self._labels, self.out_of_scope, top_k=self._top_k)

    def save(self, directory: Path) -> None:
        """Write every member into its own sub-directory of ``directory``."""
        if not self._labels:
            raise NotFittedError(self.kind)
        directory = Path(directory)
        write_meta(
            directory,
            self.kind,
            labels=list(self._labels),
            members=self._names,
            weights=self._weights.tolist(),
        )
        for name, member in zip(self._names, self._members, strict=True):
            member.save(directory / name)

    def load(self, directory: Path) -> None:
        """Restore members written by :meth:`save`; the members must match this ensemble's."""
        directory = Path(directory)
        meta = read_meta(directory, self.kind)
        if list(meta["members"]) != self._names:
            raise ValueError(
                f"{directory} holds an ensemble of {meta['members']}, "
                f"but this one is configured with {self._names}"
            )
        for name, member in zip(self._names, self._members, strict=True):
            member.load(directory / name)
        self._labels = self._check_labels()

    def _check_labels(self) -> tuple[str, ...]:
        labels = {member.labels for member in self._members}
        if len(labels) != 1:
            raise ValueError("ensemble members disagree on the label set; refit them together")
        return labels.pop()
