"""Intent examples indexed as retrieval chunks of the FAQ entry answering their intent."""

from __future__ import annotations

from pathlib import Path

from kefu.contracts import IntentExample
from kefu.knowledge.chunks import answering_entry, example_chunks, text_language
from kefu.knowledge.loader import check_pack, load_pack
from kefu.knowledge.model import Faq

STATUS = Faq(
    "status", "Where is my order?", "Track it under Orders.", ("track my parcel",), "order"
)
STATUS_ZH = Faq("status-zh", "我的订单在哪里？", "在订单页面查看物流。", (), "order", lang="zh")
CANCEL = Faq(
    "cancel", "Can I cancel my order?", "Cancel it within an hour.", ("stop my order",), "order"
)


def test_an_example_points_at_its_intents_entry_in_its_language() -> None:
    assert text_language("订单到哪了") == "zh"
    assert text_language("where is it") == "en"
    entries = [STATUS, STATUS_ZH, CANCEL]
    assert answering_entry("订单到哪了", "", entries) is STATUS_ZH
    assert answering_entry("please stop the order", "en", entries) is CANCEL
    assert answering_entry("track the parcel for me", "", entries) is STATUS
    # Nothing in common: the first entry in the text's language.
    assert answering_entry("hello", "en", entries) is STATUS


def test_example_chunks_carry_the_entrys_metadata_and_stable_ids() -> None:
    examples = [
        (IntentExample("where's my stuff", "order"), "en"),
        (IntentExample("track my parcel", "order"), "en"),  # already a paraphrase: left out
        (IntentExample("包裹到哪了", "order"), "zh"),
        (IntentExample("hi there", "greeting"), "en"),  # no FAQ entry names the intent
    ]
    chunks = example_chunks(examples, [STATUS, STATUS_ZH], "shop")
    assert [c.id for c in chunks] == ["intents/order/1", "intents/order/2"]
    first, second = chunks
    assert first.text == "where's my stuff" and first.source == "shop"
    assert first.metadata == {
        "type": "example",
        "faq_id": "status",
        "answer": "Track it under Orders.",
        "intent": "order",
    }
    assert second.metadata["faq_id"] == "status-zh" and second.metadata["lang"] == "zh"


def test_the_pack_option_adds_example_chunks(tiny: Path) -> None:
    plain = load_pack(tiny, check_plugins=False)
    toml = tiny / "pack.toml"
    toml.write_text(toml.read_text() + "\n[chunking]\nintent_examples = true\n")
    pack = load_pack(tiny, check_plugins=False)
    added = pack.chunks[len(plain.chunks) :]
    assert pack.chunks[: len(plain.chunks)] == plain.chunks
    assert len(added) == len(pack.examples)  # no example repeats an FAQ text
    assert added[0].id == "intents/card_arrival/1"
    assert added[0].metadata["faq_id"] == "card-arrival"
    assert {c.metadata["type"] for c in added} == {"example"}


def test_the_option_must_be_a_boolean(tiny: Path) -> None:
    toml = tiny / "pack.toml"
    toml.write_text(toml.read_text() + '\n[chunking]\nintent_examples = "yes"\n')
    pack, problems = check_pack(tiny, check_plugins=False)
    assert pack is None
    assert [p.message for p in problems] == ["[chunking] intent_examples must be true or false"]
