"""Helpers shared by the knowledge-pack tests."""

from __future__ import annotations

from pathlib import Path

#: The tiny valid pack (tfidf + bm25 + default policy) the tests copy and edit.
TINY = Path(__file__).parents[2] / "fixtures" / "knowledge" / "tiny"


def set_version(pack: Path, version: str, answer: str | None = None) -> None:
    """Change the pack's version and, optionally, the answer of its ``hours`` FAQ entry."""
    toml = pack / "pack.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', f'version = "{version}"'))
    if answer is not None:
        faq = pack / "faq.jsonl"
        old = "We are open 9:00-18:00, Monday to Saturday."
        faq.write_text(faq.read_text().replace(old, answer))
