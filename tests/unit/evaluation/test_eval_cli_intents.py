"""``kefu eval intents`` and ``kefu eval thresholds`` with tfidf (no neural model)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from kefu import __version__
from kefu.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["eval", *map(str, args)], catch_exceptions=False)


def run_json(*args: str | Path) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_train_test_report_in_text(train_csv: Path, test_csv: Path) -> None:
    result = run("intents", "--train", train_csv, "--test", test_csv, "--plugin", "tfidf")
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    assert "macro-F1" in result.output
    assert "8 test texts, 4 intents" in result.output


def test_json_has_figures_and_versions(train_csv: Path, test_csv: Path) -> None:
    report = run_json("intents", "--train", train_csv, "--test", test_csv)
    (result,) = report["results"]
    assert result["plugin"] == "tfidf"
    assert result["rows"] == 8
    assert result["accuracy"] >= 0.75  # chance is 0.25 on four balanced intents
    assert 0.0 <= result["macro_f1"] <= 1.0
    assert {f["intent"] for f in result["per_intent"]} == {
        "card_arrival",
        "refund",
        "password",
        "opening_hours",
    }
    assert result["train_seconds"] > 0
    provenance = report["provenance"]
    assert provenance["kefu_version"] == __version__
    assert provenance["plugins"]["tfidf"]["distribution"] == "kefu"
    assert provenance["embedding_model"] is None  # tfidf never loads the embedder
    assert provenance["seed"] == 0


def test_out_of_scope_rows_are_measured(train_csv: Path, test_with_oos_csv: Path) -> None:
    report = run_json(
        "intents",
        "--train",
        train_csv,
        "--test",
        test_with_oos_csv,
        "--oos-label",
        "oos",
        "--option",
        "tfidf.threshold=0.99",
    )
    oos = report["results"][0]["out_of_scope"]
    assert oos["label"] == "oos"
    assert oos["out_of_scope_rows"] == 2
    # a threshold of 0.99 refuses everything: all out-of-scope rows are caught
    assert oos["recall"] == 1.0
    assert oos["refused"] == 10
    assert oos["precision"] == 0.2


def test_cross_validation_over_jsonl(all_jsonl: Path) -> None:
    report = run_json("intents", "--data", all_jsonl, "--folds", "5", "--seed", "3")
    (result,) = report["results"]
    assert result["rows"] == 40
    assert len(result["split_accuracy"]) == 5
    assert report["splits"] == [f"fold {i}/5" for i in range(1, 6)]


def test_same_seed_same_figures(all_jsonl: Path) -> None:
    def figures() -> list[Any]:
        report = run_json("intents", "--data", all_jsonl, "--folds", "4", "--seed", "1")
        result = report["results"][0]
        return [
            result["accuracy"],
            result["per_intent"],
            result["split_accuracy"],
            result["top_confusions"],
        ]

    assert figures() == figures()


def test_compare_prints_one_table_of_labelled_runs(train_csv: Path, test_csv: Path) -> None:
    result = run(
        "intents",
        "--train",
        train_csv,
        "--test",
        test_csv,
        "--compare",
        "--plugin",
        "tfidf",
        "--plugin",
        "tfidf@svm",
        "--option",
        "tfidf@svm.classifier=svm",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("plugin"))
    assert "accuracy %" in lines[header] and "train s" in lines[header]
    assert lines[header + 2].split()[0] == "tfidf"
    assert lines[header + 3].split()[0] == "tfidf@svm"


def test_out_writes_pngs_and_report(train_csv: Path, test_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("intents", "--train", train_csv, "--test", test_csv, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("confusion_matrix.png", "confidence_histogram.png"):
        assert (out / "tfidf" / name).read_bytes().startswith(PNG)
    report = json.loads((out / "report.json").read_text())
    assert report["results"][0]["plugin"] == "tfidf"


def test_thresholds_table_and_write_back(train_csv: Path, test_csv: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.toml").write_text(
        '[pack]\nname = "x"  # kept\n\n[thresholds]\nreply = 0.7\nout_of_scope = 0.3\n'
    )
    out = tmp_path / "curve"
    result = run(
        "thresholds",
        "--train",
        train_csv,
        "--test",
        test_csv,
        "--target-precision",
        "0.5",
        "--write",
        pack,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "threshold for precision >= 0.5" in result.output
    assert (out / "threshold_curve.png").read_bytes().startswith(PNG)
    report = json.loads((out / "report.json").read_text())
    chosen = report["threshold"]["threshold"]
    text = (pack / "pack.toml").read_text()
    reply = max(round(chosen, 4), 0.3)  # never below the pack's out_of_scope threshold
    assert tomllib.loads(text)["thresholds"] == {"reply": reply, "out_of_scope": 0.3}
    assert 'name = "x"  # kept' in text
    assert [row["threshold"] for row in report["table"]][:3] == [0.0, 0.3, 0.4]
