"""Check the knowledge packs of this folder against the pack format, and print every problem.

Usage: python knowledge_packs/_tools/check_packs.py [pack ...]   (default: every pack)
Exit status 1 when a problem is found.
"""

from __future__ import annotations

import csv
import graphlib
import io
import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from packlib import PACKS, norm

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
INTENT = re.compile(r"^[a-z0-9_]+$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|lorem ipsum|XXX+\b)", re.IGNORECASE)
VERTICALS = {"ecommerce", "education", "finance", "general"}
TEXT_SUFFIXES = {".toml", ".csv", ".jsonl", ".md", ".txt", ".json"}
CATALOG_KEYS = {"id", "name", "price", "currency", "category", "description", "tags"}
COURSE_KEYS = {"id", "title", "summary", "level", "prerequisites", "outline"}


class Report:
    def __init__(self, pack: Path) -> None:
        self.pack = pack
        self.problems: list[str] = []

    def add(self, file: str, line: int | None, message: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        self.problems.append(f"{self.pack.name}/{where}: {message}")


def read_text(path: Path, report: Report) -> str | None:
    raw = path.read_bytes()
    rel = str(path.relative_to(report.pack))
    if raw.startswith(b"\xef\xbb\xbf"):
        report.add(rel, 1, "starts with a byte-order mark")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(rel, None, f"not UTF-8: {exc}")
        return None


def read_jsonl(path: Path, report: Report) -> list[tuple[int, dict[str, Any]]]:
    text = read_text(path, report) if path.exists() else None
    out: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            report.add(path.name, n, "empty line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            report.add(path.name, n, f"invalid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            report.add(path.name, n, "not a JSON object")
            continue
        out.append((n, obj))
    return out


def check_pack(pack: Path) -> list[str]:
    r = Report(pack)
    for path in sorted(pack.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = read_text(path, r)
            if text and not path.is_relative_to(pack / "LICENSES"):
                for n, line in enumerate(text.splitlines(), 1):
                    if PLACEHOLDER.search(line):
                        r.add(str(path.relative_to(pack)), n, "placeholder text")

    meta = tomllib.loads((pack / "pack.toml").read_text(encoding="utf-8"))
    info = meta.get("pack", {})
    if not NAME.match(str(info.get("name", ""))):
        r.add("pack.toml", None, "bad [pack] name")
    if not SEMVER.match(str(info.get("version", ""))):
        r.add("pack.toml", None, "version is not semantic")
    if info.get("vertical") not in VERTICALS:
        r.add("pack.toml", None, "unknown vertical")
    for key in ("languages", "description", "license", "attribution"):
        if not info.get(key):
            r.add("pack.toml", None, f"missing [pack] {key}")
    thresholds = meta.get("thresholds", {})
    if not 0 <= thresholds.get("out_of_scope", 0) <= thresholds.get("reply", 1) <= 1:
        r.add("pack.toml", None, "thresholds must satisfy 0 <= out_of_scope <= reply <= 1")

    # intents.csv
    examples: dict[str, str] = {}
    counts: Counter[str] = Counter()
    text = read_text(pack / "intents.csv", r) or ""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if header[:2] != ["text", "intent"]:
        r.add("intents.csv", 1, f"header is {header}")
    for n, row in enumerate(reader, 2):
        if len(row) != len(header):
            r.add("intents.csv", n, f"{len(row)} columns")
            continue
        sample, intent = row[0], row[1]
        if not INTENT.match(intent):
            r.add("intents.csv", n, f"bad intent name {intent!r}")
        if not sample.strip() or sample != sample.strip():
            r.add("intents.csv", n, "empty text or surrounding spaces")
        if norm(sample) in examples:
            r.add("intents.csv", n, f"duplicate text {sample!r}")
        examples[norm(sample)] = intent
        counts[intent] += 1
    for intent, count in counts.items():
        if count < 2:
            r.add("intents.csv", None, f"intent {intent} has {count} example")
    intents = set(counts)

    # faq.jsonl
    faq_ids: set[str] = set()
    faq_texts: set[str] = set()
    for n, entry in read_jsonl(pack / "faq.jsonl", r):
        fid = entry.get("id")
        if not isinstance(fid, str) or not fid:
            r.add("faq.jsonl", n, "missing id")
        elif fid in faq_ids:
            r.add("faq.jsonl", n, f"duplicate id {fid}")
        faq_ids.add(str(fid))
        if "intent" in entry and entry["intent"] not in intents:
            r.add("faq.jsonl", n, f"unknown intent {entry['intent']}")
        if not entry.get("question") or not entry.get("answer"):
            r.add("faq.jsonl", n, "missing question or answer")
        paraphrases = entry.get("paraphrases", [])
        faq_texts.update(norm(t) for t in [entry.get("question", ""), *paraphrases])

    # eval.jsonl
    queries: set[str] = set()
    for n, item in read_jsonl(pack / "eval.jsonl", r):
        query = item.get("query", "")
        if not query:
            r.add("eval.jsonl", n, "missing query")
        if "faq_id" not in item and "intent" not in item:
            r.add("eval.jsonl", n, "neither faq_id nor intent")
        if "faq_id" in item and item["faq_id"] not in faq_ids:
            r.add("eval.jsonl", n, f"unknown faq_id {item['faq_id']}")
        if "intent" in item and item["intent"] not in intents:
            r.add("eval.jsonl", n, f"unknown intent {item['intent']}")
        if norm(query) in examples or norm(query) in faq_texts:
            r.add("eval.jsonl", n, f"query repeats a training text: {query!r}")
        if norm(query) in queries:
            r.add("eval.jsonl", n, f"duplicate query {query!r}")
        queries.add(norm(query))

    # templates.toml
    templates = tomllib.loads((pack / "templates.toml").read_text(encoding="utf-8"))
    for key in templates.get("templates", {}):
        if key not in intents:
            r.add("templates.toml", None, f"template {key} is not an intent")

    # vertical data
    if (pack / "catalog.jsonl").exists():
        seen: set[str] = set()
        for n, product in read_jsonl(pack / "catalog.jsonl", r):
            if set(product) != CATALOG_KEYS:
                r.add("catalog.jsonl", n, f"keys {sorted(product)}")
            if product.get("id") in seen:
                r.add("catalog.jsonl", n, "duplicate id")
            seen.add(str(product.get("id")))
            if not isinstance(product.get("price"), int | float) or product["price"] <= 0:
                r.add("catalog.jsonl", n, "price must be a positive number")
    if (pack / "courses.jsonl").exists():
        graph: dict[str, list[str]] = {}
        for n, course in read_jsonl(pack / "courses.jsonl", r):
            if set(course) != COURSE_KEYS:
                r.add("courses.jsonl", n, f"keys {sorted(course)}")
            if course.get("id") in graph:
                r.add("courses.jsonl", n, "duplicate id")
            graph[str(course.get("id"))] = list(course.get("prerequisites", []))
        for cid, pres in graph.items():
            for pre in pres:
                if pre not in graph:
                    r.add("courses.jsonl", None, f"{cid} requires unknown course {pre}")
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            r.add("courses.jsonl", None, f"prerequisite cycle {exc.args[1]}")
    if (pack / "compliance.toml").exists():
        rules = tomllib.loads((pack / "compliance.toml").read_text(encoding="utf-8"))
        for key in ("disclaimer_intents", "escalate_intents"):
            for intent in rules.get(key, []):
                if intent not in intents:
                    r.add("compliance.toml", None, f"{key}: unknown intent {intent}")
        patterns = [(re.compile(p, re.IGNORECASE), why) for p, why in rules.get("forbidden", [])]
        for key in ("advice_requests", "escalate_patterns"):
            for p in rules.get(key, []):
                re.compile(p)
        sent = [e for _, e in read_jsonl(pack / "faq.jsonl", r)]
        replies = [e["answer"] for e in sent] + list(templates.get("templates", {}).values())
        replies += [p.read_text(encoding="utf-8") for p in (pack / "docs").glob("*.md")]
        replies.append(rules.get("advice_reply", ""))
        replies.append(rules.get("disclaimer", ""))
        for reply in replies:
            for pattern, why in patterns:
                if pattern.search(reply):
                    r.add("compliance.toml", None, f"own content breaks rule {why!r}: {reply[:60]}")
    for action, names in meta.get("actions", {}).items():
        for intent in names:
            if intent not in intents:
                r.add("pack.toml", None, f"[actions] {action}: unknown intent {intent}")
    options = meta.get("plugins", {}).get("policy_options", {})
    for key in ("order_intents", "product_intents", "path_intents"):
        for intent in options.get(key, []):
            if intent not in intents:
                r.add("pack.toml", None, f"policy_options.{key}: unknown intent {intent}")
    if not any((pack / "docs").glob("*.md")):
        r.add("docs", None, "no documents")
    print(
        f"{pack.name}: {len(intents)} intents, {sum(counts.values())} examples, "
        f"{len(faq_ids)} FAQ, {len(queries)} eval, {len(list((pack / 'docs').glob('*.md')))} docs"
    )
    return r.problems


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in PACKS.iterdir() if (p / "pack.toml").exists())
    problems = [p for name in names for p in check_pack(PACKS / name)]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
