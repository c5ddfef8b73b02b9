"""The sensitive_words filter: conformance, matching rules, offsets, actions and word files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu import registry
from kefu.contracts import FilterAction, Match, MessageFilter, PluginContext
from kefu.testing.filter import MessageFilterConformance
from kefu_plugins.filters.sensitive_words import THREAD_THRESHOLD, SensitiveWordFilter
from kefu_plugins.filters.wordlist import WordListError, default_words, parse_word_list

_DEFAULT = SensitiveWordFilter()


class TestSensitiveWordFilter(MessageFilterConformance):
    examples = (
        ("where is my parcel?", FilterAction.ALLOW),
        ("this is fucking slow", FilterAction.MASK),
        ("你们客服都是傻逼吗", FilterAction.MASK),
        ("they promised guaranteed returns", FilterAction.FLAG),
        ("他说保本保息", FilterAction.FLAG),
        ("I want to die", FilterAction.FLAG),
        ("我不想活了", FilterAction.FLAG),
    )

    async def make_filter(self) -> MessageFilter:
        return _DEFAULT


def spans(text: str, flt: SensitiveWordFilter = _DEFAULT) -> list[tuple[str, str, str]]:
    """(original span, listed term, category) for every match."""
    verdict = flt.inspect_sync(text)
    return [(text[m.start : m.end], m.term, m.category) for m in verdict.matches]


# ------------------------------------------------------------------------------ matching rules


@pytest.mark.parametrize(
    "text",
    [
        "I'm in class today",
        "please assess my claim",
        "a bass guitar",
        "shitake mushrooms",
        "Scunthorpe United",
        "跳楼价大促销",
        "妈妈的生日礼物",
        "",
    ],
)
def test_innocent_text_is_allowed(text: str) -> None:
    verdict = _DEFAULT.inspect_sync(text)
    assert verdict.action is FilterAction.ALLOW
    assert verdict.matches == () and verdict.redacted is None


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("FUCK this", "FUCK"),
        ("Fuck this", "Fuck"),
        ("ｆｕｃｋ this", "ｆｕｃｋ"),  # full-width Latin
        ("ＦＵＣＫ this", "ＦＵＣＫ"),
        ("this, fuck!", "fuck"),
        ("(fuck)", "fuck"),
        ("你真fuck", "fuck"),  # CJK next to a Latin word is a boundary
        ("fuck你", "fuck"),
        ("fu\u200bck", "fu\u200bck"),  # zero-width space inside the word
    ],
)
def test_latin_terms_match_case_and_width_blind_on_word_boundaries(text: str, span: str) -> None:
    assert spans(text) == [(span, "fuck", "abuse")]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("你是傻逼", "傻逼"),
        ("傻逼客服", "傻逼"),
        ("垃圾傻逼垃圾", "傻逼"),
        ("你个傻Ｂ", "傻Ｂ"),  # full-width B, folded to the listed 傻b
        ("你个傻B", "傻B"),
    ],
)
def test_cjk_terms_match_without_boundaries(text: str, span: str) -> None:
    [(found, _term, category)] = spans(text)
    assert (found, category) == (span, "abuse")


def test_spaces_inserted_between_chinese_characters_do_not_hide_a_term() -> None:
    text = "他们说 保 本　保 息 的"
    [(span, term, category)] = spans(text)
    assert (span, term, category) == ("保 本　保 息", "保本保息", "fraud")


def test_whitespace_runs_in_english_phrases_are_collapsed() -> None:
    text = "they said Guaranteed \n  RETURNS!"
    assert spans(text) == [("Guaranteed \n  RETURNS", "guaranteed returns", "fraud")]


def test_offsets_point_into_the_original_text_after_expanding_characters() -> None:
    # ß folds to 'ss' and ① to '1': offsets after them must still be original offsets.
    text = "straße ① ﬁne, but fuck it"
    [match] = _DEFAULT.inspect_sync(text).matches
    assert text[match.start : match.end] == "fuck"
    assert match == Match("fuck", 18, 22, "abuse")


def test_combining_marks_and_emoji_keep_offsets_right() -> None:
    text = "cafe\u0301 👩‍👩‍👧 shit 😀 傻逼"
    found = spans(text)
    assert [f[0] for f in found] == ["shit", "傻逼"]


def test_overlapping_terms_are_all_reported() -> None:
    text = "you son of a bitch"
    found = spans(text)
    assert ("son of a bitch", "son of a bitch", "abuse") in found
    assert ("bitch", "bitch", "abuse") in found


def test_repeated_terms_are_each_reported_in_order() -> None:
    verdict = _DEFAULT.inspect_sync("shit, shit and 傻逼 shit")
    assert [(m.term, m.start) for m in verdict.matches] == [
        ("shit", 0),
        ("shit", 6),
        ("傻逼", 15),
        ("shit", 18),
    ]


# ------------------------------------------------------------------------------ actions


def test_mask_rewrites_only_masked_spans_of_the_original() -> None:
    text = "ＦＵＣＫ this 傻逼 company, I want to die"
    verdict = _DEFAULT.inspect_sync(text)
    assert verdict.action is FilterAction.MASK
    assert verdict.redacted == "**** this ** company, I want to die"
    assert {m.category for m in verdict.matches} == {"abuse", "self_harm"}


def test_flag_only_leaves_text_alone() -> None:
    verdict = _DEFAULT.inspect_sync("我想自杀")
    assert verdict.action is FilterAction.FLAG
    assert verdict.redacted is None
    assert verdict.matches == (Match("自杀", 2, 4, "self_harm"),)


def test_block_is_the_strongest_action(tmp_path: Path) -> None:
    words = tmp_path / "finance.tsv"
    words.write_text("保本保息\tfinance_compliance\tblock\n", encoding="utf-8")
    flt = SensitiveWordFilter(words_file=words)
    verdict = flt.inspect_sync("傻逼，本产品保本保息")
    assert verdict.action is FilterAction.BLOCK
    assert verdict.redacted == "**，本产品****"
    assert [m.category for m in verdict.matches] == ["abuse", "finance_compliance"]


async def test_long_texts_are_inspected_in_a_thread_with_the_same_result() -> None:
    text = ("fine words " * 400)[: THREAD_THRESHOLD + 50] + " 傻逼"
    verdict = await _DEFAULT.inspect(text)
    assert verdict == _DEFAULT.inspect_sync(text)
    assert verdict.matches[-1] == Match("傻逼", len(text) - 2, len(text), "abuse")


# ------------------------------------------------------------------------------ word files


def test_site_file_adds_overrides_and_switches_off_default_words(tmp_path: Path) -> None:
    words = tmp_path / "site.tsv"
    words.write_text(
        "\ufeff# our list\n\nrefund scam\tfraud\tblock\nSHIT\tabuse\tflag\nbastard\tabuse\tallow\n",
        encoding="utf-8",
    )
    flt = SensitiveWordFilter(words_file=words)
    assert len(flt) == len(_DEFAULT) + 1 - 1
    assert flt.inspect_sync("this is a refund scam").action is FilterAction.BLOCK
    shit = flt.inspect_sync("oh shit")
    assert shit.action is FilterAction.FLAG and shit.redacted is None
    assert flt.inspect_sync("you bastard").action is FilterAction.ALLOW


def test_site_file_alone(tmp_path: Path) -> None:
    words = tmp_path / "only.tsv"
    words.write_text("widget\tproduct\tflag\n", encoding="utf-8")
    flt = SensitiveWordFilter(words_file=words, include_default=False)
    assert len(flt) == 1
    assert flt.inspect_sync("fuck").action is FilterAction.ALLOW
    assert flt.inspect_sync("a Widget!").action is FilterAction.FLAG


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ok\tabuse\tmask\nbroken line\n", r":2: expected 'word<TAB>category<TAB>action'"),
        ("a\tb\tc\td\n", r":1: expected .* got 4"),
        ("\tabuse\tmask\n", r":1: the word is empty"),
        ("word\t\tmask\n", r":1: category ''"),
        ("word\tbad category\tmask\n", r":1: category 'bad category'"),
        ("word\tabuse\tdelete\n", r":1: unknown action 'delete'; use one of allow, flag"),
        ("\u200b\tabuse\tmask\n", r":1: the word '\\u200b' is only spaces"),
        ("scam\tfraud\tflag\n\nSCAM\tfraud\tblock\n", r":3: 'SCAM' is already listed on line 1"),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    words = tmp_path / "bad.tsv"
    words.write_text(content, encoding="utf-8")
    with pytest.raises(WordListError, match=rf"^{tmp_path / 'bad.tsv'}{message}"):
        SensitiveWordFilter(words_file=words)


def test_missing_and_undecodable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(WordListError, match=r"nope\.tsv: sensitive-word file not found"):
        SensitiveWordFilter(words_file=tmp_path / "nope.tsv")
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("café\tfood\tflag\n".encode("latin-1"))
    with pytest.raises(WordListError, match=r"latin1\.tsv: not UTF-8 text"):
        SensitiveWordFilter(words_file=latin1)


def test_identical_duplicates_are_tolerated() -> None:
    entries = parse_word_list("scam\tfraud\tflag\nscam\tfraud\tflag\n", "x")
    assert len(entries) == 1


def test_no_words_at_all_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no words"):
        SensitiveWordFilter(words_file=empty, include_default=False)
    with pytest.raises(ValueError, match="has no words"):
        SensitiveWordFilter(include_default=False)


def test_default_list_covers_each_category_with_sensible_actions() -> None:
    entries = default_words()
    by_category: dict[str, set[FilterAction]] = {}
    for entry in entries:
        by_category.setdefault(entry.category, set()).add(entry.action)
    assert by_category == {
        "abuse": {FilterAction.MASK},
        "fraud": {FilterAction.FLAG},
        "self_harm": {FilterAction.FLAG},
    }
    assert len(entries) == len(_DEFAULT)


# ------------------------------------------------------------------------------ plugin loading


def test_loads_through_the_kefu_filter_entry_point(tmp_path: Path) -> None:
    flt = registry.load("kefu.filter", "sensitive_words", PluginContext(data_dir=tmp_path))
    assert isinstance(flt, SensitiveWordFilter)
    assert isinstance(flt, MessageFilter)
    assert flt.name == "sensitive_words"
