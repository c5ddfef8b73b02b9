"""Evaluations that load the real embedding model (once per session): recognizers, retrievers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kefu.cli import main
from kefu.contracts import Embedder

pytestmark = pytest.mark.slow


def run_json(*args: str | Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["eval", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_compare_recognizers_and_record_the_model(tiny_pack: Path, embedder: Embedder) -> None:
    report = run_json(
        "intents",
        "--pack",
        tiny_pack,
        "--compare",
        "--plugin",
        "tfidf",
        "--plugin",
        "embedding",
        "--plugin",
        "ensemble",
        "--option",
        'ensemble.members=["tfidf","embedding"]',
    )
    results = {r["plugin"]: r for r in report["results"]}
    assert list(results) == ["tfidf", "embedding", "ensemble"]
    assert results["embedding"]["accuracy"] >= 0.75
    assert results["ensemble"]["options"] == {"members": ["tfidf", "embedding"]}
    assert report["provenance"]["embedding_model"] == embedder.model_id
    assert report["provenance"]["plugins"]["embedding"]["distribution"] == "kefu"


def test_embedding_figures_are_reproducible(tiny_pack: Path, embedder: Embedder) -> None:
    def figures() -> list[Any]:
        result = run_json("intents", "--pack", tiny_pack, "--plugin", "embedding", "--seed", "5")[
            "results"
        ][0]
        return [result["accuracy"], result["per_intent"], result["out_of_scope"]]

    assert figures() == figures()


def test_compare_retrievers_on_a_pack(tiny_pack: Path, embedder: Embedder) -> None:
    report = run_json(
        "retrieval",
        "--pack",
        tiny_pack,
        "--compare",
        "--plugin",
        "bm25",
        "--plugin",
        "faiss",
        "--plugin",
        "hybrid",
    )
    results = {r["plugin"]: r for r in report["results"]}
    assert set(results) == {"bm25", "faiss", "hybrid"}
    assert results["faiss"]["recall"]["1"] >= 0.75
    for result in results.values():
        assert result["recall"]["10"] == 1.0
        assert 0.0 < result["ndcg@10"] <= 1.0
    assert report["provenance"]["embedding_model"] == embedder.model_id
