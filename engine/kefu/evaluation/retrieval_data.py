"""Reading retrieval evaluation data: chunks and queries files, or a pack's chunks and eval.jsonl.

* chunks file (JSONL): ``{"id": ..., "text": ..., "source": ..., "metadata": {...}}`` per line
  (``source`` and ``metadata`` optional; metadata values are strings).
* queries file (JSONL): ``{"query": ..., "expected": "id" | ["id", ...]}`` per line
  (``faq_id`` is accepted in place of ``expected``, as in a pack's eval.jsonl).

A hit answers a query when its *answer id* is expected: the ``faq_id`` metadata of an FAQ chunk
(a question and its paraphrases all answer with the same entry), or else the chunk's id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.contracts import Chunk
from kefu.evaluation.errors import DataError


@dataclass(frozen=True, slots=True)
class RetrievalQuery:
    """A query and the answer ids that count as finding it."""

    text: str
    expected: frozenset[str]


def answer_id(chunk: Chunk) -> str:
    """The id a hit is judged by: the FAQ entry it belongs to, or the chunk's own id."""
    return chunk.metadata.get("faq_id") or chunk.id


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() != ".jsonl":
        raise DataError(path, f"unknown file type {path.suffix or '(none)'!r}; use .jsonl")
    if not path.is_file():
        raise DataError(path, "no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, "not UTF-8 text") from exc
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(path, f"line {line}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(path, f"line {line}: expected a JSON object")
        yield line, record


def read_chunks(path: Path | str) -> list[Chunk]:
    """The chunks of a chunks file; ids must be unique and texts non-blank."""
    file = Path(path)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for line, record in _records(file):
        chunk_id, text = record.get("id"), record.get("text")
        if not isinstance(chunk_id, str) or not chunk_id.strip():
            raise DataError(file, f'line {line}: missing or empty "id"')
        if not isinstance(text, str) or not text.strip():
            raise DataError(file, f'line {line}: missing or empty "text"')
        if chunk_id in seen:
            raise DataError(
                file, f"line {line}: duplicate id {chunk_id!r} (first on line {seen[chunk_id]})"
            )
        metadata = record.get("metadata", {})
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise DataError(file, f'line {line}: "metadata" must map strings to strings')
        seen[chunk_id] = line
        chunks.append(Chunk(chunk_id, text, str(record.get("source", "")), dict(metadata)))
    if not chunks:
        raise DataError(file, "has no chunks")
    return chunks


def read_queries(path: Path | str, known_ids: set[str] | None = None) -> list[RetrievalQuery]:
    """The queries of a queries file; with ``known_ids``, every expected id must be one of them."""
    file = Path(path)
    queries: list[RetrievalQuery] = []
    for line, record in _records(file):
        text = record.get("query")
        if not isinstance(text, str) or not text.strip():
            raise DataError(file, f'line {line}: missing or empty "query"')
        raw = record.get("expected", record.get("faq_id"))
        ids = [raw] if isinstance(raw, str) else raw
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise DataError(
                file, f'line {line}: "expected" must be an id or a non-empty list of ids'
            )
        if known_ids is not None:
            unknown = sorted(set(ids) - known_ids)
            if unknown:
                raise DataError(
                    file, f"line {line}: expected id(s) {unknown} match no chunk or FAQ entry"
                )
        queries.append(RetrievalQuery(text, frozenset(ids)))
    if not queries:
        raise DataError(file, "has no queries")
    return queries
