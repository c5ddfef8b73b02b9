"""The retrievable chunks of a pack's FAQ entries, products and courses, with stable ids.

* FAQ: ``faq/<id>`` for the question, ``faq/<id>/<n>`` for its n-th paraphrase (from 1).
  Metadata: ``type`` = ``faq``, ``faq_id``, ``answer``, and ``intent``, ``lang``, ``tags``
  (comma-separated) when the entry has them.
* Products: ``catalog/<id>``, ``type`` = ``product``, ``product_id``, ``answer``.
* Courses: ``courses/<id>``, ``type`` = ``course``, ``course``, ``answer``.
* Intent examples (``[chunking] intent_examples = true``): ``intents/<intent>/<n>`` for the
  n-th indexed example of an intent, ``type`` = ``example``, pointing at the FAQ entry that
  answers the intent (``faq_id``, ``answer``, ``intent``, ``lang``, ``tags``).

Document chunks come from :mod:`kefu.knowledge.chunking`. Every chunk's ``source`` is the
pack's name, so a reply cites ``<pack>#<chunk id>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kefu.contracts import Chunk, IntentExample
from kefu.knowledge.model import Course, Faq, Product

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _faq_metadata(entry: Faq) -> dict[str, str]:
    """The metadata every chunk answering with FAQ ``entry`` carries."""
    metadata = {"type": "faq", "faq_id": entry.id, "answer": entry.answer}
    if entry.intent:
        metadata["intent"] = entry.intent
    if entry.lang:
        metadata["lang"] = entry.lang
    if entry.tags:
        metadata["tags"] = ",".join(entry.tags)
    return metadata


def faq_chunks(entries: Iterable[Faq], source: str) -> list[Chunk]:
    """One chunk per FAQ question and per paraphrase, all answering with the entry's answer."""
    chunks: list[Chunk] = []
    for entry in entries:
        metadata = _faq_metadata(entry)
        chunks.append(Chunk(f"faq/{entry.id}", entry.question, source, dict(metadata)))
        for number, phrase in enumerate(entry.paraphrases, start=1):
            chunks.append(Chunk(f"faq/{entry.id}/{number}", phrase, source, dict(metadata)))
    return chunks


def text_language(text: str) -> str:
    """``zh`` for a text holding CJK ideographs, else ``en`` (the two languages packs mix)."""
    return "zh" if _CJK.search(text) else "en"


def _terms(text: str) -> frozenset[str]:
    """Lower-cased words plus CJK character bigrams, for comparing short phrasings."""
    lowered = text.casefold()
    bigrams = (
        lowered[i : i + 2]
        for i in range(len(lowered) - 1)
        if _CJK.match(lowered[i]) and _CJK.match(lowered[i + 1])
    )
    return frozenset((*_WORD.findall(lowered), *bigrams))


def _closeness(terms: frozenset[str], entry: Faq) -> float:
    """How close ``terms`` are to the entry's nearest question or paraphrase (Jaccard)."""
    best = 0.0
    for phrase in (entry.question, *entry.paraphrases):
        other = _terms(phrase)
        union = len(terms | other)
        if union:
            best = max(best, len(terms & other) / union)
    return best


def answering_entry(text: str, lang: str, entries: list[Faq]) -> Faq:
    """The entry of ``entries`` (the FAQ entries of one intent) that best answers ``text``.

    Entries in the text's language (``lang``, else guessed from its script) come first; among
    several, the one whose question or a paraphrase shares most words with the text wins, the
    first in faq.jsonl order on a tie.
    """
    language = lang or text_language(text)
    same = [e for e in entries if (e.lang or text_language(e.question)) == language] or entries
    if len(same) == 1:
        return same[0]
    terms = _terms(text)
    return max(same, key=lambda entry: _closeness(terms, entry))


def example_chunks(
    examples: Iterable[tuple[IntentExample, str]], entries: Iterable[Faq], source: str
) -> list[Chunk]:
    """One chunk per intent example (with its ``lang``, possibly empty) of an FAQ-answered intent.

    Each example points at the FAQ entry answering its intent (see :func:`answering_entry`)
    and carries that entry's metadata with ``type = "example"``, so a visitor's phrasing that
    resembles a training example finds the entry even when no question or paraphrase is close.
    Examples of intents that no FAQ entry names are left out; a text that is already a question
    or paraphrase of the entry adds nothing and is left out too.
    """
    by_intent: dict[str, list[Faq]] = {}
    for entry in entries:
        if entry.intent:
            by_intent.setdefault(entry.intent, []).append(entry)
    counts: dict[str, int] = {}
    chunks: list[Chunk] = []
    for example, lang in examples:
        candidates = by_intent.get(example.label)
        if not candidates:
            continue
        entry = answering_entry(example.text, lang, candidates)
        phrases = {" ".join(p.casefold().split()) for p in (entry.question, *entry.paraphrases)}
        if " ".join(example.text.casefold().split()) in phrases:
            continue
        counts[example.label] = counts.get(example.label, 0) + 1
        metadata = {**_faq_metadata(entry), "type": "example"}
        chunk_id = f"intents/{example.label}/{counts[example.label]}"
        chunks.append(Chunk(chunk_id, example.text, source, metadata))
    return chunks


def product_chunks(products: Iterable[Product], source: str) -> list[Chunk]:
    """One chunk per product: its name, category, description and tags are searchable."""
    chunks: list[Chunk] = []
    for product in products:
        text = ". ".join(
            part
            for part in (
                product.name,
                product.category,
                product.description,
                " ".join(product.tags),
            )
            if part
        )
        answer = f"{product.name} ({product.price:.2f} {product.currency})"
        if product.description:
            answer += f": {product.description}"
        metadata = {"type": "product", "product_id": product.id, "answer": answer}
        if product.category:
            metadata["category"] = product.category
        chunks.append(Chunk(f"catalog/{product.id}", text, source, metadata))
    return chunks


def course_chunks(courses: Iterable[Course], source: str) -> list[Chunk]:
    """One chunk per course: title, summary and outline are searchable."""
    chunks: list[Chunk] = []
    for course in courses:
        text = "\n".join(part for part in (course.title, course.summary, *course.outline) if part)
        answer = course.title + (f" ({course.level})" if course.level else "")
        if course.summary:
            answer += f": {course.summary}"
        metadata = {"type": "course", "course": course.id, "answer": answer}
        if course.level:
            metadata["level"] = course.level
        chunks.append(Chunk(f"courses/{course.id}", text, source, metadata))
    return chunks
