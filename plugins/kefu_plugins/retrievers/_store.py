"""The indexed chunks by position, their metadata filter index, and their file format."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import reduce
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kefu.contracts import Chunk

CHUNKS_FILE = "chunks.jsonl"

Positions = npt.NDArray[np.int64]


class ChunkStore:
    """Chunks in index order, with an inverted index of metadata for exact-match filters."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = tuple(chunks)
        postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        for position, chunk in enumerate(self._chunks):
            for key, value in chunk.metadata.items():
                postings[(key, value)].append(position)
        self._postings = {item: np.asarray(rows, dtype=np.int64) for item, rows in postings.items()}

    def __len__(self) -> int:
        return len(self._chunks)

    def __getitem__(self, position: int) -> Chunk:
        return self._chunks[position]

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """Every chunk, in index order."""
        return self._chunks

    def matching(self, filters: Mapping[str, str]) -> Positions | None:
        """Sorted positions of the chunks whose metadata has every filter item; None: all."""
        if not filters:
            return None
        empty = np.zeros(0, dtype=np.int64)
        lists = [self._postings.get(item, empty) for item in filters.items()]
        lists.sort(key=len)
        return reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), lists)

    def save(self, directory: Path) -> None:
        """Write the chunks as JSON lines into ``directory``."""
        with (directory / CHUNKS_FILE).open("w", encoding="utf-8") as out:
            for chunk in self._chunks:
                record = {
                    "id": chunk.id,
                    "text": chunk.text,
                    "source": chunk.source,
                    "metadata": dict(chunk.metadata),
                }
                out.write(json.dumps(record, ensure_ascii=False))
                out.write("\n")

    @classmethod
    def load(cls, directory: Path) -> ChunkStore:
        """Read chunks written by :meth:`save`."""
        path = directory / CHUNKS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: not a saved Kefu retriever index")
        chunks: list[Chunk] = []
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    record = json.loads(line)
                    chunks.append(
                        Chunk(
                            id=record["id"],
                            text=record["text"],
                            source=record.get("source", ""),
                            metadata=record.get("metadata", {}),
                        )
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: not a valid chunk record: {exc}") from exc
        return cls(chunks)
