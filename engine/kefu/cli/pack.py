"""``kefu pack``: validate, build, install, list, activate, roll back and evaluate packs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kefu.registry import PluginError

if TYPE_CHECKING:
    from kefu.knowledge.store import PackStore


def _store() -> PackStore:
    """The installed packs of the configured data directory (``KEFU_DATA_DIR``)."""
    from kefu.knowledge.store import PackStore
    from kefu.settings import Settings

    return PackStore(Settings().data_dir)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn pack and plugin errors into a clean message and exit status 1."""
    from kefu.knowledge.errors import PackError, PackInvalidError

    try:
        yield
    except PackInvalidError as exc:
        for problem in exc.problems:
            click.echo(
                f"{Path(exc.root) / problem.file}{str(problem)[len(problem.file) :]}", err=True
            )
        raise click.ClickException(f"{len(exc.problems)} problem(s) in {exc.root}") from exc
    except (PackError, PluginError) as exc:
        raise click.ClickException(str(exc)) from exc


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"


def _figures_table(figures: dict[str, Any]) -> str:
    rows = [
        ("intent accuracy", _percent(figures.get("intent_accuracy")), figures.get("intent_cases")),
        ("recall@1", _percent(figures.get("recall_at_1")), figures.get("retrieval_cases")),
        ("recall@5", _percent(figures.get("recall_at_5")), figures.get("retrieval_cases")),
        (
            "MRR",
            "-" if figures.get("mrr") is None else f"{float(figures['mrr']):.3f}",
            figures.get("retrieval_cases"),
        ),
    ]
    lines = [f"{'metric':<16} {'value':>8} {'queries':>8}"]
    lines += [f"{name:<16} {value:>8} {count or 0:>8}" for name, value, count in rows]
    return "\n".join(lines)


@click.group()
def pack() -> None:
    """Validate, build, install and evaluate knowledge packs."""


@pack.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def validate(path: Path, as_json: bool) -> None:
    """Check the pack folder PATH and report every problem with its file and line."""
    from kefu.knowledge.loader import check_pack

    found, problems = check_pack(path)
    if as_json:
        click.echo(
            json.dumps(
                {"valid": found is not None, "problems": [p.to_dict() for p in problems]}, indent=2
            )
        )
    else:
        for problem in problems:
            click.echo(f"{path / problem.file}{str(problem)[len(problem.file) :]}")
    if found is None:
        raise SystemExit(1)
    if not as_json:
        click.echo(
            f"{found.name} {found.version} is valid: {len(found.examples)} examples of "
            f"{len(found.intents)} intents, {len(found.faqs)} FAQ entries, "
            f"{len(found.documents)} documents, {len(found.chunks)} chunks, "
            f"{len(found.evaluation)} evaluation queries"
        )


@pack.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Archive file, or directory for <name>-<version>.tar.gz (default: current directory).",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def build(path: Path, out: Path | None, progress: bool) -> None:
    """Train, index and evaluate the pack folder PATH into one reproducible archive."""
    from kefu.knowledge.archive import sha256_file
    from kefu.knowledge.build import build_pack

    with _errors():
        result = build_pack(path, out, progress=progress)
    click.echo(f"built {result.archive}")
    click.echo(f"sha256 {sha256_file(result.archive)}")
    click.echo(_figures_table(result.report.figures()))


@pack.command()
@click.argument("source")
@click.option("--activate/--no-activate", default=True, help="Make it the active version.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar when building.")
def install(source: str, activate: bool, progress: bool) -> None:
    """Install SOURCE: a pack folder (built first), a built archive, or a registered pack name."""
    from kefu.knowledge.install import install as install_pack

    with _errors():
        installed = install_pack(source, _store(), activate=activate, progress=progress)
    state = "active" if installed.active else "installed, not active"
    click.echo(f"{installed.name} {installed.version} {state} ({installed.path})")


@pack.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_packs(as_json: bool) -> None:
    """Show installed packs: version, vertical, active, install time and evaluation figures."""
    with _errors():
        versions = _store().versions()
    if as_json:
        click.echo(json.dumps([v.to_dict() for v in versions], indent=2))
        return
    if not versions:
        click.echo("no packs installed")
        return
    header = f"{'name':<16} {'version':<10} {'vertical':<10} {'active':<6} {'installed at':<25} "
    click.echo(header + f"{'intent':>7} {'R@1':>7} {'R@5':>7} {'MRR':>6}")
    for v in versions:
        figures = v.eval or {}
        mrr = figures.get("mrr")
        click.echo(
            f"{v.name:<16} {v.version:<10} {v.vertical:<10} {'yes' if v.active else '':<6} "
            f"{v.installed_at:<25} {_percent(figures.get('intent_accuracy')):>7} "
            f"{_percent(figures.get('recall_at_1')):>7} {_percent(figures.get('recall_at_5')):>7} "
            f"{'-' if mrr is None else f'{float(mrr):.3f}':>6}"
        )


@pack.command()
@click.argument("name")
def rollback(name: str) -> None:
    """Re-activate the version of pack NAME that was active before the current one."""
    with _errors():
        active = _store().rollback(name)
    click.echo(f"{name}: {active.version} is active again")


@pack.command()
@click.argument("name")
@click.argument("version")
def activate(name: str, version: str) -> None:
    """Make installed VERSION of pack NAME the active one."""
    with _errors():
        active = _store().activate(name, version)
    click.echo(f"{name}: {active.version} is active")


def _evaluate_built(directory: Path) -> dict[str, Any]:
    from kefu.assistant.factory import plugin_context
    from kefu.knowledge.evaluation import evaluate
    from kefu.knowledge.installed import load_built
    from kefu.knowledge.plugins import uses_embeddings
    from kefu.settings import Settings

    context = plugin_context(Settings())
    loaded = load_built(directory, context)
    embedder = context.embedder() if uses_embeddings(loaded.plugins) else None
    report = evaluate(
        loaded.pack.evaluation,
        loaded.plugins.recognizer,
        loaded.plugins.retriever,
        embedder=embedder,
    )
    return {"pack": loaded.name, "version": loaded.version, **report.to_dict()}


@pack.command("eval")
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def eval_pack(target: str, as_json: bool) -> None:
    """Measure TARGET (a pack folder, an archive or an installed pack name) on its eval set.

    Prints intent accuracy, retrieval recall@1 and recall@5 and MRR. For an installed pack the
    figures are also recorded, so that ``kefu pack list`` shows them.
    """
    from kefu.knowledge.archive import extract_verified
    from kefu.knowledge.build import build_pack

    path = Path(target)
    with _errors():
        if path.is_dir():
            with tempfile.TemporaryDirectory(prefix="kefu-eval-") as scratch:
                built = build_pack(path, Path(scratch), progress=not as_json)
            result = {
                "pack": built.manifest["pack"]["name"],
                "version": built.manifest["pack"]["version"],
                **built.report.to_dict(),
            }
        elif path.is_file():
            with tempfile.TemporaryDirectory(prefix="kefu-eval-") as scratch:
                extract_verified(path, Path(scratch))
                result = _evaluate_built(Path(scratch))
        else:
            store = _store()
            active = store.active(target)
            result = _evaluate_built(active.path)
            figures = {k: v for k, v in result.items() if k not in ("pack", "version", "misses")}
            store.record_eval(active.name, active.version, figures)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"{result['pack']} {result['version']}")
    click.echo(_figures_table(result))
    for miss in result["misses"]:
        click.echo(
            f"  miss eval.jsonl:{miss['line']} {miss['kind']}: {miss['query']!r} "
            f"expected {miss['expected']}, got {miss['got']}"
        )
