"""The tfidf recognizer: the conformance suite, Chinese text and its options."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu import registry
from kefu.contracts import OUT_OF_SCOPE, IntentExample, IntentRecognizer, PluginContext
from kefu.testing.intent import IntentRecognizerSuite, training_examples
from kefu_plugins.intent.tfidf import TfidfIntentRecognizer

CONTEXT = PluginContext(data_dir=Path("."))


class TestTfidfLogreg(IntentRecognizerSuite):
    def make_recognizer(self) -> IntentRecognizer:
        return TfidfIntentRecognizer(CONTEXT)

    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        return TfidfIntentRecognizer(CONTEXT, threshold=0.45)


class TestTfidfSvm(IntentRecognizerSuite):
    def make_recognizer(self) -> IntentRecognizer:
        return TfidfIntentRecognizer(CONTEXT, classifier="svm")

    def make_out_of_scope_recognizer(self) -> IntentRecognizer:
        return TfidfIntentRecognizer(CONTEXT, classifier="svm", threshold=0.45)


CHINESE = {
    "退款": ["我要退款", "怎么申请退款", "退款什么时候到账", "订单退款怎么操作", "能不能给我退钱"],
    "物流": ["我的快递到哪了", "包裹什么时候送到", "查一下物流信息", "快递怎么还没到", "发货了吗"],
    "密码": ["忘记密码了", "怎么修改登录密码", "密码错误登不上", "重置密码", "账户密码找回"],
}


def test_registered_under_kefu_intent() -> None:
    recognizer = registry.load("kefu.intent", "tfidf", CONTEXT, threshold=0.3)
    assert isinstance(recognizer, TfidfIntentRecognizer)
    assert isinstance(recognizer, IntentRecognizer)
    assert recognizer.uses_embeddings is False


def test_learns_chinese_without_word_segmentation() -> None:
    recognizer = TfidfIntentRecognizer(CONTEXT)
    recognizer.fit([IntentExample(t, label) for label, texts in CHINESE.items() for t in texts])
    predictions = recognizer.predict(["退款多久能到账", "快递到哪里了", "我忘了密码"])
    assert [p.label for p in predictions] == ["退款", "物流", "密码"]


def test_margin_refuses_hesitant_answers() -> None:
    recognizer = TfidfIntentRecognizer(CONTEXT, margin=0.99)
    recognizer.fit(training_examples())
    assert all(p.label == OUT_OF_SCOPE for p in recognizer.predict(["refund", "password"]))


def test_ranking_length_follows_top_k() -> None:
    recognizer = TfidfIntentRecognizer(CONTEXT, top_k=2)
    recognizer.fit(training_examples())
    assert len(recognizer.predict(["refund please"])[0].ranking) == 2


def test_probabilities_sum_to_one() -> None:
    recognizer = TfidfIntentRecognizer(CONTEXT)
    recognizer.fit(training_examples())
    probabilities = recognizer.predict_proba(["refund please", "what time do you open"])
    assert probabilities.shape == (2, len(recognizer.labels))
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_svm_needs_two_examples_per_label() -> None:
    examples = [*training_examples(), IntentExample("a lonely example", "rare")]
    with pytest.raises(ValueError, match="at least 2 examples"):
        TfidfIntentRecognizer(CONTEXT, classifier="svm").fit(examples)


def test_loading_another_recognizers_model_is_refused(tmp_path: Path) -> None:
    recognizer = TfidfIntentRecognizer(CONTEXT)
    recognizer.fit(training_examples())
    recognizer.save(tmp_path)
    meta = tmp_path / "kefu_intent.json"
    meta.write_text(meta.read_text().replace('"tfidf"', '"embedding"'))
    with pytest.raises(ValueError, match="'embedding' intent recognizer"):
        TfidfIntentRecognizer(CONTEXT).load(tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"classifier": "forest"}, "classifier"),
        ({"C": 0}, "C must be positive"),
        ({"threshold": 1.5}, "threshold"),
        ({"margin": -0.1}, "margin"),
        ({"top_k": 0}, "top_k"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TfidfIntentRecognizer(CONTEXT, **options)  # type: ignore[arg-type]
