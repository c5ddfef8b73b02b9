"""The typed, immutable in-memory form of a loaded knowledge pack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kefu.contracts import Chunk, IntentExample

#: The verticals a pack may declare.
VERTICALS = ("ecommerce", "education", "finance", "general")


def frozen_mapping(data: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a copy of ``data`` (for mapping fields of frozen dataclasses)."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class PackMeta:
    """The ``[pack]`` table of pack.toml: who the pack is and under which licence."""

    name: str
    version: str
    vertical: str
    license: str
    languages: tuple[str, ...] = ("en",)
    description: str = ""
    attribution: str = ""


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """A plugin named in pack.toml's ``[plugins]`` table, with its constructor options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=frozen_mapping)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The ``[thresholds]`` table: when the bot answers alone, when a text is out of scope."""

    reply: float = 0.7
    out_of_scope: float = 0.3


@dataclass(frozen=True, slots=True)
class Faq:
    """One faq.jsonl entry: a question, its paraphrases and the answer that is sent."""

    id: str
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    intent: str | None = None
    tags: tuple[str, ...] = ()
    lang: str = ""


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One eval.jsonl query with what it should find: an FAQ entry, an intent, or both."""

    query: str
    faq_id: str | None = None
    intent: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    """One catalog.jsonl product (e-commerce packs)."""

    id: str
    name: str
    price: float
    currency: str
    category: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Course:
    """One courses.jsonl course (education packs)."""

    id: str
    title: str
    summary: str = ""
    level: str = ""
    prerequisites: tuple[str, ...] = ()
    outline: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """A file of docs/ and the chunks it was split into."""

    path: str
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True, slots=True)
class Pack:
    """A validated knowledge pack: everything its files say, ready to train and index.

    ``chunks`` holds every retrievable piece of the pack (FAQ questions and paraphrases,
    document sections, products, courses) with stable ids; ``files`` the files that make up
    the pack (data, documents, and notices such as README and LICENSE files, which travel with
    it into the archive), relative to ``root``, in a fixed order.
    """

    root: Path
    meta: PackMeta
    intent: PluginSpec
    retriever: PluginSpec
    policy: PluginSpec
    thresholds: Thresholds
    examples: tuple[IntentExample, ...]
    faqs: tuple[Faq, ...]
    documents: tuple[Document, ...]
    evaluation: tuple[EvalCase, ...]
    chunks: tuple[Chunk, ...]
    files: tuple[str, ...]
    templates: Mapping[str, str] = field(default_factory=frozen_mapping)
    products: tuple[Product, ...] = ()
    courses: tuple[Course, ...] = ()
    compliance: Mapping[str, Any] = field(default_factory=frozen_mapping)
    #: ``[actions]`` of pack.toml: agent action kind -> the intents that usually lead to it.
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=frozen_mapping)

    @property
    def name(self) -> str:
        """The pack's name (``[pack] name``)."""
        return self.meta.name

    @property
    def version(self) -> str:
        """The pack's version (``[pack] version``)."""
        return self.meta.version

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents of intents.csv, sorted."""
        return tuple(sorted({example.label for example in self.examples}))

    def faq(self, faq_id: str) -> Faq | None:
        """The FAQ entry with that id, if any."""
        return next((entry for entry in self.faqs if entry.id == faq_id), None)
