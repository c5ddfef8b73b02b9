"""Every bad input to ``kefu eval`` gets one clear message and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kefu.cli import main


def fails(*args: str | Path, code: int = 1) -> str:
    result = CliRunner().invoke(main, ["eval", *map(str, args)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_unknown_plugin_lists_installed_ones(train_csv: Path, test_csv: Path) -> None:
    output = fails("intents", "--train", train_csv, "--test", test_csv, "--plugin", "nope")
    assert "unknown plugin 'nope' in kefu.intent; installed: " in output
    assert "tfidf" in output


def test_missing_label_column(tmp_path: Path, test_csv: Path) -> None:
    train = tmp_path / "t.csv"
    train.write_text("text,topic\nhello,a\n")
    output = fails("intents", "--train", train, "--test", test_csv)
    assert f"{train}: no label column 'label'" in output
    assert "--label-column" in output


def test_named_column_absent(train_csv: Path, test_csv: Path) -> None:
    output = fails("intents", "--train", train_csv, "--test", test_csv, "--text-column", "body")
    assert "no text column 'body' (columns found: category, text)" in output


def test_unknown_file_type(tmp_path: Path, test_csv: Path) -> None:
    data = tmp_path / "data.xlsx"
    data.write_text("x")
    assert "unknown file type '.xlsx'" in fails("intents", "--train", data, "--test", test_csv)


def test_empty_texts_are_located(tmp_path: Path, train_csv: Path) -> None:
    test = tmp_path / "bad.csv"
    test.write_text("text,category\n,refund\n")
    assert f"{test}: line 2: empty text" in fails("intents", "--train", train_csv, "--test", test)


def test_unseen_test_labels(tmp_path: Path, train_csv: Path) -> None:
    test = tmp_path / "other.csv"
    test.write_text("text,category\nhello,greeting\n")
    output = fails("intents", "--train", train_csv, "--test", test)
    assert "1 test label(s) never appear in the training data" in output
    assert "greeting" in output


def test_too_few_examples_for_the_folds(all_jsonl: Path) -> None:
    output = fails("intents", "--data", all_jsonl, "--folds", "11")
    assert "11 folds need at least 11 examples per label" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --pack DIR, --train FILE --test FILE, or --data FILE"),
        (("--data", "{all}"), "--data FILE needs --folds K"),
        (("--train", "{all}"), "--train FILE and --test FILE go together"),
        (("--data", "{all}", "--folds", "2", "--option", "tfidf"), "not of the form plugin.key"),
        (("--data", "{all}", "--folds", "2", "--option", "bm25.k1=1"), "names plugin 'bm25'"),
        (
            ("--data", "{all}", "--folds", "2", "--option", "tfidf.classifier=forest"),
            "plugin 'tfidf' (kefu.intent) refused its options",
        ),
    ],
)
def test_option_and_source_mistakes(all_jsonl: Path, args: tuple[str, ...], message: str) -> None:
    filled = [a.replace("{all}", str(all_jsonl)) for a in args]
    assert message in fails("intents", *filled)


def test_compare_needs_two_plugins(train_csv: Path, test_csv: Path) -> None:
    output = fails("intents", "--train", train_csv, "--test", test_csv, "--compare", code=2)
    assert "--compare needs at least two" in output


def test_unreachable_target_leaves_the_pack_alone(train_csv: Path, tmp_path: Path) -> None:
    # only out-of-scope test rows: every auto-reply is wrong, no threshold has any precision
    test = tmp_path / "oos_only.csv"
    test.write_text("text,category\nwhat is the weather on mars,oos\nsing a song,oos\n")
    (tmp_path / "pack.toml").write_text("[thresholds]\nreply = 0.7\n")
    output = fails(
        "thresholds",
        "--train",
        train_csv,
        "--test",
        test,
        "--oos-label",
        "oos",
        "--target-precision",
        "0.5",
        "--write",
        tmp_path,
    )
    assert "no threshold reaches precision 0.5" in output
    assert (tmp_path / "pack.toml").read_text() == "[thresholds]\nreply = 0.7\n"


def test_retrieval_needs_a_source() -> None:
    assert "give either --pack DIR, or --chunks FILE --queries FILE" in fails("retrieval")


def test_the_reserved_out_of_scope_label_needs_oos_label(tmp_path: Path, test_csv: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("text,label\nhi,greet\nhello,greet\nbye,leave\nciao,leave\nxyz,out_of_scope\n")
    output = fails("intents", "--train", train, "--test", test_csv)
    assert "the label 'out_of_scope' is reserved" in output
    assert "--oos-label out_of_scope" in output
