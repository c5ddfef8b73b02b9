"""Document chunking: split at headings and block boundaries, with stable ids."""

from __future__ import annotations

from kefu.knowledge.chunking import chunk_document, slugify

DOC = """Welcome to the shop.

# Returns

You can return items within 30 days.

```
# not a heading inside code
```

## Refund timing 退款

Refunds take 3 days.

# Returns

A second section with the same heading.
"""


def test_slugify_keeps_letters_of_every_script() -> None:
    assert slugify("Refund timing 退款!") == "refund-timing-退款"
    assert slugify("  ¿Qué tal?  ") == "qué-tal"
    assert slugify("!!!") == "section"


def test_markdown_is_split_at_headings_with_stable_ids() -> None:
    chunks = chunk_document("docs/shop.md", DOC, source="tiny")
    assert [c.id for c in chunks] == [
        "docs/shop.md#top-1",
        "docs/shop.md#returns-1",
        "docs/shop.md#refund-timing-退款-1",
        "docs/shop.md#returns-2",
    ]
    returns = chunks[1]
    assert returns.text.startswith("Returns\n\nYou can return items")
    assert "# not a heading inside code" in returns.text  # code stays in its section
    assert returns.metadata["answer"].startswith("You can return items")
    assert returns.metadata["type"] == "doc"
    assert returns.metadata["heading"] == "Returns"
    assert returns.metadata["line"] == "5"
    assert all(c.source == "tiny" for c in chunks)


def test_ids_do_not_move_when_a_body_changes() -> None:
    edited = DOC.replace("Refunds take 3 days.", "Refunds take 3 days.\n\nOr sometimes 4.")
    before = [c.id for c in chunk_document("docs/shop.md", DOC)]
    after = [c.id for c in chunk_document("docs/shop.md", edited)]
    assert before == after


def test_long_sections_are_split_at_paragraphs() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + " ".join(["word"] * 30) for i in range(6))
    chunks = chunk_document("docs/long.md", f"# Long\n\n{paragraphs}\n", max_chars=400)
    assert len(chunks) > 1
    assert [c.id for c in chunks] == [f"docs/long.md#long-{n}" for n in range(1, len(chunks) + 1)]
    assert all(len(c.metadata["answer"]) <= 400 for c in chunks)
    joined = "\n\n".join(c.metadata["answer"] for c in chunks)
    assert joined == paragraphs


def test_plain_text_is_split_at_blank_lines() -> None:
    chunks = chunk_document("docs/a.txt", "one\ntwo\n\n\nthree\n", max_chars=5)
    assert [(c.id, c.text, c.metadata["line"]) for c in chunks] == [
        ("docs/a.txt#top-1", "one\ntwo", "1"),
        ("docs/a.txt#top-2", "three", "5"),
    ]
