"""Reading a pack's line-oriented files (intents.csv and the .jsonl files) with line numbers."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kefu.contracts import IntentExample
from kefu.knowledge.errors import Problem
from kefu.knowledge.model import Course, EvalCase, Faq, Product

INTENT = re.compile(r"^[a-z0-9_]+$")
ENTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
T = TypeVar("T")


def normalise(text: str) -> str:
    """The form in which two texts count as the same: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


@dataclass(slots=True)
class Lines:
    """Collects problems for one file."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))


# --------------------------------------------------------------------------------------------
# intents.csv
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledText:
    """An intents.csv row with its line."""

    example: IntentExample
    lang: str
    line: int


def read_intents(text: str, out: Lines) -> list[LabelledText]:
    """Rows of intents.csv: header ``text,intent[,lang]``, unique texts, intents with 2+ rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[LabelledText] = []
    try:
        header = next(reader, None)
        if header is None:
            out.problem(None, "is empty; expected a header line 'text,intent'")
            return rows
        columns = [cell.strip() for cell in header]
        if columns not in (["text", "intent"], ["text", "intent", "lang"]):
            out.problem(1, f"header must be 'text,intent' or 'text,intent,lang', got {header!r}")
            return rows
        first = 2
        for record in reader:
            line, first = first, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                out.problem(line, f"has {len(record)} columns, expected {len(columns)}")
                continue
            sample, label = record[0].strip(), record[1].strip()
            lang = record[2].strip() if len(record) > 2 else ""
            if not sample:
                out.problem(line, "has an empty text")
            elif not INTENT.match(label):
                out.problem(line, f"intent {label!r} is not a valid name ([a-z0-9_]+)")
            else:
                rows.append(LabelledText(IntentExample(sample, label), lang, line))
    except csv.Error as exc:
        out.problem(reader.line_num, f"is not valid CSV: {exc}")
    seen: dict[str, int] = {}
    counts: dict[str, list[int]] = {}
    for row in rows:
        key = normalise(row.example.text)
        if key in seen:
            out.problem(
                row.line, f"duplicate text {row.example.text!r} (first on line {seen[key]})"
            )
        else:
            seen[key] = row.line
        counts.setdefault(row.example.label, []).append(row.line)
    for label, lines in sorted(counts.items()):
        if len(lines) < 2:
            out.problem(lines[0], f"intent {label!r} has {len(lines)} example; at least 2 needed")
    return rows


# --------------------------------------------------------------------------------------------
# JSON lines
# --------------------------------------------------------------------------------------------


def json_objects(
    text: str, out: Lines, required: set[str], optional: set[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line's JSON object, after checking its keys; bad lines become problems."""
    allowed = required | optional
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.problems.append(
                Problem(out.name, number, f"is not valid JSON: {exc.msg}", column=exc.colno)
            )
            continue
        if not isinstance(value, dict):
            out.problem(number, f"must be a JSON object, got {type(value).__name__}")
            continue
        missing = sorted(required - set(value))
        unknown = sorted(set(value) - allowed)
        if missing:
            out.problem(number, f"missing field(s): {', '.join(missing)}")
        if unknown:
            out.problem(
                number,
                f"unknown field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})",
            )
        if not missing:
            yield number, value


def _string(
    out: Lines, line: int, record: dict[str, Any], key: str, *, optional: bool = False
) -> str:
    value = record.get(key, "" if optional else None)
    if optional and value == "":
        return ""
    if not isinstance(value, str) or not value.strip():
        out.problem(line, f"{key!r} must be a non-empty string")
        return ""
    return value.strip()


def _strings(out: Lines, line: int, record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        out.problem(line, f"{key!r} must be a list of non-empty strings")
        return ()
    return tuple(v.strip() for v in value)


def _entry_id(out: Lines, line: int, record: dict[str, Any], seen: dict[str, int]) -> str:
    value = _string(out, line, record, "id")
    if not value:
        return ""
    if not ENTRY_ID.match(value):
        out.problem(line, f"id {value!r} must match [A-Za-z0-9][A-Za-z0-9._-]*")
        return ""
    if value in seen:
        out.problem(line, f"duplicate id {value!r} (first on line {seen[value]})")
        return ""
    seen[value] = line
    return value


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """A record with the line it was read from."""

    value: T
    line: int


def read_faq(text: str, out: Lines) -> list[Located[Faq]]:
    """faq.jsonl entries with unique ids; question and paraphrases unique across the file."""
    entries: list[Located[Faq]] = []
    ids: dict[str, int] = {}
    texts: dict[str, int] = {}
    fields = {"intent", "paraphrases", "tags", "lang"}
    for line, record in json_objects(text, out, {"id", "question", "answer"}, fields):
        entry_id = _entry_id(out, line, record, ids)
        question = _string(out, line, record, "question")
        answer = _string(out, line, record, "answer")
        paraphrases = _strings(out, line, record, "paraphrases")
        tags = _strings(out, line, record, "tags")
        lang = _string(out, line, record, "lang", optional=True)
        intent = record.get("intent")
        if intent is not None and (not isinstance(intent, str) or not INTENT.match(intent)):
            out.problem(line, f"intent {intent!r} is not a valid name ([a-z0-9_]+)")
            intent = None
        for phrase in (question, *paraphrases):
            key = normalise(phrase)
            if not key:
                continue
            if key in texts:
                where = "this line" if texts[key] == line else f"line {texts[key]}"
                out.problem(line, f"duplicate text {phrase!r} (already on {where})")
            else:
                texts[key] = line
        if entry_id and question and answer:
            entries.append(
                Located(Faq(entry_id, question, answer, paraphrases, intent, tags, lang), line)
            )
    return entries


def read_eval(text: str, out: Lines) -> list[EvalCase]:
    """eval.jsonl queries, each with a faq_id and/or an intent, no query twice."""
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for line, record in json_objects(text, out, {"query"}, {"faq_id", "intent", "lang"}):
        query = _string(out, line, record, "query")
        faq_id = record.get("faq_id")
        intent = record.get("intent")
        if faq_id is None and intent is None:
            out.problem(line, "needs at least one of 'faq_id' and 'intent'")
            continue
        if faq_id is not None and (not isinstance(faq_id, str) or not faq_id):
            out.problem(line, "'faq_id' must be a non-empty string")
            continue
        if intent is not None and (not isinstance(intent, str) or not intent):
            out.problem(line, "'intent' must be a non-empty string")
            continue
        if not query:
            continue
        key = normalise(query)
        if key in seen:
            out.problem(line, f"duplicate query {query!r} (first on line {seen[key]})")
            continue
        seen[key] = line
        cases.append(EvalCase(query, faq_id, intent, line))
    return cases


def read_catalog(text: str, out: Lines) -> list[Located[Product]]:
    """catalog.jsonl products with unique ids, prices >= 0 and ISO 4217 currency codes."""
    products: list[Located[Product]] = []
    ids: dict[str, int] = {}
    required = {"id", "name", "price", "currency"}
    for line, record in json_objects(text, out, required, {"category", "description", "tags"}):
        product_id = _entry_id(out, line, record, ids)
        name = _string(out, line, record, "name")
        price = record["price"]
        if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
            out.problem(line, "'price' must be a number >= 0")
            price = None
        currency = record["currency"]
        if not isinstance(currency, str) or not CURRENCY.match(currency):
            out.problem(line, "'currency' must be an ISO 4217 code such as 'USD'")
            currency = None
        category = _string(out, line, record, "category", optional=True)
        description = _string(out, line, record, "description", optional=True)
        tags = _strings(out, line, record, "tags")
        if product_id and name and price is not None and currency is not None:
            products.append(
                Located(
                    Product(product_id, name, float(price), currency, category, description, tags),
                    line,
                )
            )
    return products


def read_courses(text: str, out: Lines) -> list[Located[Course]]:
    """courses.jsonl courses with unique ids (prerequisites are checked across the file later)."""
    courses: list[Located[Course]] = []
    ids: dict[str, int] = {}
    optional = {"summary", "level", "prerequisites", "outline"}
    for line, record in json_objects(text, out, {"id", "title"}, optional):
        course_id = _entry_id(out, line, record, ids)
        title = _string(out, line, record, "title")
        summary = _string(out, line, record, "summary", optional=True)
        level = _string(out, line, record, "level", optional=True)
        prerequisites = _strings(out, line, record, "prerequisites")
        outline = _strings(out, line, record, "outline")
        if course_id and title:
            courses.append(
                Located(Course(course_id, title, summary, level, prerequisites, outline), line)
            )
    return courses
