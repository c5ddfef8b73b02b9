"""Normalisation for matching: folding rules and the map back to original offsets."""

from __future__ import annotations

import random

import pytest

from kefu_plugins.filters.normalise import _normalise_generally, is_word_char, normalise


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello World", "hello world"),
        ("ＦＵＬＬ　ｗｉｄｔｈ", "full width"),
        ("ﬁne ① ㈱", "fine 1 (株)"),
        ("STRASSE straße", "strasse strasse"),
        ("a \t\n b", "a b"),
        ("保 本\u3000保  息", "保本保息"),
        ("中 english 文", "中 english 文"),
        ("in\u200bvisible\ufeff", "invisible"),
        ("e\u0301", "é"),
        ("", ""),
    ],
)
def test_folding(text: str, folded: str) -> None:
    assert normalise(text).text == folded


def test_every_normalised_character_maps_back_into_the_original() -> None:
    text = "ß① ﬁ  Ｘ\u200by 保 本 e\u0301"
    norm = normalise(text)
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for start, end in zip(norm.starts, norm.ends, strict=True):
        assert 0 <= start < end <= len(text)
    assert list(norm.starts) == sorted(norm.starts)
    # 'ß' folds to 'ss': both characters come from original offset 0.
    assert norm.text.startswith("ss1")
    assert norm.original_span(0, 2) == (0, 1)


def test_fast_path_agrees_with_the_general_path() -> None:
    alphabet = "abcAB Ｆ你好 \t😀ßéİ，１①ﬁ가\u0301\u200b\u1100\u1161\u3000"
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        fast, general = normalise(text), _normalise_generally(text)
        assert fast.text == general.text, text
        assert list(fast.starts) == list(general.starts), text
        assert list(fast.ends) == list(general.ends), text


@pytest.mark.parametrize(("char", "expected"), [("a", True), ("9", True), ("é", True)])
def test_latin_letters_and_digits_are_word_characters(char: str, expected: bool) -> None:
    assert is_word_char(char) is expected


@pytest.mark.parametrize("char", ["你", "カ", "한", " ", "-", "'", "😀"])
def test_cjk_spaces_and_symbols_are_not_word_characters(char: str) -> None:
    assert not is_word_char(char)
