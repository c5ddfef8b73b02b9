"""``kefu pack``: validate, build, install, list, eval and rollback from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from knowledge_helpers import set_version

from kefu.cli import main


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    # PYTHONHASHSEED=0 keeps builds in this process (no child interpreter).
    return CliRunner(env={"KEFU_DATA_DIR": str(tmp_path / "data"), "PYTHONHASHSEED": "0"})


def test_validate_lists_every_problem_with_file_and_line(runner: CliRunner, tiny: Path) -> None:
    (tiny / "intents.csv").write_text((tiny / "intents.csv").read_text() + "solo text,solo\n")
    (tiny / "eval.jsonl").write_text('{"query": "x"}\n')
    result = runner.invoke(main, ["pack", "validate", str(tiny)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tiny}/eval.jsonl:1: needs at least one of 'faq_id' and 'intent'",
        f"{tiny}/intents.csv:14: intent 'solo' has 1 example; at least 2 needed",
    ]
    as_json = runner.invoke(main, ["pack", "validate", "--json", str(tiny)])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["problems"][0] == {
        "file": "eval.jsonl",
        "line": 1,
        "column": None,
        "message": "needs at least one of 'faq_id' and 'intent'",
    }


def test_validate_a_good_pack(runner: CliRunner, tiny: Path) -> None:
    result = runner.invoke(main, ["pack", "validate", str(tiny)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tiny 1.0.0 is valid: 12 examples of 3 intents")


def test_build_install_list_eval_rollback(runner: CliRunner, tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    built = runner.invoke(main, ["pack", "build", str(tiny), "-o", str(out), "--no-progress"])
    assert built.exit_code == 0, built.output
    archive = out / "tiny-1.0.0.tar.gz"
    assert archive.is_file()
    assert "intent accuracy    100.0%        4" in built.output

    installed = runner.invoke(main, ["pack", "install", str(archive)])
    assert installed.exit_code == 0, installed.output
    assert installed.output.startswith("tiny 1.0.0 active")

    set_version(tiny, "1.1.0")
    from_folder = runner.invoke(main, ["pack", "install", str(tiny), "--no-progress"])
    assert from_folder.exit_code == 0, from_folder.output

    listed = json.loads(runner.invoke(main, ["pack", "list", "--json"]).output)
    assert [(v["version"], v["active"]) for v in listed] == [("1.0.0", False), ("1.1.0", True)]
    table = runner.invoke(main, ["pack", "list"]).output.splitlines()
    assert table[0].split()[:5] == ["name", "version", "vertical", "active", "installed"]
    assert table[2].split()[:4] == ["tiny", "1.1.0", "general", "yes"]

    evaluated = runner.invoke(main, ["pack", "eval", "tiny", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert (report["pack"], report["version"], report["intent_accuracy"]) == ("tiny", "1.1.0", 1.0)
    assert report["misses"][0]["kind"] == "retrieval"

    rolled = runner.invoke(main, ["pack", "rollback", "tiny"])
    assert rolled.exit_code == 0 and rolled.output == "tiny: 1.0.0 is active again\n"
    again = runner.invoke(main, ["pack", "rollback", "tiny"])
    assert again.exit_code == 1
    assert "no earlier version to roll back to" in again.output


def test_errors_are_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"junk")
    result = runner.invoke(main, ["pack", "install", str(junk)])
    assert result.exit_code == 1
    assert "is not a Kefu pack archive" in result.output
    missing = runner.invoke(main, ["pack", "install", "no-such-pack"])
    assert missing.exit_code == 1
    assert "neither a pack folder, nor an archive, nor a registered pack" in missing.output
    assert runner.invoke(main, ["pack", "list"]).output == "no packs installed\n"
