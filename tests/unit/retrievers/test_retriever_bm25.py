"""The ``bm25`` retriever and its mixed Chinese/English tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.contracts import Chunk
from kefu.testing.retriever import CORPUS
from kefu_plugins.retrievers import BM25Retriever, MixedTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> MixedTokenizer:
    return MixedTokenizer()


def test_chinese_is_segmented_into_words(tokenizer: MixedTokenizer) -> None:
    words = tokenizer.tokenize("我的银行卡丢了，怎么冻结？")
    assert "银行卡" in words and "冻结" in words
    assert "，" not in words and "？" not in words
    assert "的" not in words  # a stop word


def test_english_is_lowercased_stemmed_and_stripped(tokenizer: MixedTokenizer) -> None:
    assert tokenizer.tokenize("Refunds REFUNDED, the refunding!") == ["refund", "refund", "refund"]


def test_mixed_full_width_and_emoji(tokenizer: MixedTokenizer) -> None:
    words = tokenizer.tokenize("我要退款 refund ＯＲＤＥＲ１２３ 😀📦")
    assert words == ["我要", "退款", "refund", "order123"]
    assert tokenizer.tokenize("😀📦 ... ！！") == []
    assert tokenizer.tokenize("") == []


def test_stemming_and_stop_words_can_be_turned_off() -> None:
    plain = MixedTokenizer(stemmer=None, stopwords=False)
    assert plain.tokenize("The refunds") == ["the", "refunds"]


def test_an_unknown_stemmer_language_is_refused() -> None:
    with pytest.raises(ValueError, match="klingon"):
        MixedTokenizer(stemmer="klingon")


@pytest.mark.parametrize(
    ("options", "name"),
    [({"k1": -1}, "k1"), ({"b": 2}, "b"), ({"method": "tfidf"}, "method")],
)
def test_bad_options_are_refused(options: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        BM25Retriever(**options)  # type: ignore[arg-type]


def test_chinese_and_english_queries_find_their_chunks() -> None:
    retriever = BM25Retriever()
    retriever.index(list(CORPUS))
    results = retriever.search(["银行卡被偷了怎么办", "how do I reset my password", "发票"], k=2)
    assert results[0][0].chunk.id == "zh-card"
    assert results[1][0].chunk.id == "en-password"
    assert results[2][0].chunk.id == "zh-invoice"


def test_only_chunks_sharing_a_word_are_returned() -> None:
    retriever = BM25Retriever()
    retriever.index(list(CORPUS))
    (hits,) = retriever.search(["invoices"], k=10)
    assert [hit.chunk.id for hit in hits] == ["en-invoice"]
    assert hits[0].score > 0
    assert retriever.search(["xylophone"], k=3) == [[]]


def test_a_collection_without_any_word_finds_nothing(tmp_path: Path) -> None:
    retriever = BM25Retriever()
    retriever.index([Chunk("smile", "😀😀"), Chunk("dots", "...")])
    assert retriever.search(["😀😀", "refund"], k=3) == [[], []]
    retriever.save(tmp_path)
    fresh = BM25Retriever()
    fresh.load(tmp_path)
    assert len(fresh) == 2
    assert fresh.search(["😀😀"], k=3) == [[]]


def test_load_restores_the_tokenizer_it_was_built_with(tmp_path: Path) -> None:
    unstemmed = BM25Retriever(stemmer=None)
    unstemmed.index([Chunk("a", "refunds and returns"), Chunk("b", "refund policy")])
    before = unstemmed.search(["refunds"], k=2)
    assert [h.chunk.id for h in before[0]] == ["a"]
    unstemmed.save(tmp_path)
    default = BM25Retriever()  # stems by default
    default.load(tmp_path)
    assert default.search(["refunds"], k=2) == before


def test_cjk_characters_can_be_indexed_beside_words() -> None:
    words = MixedTokenizer(cjk_chars=True).tokenize("包邮")
    assert words == ["包邮", "包", "邮"]
    assert MixedTokenizer().tokenize("包邮") == ["包邮"]
    retriever = BM25Retriever(cjk_chars=True)
    retriever.index([Chunk("ship", "订单满99元包邮"), Chunk("pay", "支持支付宝付款")])
    assert [h.chunk.id for h in retriever.search(["邮费多少"], k=2)[0]] == ["ship"]
    words_only = BM25Retriever()
    words_only.index([Chunk("ship", "订单满99元包邮"), Chunk("pay", "支持支付宝付款")])
    assert words_only.search(["邮费多少"], k=2) == [[]]
