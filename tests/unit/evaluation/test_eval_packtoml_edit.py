"""Editing pack.toml in place: only the intended keys change, comments and layout stay."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kefu.evaluation.errors import DataError
from kefu.evaluation.packtoml_edit import set_plugin, set_reply_threshold

PACK_TOML = """\
# The finance pack
[pack]
name = "finance"   # unique
version = "1.0.0"

[plugins]
intent = "tfidf"
retriever = "hybrid"
policy = "finance_compliance"

[plugins.intent_options]
C = 20.0

[thresholds]
reply = 0.7          # the bot answers alone from here
out_of_scope = 0.3
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    (tmp_path / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    return tmp_path


def test_reply_threshold_is_replaced_keeping_the_comment(pack: Path) -> None:
    set_reply_threshold(pack, 0.8125)
    text = (pack / "pack.toml").read_text()
    assert "reply = 0.8125          # the bot answers alone from here" in text
    assert text.replace("0.8125", "0.7") == PACK_TOML


def test_reply_threshold_is_added_when_the_table_lacks_it(tmp_path: Path) -> None:
    (tmp_path / "pack.toml").write_text('[pack]\nname = "x"\n\n[thresholds]\nout_of_scope = 0.2\n')
    set_reply_threshold(tmp_path, 0.9)
    assert tomllib.loads((tmp_path / "pack.toml").read_text())["thresholds"] == {
        "reply": 0.9,
        "out_of_scope": 0.2,
    }


def test_thresholds_table_is_appended_when_missing(tmp_path: Path) -> None:
    (tmp_path / "pack.toml").write_text('[pack]\nname = "x"\n')
    set_reply_threshold(tmp_path, 0.5)
    data = tomllib.loads((tmp_path / "pack.toml").read_text())
    assert data == {"pack": {"name": "x"}, "thresholds": {"reply": 0.5}}


def test_dotted_keys_are_refused_without_writing(tmp_path: Path) -> None:
    original = 'thresholds = { reply = 0.7 }\n\n[pack]\nname = "x"\n'
    (tmp_path / "pack.toml").write_text(original)
    with pytest.raises(DataError, match="could not be edited safely"):
        set_reply_threshold(tmp_path, 0.9)
    assert (tmp_path / "pack.toml").read_text() == original


def test_plugin_and_options_are_replaced(pack: Path) -> None:
    set_plugin(
        pack,
        "intent",
        "ensemble",
        {"members": ["tfidf", "embedding"], "member_options": {"tfidf": {"C": 5}}},
    )
    text = (pack / "pack.toml").read_text()
    data = tomllib.loads(text)
    assert data["plugins"]["intent"] == "ensemble"
    assert data["plugins"]["intent_options"] == {
        "members": ["tfidf", "embedding"],
        "member_options": {"tfidf": {"C": 5}},
    }
    assert data["plugins"]["retriever"] == "hybrid"
    assert data["thresholds"] == {"reply": 0.7, "out_of_scope": 0.3}
    assert text.startswith("# The finance pack\n")
    assert "C = 20.0" not in text


def test_options_table_is_added_and_none_is_refused(pack: Path) -> None:
    set_plugin(pack, "retriever", "bm25", {"k1": 1.2})
    assert tomllib.loads((pack / "pack.toml").read_text())["plugins"]["retriever_options"] == {
        "k1": 1.2
    }
    with pytest.raises(DataError, match="None, which TOML cannot hold"):
        set_plugin(pack, "intent", "tfidf", {"threshold": None})


def test_missing_pack_toml_and_bad_threshold(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        set_reply_threshold(tmp_path, 0.5)
    with pytest.raises(DataError, match=r"in \[0, 1\]"):
        set_reply_threshold(tmp_path, 1.5)
