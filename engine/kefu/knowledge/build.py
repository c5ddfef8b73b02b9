"""``kefu pack build``: train, index, evaluate and archive a pack, reproducibly.

Reproducible means byte-identical archives from identical inputs. Besides fixed seeds and a
canonical archive layout this needs a fixed string-hash seed: some libraries order their
vocabularies by set iteration. Unless ``PYTHONHASHSEED=0`` is already in force, the build runs
in a child interpreter started with it (``python -m kefu.knowledge.build_worker``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from kefu import __version__
from kefu.contracts import Embedder, PluginContext
from kefu.knowledge.archive import write_archive
from kefu.knowledge.errors import PackError, PackInvalidError, Problem
from kefu.knowledge.evaluation import EvalMiss, EvalReport, evaluate
from kefu.knowledge.loader import load_pack
from kefu.knowledge.model import Pack
from kefu.knowledge.plugins import build_plugins, uses_embeddings

INTENT_DIR = "model/intent"
RETRIEVER_DIR = "model/retriever"
PACK_DIR = "pack"
SEED = 0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced: the archive, its manifest and the evaluation figures."""

    archive: Path
    manifest: dict[str, Any]
    report: EvalReport


def archive_name(pack: Pack) -> str:
    """The file name of a pack's archive: ``<name>-<version>.tar.gz``."""
    return f"{pack.name}-{pack.version}.tar.gz"


def _seed_everything() -> None:
    """Fix every random source a plugin may use, so that two builds train the same model."""
    random.seed(SEED)
    np.random.seed(SEED)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but plugins need not use it
        return
    torch.manual_seed(SEED)


def _default_embedder() -> Embedder:
    from kefu.embedding import shared_embedder

    return shared_embedder()


def build_pack(
    source: Path | str | Pack,
    out: Path | str | None = None,
    *,
    embedder_factory: Callable[[], Embedder] | None = None,
    progress: bool = False,
    isolate: bool | None = None,
) -> BuildResult:
    """Build the pack at ``source`` into one archive and return where it went.

    ``out`` is a file path, or an existing directory that receives ``<name>-<version>.tar.gz``
    (the current directory when None). The shared embedder is loaded only when the pack's
    plugins read embeddings. ``isolate`` runs the build in a child interpreter with a fixed
    hash seed; by default it does so when that seed is not already fixed and no custom
    ``embedder_factory`` is given. Raises :class:`~kefu.knowledge.errors.PackInvalidError` for
    an invalid pack and :class:`~kefu.knowledge.errors.PackError` (or
    :class:`kefu.registry.PluginError` in process) when a plugin fails; nothing is written then.
    """
    if isolate is None:
        isolate = os.environ.get("PYTHONHASHSEED") != "0" and embedder_factory is None
    if isolate:
        root = source.root if isinstance(source, Pack) else Path(source)
        return _build_in_child(root, out, progress=progress)
    factory = embedder_factory or _default_embedder
    with tqdm(total=6, desc="validating", unit="step", disable=not progress, leave=False) as bar:
        pack = source if isinstance(source, Pack) else load_pack(source, embedder_factory=factory)
        target = _target(pack, out)
        bar.update()
        with tempfile.TemporaryDirectory(prefix="kefu-build-") as scratch:
            staging = Path(scratch) / "staging"
            context = PluginContext(Path(scratch) / "data", factory)
            _seed_everything()
            plugins = build_plugins(pack, context)
            bar.set_description(f"training intents ({len(pack.examples)} examples)")
            plugins.recognizer.fit(pack.examples)
            bar.update()
            bar.set_description(f"indexing {len(pack.chunks)} chunks")
            plugins.retriever.index(pack.chunks)
            bar.update()
            bar.set_description(f"evaluating {len(pack.evaluation)} queries")
            embedder = context.embedder() if uses_embeddings(plugins) else None
            report = evaluate(
                pack.evaluation, plugins.recognizer, plugins.retriever, embedder=embedder
            )
            bar.update()
            bar.set_description("saving artefacts")
            for name in pack.files:
                copy = staging / PACK_DIR / name
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(pack.root / name, copy)
            plugins.recognizer.save(staging / INTENT_DIR)
            plugins.retriever.save(staging / RETRIEVER_DIR)
            bar.update()
            bar.set_description(f"writing {target.name}")
            manifest = write_archive(staging, build_manifest(pack, embedder, report), target)
            bar.update()
    return BuildResult(target, manifest, report)


def build_manifest(pack: Pack, embedder: Embedder | None, report: EvalReport) -> dict[str, Any]:
    """Everything but the checksums that the archive's manifest records about a build."""
    meta = pack.meta
    return {
        "pack": {
            "name": meta.name,
            "version": meta.version,
            "vertical": meta.vertical,
            "languages": list(meta.languages),
            "description": meta.description,
            "license": meta.license,
            "attribution": meta.attribution,
        },
        "plugins": {
            kind: {"name": spec.name, "options": dict(spec.options)}
            for kind, spec in (
                ("intent", pack.intent),
                ("retriever", pack.retriever),
                ("policy", pack.policy),
            )
        },
        "thresholds": {
            "reply": pack.thresholds.reply,
            "out_of_scope": pack.thresholds.out_of_scope,
        },
        "embedding": (
            None
            if embedder is None
            else {"model_id": embedder.model_id, "dimension": embedder.dimension}
        ),
        "counts": {
            "examples": len(pack.examples),
            "intents": len(pack.intents),
            "faqs": len(pack.faqs),
            "documents": len(pack.documents),
            "chunks": len(pack.chunks),
            "eval": len(pack.evaluation),
        },
        "eval": report.figures(),
        "kefu_version": __version__,
    }


def _target(pack: Pack, out: Path | str | None) -> Path:
    if out is None:
        return Path.cwd() / archive_name(pack)
    path = Path(out)
    return path / archive_name(pack) if path.is_dir() else path


def _build_in_child(source: Path, out: Path | str | None, *, progress: bool) -> BuildResult:
    """Run the build in ``python -m kefu.knowledge.build_worker`` with ``PYTHONHASHSEED=0``."""
    with tempfile.TemporaryDirectory(prefix="kefu-build-") as scratch:
        result_file = Path(scratch) / "result.json"
        target = str(Path(out).resolve()) if out is not None else str(Path.cwd())
        command = [
            sys.executable,
            "-m",
            "kefu.knowledge.build_worker",
            str(source.resolve()),
            target,
        ]
        command += [str(result_file), "--progress" if progress else "--quiet"]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        completed = subprocess.run(command, env=env, check=False)
        if not result_file.is_file():
            raise PackError(f"the build of {source} stopped (exit status {completed.returncode})")
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if "error" in result:
        if result["error"] == "invalid":
            problems = [Problem(**problem) for problem in result["problems"]]
            raise PackInvalidError(str(source), problems)
        raise PackError(result["message"])
    report = result["report"]
    misses = tuple(EvalMiss(**miss) for miss in report.pop("misses"))
    return BuildResult(
        Path(result["archive"]), result["manifest"], EvalReport(**report, misses=misses)
    )
