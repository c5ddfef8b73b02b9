"""``kefu eval``: measure intent recognizers, retrievers and the auto-reply threshold."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from kefu.evaluation import reports
from kefu.evaluation.errors import EvaluationError
from kefu.evaluation.intent_eval import IntentRun
from kefu.evaluation.packtoml_edit import out_of_scope_threshold, set_reply_threshold
from kefu.evaluation.plugins import parse_options
from kefu.evaluation.runs import evaluate_intents, evaluate_retrieval, evaluate_thresholds
from kefu.evaluation.sources import IntentSource, intent_source, retrieval_source

FILE = click.Path(path_type=Path, dir_okay=False)
DIR = click.Path(path_type=Path, file_okay=False)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn bad-input errors into click errors: a message, no traceback."""
    try:
        yield
    except EvaluationError as exc:
        raise click.ClickException(str(exc)) from exc


DEFAULT_RECOGNIZER = "tfidf"


def _with_pack_options(
    source: IntentSource, chosen: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Start each plugin from the options a pack gives it; command-line options win."""
    return {label: {**source.options_for(label), **opts} for label, opts in chosen.items()}


@click.group("eval")
def eval_group() -> None:
    """Evaluate plugins on labelled data or a knowledge pack."""


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--option",
                "options",
                multiple=True,
                metavar="PLUGIN.KEY=VALUE",
                help="A plugin option (JSON value or plain string); repeatable.",
            ),
            click.option(
                "--seed",
                type=int,
                default=0,
                show_default=True,
                help="Seed of splits, plugins and random generators.",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the report as JSON."),
            click.option(
                "--out",
                type=DIR,
                default=None,
                help="Directory for the report and figures (created).",
            ),
        ]
    ):
        func = option(func)
    return func


def _intent_data(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--pack",
                type=DIR,
                default=None,
                help="A pack folder: train on intents.csv, test on eval.jsonl.",
            ),
            click.option(
                "--train", type=FILE, default=None, help="Training file (.csv or .jsonl)."
            ),
            click.option("--test", type=FILE, default=None, help="Test file (.csv or .jsonl)."),
            click.option(
                "--data",
                type=FILE,
                default=None,
                help="One labelled file, evaluated by stratified cross-validation.",
            ),
            click.option("--folds", type=int, default=None, help="Number of folds with --data."),
            click.option("--text-column", default=None, help="Text column  [default: text]"),
            click.option(
                "--label-column",
                default=None,
                help="Label column  [default: label, else category, else intent]",
            ),
            click.option(
                "--oos-label",
                default=None,
                help="Test label of out-of-scope rows (they should be refused).",
            ),
        ]
    ):
        func = option(func)
    return func


def _emit(as_json: bool, report: dict[str, Any], text: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        text()


def _print_run(run: IntentRun) -> None:
    metrics = run.metrics
    click.secho(f"\n{run.plugin}", bold=True)
    click.echo(
        f"  accuracy  {100 * metrics.accuracy:.2f} %   macro-F1  "
        f"{100 * metrics.macro_f1:.2f} %   ({metrics.rows} test texts, "
        f"{len(run.intents)} intents)"
    )
    if len(run.split_accuracy) > 1:
        folds = ", ".join(f"{100 * a:.1f}" for a in run.split_accuracy)
        click.echo(f"  per fold  {folds}")
    oos = metrics.out_of_scope
    if oos is not None:
        p = "-" if oos.precision is None else f"{100 * oos.precision:.2f} %"
        r = "-" if oos.recall is None else f"{100 * oos.recall:.2f} %"
        click.echo(
            f"  out of scope ({oos.label!r}): precision {p}, recall {r} "
            f"({oos.refused} refused, {oos.out_of_scope_rows} out-of-scope rows)"
        )
    click.echo(f"  train {run.train_seconds:.1f} s, predict {run.predict_seconds:.1f} s")
    click.echo("\n" + reports.per_intent_table(run, limit=10))
    if metrics.confusions:
        click.echo("\nmost frequent confusions (true -> predicted: count)")
        for t, p, n in metrics.confusions[:10]:
            click.echo(f"  {t} -> {p}: {n}")


@eval_group.command("intents")
@_intent_data
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="NAME",
    help="Intent recognizer (kefu.intent); repeatable.  [default: tfidf]",
)
@click.option(
    "--compare", is_flag=True, help="Print one comparison table of all --plugin recognizers."
)
@_common
def intents(
    pack: Path | None,
    train: Path | None,
    test: Path | None,
    data: Path | None,
    folds: int | None,
    text_column: str | None,
    label_column: str | None,
    oos_label: str | None,
    plugins: Sequence[str],
    compare: bool,
    options: Sequence[str],
    seed: int,
    as_json: bool,
    out: Path | None,
) -> None:
    """Accuracy, macro-F1, per-intent and out-of-scope figures of intent recognizers."""
    if compare and len(set(plugins)) < 2:
        raise click.UsageError("--compare needs at least two --plugin recognizers")
    with _user_errors():
        source = intent_source(
            pack=pack,
            train=train,
            test=test,
            data=data,
            folds=folds,
            text_column=text_column,
            label_column=label_column,
            oos_label=oos_label,
            seed=seed,
        )
        names = list(dict.fromkeys(plugins)) or [source.pack_plugin or DEFAULT_RECOGNIZER]
        chosen = _with_pack_options(source, parse_options(options, names))
        result = evaluate_intents(source, names, chosen, seed=seed, out=out)

    def text() -> None:
        click.echo(f"data: {source.description}")
        if compare:
            click.echo("\n" + reports.intent_table(result.runs))
        else:
            for run in result.runs:
                _print_run(run)
        if out is not None:
            click.echo(f"\nfigures and report in {out}")

    _emit(as_json, result.report, text)


@eval_group.command("retrieval")
@click.option(
    "--pack",
    type=DIR,
    default=None,
    help="A pack folder: its chunks, and the eval.jsonl queries with a faq_id.",
)
@click.option("--chunks", type=FILE, default=None, help="Chunks file (.jsonl).")
@click.option("--queries", type=FILE, default=None, help="Queries file (.jsonl).")
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="NAME",
    help="Retriever (kefu.retriever); repeatable.  [default: hybrid]",
)
@click.option("--compare", is_flag=True, help="Print one comparison table (the default output).")
@_common
def retrieval(
    pack: Path | None,
    chunks: Path | None,
    queries: Path | None,
    plugins: Sequence[str],
    compare: bool,
    options: Sequence[str],
    seed: int,
    as_json: bool,
    out: Path | None,
) -> None:
    """Recall@1/5/10, MRR and nDCG@10 of retrievers on queries with expected answers."""
    names = list(dict.fromkeys(plugins)) or ["hybrid"]
    if compare and len(names) < 2:
        raise click.UsageError("--compare needs at least two --plugin retrievers")
    with _user_errors():
        chosen = parse_options(options, names)
        source = retrieval_source(pack=pack, chunks=chunks, queries=queries)
        result = evaluate_retrieval(source, names, chosen, seed=seed, out=out)

    def text() -> None:
        click.echo(
            f"data: {source.description} ({len(source.chunks)} chunks, "
            f"{len(source.queries)} queries)\n"
        )
        click.echo(reports.retrieval_table(result.runs))
        if out is not None:
            click.echo(f"\nreport in {out}")

    _emit(as_json, result.report, text)


@eval_group.command("thresholds")
@_intent_data
@click.option(
    "--plugin",
    default=None,
    metavar="NAME",
    help="Intent recognizer (kefu.intent).  [default: the pack's, else tfidf]",
)
@click.option(
    "--target-precision",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.95,
    show_default=True,
    help="Auto-reply precision to reach.",
)
@click.option(
    "--write",
    "write_to",
    type=DIR,
    default=None,
    metavar="PACK_DIR",
    help="Write the threshold into this pack's pack.toml [thresholds] reply.",
)
@_common
def thresholds(
    pack: Path | None,
    train: Path | None,
    test: Path | None,
    data: Path | None,
    folds: int | None,
    text_column: str | None,
    label_column: str | None,
    oos_label: str | None,
    plugin: str | None,
    target_precision: float,
    write_to: Path | None,
    options: Sequence[str],
    seed: int,
    as_json: bool,
    out: Path | None,
) -> None:
    """Precision/coverage of auto-replies by confidence threshold; pick one for a target."""
    with _user_errors():
        source = intent_source(
            pack=pack,
            train=train,
            test=test,
            data=data,
            folds=folds,
            text_column=text_column,
            label_column=label_column,
            oos_label=oos_label,
            seed=seed,
        )
        name = plugin or source.pack_plugin or DEFAULT_RECOGNIZER
        chosen = _with_pack_options(source, parse_options(options, [name]))
        result = evaluate_thresholds(
            source, name, chosen[name], target=target_precision, seed=seed, out=out
        )
        written = None
        value = None
        if write_to is not None:
            if result.chosen is None:
                raise EvaluationError(
                    f"no threshold reaches precision {target_precision:g}; "
                    f"{write_to / 'pack.toml'} was not changed"
                )
            value = max(round(result.chosen.threshold, 4), out_of_scope_threshold(write_to))
            written = set_reply_threshold(write_to, value)
            result.report["written"] = {"file": str(written), "reply": value}

    def text() -> None:
        click.echo(f"data: {source.description}; plugin: {name}\n")
        click.echo(reports.threshold_table(result.table))
        click.echo("")
        if result.chosen is None:
            click.echo(f"no threshold reaches precision {target_precision:g}")
        else:
            c = result.chosen
            click.echo(
                f"threshold for precision >= {target_precision:g}: {c.threshold:.4f} "
                f"(precision {100 * (c.precision or 0):.2f} %, coverage "
                f"{100 * c.coverage:.2f} %)"
            )
        if written is not None:
            note = ""
            if result.chosen is not None and value != round(result.chosen.threshold, 4):
                note = " (raised to [thresholds] out_of_scope: reply may not be lower)"
            click.echo(f"wrote [thresholds] reply = {value} into {written}{note}")
        if out is not None:
            click.echo(f"curve and report in {out}")

    _emit(as_json, result.report, text)
