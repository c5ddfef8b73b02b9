"""Loading a pack's source folder into a :class:`~kefu.knowledge.model.Pack`, or every problem.

:func:`check_pack` reads every file, reports every problem it finds (with file and line), and
returns the pack only when there are none; :func:`load_pack` raises them as one
:class:`~kefu.knowledge.errors.PackInvalidError`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kefu.contracts import OUT_OF_SCOPE, Chunk, Embedder, PluginContext
from kefu.knowledge import vertical
from kefu.knowledge.chunking import DEFAULT_MAX_CHARS, chunk_document
from kefu.knowledge.chunks import course_chunks, example_chunks, faq_chunks, product_chunks
from kefu.knowledge.errors import PackInvalidError, Problem
from kefu.knowledge.model import Document, EvalCase, Faq, Pack, frozen_mapping
from kefu.knowledge.packtoml import FILE as PACK_TOML
from kefu.knowledge.packtoml import read_pack_toml
from kefu.knowledge.plugins import option_problems, unknown_plugins
from kefu.knowledge.records import (
    LabelledText,
    Lines,
    Located,
    normalise,
    read_catalog,
    read_courses,
    read_eval,
    read_faq,
    read_intents,
)
from kefu.knowledge.textfile import read_text
from kefu.knowledge.tomlfile import key_line

INTENTS = "intents.csv"
FAQ = "faq.jsonl"
EVAL = "eval.jsonl"
CATALOG = "catalog.jsonl"
DOCS = "docs"
REQUIRED = (PACK_TOML, INTENTS, FAQ, EVAL)
OPTIONAL = (vertical.TEMPLATES, CATALOG, vertical.COURSES, vertical.COMPLIANCE)
DOC_SUFFIXES = (".md", ".txt")
#: Files at the top of a pack that are not pack data and are left alone.
_FREE = ("readme", "license", "licence", "notice", "changelog", "attribution", "authors")


#: What Python leaves in a pack that is also a package's folder (see docs/knowledge-packs.md).
_PYTHON = ("__init__.py", "__pycache__")


def _free(name: str) -> bool:
    return name.startswith(".") or name in _PYTHON or name.lower().startswith(_FREE)


class _Reading:
    """The state of one pack read: its root and the problems found so far."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.files: list[str] = []

    def text(self, name: str, *, required: bool) -> str | None:
        path = self.root / name
        if not path.is_file():
            if required:
                self.problems.append(Problem(name, None, "is missing (required)"))
            return None
        self.files.append(name)
        text, problem = read_text(path, name)
        if problem is not None:
            self.problems.append(problem)
        return text

    def lines(self, name: str) -> Lines:
        return Lines(name, self.problems)


def check_pack(
    root: Path | str,
    *,
    check_plugins: bool = True,
    embedder_factory: Callable[[], Embedder] | None = None,
) -> tuple[Pack | None, list[Problem]]:
    """Read and check the pack folder ``root``: the pack when it is valid, and every problem.

    Problems come sorted by file and line. With ``check_plugins`` the named plugins must be
    installed and must accept the options the pack gives them (they are instantiated, not
    trained; no model is loaded).
    """
    pack, problems = _check(Path(root), check_plugins, embedder_factory)
    return pack, sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0))


def _check(
    root: Path, check_plugins: bool, embedder_factory: Callable[[], Embedder] | None
) -> tuple[Pack | None, list[Problem]]:
    if not root.is_dir():
        return None, [Problem(str(root), None, "is not a directory")]
    reading = _Reading(root)
    _unexpected_files(reading)

    toml_text = reading.text(PACK_TOML, required=True)
    declared, toml_problems = read_pack_toml(toml_text) if toml_text is not None else (None, [])
    reading.problems.extend(toml_problems)
    if declared is not None and check_plugins:
        reading.problems.extend(unknown_plugins(declared.plugins, declared.text))
    source = declared.meta.name if declared is not None and declared.meta is not None else ""

    intents_text = reading.text(INTENTS, required=True)
    rows = read_intents(intents_text, reading.lines(INTENTS)) if intents_text is not None else []
    intents = frozenset(row.example.label for row in rows)

    faq_text = reading.text(FAQ, required=True)
    faqs = read_faq(faq_text, reading.lines(FAQ)) if faq_text is not None else []
    for located in faqs:
        if located.value.intent is not None and located.value.intent not in intents:
            reading.problems.append(
                Problem(FAQ, located.line, f"unknown intent {located.value.intent!r}")
            )

    if declared is not None:
        for action, names in declared.actions.items():
            unknown = [name for name in names if name not in intents]
            if unknown and rows:
                reading.problems.append(
                    Problem(
                        PACK_TOML,
                        key_line(declared.text, "actions", action),
                        f"[actions] {action} names unknown intent(s): {', '.join(unknown)}",
                    )
                )

    eval_text = reading.text(EVAL, required=True)
    cases = read_eval(eval_text, reading.lines(EVAL)) if eval_text is not None else []
    _check_eval(reading, cases, rows, faqs, intents)

    templates: dict[str, str] = {}
    text = reading.text(vertical.TEMPLATES, required=False)
    if text is not None:
        templates, found = vertical.read_templates(text, intents)
        reading.problems.extend(found)
    compliance: dict[str, Any] = {}
    text = reading.text(vertical.COMPLIANCE, required=False)
    if text is not None:
        compliance, found = vertical.read_compliance(text, intents)
        reading.problems.extend(found)
    text = reading.text(CATALOG, required=False)
    products = read_catalog(text, reading.lines(CATALOG)) if text is not None else []
    text = reading.text(vertical.COURSES, required=False)
    courses = read_courses(text, reading.lines(vertical.COURSES)) if text is not None else []
    reading.problems.extend(vertical.course_problems(courses))

    max_chars = declared.max_chars if declared is not None else DEFAULT_MAX_CHARS
    documents = _documents(reading, source, max_chars)

    if reading.problems or declared is None or declared.meta is None:
        return None, reading.problems
    chunks: list[Chunk] = faq_chunks((f.value for f in faqs), source)
    for document in documents:
        chunks.extend(document.chunks)
    chunks.extend(product_chunks((p.value for p in products), source))
    chunks.extend(course_chunks((c.value for c in courses), source))
    if declared.intent_examples:
        labelled = ((row.example, row.lang) for row in rows)
        chunks.extend(example_chunks(labelled, (f.value for f in faqs), source))
    if not chunks:
        return None, [Problem(FAQ, None, "the pack has nothing to retrieve (no FAQ, no docs)")]
    pack = Pack(
        root=root,
        meta=declared.meta,
        intent=declared.plugins["intent"],
        retriever=declared.plugins["retriever"],
        policy=declared.plugins["policy"],
        thresholds=declared.thresholds,
        examples=tuple(row.example for row in rows),
        faqs=tuple(f.value for f in faqs),
        documents=tuple(documents),
        evaluation=tuple(cases),
        chunks=tuple(chunks),
        files=tuple(sorted(reading.files)),
        templates=frozen_mapping(templates),
        products=tuple(p.value for p in products),
        courses=tuple(c.value for c in courses),
        compliance=frozen_mapping(compliance),
        actions=frozen_mapping(declared.actions),
    )
    if check_plugins:
        with tempfile.TemporaryDirectory(prefix="kefu-check-") as scratch:
            context = PluginContext(Path(scratch), embedder_factory)
            found = option_problems(pack, context, declared.text)
        if found:
            return None, found
    return pack, []


def load_pack(
    root: Path | str,
    *,
    check_plugins: bool = True,
    embedder_factory: Callable[[], Embedder] | None = None,
) -> Pack:
    """The valid pack at ``root``; raises :class:`PackInvalidError` listing every problem."""
    pack, problems = check_pack(
        root, check_plugins=check_plugins, embedder_factory=embedder_factory
    )
    if pack is None:
        raise PackInvalidError(str(root), problems)
    return pack


def _unexpected_files(reading: _Reading) -> None:
    """Refuse unknown top-level files; keep notices (README, LICENSE...) to ship with the pack."""
    known = {*REQUIRED, *OPTIONAL, DOCS}
    for entry in sorted(reading.root.iterdir()):
        if entry.name in known:
            continue
        if _free(entry.name):
            if not entry.name.startswith(".") and entry.name not in _PYTHON:
                notices = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
                reading.files.extend(
                    p.relative_to(reading.root).as_posix()
                    for p in notices
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(reading.root).parts)
                )
            continue
        reading.problems.append(
            Problem(
                entry.name,
                None,
                "is not part of the pack format (expected: "
                f"{', '.join((*REQUIRED, *OPTIONAL, DOCS + '/'))})",
            )
        )


def _check_eval(
    reading: _Reading,
    cases: list[EvalCase],
    rows: list[LabelledText],
    faqs: list[Located[Faq]],
    intents: frozenset[str],
) -> None:
    trained: dict[str, str] = {}
    for row in rows:
        trained.setdefault(normalise(row.example.text), f"{INTENTS} line {row.line}")
    for located in faqs:
        for phrase in (located.value.question, *located.value.paraphrases):
            trained.setdefault(normalise(phrase), f"{FAQ} line {located.line}")
    faq_ids = {located.value.id for located in faqs}
    for case in cases:
        if case.faq_id is not None and case.faq_id not in faq_ids:
            reading.problems.append(Problem(EVAL, case.line, f"unknown faq_id {case.faq_id!r}"))
        if case.intent is not None and case.intent not in intents and case.intent != OUT_OF_SCOPE:
            reading.problems.append(Problem(EVAL, case.line, f"unknown intent {case.intent!r}"))
        where = trained.get(normalise(case.query))
        if where is not None:
            reading.problems.append(
                Problem(
                    EVAL,
                    case.line,
                    f"query {case.query!r} repeats a training text ({where}); evaluation "
                    "queries must be unseen",
                )
            )


def _documents(reading: _Reading, source: str, max_chars: int) -> list[Document]:
    folder = reading.root / DOCS
    if not folder.exists():
        return []
    if not folder.is_dir():
        reading.problems.append(Problem(DOCS, None, "must be a directory"))
        return []
    documents: list[Document] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(reading.root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.suffix.lower() not in DOC_SUFFIXES:
            reading.problems.append(
                Problem(name, None, "unsupported document type (use .md or .txt)")
            )
            continue
        text = reading.text(name, required=True)
        if text is None:
            continue
        chunks = chunk_document(name, text, source=source, max_chars=max_chars)
        if not chunks:
            reading.problems.append(Problem(name, None, "has no text"))
            continue
        documents.append(Document(name, chunks))
    return documents
