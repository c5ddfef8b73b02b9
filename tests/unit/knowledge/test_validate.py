"""Validation: every problem with its file and line, all at once; a valid pack's typed model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kefu.contracts import IntentExample
from kefu.knowledge.errors import PackInvalidError, Problem
from kefu.knowledge.loader import check_pack, load_pack


def problems_of(pack: Path) -> list[Problem]:
    found, problems = check_pack(pack)
    assert found is None, "the pack should have been refused"
    assert problems
    return problems


def only(problems: list[Problem], file: str) -> list[Problem]:
    return [p for p in problems if p.file == file]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_the_tiny_pack_loads_into_a_typed_frozen_model(tiny: Path) -> None:
    pack = load_pack(tiny)
    assert (pack.name, pack.version, pack.meta.vertical) == ("tiny", "1.0.0", "general")
    assert pack.intent.name == "tfidf" and pack.intent.options == {"C": 10.0}
    assert pack.thresholds.reply == 0.5 and pack.thresholds.out_of_scope == 0.2
    assert pack.intents == ("card_arrival", "opening_hours", "refund")
    assert IntentExample("i want my money back", "refund") in pack.examples
    faq = pack.faq("card-arrival")
    assert faq is not None and faq.paraphrases == ("card delivery time", "where is my new card")
    assert pack.templates == {"opening_hours": "{answer} (Holiday hours may differ.)"}
    assert pack.files == (
        "docs/returns.md",
        "eval.jsonl",
        "faq.jsonl",
        "intents.csv",
        "pack.toml",
        "templates.toml",
    )
    chunks = {chunk.id: chunk for chunk in pack.chunks}
    question = chunks["faq/card-arrival"]
    assert question.text == "When will my card arrive?"
    assert question.source == "tiny"
    assert dict(question.metadata) == {
        "type": "faq",
        "faq_id": "card-arrival",
        "intent": "card_arrival",
        "answer": "Cards arrive within 5 working days of your order.",
        "lang": "en",
        "tags": "cards",
    }
    assert chunks["faq/card-arrival/2"].text == "where is my new card"
    assert "docs/returns.md#refund-timing-1" in chunks
    with pytest.raises(dataclasses.FrozenInstanceError):
        pack.meta.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pack.templates["x"] = "y"  # type: ignore[index]


def test_malformed_toml_is_located_by_line_and_column(tiny: Path) -> None:
    append(tiny / "pack.toml", '\n[extra\nkey = "value"\n')
    problems = only(problems_of(tiny), "pack.toml")
    assert len(problems) == 1
    assert problems[0].line == 22 and problems[0].column is not None
    assert "is not valid TOML" in problems[0].message


def test_missing_required_files_and_fields(tiny: Path) -> None:
    (tiny / "eval.jsonl").unlink()
    toml = tiny / "pack.toml"
    toml.write_text(toml.read_text().replace('license = "CC0-1.0"\n', ""))
    problems = problems_of(tiny)
    assert Problem("eval.jsonl", None, "is missing (required)") in problems
    assert any(p.file == "pack.toml" and "license is required" in p.message for p in problems)


def test_every_problem_is_reported_at_once(tiny: Path) -> None:
    toml = tiny / "pack.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', 'version = "one"'))
    append(tiny / "intents.csv", "i want my money back,refund\n")
    append(tiny / "faq.jsonl", '{"id": "hours", "question": "Q?", "answer": "A."}\n')
    append(tiny / "eval.jsonl", '{"query": "something new", "faq_id": "nope"}\n')
    problems = problems_of(tiny)
    assert {p.file for p in problems} >= {"pack.toml", "intents.csv", "faq.jsonl", "eval.jsonl"}
    assert Problem("pack.toml", 3, "[pack] version = 'one' is not a semantic version (1.2.0)") in (
        problems
    )
    assert (
        Problem("intents.csv", 14, "duplicate text 'i want my money back' (first on line 6)")
        in problems
    )
    assert Problem("faq.jsonl", 4, "duplicate id 'hours' (first on line 3)") in problems
    assert Problem("eval.jsonl", 5, "unknown faq_id 'nope'") in problems
    with pytest.raises(PackInvalidError) as raised:
        load_pack(tiny)
    assert len(raised.value.problems) == len(problems)
    assert "intents.csv:14: duplicate text" in str(raised.value)


def test_duplicate_faq_texts_and_bad_json(tiny: Path) -> None:
    append(
        tiny / "faq.jsonl",
        '{"id": "again", "question": "card delivery time", "answer": "A."}\n{"id": "x",\n',
    )
    problems = only(problems_of(tiny), "faq.jsonl")
    assert Problem("faq.jsonl", 4, "duplicate text 'card delivery time' (already on line 1)") in (
        problems
    )
    bad = [p for p in problems if p.line == 5]
    assert len(bad) == 1 and bad[0].message.startswith("is not valid JSON")
    assert bad[0].column is not None


def test_unknown_intent_references(tiny: Path) -> None:
    append(tiny / "faq.jsonl", '{"id": "x", "intent": "ghost", "question": "Q?", "answer": "A"}\n')
    append(tiny / "eval.jsonl", '{"query": "anything at all", "intent": "phantom"}\n')
    append(tiny / "templates.toml", 'spectre = "Hello"\n')
    problems = problems_of(tiny)
    assert Problem("faq.jsonl", 4, "unknown intent 'ghost'") in problems
    assert Problem("eval.jsonl", 5, "unknown intent 'phantom'") in problems
    assert Problem("templates.toml", 3, "unknown intent 'spectre'") in problems


def test_unknown_plugins_are_named_with_what_is_installed(tiny: Path) -> None:
    toml = tiny / "pack.toml"
    toml.write_text(
        toml.read_text()
        .replace('retriever = "bm25"', 'retriever = "elastic"')
        .replace('policy = "default"', 'policy = "nonesuch"')
    )
    problems = only(problems_of(tiny), "pack.toml")
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (12, "unknown retriever plugin 'elastic'"),
        (13, "unknown policy plugin 'nonesuch'"),
    ]
    assert "installed in kefu.retriever: " in problems[0].message
    assert "bm25" in problems[0].message


def test_a_plugin_refusing_its_options_is_reported(tiny: Path) -> None:
    toml = tiny / "pack.toml"
    toml.write_text(toml.read_text().replace("C = 10.0", 'classifier = "forest"'))
    problems = problems_of(tiny)
    assert len(problems) == 1
    assert problems[0].file == "pack.toml" and problems[0].line == 11
    assert "tfidf" in problems[0].message and "forest" in problems[0].message


def test_text_in_an_unexpected_encoding(tiny: Path) -> None:
    faq = tiny / "faq.jsonl"
    faq.write_bytes(b"\xef\xbb\xbf" + faq.read_bytes())
    intents = tiny / "intents.csv"
    intents.write_bytes(
        intents.read_bytes() + "caf\u00e9 opening,opening_hours\n".encode("latin-1")
    )
    (tiny / "docs" / "utf16.md").write_bytes("# Hi\n".encode("utf-16"))
    problems = problems_of(tiny)
    assert (
        Problem(
            "faq.jsonl",
            1,
            "starts with a UTF-8 byte-order mark; save the file as UTF-8 without a BOM",
        )
        in problems
    )
    latin = only(problems, "intents.csv")
    assert len(latin) == 1 and latin[0].line == 14 and "not UTF-8 (byte 0xe9" in latin[0].message
    assert any(p.file == "docs/utf16.md" and "UTF-16 LE" in p.message for p in problems)


def test_eval_queries_must_not_repeat_training_texts(tiny: Path) -> None:
    append(tiny / "eval.jsonl", '{"query": "Where is my NEW card", "faq_id": "card-arrival"}\n')
    append(tiny / "eval.jsonl", '{"query": "are you open on sunday", "intent": "opening_hours"}\n')
    problems = only(problems_of(tiny), "eval.jsonl")
    assert [p.line for p in problems] == [5, 6]
    assert "repeats a training text (faq.jsonl line 1)" in problems[0].message
    assert "repeats a training text (intents.csv line 11)" in problems[1].message


def test_course_cycles_and_dangling_prerequisites(tiny: Path) -> None:
    courses = [
        {"id": "py1", "title": "Python I"},
        {"id": "py2", "title": "Python II", "prerequisites": ["py3"]},
        {"id": "py3", "title": "Python III", "prerequisites": ["py2"]},
        {"id": "ml", "title": "ML", "prerequisites": ["py1", "stats"]},
    ]
    (tiny / "courses.jsonl").write_text("".join(json.dumps(c) + "\n" for c in courses))
    problems = only(problems_of(tiny), "courses.jsonl")
    assert Problem("courses.jsonl", 4, "course 'ml' requires unknown course 'stats'") in problems
    cycle = [p for p in problems if "cycle" in p.message]
    assert len(cycle) == 1 and "py2" in cycle[0].message and "py3" in cycle[0].message


def test_bad_catalog_and_compliance_data(tiny: Path) -> None:
    (tiny / "catalog.jsonl").write_text(
        '{"id": "p1", "name": "Boots", "price": -3, "currency": "usd"}\n'
        '{"id": "p1", "name": "Hat", "price": 5, "currency": "EUR", "colour": "red"}\n'
    )
    (tiny / "compliance.toml").write_text(
        'forbidden = [["guarantee(d", "promise"]]\nescalate_intents = ["fraud"]\nnope = 1\n'
    )
    problems = problems_of(tiny)
    catalog = {p.message for p in only(problems, "catalog.jsonl")}
    assert "'price' must be a number >= 0" in catalog
    assert "'currency' must be an ISO 4217 code such as 'USD'" in catalog
    assert "duplicate id 'p1' (first on line 1)" in catalog
    assert any(m.startswith("unknown field(s): colour") for m in catalog)
    compliance = only(problems, "compliance.toml")
    assert [p.line for p in compliance] == [1, 2, 3]
    assert "invalid regular expression 'guarantee(d'" in compliance[0].message
    assert "unknown intent(s): fraud" in compliance[1].message


def test_unexpected_files_and_document_types(tiny: Path) -> None:
    (tiny / "faqs.jsonl").write_text("")
    (tiny / "README.md").write_text("# Not pack data\n")
    (tiny / "docs" / "manual.pdf").write_bytes(b"%PDF-1.4")
    problems = problems_of(tiny)
    assert [p.file for p in problems] == ["docs/manual.pdf", "faqs.jsonl"]


def test_thresholds_and_names_are_checked(tiny: Path) -> None:
    toml = tiny / "pack.toml"
    toml.write_text(
        toml.read_text()
        .replace('name = "tiny"', 'name = "Tiny Pack"')
        .replace("reply = 0.5", "reply = 1.5")
        .replace("out_of_scope = 0.2", "out_of_scope = 0.9")
    )
    messages = [(p.line, p.message) for p in problems_of(tiny)]
    assert (2, "[pack] name = 'Tiny Pack' is not a valid name ([a-z0-9][a-z0-9_-]*)") in messages
    assert (19, "[thresholds] reply must be a number in [0, 1]") in messages
    assert any("out_of_scope (0.9) must not exceed reply" in m for _, m in messages)


def test_intents_need_two_examples_and_a_header(tiny: Path) -> None:
    append(tiny / "intents.csv", "a lonely example,lonely\n")
    problems = only(problems_of(tiny), "intents.csv")
    assert problems == [
        Problem("intents.csv", 14, "intent 'lonely' has 1 example; at least 2 needed")
    ]
    (tiny / "intents.csv").write_text("sentence,label\nhi,greet\n")
    problems = only(problems_of(tiny), "intents.csv")
    assert problems[0].line == 1 and "header" in problems[0].message
