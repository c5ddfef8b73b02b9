"""Reading labelled texts (CSV or JSONL with a text and a label column) for training and tests.

Column names default to ``text`` for the text and the first of ``label``, ``category``
(BANKING77, HWU64) or ``intent`` (a pack's intents.csv) for the label. Every row must have a
non-blank text and label; problems are reported with the file and line.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.contracts import IntentExample
from kefu.evaluation.errors import DataError

DEFAULT_TEXT_COLUMN = "text"
#: Label columns tried in order when none is named.
DEFAULT_LABEL_COLUMNS = ("label", "category", "intent")
SUFFIXES = (".csv", ".jsonl")
#: How many bad rows one error message lists before it says "and N more".
_MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class LabelledData:
    """Texts with their labels, as read from one file (``source``), rows aligned."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def examples(self) -> list[IntentExample]:
        """The rows as intent examples, ready for ``IntentRecognizer.fit``."""
        return [IntentExample(t, label) for t, label in zip(self.texts, self.labels, strict=True)]

    @property
    def label_counts(self) -> dict[str, int]:
        """How many rows each label has, most frequent first."""
        return dict(Counter(self.labels).most_common())

    def subset(self, indices: Sequence[int], source: str | None = None) -> LabelledData:
        """The rows at ``indices``, in that order."""
        return LabelledData(
            tuple(self.texts[i] for i in indices),
            tuple(self.labels[i] for i in indices),
            self.source if source is None else source,
        )

    @classmethod
    def from_examples(cls, examples: Sequence[IntentExample], source: str = "") -> LabelledData:
        """Wrap intent examples (from a pack or built in code)."""
        return cls(tuple(e.text for e in examples), tuple(e.label for e in examples), source)


def read_labelled(
    path: Path | str,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
) -> LabelledData:
    """Read a ``.csv`` (with a header) or ``.jsonl`` file of labelled texts.

    Raises :class:`DataError` naming the file and the problem: unknown file type, missing file
    or column, no rows, blank texts or labels (with their line numbers).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            file, f"unknown file type {suffix or '(none)'!r}; use {' or '.join(SUFFIXES)}"
        )
    if not file.is_file():
        raise DataError(file, "no such file")
    rows = _csv_rows(file) if suffix == ".csv" else _jsonl_rows(file)
    header, records = _columns(file, rows)
    text_key = text_column or DEFAULT_TEXT_COLUMN
    label_key = label_column or next(
        (name for name in DEFAULT_LABEL_COLUMNS if name in header), DEFAULT_LABEL_COLUMNS[0]
    )
    for role, key, option in (
        ("text", text_key, "--text-column"),
        ("label", label_key, "--label-column"),
    ):
        if key not in header:
            found = ", ".join(sorted(header)) or "none"
            raise DataError(
                file, f"no {role} column {key!r} (columns found: {found}); name it with {option}"
            )
    texts: list[str] = []
    labels: list[str] = []
    blank: list[str] = []
    for line, record in records:
        text = _cell(record.get(text_key))
        label = _cell(record.get(label_key))
        if not text:
            blank.append(f"line {line}: empty text")
        if not label:
            blank.append(f"line {line}: empty label")
        texts.append(text)
        labels.append(label)
    if blank:
        more = f" (and {len(blank) - _MAX_LISTED} more)" if len(blank) > _MAX_LISTED else ""
        raise DataError(file, "; ".join(blank[:_MAX_LISTED]) + more)
    if not texts:
        raise DataError(file, "has no data rows")
    return LabelledData(tuple(texts), tuple(labels), str(file))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()


def _csv_rows(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _read(file)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:
        raise DataError(file, "is empty (a CSV file needs a header line, e.g. text,label)")
    yield 0, {name: name for name in reader.fieldnames if name is not None}
    try:
        for record in reader:
            yield reader.line_num, dict(record)
    except csv.Error as exc:
        raise DataError(file, f"line {reader.line_num}: not valid CSV ({exc})") from exc


def _jsonl_rows(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    keys: set[str] = set()
    records: list[tuple[int, dict[str, Any]]] = []
    for line, raw in enumerate(_read(file).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(file, f"line {line}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(
                file, f"line {line}: expected a JSON object, got {type(record).__name__}"
            )
        keys.update(record)
        records.append((line, record))
    yield 0, {key: key for key in keys}
    yield from records


def _columns(
    file: Path, rows: Iterator[tuple[int, dict[str, Any]]]
) -> tuple[set[str], list[tuple[int, dict[str, Any]]]]:
    """The header (first item of ``rows``) and the records after it."""
    _, header = next(rows)
    records = list(rows)
    if not records and not header:
        raise DataError(file, "is empty")
    return set(header), records


def _read(file: Path) -> str:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(file, f"cannot be read ({exc.strerror})") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(file, f"line {line}: not UTF-8 text") from exc
