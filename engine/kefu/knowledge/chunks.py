"""The retrievable chunks of a pack's FAQ entries, products and courses, with stable ids.

* FAQ: ``faq/<id>`` for the question, ``faq/<id>/<n>`` for its n-th paraphrase (from 1).
  Metadata: ``type`` = ``faq``, ``faq_id``, ``answer``, and ``intent``, ``lang``, ``tags``
  (comma-separated) when the entry has them.
* Products: ``catalog/<id>``, ``type`` = ``product``, ``product_id``, ``answer``.
* Courses: ``courses/<id>``, ``type`` = ``course``, ``course``, ``answer``.

Document chunks come from :mod:`kefu.knowledge.chunking`. Every chunk's ``source`` is the
pack's name, so a reply cites ``<pack>#<chunk id>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kefu.contracts import Chunk
from kefu.knowledge.model import Course, Faq, Product


def faq_chunks(entries: Iterable[Faq], source: str) -> list[Chunk]:
    """One chunk per FAQ question and per paraphrase, all answering with the entry's answer."""
    chunks: list[Chunk] = []
    for entry in entries:
        metadata = {"type": "faq", "faq_id": entry.id, "answer": entry.answer}
        if entry.intent:
            metadata["intent"] = entry.intent
        if entry.lang:
            metadata["lang"] = entry.lang
        if entry.tags:
            metadata["tags"] = ",".join(entry.tags)
        chunks.append(Chunk(f"faq/{entry.id}", entry.question, source, dict(metadata)))
        for number, phrase in enumerate(entry.paraphrases, start=1):
            chunks.append(Chunk(f"faq/{entry.id}/{number}", phrase, source, dict(metadata)))
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
