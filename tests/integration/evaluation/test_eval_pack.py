"""``kefu eval`` on a knowledge pack: intents, retrieval and the reply threshold written back."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kefu.cli import main
from kefu.knowledge.loader import load_pack


def run_json(*args: str | Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["eval", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_intents_on_a_pack_train_on_intents_and_test_on_eval(tiny_pack: Path) -> None:
    report = run_json("intents", "--pack", tiny_pack, "--option", "tfidf.threshold=0.4")
    (result,) = report["results"]
    assert report["data"] == "pack tiny 0.1.0"
    # the pack's own plugin, with the pack's out-of-scope threshold overridden by --option
    assert result["plugin"] == "tfidf"
    assert result["options"] == {"threshold": 0.4}
    assert report["oos_label"] == "out_of_scope"
    assert result["rows"] == 9
    assert result["intents"] == 4
    assert result["out_of_scope"]["out_of_scope_rows"] == 1
    assert result["accuracy"] >= 0.6


def test_retrieval_on_a_pack_with_bm25(tiny_pack: Path) -> None:
    report = run_json("retrieval", "--pack", tiny_pack, "--plugin", "bm25")
    (result,) = report["results"]
    assert report["queries"] == 8  # the out-of-scope query has no faq_id
    assert report["chunks"] == 8  # four questions and four paraphrases
    assert result["recall"]["10"] == 1.0  # four answers: all are always in the top 10
    assert 0.5 <= result["mrr"] <= 1.0
    assert result["recall"]["1"] <= result["recall"]["5"]
    assert report["provenance"]["embedding_model"] is None


def test_thresholds_written_back_keep_the_pack_valid(tiny_pack: Path) -> None:
    report = run_json(
        "thresholds", "--pack", tiny_pack, "--target-precision", "0.8", "--write", tiny_pack
    )
    chosen = report["threshold"]
    assert chosen is not None and chosen["precision"] >= 0.8
    # the pack's own recognizer refuses below [thresholds] out_of_scope = 0.3, and reply may
    # not be set lower than that
    reply = max(round(chosen["threshold"], 4), 0.3)
    assert report["written"]["reply"] == reply
    text = (tiny_pack / "pack.toml").read_text()
    assert tomllib.loads(text)["thresholds"]["reply"] == reply
    assert "# tuned by kefu eval thresholds" in text
    assert text.startswith("# A tiny pack for the evaluation tests\n")
    assert load_pack(tiny_pack).thresholds.reply == reply


def test_chunks_and_queries_files(tmp_path: Path) -> None:
    chunks = tmp_path / "chunks.jsonl"
    chunks.write_text(
        '{"id": "a", "text": "refunds are paid within seven days"}\n'
        '{"id": "b", "text": "cards arrive within five working days"}\n'
        '{"id": "c", "text": "reset your password from the login page"}\n'
    )
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"query": "when is my refund paid", "expected": "a"}\n'
        '{"query": "password reset", "expected": ["c"]}\n'
    )
    report = run_json("retrieval", "--chunks", chunks, "--queries", queries, "--plugin", "bm25")
    assert report["results"][0]["recall"]["1"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "expected": "zzz"}\n')
    result = CliRunner().invoke(
        main, ["eval", "retrieval", "--chunks", str(chunks), "--queries", str(bad)]
    )
    assert result.exit_code == 1
    assert f"{bad}: line 1: expected id(s) ['zzz'] match no chunk" in result.output


def test_an_invalid_pack_lists_its_problems(tiny_pack: Path) -> None:
    (tiny_pack / "faq.jsonl").unlink()
    result = CliRunner().invoke(main, ["eval", "intents", "--pack", str(tiny_pack)])
    assert result.exit_code == 1
    assert "faq.jsonl: is missing (required)" in result.output
