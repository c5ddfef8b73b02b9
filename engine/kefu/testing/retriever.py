"""The Retriever conformance suite: subclass it and implement ``make_retriever``.

A retriever's test module does::

    class TestMyRetriever(RetrieverConformance):
        def make_retriever(self) -> Retriever:
            return MyRetriever(context)

        def embedder(self) -> Embedder | None:  # only for retrievers with uses_embeddings
            return the_embedder_the_retriever_uses

and inherits every test below. Retrievers must raise ``RuntimeError`` when searched before
``index``/``load``, ``ValueError`` for duplicate chunk ids, empty chunk text and ``k < 1``, and
``FileNotFoundError`` when loading a directory that holds no saved index.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kefu.contracts import Chunk, Embedder, Embeddings, Hit, Retriever

#: A small bilingual FAQ collection with two metadata keys to filter on.
CORPUS: tuple[Chunk, ...] = (
    Chunk(
        "en-refund",
        "Refunds are issued to the original payment method within 5-7 business days after "
        "we receive the returned item.",
        "faq",
        {"lang": "en", "topic": "refund"},
    ),
    Chunk(
        "en-shipping",
        "Standard shipping takes 3-5 days; express delivery arrives the next business day "
        "for orders placed before 2pm.",
        "faq",
        {"lang": "en", "topic": "shipping"},
    ),
    Chunk(
        "en-password",
        "To reset your password, click 'Forgot password' on the sign-in page and follow the "
        "link we email you.",
        "faq",
        {"lang": "en", "topic": "account"},
    ),
    Chunk(
        "en-card",
        "A lost or stolen card can be frozen instantly in the app under Cards > Freeze card.",
        "faq",
        {"lang": "en", "topic": "card"},
    ),
    Chunk(
        "en-invoice",
        "Invoices for company purchases can be downloaded as PDF files from the Orders page.",
        "faq",
        {"lang": "en", "topic": "billing"},
    ),
    Chunk(
        "en-hours",
        "Our support team is available from 9am to 9pm, Monday to Saturday, by chat and phone.",
        "faq",
        {"lang": "en", "topic": "contact"},
    ),
    Chunk(
        "zh-refund",
        "退款将在收到退货后的5至7个工作日内原路退回。",
        "faq",
        {"lang": "zh", "topic": "refund"},
    ),
    Chunk(
        "zh-shipping",
        "普通快递3到5天送达，下午两点前下单的加急订单次日送达。",
        "faq",
        {"lang": "zh", "topic": "shipping"},
    ),
    Chunk(
        "zh-password",
        "忘记密码时，请在登录页点击“忘记密码”，按邮件中的链接重置。",
        "faq",
        {"lang": "zh", "topic": "account"},
    ),
    Chunk(
        "zh-card",
        "银行卡丢失或被盗，可以在应用的“卡片”页面立即冻结。",
        "faq",
        {"lang": "zh", "topic": "card"},
    ),
    Chunk(
        "zh-invoice",
        "企业采购的发票可以在订单页面下载PDF版本。",
        "faq",
        {"lang": "zh", "topic": "billing"},
    ),
    Chunk(
        "zh-hours",
        "人工客服服务时间为周一至周六早九点到晚九点，可通过在线聊天或电话联系。",
        "faq",
        {"lang": "zh", "topic": "contact"},
    ),
)

QUERIES: tuple[str, ...] = (
    "how long does a refund take",
    "我的快递什么时候到",
    "I forgot my password",
    "发票 invoice PDF",
)

#: Queries that must never crash a retriever.
ODD_QUERIES: tuple[str, ...] = (
    "",
    "   \n\t ",
    "refund " * 1_430,  # about 10,000 characters
    "我的订单 where is my parcel 📦🚚 ??? 謝謝 refund退款",
    "😀" * 40,
)


class HashingEmbedder:
    """A deterministic stand-in :class:`~kefu.contracts.Embedder` for fast unit tests.

    Each text becomes a normalised bag of hashed words and character bigrams, so that identical
    texts embed identically and texts sharing words embed close together. Not a language model.
    """

    def __init__(self, dimension: int = 128, model_id: str = "kefu-test/hashing") -> None:
        self._dimension = dimension
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        """The fake model's name."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """The width of one embedding."""
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Embeddings:
        """Embed texts into L2-normalised float32 rows."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            lowered = text.lower()
            features = lowered.split() + [lowered[i : i + 2] for i in range(len(lowered) - 1)]
            for feature in features or ["<empty>"]:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self._dimension] += 1.0
            out[row] /= math.sqrt(float(np.dot(out[row], out[row])))
        return out


def _ids(hits: Sequence[Hit]) -> list[str]:
    return [hit.chunk.id for hit in hits]


class RetrieverConformance:
    """Behaviour every retriever, built-in or third-party, must show."""

    def make_retriever(self) -> Retriever:
        """Build a fresh, empty retriever under test with its default options."""
        raise NotImplementedError

    def embedder(self) -> Embedder | None:
        """The embedder the retriever uses (required when ``uses_embeddings`` is True)."""
        return None

    def corpus(self) -> list[Chunk]:
        """The chunks the suite indexes; override to use a collection of your own."""
        return list(CORPUS)

    def indexed(self) -> Retriever:
        """A retriever with :meth:`corpus` indexed."""
        retriever = self.make_retriever()
        retriever.index(self.corpus())
        return retriever

    def check_ranking(self, hits: Sequence[Hit], k: int) -> None:
        """Invariants of one query's result."""
        known = {chunk.id: chunk for chunk in self.corpus()}
        assert len(hits) <= k
        assert all(isinstance(hit, Hit) for hit in hits)
        assert all(known[hit.chunk.id] == hit.chunk for hit in hits)
        assert len(set(_ids(hits))) == len(hits), "a chunk appears twice in one result"
        scores = [hit.score for hit in hits]
        assert all(math.isfinite(score) for score in scores)
        assert scores == sorted(scores, reverse=True), "hits are not sorted by score"

    def test_batched_search_returns_one_ranked_list_per_query(self) -> None:
        retriever = self.indexed()
        results = retriever.search(list(QUERIES), k=3)
        assert len(results) == len(QUERIES)
        for hits in results:
            self.check_ranking(hits, 3)
        assert any(results), "no query found anything"

    def test_empty_batch_gives_empty_result(self) -> None:
        assert self.indexed().search([], k=3) == []

    @pytest.mark.parametrize("k", [1, 2, 5, 1_000])
    def test_at_most_k_hits(self, k: int) -> None:
        results = self.indexed().search(list(QUERIES), k=k)
        for hits in results:
            self.check_ranking(hits, k)
            assert len(hits) <= len(self.corpus())

    def test_exact_duplicate_query_finds_its_chunk_first(self) -> None:
        corpus = self.corpus()
        results = self.indexed().search([chunk.text for chunk in corpus], k=3)
        for chunk, hits in zip(corpus, results, strict=True):
            assert hits, f"nothing found for the text of {chunk.id!r}"
            assert hits[0].chunk.id == chunk.id, f"{chunk.id!r} ranked {_ids(hits)}"

    def test_filters_exclude_non_matching_chunks(self) -> None:
        retriever = self.indexed()
        corpus = self.corpus()
        filters = dict(corpus[-1].metadata)
        results = retriever.search([chunk.text for chunk in corpus], k=5, filters=filters)
        for chunk, hits in zip(corpus, results, strict=True):
            for hit in hits:
                assert all(hit.chunk.metadata.get(k) == v for k, v in filters.items())
            if chunk.metadata == filters:
                assert _ids(hits)[:1] == [chunk.id]
            else:
                assert chunk.id not in _ids(hits)

    def test_every_filter_key_must_match(self) -> None:
        retriever = self.indexed()
        corpus = self.corpus()
        first = corpus[0]
        key = next(iter(first.metadata))
        mixed = {key: first.metadata[key], "no-such-key": "x"}
        assert retriever.search([first.text], k=5, filters=mixed) == [[]]
        wrong = {key: "no-such-value"}
        assert retriever.search([first.text], k=5, filters=wrong) == [[]]

    def test_filters_do_not_lose_hits(self) -> None:
        retriever = self.indexed()
        if not retriever.uses_embeddings:
            # Keyword retrievers only return chunks that share words with the query.
            return
        corpus = self.corpus()
        key, value = next(iter(corpus[0].metadata.items()))
        matching = [c for c in corpus if c.metadata.get(key) == value]
        k = max(1, len(matching) - 1)
        for hits in retriever.search(list(QUERIES), k=k, filters={key: value}):
            assert len(hits) == k

    def test_save_then_load_gives_identical_results(self, tmp_path: Path) -> None:
        retriever = self.indexed()
        queries = [*QUERIES, *ODD_QUERIES]
        filters = dict(self.corpus()[0].metadata)
        before = retriever.search(queries, k=4)
        before_filtered = retriever.search(queries, k=4, filters=filters)
        retriever.save(tmp_path / "index")

        fresh = self.make_retriever()
        fresh.load(tmp_path / "index")
        after = fresh.search(queries, k=4)
        after_filtered = fresh.search(queries, k=4, filters=filters)
        for old, new in zip([*before, *before_filtered], [*after, *after_filtered], strict=True):
            assert _ids(new) == _ids(old)
            assert [h.chunk for h in new] == [h.chunk for h in old]
            assert [h.score for h in new] == pytest.approx([h.score for h in old], rel=1e-5)

    def test_load_from_a_directory_without_an_index_raises(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError):
            self.make_retriever().load(tmp_path)

    def test_search_before_index_raises(self) -> None:
        with pytest.raises(RuntimeError, match="index"):
            self.make_retriever().search(["refund"], k=3)

    def test_duplicate_chunk_ids_are_refused(self) -> None:
        corpus = self.corpus()
        twin = Chunk(corpus[0].id, "some other text about deliveries", "faq")
        with pytest.raises(ValueError, match=corpus[0].id):
            self.make_retriever().index([*corpus, twin])

    @pytest.mark.parametrize("text", ["", "   \n\t"])
    def test_empty_chunk_text_is_refused(self, text: str) -> None:
        corpus = self.corpus()
        with pytest.raises(ValueError, match="empty"):
            self.make_retriever().index([*corpus, Chunk("blank", text)])

    @pytest.mark.parametrize("k", [0, -1])
    def test_non_positive_k_is_refused(self, k: int) -> None:
        with pytest.raises(ValueError, match="k"):
            self.indexed().search(["refund"], k=k)

    def test_odd_queries_never_crash(self) -> None:
        retriever = self.indexed()
        results = retriever.search(list(ODD_QUERIES), k=3)
        assert len(results) == len(ODD_QUERIES)
        for hits in results:
            self.check_ranking(hits, 3)
        for query in ODD_QUERIES:
            (hits,) = retriever.search([query], k=3, filters=dict(self.corpus()[0].metadata))
            assert len(hits) <= 3

    def test_index_again_replaces_the_old_content(self) -> None:
        retriever = self.indexed()
        replacement = [
            Chunk("new-1", "Gift cards cannot be exchanged for cash.", "faq", {"lang": "en"}),
            Chunk("new-2", "会员积分每年十二月三十一日清零。", "faq", {"lang": "zh"}),
        ]
        retriever.index(replacement)
        old_ids = {chunk.id for chunk in self.corpus()}
        queries = [chunk.text for chunk in self.corpus()] + [c.text for c in replacement]
        for hits in retriever.search(queries, k=5):
            assert not old_ids & set(_ids(hits)), "a chunk of the old index was returned"
        results = retriever.search([c.text for c in replacement], k=1)
        assert [_ids(hits) for hits in results] == [["new-1"], ["new-2"]]

    def test_precomputed_embeddings_give_the_same_result(self) -> None:
        retriever = self.indexed()
        queries = [*QUERIES, *ODD_QUERIES]
        if retriever.uses_embeddings:
            embedder = self.embedder()
            assert embedder is not None, "override embedder() for a retriever using embeddings"
            embeddings = embedder.encode(queries)
        else:
            # Retrievers that do not use embeddings must accept and ignore them.
            embeddings = np.ones((len(queries), 8), dtype=np.float32)
        plain = retriever.search(queries, k=4)
        given = retriever.search(queries, k=4, embeddings=embeddings)
        for old, new in zip(plain, given, strict=True):
            assert _ids(new) == _ids(old)
            assert [h.score for h in new] == pytest.approx([h.score for h in old], rel=1e-4)
