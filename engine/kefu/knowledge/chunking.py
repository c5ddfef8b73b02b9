"""Splitting a pack's documents into retrievable chunks with stable ids.

Markdown is split at its headings (ATX ``#`` and setext), and a long section further at block
boundaries (paragraphs, lists, tables, code blocks) so that no chunk grows past ``max_chars``
unless one block alone is longer. Plain text has no headings: it is split at blank lines the
same way. A chunk's id is ``docs/<file>#<heading-slug>-<n>`` where ``n`` counts the chunks with
that slug in the file from 1; text before the first heading, and plain-text files, use the slug
``top``. Ids stay the same as long as headings and their order do not change.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from kefu.contracts import Chunk

DEFAULT_MAX_CHARS = 1_200
TOP_SLUG = "top"

_NOT_WORD = re.compile(r"[^\w]+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def slugify(heading: str) -> str:
    """A URL-friendly form of a heading that keeps letters of every script (CJK included)."""
    text = unicodedata.normalize("NFKC", heading).casefold()
    slug = _NOT_WORD.sub("-", text).strip("-_")
    return slug or "section"


@dataclass(slots=True)
class _Section:
    heading: str
    line: int
    blocks: list[tuple[int, str]] = field(default_factory=list)


def _markdown_sections(text: str) -> list[_Section]:
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    sections = [_Section("", 1)]
    for position, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        start, end = token.map
        if token.type == "heading_open":
            inline = tokens[position + 1]
            sections.append(_Section(inline.content.strip(), start + 1))
        elif token.nesting >= 0:  # an opening or self-contained block: its source lines
            block = "\n".join(lines[start:end]).strip()
            if block:
                sections[-1].blocks.append((start + 1, block))
    return sections


def _text_sections(text: str) -> list[_Section]:
    section = _Section("", 1)
    offset = 0
    for part in _BLANK_LINES.split(text):
        stripped = part.strip()
        if stripped:
            first = offset + len(part) - len(part.lstrip())
            section.blocks.append((text.count("\n", 0, first) + 1, stripped))
        offset += len(part)
        match = _BLANK_LINES.match(text, offset)
        if match:
            offset = match.end()
    return [section]


def _grouped(blocks: list[tuple[int, str]], max_chars: int) -> list[tuple[int, str]]:
    """Consecutive blocks joined into bodies of at most ``max_chars`` (a long block stays whole)."""
    bodies: list[tuple[int, str]] = []
    current: list[str] = []
    first_line = 0
    size = 0
    for line, block in blocks:
        if current and size + 2 + len(block) > max_chars:
            bodies.append((first_line, "\n\n".join(current)))
            current, size = [], 0
        if not current:
            first_line = line
        current.append(block)
        size += len(block) + (2 if size else 0)
    if current:
        bodies.append((first_line, "\n\n".join(current)))
    return bodies


def chunk_document(
    path: str, text: str, *, source: str = "", max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[Chunk, ...]:
    """The chunks of one document; ``path`` is its name in the pack, such as ``docs/a.md``.

    Each chunk's text starts with its heading (which helps retrieval); its ``answer``
    metadata is the body alone. Metadata also holds ``type`` (``doc``), ``doc`` (the path),
    ``heading`` and ``line`` (where the chunk starts in the file).
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    markdown = path.lower().endswith(".md")
    sections = _markdown_sections(text) if markdown else _text_sections(text)
    counts: Counter[str] = Counter()
    chunks: list[Chunk] = []
    for section in sections:
        slug = slugify(section.heading) if section.heading else TOP_SLUG
        for line, body in _grouped(section.blocks, max_chars):
            counts[slug] += 1
            full = f"{section.heading}\n\n{body}" if section.heading else body
            chunks.append(
                Chunk(
                    id=f"{path}#{slug}-{counts[slug]}",
                    text=full,
                    source=source,
                    metadata={
                        "type": "doc",
                        "doc": path,
                        "heading": section.heading,
                        "line": str(line),
                        "answer": body,
                    },
                )
            )
    return tuple(chunks)
