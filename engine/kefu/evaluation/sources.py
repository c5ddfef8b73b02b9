"""Where evaluation data comes from: a pack, a train/test pair, or one file split into folds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.contracts import OUT_OF_SCOPE, Chunk
from kefu.evaluation.datasets import LabelledData, read_labelled
from kefu.evaluation.errors import DataError, EvaluationError
from kefu.evaluation.retrieval_data import RetrievalQuery, answer_id, read_chunks, read_queries
from kefu.evaluation.splits import Split, check_split, stratified_folds
from kefu.knowledge.errors import PackError
from kefu.knowledge.loader import EVAL, INTENTS, load_pack
from kefu.knowledge.model import Pack
from kefu.knowledge.plugins import plugin_options


def read_pack(path: Path | str) -> Pack:
    """The pack at ``path`` (its plugins are not checked: evaluation chooses its own)."""
    try:
        return load_pack(path, check_plugins=False)
    except PackError as exc:
        raise EvaluationError(str(exc)) from exc


def pack_intent_split(pack: Pack) -> Split:
    """Train on the pack's intents.csv, test on the eval.jsonl queries that name an intent."""
    cases = [case for case in pack.evaluation if case.intent is not None]
    if not cases:
        raise DataError(pack.root / EVAL, 'has no query with an "intent" to evaluate')
    train = LabelledData.from_examples(pack.examples, str(pack.root / INTENTS))
    test = LabelledData(
        tuple(case.query for case in cases),
        tuple(str(case.intent) for case in cases),
        str(pack.root / EVAL),
    )
    return Split(f"pack {pack.name}", train, test)


@dataclass(frozen=True, slots=True)
class IntentSource:
    """The splits to evaluate on and the out-of-scope label of their test rows."""

    splits: tuple[Split, ...]
    oos_label: str | None
    description: str
    #: A pack's own intent plugin and the options the pack gives it (pack sources only).
    pack_plugin: str | None = None
    pack_options: dict[str, Any] = field(default_factory=dict)
    #: The pack's ``[thresholds] out_of_scope`` (pack sources only).
    pack_out_of_scope: float | None = None

    def options_for(self, plugin: str) -> dict[str, Any]:
        """The pack's options when ``plugin`` is the pack's own plugin, else none."""
        return dict(self.pack_options) if plugin == self.pack_plugin else {}


def intent_source(
    *,
    pack: Path | None = None,
    train: Path | None = None,
    test: Path | None = None,
    data: Path | None = None,
    folds: int | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    oos_label: str | None = None,
    seed: int = 0,
) -> IntentSource:
    """Resolve exactly one of ``pack``, ``train`` + ``test``, ``data`` + ``folds`` into splits."""
    chosen = [
        name
        for name, value in (("--pack", pack), ("--train/--test", train or test), ("--data", data))
        if value
    ]
    if len(chosen) != 1:
        raise EvaluationError(
            "give exactly one of --pack DIR, --train FILE --test FILE, or --data FILE --folds K"
            + (f" (got {' and '.join(chosen)})" if chosen else "")
        )
    if folds is not None and data is None:
        raise EvaluationError("--folds goes with --data FILE")
    if pack is not None:
        loaded = read_pack(pack)
        split = pack_intent_split(loaded)
        label = oos_label or OUT_OF_SCOPE
        check_split(split.train, split.test, label)
        return IntentSource(
            (split,),
            label,
            f"pack {loaded.name} {loaded.version}",
            pack_plugin=loaded.intent.name,
            pack_options=plugin_options(loaded)["intent"],
            pack_out_of_scope=loaded.thresholds.out_of_scope,
        )
    columns = {"text_column": text_column, "label_column": label_column}
    if data is not None:
        if folds is None:
            raise EvaluationError("--data FILE needs --folds K (or use --train FILE --test FILE)")
        whole = read_labelled(data, **columns)
        splits = stratified_folds(whole, folds, seed=seed, oos_label=oos_label)
        return IntentSource(tuple(splits), oos_label, f"{data}, {folds}-fold stratified CV")
    if train is None or test is None:
        raise EvaluationError("--train FILE and --test FILE go together")
    split = Split("train/test", read_labelled(train, **columns), read_labelled(test, **columns))
    check_split(split.train, split.test, oos_label)
    return IntentSource((split,), oos_label, f"train {train} -> test {test}")


@dataclass(frozen=True, slots=True)
class RetrievalSource:
    """The chunks to index and the queries with the answers they expect."""

    chunks: tuple[Chunk, ...]
    queries: tuple[RetrievalQuery, ...]
    description: str


def retrieval_source(
    *, pack: Path | None = None, chunks: Path | None = None, queries: Path | None = None
) -> RetrievalSource:
    """Resolve ``pack`` (its chunks and eval.jsonl FAQ queries) or ``chunks`` + ``queries``."""
    if (pack is None) == (chunks is None and queries is None):
        raise EvaluationError("give either --pack DIR, or --chunks FILE --queries FILE")
    if pack is not None:
        loaded = read_pack(pack)
        found = [
            RetrievalQuery(case.query, frozenset({case.faq_id}))
            for case in loaded.evaluation
            if case.faq_id is not None
        ]
        if not found:
            raise DataError(pack / EVAL, 'has no query with a "faq_id" to evaluate')
        return RetrievalSource(loaded.chunks, tuple(found), f"pack {loaded.name} {loaded.version}")
    if chunks is None or queries is None:
        raise EvaluationError("--chunks FILE and --queries FILE go together")
    read = read_chunks(chunks)
    known = {answer_id(chunk) for chunk in read}
    return RetrievalSource(
        tuple(read), tuple(read_queries(queries, known)), f"chunks {chunks}, queries {queries}"
    )
