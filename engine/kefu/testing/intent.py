"""The conformance suite every :class:`~kefu.contracts.IntentRecognizer` must pass.

Subclass :class:`IntentRecognizerSuite` in a test module, implement :meth:`make_recognizer`
(and :meth:`make_out_of_scope_recognizer`, plus :meth:`make_embedder` when the recognizer reads
embeddings), and pytest runs every test below against your plugin::

    class TestMyRecognizer(IntentRecognizerSuite):
        def make_recognizer(self) -> IntentRecognizer:
            return MyRecognizer(context)

        def make_out_of_scope_recognizer(self) -> IntentRecognizer:
            return MyRecognizer(context, threshold=0.5)

The suite trains on a small built-in set of five customer-service intents (8 examples each),
so a recognizer is fitted only a few times per class.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from kefu.contracts import (
    OUT_OF_SCOPE,
    Embedder,
    IntentExample,
    IntentPrediction,
    IntentRecognizer,
)

_TRAINING: dict[str, tuple[str, ...]] = {
    "card_arrival": (
        "my new card has not arrived yet",
        "when will my card be delivered",
        "I am still waiting for my card",
        "how long does it take for the card to arrive",
        "the card you sent me never came",
        "where is my bank card, it should be here by now",
        "has my card been posted already",
        "track the delivery of my debit card",
    ),
    "refund_request": (
        "I want my money back for this order",
        "please refund my purchase",
        "how do I get a refund",
        "can I return the item and be reimbursed",
        "the product was broken, I need a refund",
        "refund the charge for my last order",
        "I would like to request a refund",
        "when will I receive my refund",
    ),
    "reset_password": (
        "I forgot my password",
        "how do I reset my password",
        "I cannot log in, my password is wrong",
        "change my account password",
        "send me a password reset link",
        "locked out of my account, need a new password",
        "my password does not work anymore",
        "help me recover my login password",
    ),
    "opening_hours": (
        "what time do you open",
        "when does the store close today",
        "are you open on sunday",
        "what are your opening hours",
        "is the shop open on public holidays",
        "until what time are you open tonight",
        "business hours please",
        "when can I visit the branch",
    ),
    "shipping_cost": (
        "how much is shipping",
        "do you offer free delivery",
        "what does postage cost to canada",
        "shipping fee for international orders",
        "is delivery free over 50 dollars",
        "how much do you charge for express shipping",
        "cost of sending the parcel abroad",
        "are there delivery charges",
    ),
}

#: Paraphrases not in the training set, with the intent they belong to.
_HELD_OUT: tuple[tuple[str, str], ...] = (
    ("my card still hasn't arrived", "card_arrival"),
    ("when is the card going to be delivered to me", "card_arrival"),
    ("I need a refund for my order", "refund_request"),
    ("give me my money back please", "refund_request"),
    ("I forgot my login password, how can I reset it", "reset_password"),
    ("reset my password please", "reset_password"),
    ("what are your hours on saturday", "opening_hours"),
    ("what time does the store open", "opening_hours"),
    ("how much does shipping cost", "shipping_cost"),
    ("is shipping free", "shipping_cost"),
)

#: Texts no customer-service intent above covers.
UNRELATED: tuple[str, ...] = (
    "the mitochondria is the powerhouse of the cell",
    "photosynthesis converts light into chemical energy in chloroplasts",
    "xq zzv plorb kwyjibo frump",
    "the quadratic formula solves second degree polynomial equations",
    "volcanic eruptions release sulfur dioxide into the stratosphere",
)

#: Inputs that must never crash a recognizer.
ODD_TEXTS: tuple[str, ...] = (
    "",
    "   \n\t ",
    "card " * 2_000,  # 10,000 characters
    "我的卡还没到 my card is late 😭🔥💳",
    "退款 refund 🙏",
    "\u200b\u0000\ufeff",
)


def training_examples() -> list[IntentExample]:
    """The suite's training set: five intents, eight examples each."""
    return [IntentExample(text, label) for label, texts in _TRAINING.items() for text in texts]


class IntentRecognizerSuite(abc.ABC):
    """Behaviour every intent recognizer shares; subclass it and implement the factories."""

    #: Fraction of the held-out paraphrases that must be recognised correctly.
    min_held_out_accuracy: ClassVar[float] = 0.7
    #: Fraction of :data:`UNRELATED` texts the out-of-scope recognizer must refuse.
    min_refused_unrelated: ClassVar[float] = 0.8
    #: Fraction of held-out paraphrases the out-of-scope recognizer must still accept.
    min_accepted_in_scope: ClassVar[float] = 0.6
    #: Tolerance when comparing confidences that should be identical (save/load, embeddings).
    confidence_tolerance: ClassVar[float] = 1e-5

    @abc.abstractmethod
    def make_recognizer(self) -> IntentRecognizer:
        """A fresh, unfitted recognizer with out-of-scope detection off."""

    @abc.abstractmethod
    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        """A fresh, unfitted recognizer configured to refuse texts unlike its intents."""

    def make_embedder(self) -> Embedder | None:
        """The embedder whose rows ``predict(embeddings=...)`` accepts (needed if it reads them)."""
        return None

    # -- fixtures ------------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls) -> IntentRecognizer:
        """A recognizer fitted once on the suite's training set, shared by the class's tests."""
        recognizer = cls().make_recognizer()
        recognizer.fit(training_examples())
        return recognizer

    @pytest.fixture(scope="class")
    @classmethod
    def fitted_out_of_scope(cls) -> IntentRecognizer:
        """The out-of-scope recognizer, fitted once."""
        recognizer = cls().make_out_of_scope_recognizer()
        recognizer.fit(training_examples())
        return recognizer

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def assert_well_formed(
        predictions: Sequence[IntentPrediction], texts: Sequence[str], labels: Sequence[str]
    ) -> None:
        """One prediction per text, each with a sorted ranking of known intents in [0, 1]."""
        assert len(predictions) == len(texts)
        known = set(labels)
        for prediction in predictions:
            assert isinstance(prediction, IntentPrediction)
            assert 0.0 <= prediction.confidence <= 1.0
            assert prediction.label == OUT_OF_SCOPE or prediction.label in known
            assert prediction.ranking, "the ranking must list at least the best intent"
            scores = [score.confidence for score in prediction.ranking]
            assert scores == sorted(scores, reverse=True), "ranking must be best first"
            assert all(0.0 <= score <= 1.0 for score in scores)
            assert all(score.label in known for score in prediction.ranking)
            assert len({score.label for score in prediction.ranking}) == len(prediction.ranking)
            if prediction.label != OUT_OF_SCOPE:
                assert prediction.label == prediction.ranking[0].label
            assert prediction.confidence == pytest.approx(prediction.ranking[0].confidence)

    def assert_same_predictions(
        self, first: Sequence[IntentPrediction], second: Sequence[IntentPrediction]
    ) -> None:
        """Same labels and rankings, confidences equal within :attr:`confidence_tolerance`."""
        assert [p.label for p in first] == [p.label for p in second]
        for a, b in zip(first, second, strict=True):
            assert a.confidence == pytest.approx(b.confidence, abs=self.confidence_tolerance)
            assert [s.label for s in a.ranking][:1] == [s.label for s in b.ranking][:1]

    # -- tests ---------------------------------------------------------------------------------

    def test_labels_after_fit(self, fitted: IntentRecognizer) -> None:
        assert sorted(fitted.labels) == sorted(_TRAINING)

    def test_batched_predict_is_well_formed(self, fitted: IntentRecognizer) -> None:
        texts = [text for text, _ in _HELD_OUT]
        predictions = fitted.predict(texts)
        self.assert_well_formed(predictions, texts, fitted.labels)
        assert all(p.label != OUT_OF_SCOPE for p in predictions), "no threshold was configured"

    def test_batch_matches_single_texts(self, fitted: IntentRecognizer) -> None:
        texts = [text for text, _ in _HELD_OUT[:4]]
        batched = fitted.predict(texts)
        single = [fitted.predict([text])[0] for text in texts]
        self.assert_same_predictions(batched, single)

    def test_recognises_held_out_paraphrases(self, fitted: IntentRecognizer) -> None:
        predictions = fitted.predict([text for text, _ in _HELD_OUT])
        correct = sum(
            p.label == label for p, (_, label) in zip(predictions, _HELD_OUT, strict=True)
        )
        assert correct / len(_HELD_OUT) >= self.min_held_out_accuracy, [
            p.label for p in predictions
        ]

    def test_empty_batch(self, fitted: IntentRecognizer) -> None:
        assert fitted.predict([]) == []

    def test_odd_inputs_never_crash(self, fitted: IntentRecognizer) -> None:
        predictions = fitted.predict(list(ODD_TEXTS))
        self.assert_well_formed(predictions, ODD_TEXTS, fitted.labels)

    def test_save_then_load_into_fresh_instance(
        self, fitted: IntentRecognizer, tmp_path: Path
    ) -> None:
        texts = [text for text, _ in _HELD_OUT] + list(ODD_TEXTS[:2])
        fitted.save(tmp_path / "model")
        fresh = self.make_recognizer()
        fresh.load(tmp_path / "model")
        assert fresh.labels == fitted.labels
        self.assert_same_predictions(fresh.predict(texts), fitted.predict(texts))

    def test_load_missing_directory_fails_clearly(self, tmp_path: Path) -> None:
        with pytest.raises((FileNotFoundError, ValueError)):
            self.make_recognizer().load(tmp_path / "nothing-here")

    def test_predict_before_fit_raises(self) -> None:
        with pytest.raises(RuntimeError, match="fit"):
            self.make_recognizer().predict(["where is my card"])

    def test_save_before_fit_raises(self, tmp_path: Path) -> None:
        with pytest.raises(RuntimeError, match="fit"):
            self.make_recognizer().save(tmp_path / "model")

    def test_fit_with_one_label_raises(self) -> None:
        examples = [IntentExample(text, "refund_request") for text in _TRAINING["refund_request"]]
        with pytest.raises(ValueError, match="2"):
            self.make_recognizer().fit(examples)

    def test_fit_without_examples_raises(self) -> None:
        with pytest.raises(ValueError):
            self.make_recognizer().fit([])

    def test_fit_with_empty_text_raises(self) -> None:
        examples = [*training_examples(), IntentExample("  ", "refund_request")]
        with pytest.raises(ValueError, match="empty"):
            self.make_recognizer().fit(examples)

    def test_predict_rejects_a_bare_string(self, fitted: IntentRecognizer) -> None:
        with pytest.raises(TypeError):
            fitted.predict("where is my card")

    def test_refuses_unrelated_texts(self, fitted_out_of_scope: IntentRecognizer) -> None:
        predictions = fitted_out_of_scope.predict(list(UNRELATED))
        self.assert_well_formed(predictions, UNRELATED, fitted_out_of_scope.labels)
        refused = sum(p.label == OUT_OF_SCOPE for p in predictions)
        assert refused / len(UNRELATED) >= self.min_refused_unrelated, [
            (p.label, round(p.confidence, 3)) for p in predictions
        ]
        for prediction in predictions:
            assert not prediction.in_scope or prediction.label in fitted_out_of_scope.labels

    def test_out_of_scope_keeps_in_scope_texts(self, fitted_out_of_scope: IntentRecognizer) -> None:
        predictions = fitted_out_of_scope.predict([text for text, _ in _HELD_OUT])
        correct = sum(
            p.label == label for p, (_, label) in zip(predictions, _HELD_OUT, strict=True)
        )
        assert correct / len(_HELD_OUT) >= self.min_accepted_in_scope, [
            (p.label, round(p.confidence, 3)) for p in predictions
        ]

    def test_precomputed_embeddings_give_the_same_answer(self, fitted: IntentRecognizer) -> None:
        texts = [text for text, _ in _HELD_OUT] + list(ODD_TEXTS)
        embedder = self.make_embedder()
        if embedder is None:
            assert not fitted.uses_embeddings, "make_embedder() must return the embedder it reads"
            # A recognizer that does not read embeddings must ignore them.
            embeddings = np.zeros((len(texts), 8), dtype=np.float32)
        else:
            embeddings = embedder.encode(texts)
        self.assert_same_predictions(
            fitted.predict(texts, embeddings=embeddings), fitted.predict(texts)
        )

    def test_wrongly_shaped_embeddings_fail_clearly(self, fitted: IntentRecognizer) -> None:
        wrong = np.zeros((1, 3), dtype=np.float32)
        if not fitted.uses_embeddings:
            assert len(fitted.predict(["one", "two"], embeddings=wrong)) == 2  # ignored
            return
        with pytest.raises(ValueError, match="shape"):
            fitted.predict(["one", "two"], embeddings=wrong)

    def test_fit_replaces_what_was_learned(self) -> None:
        recognizer = self.make_recognizer()
        recognizer.fit(training_examples())
        subset = [e for e in training_examples() if e.label in ("refund_request", "opening_hours")]
        recognizer.fit(subset)
        assert sorted(recognizer.labels) == ["opening_hours", "refund_request"]
        prediction = recognizer.predict(["please refund my purchase"])[0]
        assert prediction.label == "refund_request"
