"""The small public Python API for data scientists: load, fit, run, save and ship plugins.

Everything a notebook needs, in one import::

    from kefu import api

    recognizer = api.load_plugin("kefu.intent", "tfidf", C=10)
    api.fit(recognizer, api.read_dataset("train.csv"))           # or a pack, or a file path
    predictions = api.predict(recognizer, texts, progress=True)  # batched
    api.save(recognizer, "models/tfidf")
    api.add_to_pack("knowledge_packs/finance", "intent", "tfidf", {"C": 10})

Plugins are built through the same stevedore registry as the server, with a shared
:class:`~kefu.contracts.PluginContext` (one embedding model per process). A class written in a
notebook can join with :func:`register_plugin`. Evaluation (the figures of ``kefu eval``) is
re-exported here: :func:`evaluate_intents`, :func:`evaluate_retrieval`,
:func:`evaluate_thresholds`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kefu import registry
from kefu.contracts import (
    Chunk,
    Embedder,
    Hit,
    IntentExample,
    IntentPrediction,
    IntentRecognizer,
    PluginContext,
    Retriever,
)
from kefu.evaluation.batching import DEFAULT_BATCH_SIZE, in_batches
from kefu.evaluation.datasets import LabelledData, read_labelled
from kefu.evaluation.embedding_cache import caching_factory
from kefu.evaluation.errors import DataError, EvaluationError
from kefu.evaluation.intent_metrics import intent_metrics
from kefu.evaluation.packtoml_edit import set_plugin, set_reply_threshold
from kefu.evaluation.plugins import (
    available_names,
    build_plugin,
    register_local,
    seed_everything,
    unregister_local,
)
from kefu.evaluation.reports import (
    intent_table,
    per_intent_table,
    retrieval_table,
    threshold_table,
)
from kefu.evaluation.runs import (
    default_embedder,
    evaluate_intents,
    evaluate_retrieval,
    evaluate_thresholds,
)
from kefu.evaluation.sources import intent_source, read_pack, retrieval_source
from kefu.evaluation.thresholds import ReplyOutcomes, threshold_for_precision
from kefu.knowledge.model import Pack
from kefu.knowledge.plugins import plugin_options

__all__ = [
    "DataError",
    "EvaluationError",
    "LabelledData",
    "Pack",
    "ReplyOutcomes",
    "add_to_pack",
    "available_plugins",
    "caching_embedder_factory",
    "context",
    "embedder",
    "evaluate_intents",
    "evaluate_retrieval",
    "evaluate_thresholds",
    "fit",
    "index",
    "intent_metrics",
    "intent_source",
    "intent_table",
    "load_plugin",
    "load_saved",
    "pack_plugin",
    "per_intent_table",
    "predict",
    "read_dataset",
    "read_pack",
    "register_plugin",
    "retrieval_source",
    "retrieval_table",
    "save",
    "search",
    "seed_everything",
    "set_reply_threshold",
    "threshold_for_precision",
    "threshold_table",
    "unregister_plugin",
]

_CONTEXT: PluginContext | None = None
PLUGIN_KINDS = {"intent": "kefu.intent", "retriever": "kefu.retriever", "policy": "kefu.policy"}


def context() -> PluginContext:
    """The process-wide plugin context: a scratch data directory and the shared embedder."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = PluginContext(Path(tempfile.mkdtemp(prefix="kefu-api-")), default_embedder)
    return _CONTEXT


def available_plugins(namespace: str) -> list[str]:
    """Names usable in ``namespace``: installed entry points and plugins registered here."""
    return available_names(namespace)


def register_plugin(namespace: str, name: str, cls: type[Any]) -> None:
    """Use ``cls`` as plugin ``name`` of ``namespace`` in this process (e.g. from a notebook).

    It is then built by :func:`load_plugin` and evaluated by :func:`evaluate_intents` like an
    installed plugin. The server and ``kefu pack build`` see only installed plugins: ship the
    class in a distribution declaring the entry point (see docs/data-science.md).
    """
    register_local(namespace, name, cls)


def unregister_plugin(namespace: str, name: str) -> None:
    """Forget a plugin registered with :func:`register_plugin`."""
    unregister_local(namespace, name)


def load_plugin(
    namespace: str,
    name: str,
    *,
    plugin_context: PluginContext | None = None,
    seed: int | None = None,
    **options: Any,
) -> Any:
    """Build plugin ``name`` of ``namespace`` with ``options`` (untrained).

    ``seed`` is passed to plugins whose constructor takes one. Raises
    :class:`EvaluationError` naming the installed plugins when ``name`` is unknown, or the
    options the plugin refused.
    """
    return build_plugin(namespace, name, plugin_context or context(), options, seed=seed)


def pack_plugin(pack: Pack | Path | str, kind: str = "intent") -> Any:
    """Build the ``kind`` plugin a pack names, with the options the pack gives it (untrained)."""
    loaded = pack if isinstance(pack, Pack) else read_pack(pack)
    if kind not in PLUGIN_KINDS:
        raise EvaluationError(f"unknown plugin kind {kind!r}; use {', '.join(PLUGIN_KINDS)}")
    spec = getattr(loaded, kind)
    return build_plugin(PLUGIN_KINDS[kind], spec.name, context(), plugin_options(loaded)[kind])


def read_dataset(
    path: Path | str, *, text_column: str | None = None, label_column: str | None = None
) -> LabelledData:
    """Labelled texts from a CSV or JSONL file (columns: text and label/category/intent)."""
    return read_labelled(path, text_column=text_column, label_column=label_column)


def _examples(
    data: Pack | LabelledData | Sequence[IntentExample] | Path | str,
) -> list[IntentExample]:
    if isinstance(data, Pack):
        return list(data.examples)
    if isinstance(data, LabelledData):
        return data.examples
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.is_dir():
            return list(read_pack(path).examples)
        return read_labelled(path).examples
    return list(data)


def fit(
    recognizer: IntentRecognizer,
    data: Pack | LabelledData | Sequence[IntentExample] | Path | str,
) -> IntentRecognizer:
    """Train ``recognizer`` on a pack's intents.csv, a dataset, examples, or a file/pack path."""
    examples = _examples(data)
    if not examples:
        raise EvaluationError("no training examples")
    recognizer.fit(examples)
    return recognizer


def predict(
    recognizer: IntentRecognizer,
    texts: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> list[IntentPrediction]:
    """Classify ``texts`` in batches of ``batch_size`` (a tqdm bar with ``progress``)."""
    return in_batches(
        recognizer.predict, texts, batch_size=batch_size, progress=progress, description="predict"
    )


def index(retriever: Retriever, knowledge: Pack | Sequence[Chunk] | Path | str) -> Retriever:
    """Index a pack's chunks (FAQ, docs, products, courses), a pack path, or chunks."""
    if isinstance(knowledge, (str, Path)):
        knowledge = read_pack(knowledge)
    chunks = list(knowledge.chunks) if isinstance(knowledge, Pack) else list(knowledge)
    retriever.index(chunks)
    return retriever


def search(
    retriever: Retriever,
    queries: Sequence[str],
    k: int = 5,
    *,
    filters: Mapping[str, str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> list[list[Hit]]:
    """The top ``k`` hits of each query, searched in batches."""
    return in_batches(
        lambda batch: retriever.search(batch, k, filters),
        queries,
        batch_size=batch_size,
        progress=progress,
        description="search",
    )


def save(plugin: IntentRecognizer | Retriever, directory: Path | str) -> Path:
    """Write a fitted recognizer or a built index into ``directory``; returns the directory."""
    path = Path(directory)
    plugin.save(path)
    return path


def load_saved(namespace: str, name: str, directory: Path | str, **options: Any) -> Any:
    """Build plugin ``name`` with ``options`` and restore what :func:`save` wrote."""
    plugin = load_plugin(namespace, name, **options)
    plugin.load(Path(directory))
    return plugin


def add_to_pack(
    pack_dir: Path | str,
    kind: str,
    name: str,
    options: Mapping[str, Any] | None = None,
    *,
    reply_threshold: float | None = None,
) -> Path:
    """Make a pack use plugin ``name`` (with ``options``) for ``kind``; returns pack.toml.

    Writes ``[plugins] <kind> = name`` and ``[plugins.<kind>_options]`` (and ``[thresholds]
    reply`` when given) into the pack's pack.toml, keeping the rest of the file. Trained
    artefacts are not copied into the pack source: ``kefu pack build`` trains the named plugin
    with a fixed seed and stores its model in the archive, so the same options give the same
    model. The plugin must be installed where the pack is built and served.
    """
    if kind not in PLUGIN_KINDS:
        raise EvaluationError(f"unknown plugin kind {kind!r}; use {', '.join(PLUGIN_KINDS)}")
    installed = registry.installed_names(PLUGIN_KINDS[kind])
    if name not in installed:
        raise EvaluationError(
            f"{kind} plugin {name!r} is not installed (a pack can only name installed plugins; "
            f"installed: {', '.join(installed) or 'none'})"
        )
    path = set_plugin(pack_dir, kind, name, options)
    if reply_threshold is not None:
        path = set_reply_threshold(pack_dir, reply_threshold)
    return path


def caching_embedder_factory() -> Callable[[], Embedder]:
    """An embedder factory that encodes each distinct text once, for repeated evaluations.

    Pass it as ``embedder_factory=`` to several ``evaluate_*`` calls (a tuning grid) so that
    the same texts are not embedded again for every run. Seconds measured with it exclude
    cached encodes: compare timings without it.
    """
    return caching_factory(default_embedder)


def embedder() -> Embedder:
    """The shared embedder (loaded on first use), e.g. to embed texts once for several plugins."""
    return context().embedder()
