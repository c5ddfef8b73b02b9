"""Word tokenization for keyword retrieval over Chinese, English and mixed customer messages."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import jieba
from bm25s.stopwords import STOPWORDS_CHINESE, STOPWORDS_EN_PLUS

jieba.setLogLevel(logging.WARNING)

_jieba_lock = threading.Lock()
_jieba: Any = None


def _segmenter() -> Any:
    """One jieba tokenizer per process: its dictionary takes about a second to load."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _jieba = tokenizer
    return _jieba


def _make_stemmer(language: str) -> Callable[[str], str]:
    """A Snowball stemmer for ``language`` (PyStemmer)."""
    import Stemmer

    try:
        stemmer = Stemmer.Stemmer(language)
    except KeyError as exc:
        known = ", ".join(sorted(Stemmer.algorithms()))
        raise ValueError(f"no stemmer for {language!r}; known: {known}") from exc
    stem: Callable[[str], str] = stemmer.stemWord
    return stem


def _is_cjk(word: str) -> bool:
    """True when every character is a CJK ideograph."""
    return all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in word)


class MixedTokenizer:
    """Splits text into lowercase words: jieba for Chinese, letters and digits for the rest.

    Text is NFKC-normalised first (full-width letters and digits become ASCII), then segmented
    with jieba's search mode (a long Chinese word also yields its shorter words, which helps
    recall). Tokens without a letter or digit (punctuation, spaces, emoji) are dropped, and so
    are common English and Chinese stop words unless ``stopwords`` is False. ASCII words are
    stemmed with the Snowball ``stemmer`` language; None turns stemming off.

    ``cjk_chars`` also emits each character of a Chinese word, so that paraphrases sharing a
    character match ("邮费" and "包邮"). It lifted keyword recall@1 on Kefu's bilingual FAQ test
    from 0.80 to 0.93 on Chinese questions, but the extra weak matches hurt the hybrid
    retriever's fusion, so it is off by default.
    """

    def __init__(
        self, *, stemmer: str | None = "english", stopwords: bool = True, cjk_chars: bool = False
    ) -> None:
        if stemmer is not None and not isinstance(stemmer, str):
            raise TypeError(f"stemmer must be a language name or None, got {stemmer!r}")
        self._stem = _make_stemmer(stemmer) if stemmer else None
        self._cjk_chars = cjk_chars
        self._stopwords: frozenset[str] = (
            frozenset(STOPWORDS_EN_PLUS) | frozenset(STOPWORDS_CHINESE)
            if stopwords
            else frozenset()
        )

    def tokenize(self, text: str) -> list[str]:
        """The words of ``text``, in order, for indexing or querying."""
        normalised = unicodedata.normalize("NFKC", text).casefold()
        words: list[str] = []
        for piece in _segmenter().cut_for_search(normalised, HMM=True):
            word = piece.strip()
            if not word or not any(ch.isalnum() for ch in word) or word in self._stopwords:
                continue
            if self._stem is not None and word.isascii() and word.isalpha():
                word = self._stem(word)
            words.append(word)
            if self._cjk_chars and len(word) > 1 and _is_cjk(word):
                words.extend(ch for ch in word if ch not in self._stopwords)
        return words

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        """:meth:`tokenize` for each text."""
        return [self.tokenize(text) for text in texts]
