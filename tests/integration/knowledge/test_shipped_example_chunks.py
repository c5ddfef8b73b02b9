"""The finance pack indexes its intent examples as chunks of the FAQ entry of their intent."""

from __future__ import annotations

from kefu.knowledge import distributions
from kefu.knowledge.loader import load_pack


def test_finance_examples_point_at_the_entry_of_their_intent() -> None:
    pack = load_pack(distributions.locate("finance"), check_plugins=False)
    entry_of = {faq.intent: faq.id for faq in pack.faqs}
    examples = [chunk for chunk in pack.chunks if chunk.metadata["type"] == "example"]
    assert len(examples) > 9_000
    for chunk in examples:
        intent = chunk.metadata["intent"]
        assert chunk.id.startswith(f"intents/{intent}/")
        assert chunk.metadata["faq_id"] == entry_of[intent]
    evaluated = {case.query.casefold() for case in pack.evaluation}
    assert not evaluated & {chunk.text.casefold() for chunk in examples}
