"""Build knowledge_packs/education from education_courses.toml and education_source.toml.

Writes courses.jsonl (checking that prerequisites name known courses and form no cycle),
intents.csv, faq.jsonl (one English and one Chinese entry per intent) and eval.jsonl (queries
written apart from the training phrasings; Chinese queries expect the Chinese entry).
"""

from __future__ import annotations

import graphlib
import re
from pathlib import Path
from typing import Any

from packlib import PACKS, norm, read_toml, write_intents, write_jsonl

HERE = Path(__file__).resolve().parent
OUT = PACKS / "education"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def faq_id(intent: str, lang: str) -> str:
    base = intent.replace("_", "-")
    return base if lang == "en" else f"{base}-{lang}"


def build_courses() -> int:
    courses: list[dict[str, Any]] = read_toml(HERE / "education_courses.toml")["course"]
    ids = [c["id"] for c in courses]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate course id")
    graph = {c["id"]: list(c["prerequisites"]) for c in courses}
    for course, pres in graph.items():
        unknown = set(pres) - set(graph)
        if unknown:
            raise SystemExit(f"{course} requires unknown courses {sorted(unknown)}")
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle
    keys = ("id", "title", "summary", "level", "prerequisites", "outline")
    return write_jsonl(OUT / "courses.jsonl", ({k: c[k] for k in keys} for c in courses))


def main() -> None:
    n_courses = build_courses()
    intents: dict[str, Any] = read_toml(HERE / "education_source.toml")["intent"]
    more: dict[str, Any] = read_toml(HERE / "education_more.toml")["more"]
    if not set(more) <= set(intents):
        raise SystemExit(
            f"unknown intents in education_more.toml: {sorted(set(more) - set(intents))}"
        )
    rows = [
        (text, name, lang)
        for name, spec in intents.items()
        for lang in ("en", "zh")
        for text in [*spec[lang], *more.get(name, {}).get(lang, [])]
    ]
    every = {
        (name, lang): [t for t, n, lg in rows if n == name and lg == lang]
        for name in intents
        for lang in ("en", "zh")
    }
    n_examples = write_intents(OUT / "intents.csv", rows)

    records: list[dict[str, Any]] = []
    for name, spec in intents.items():
        for lang, question, answer, paraphrases in (
            ("en", spec["question"], spec["answer"], every[name, "en"]),
            ("zh", spec["zh_question"], spec["zh_answer"], every[name, "zh"]),
        ):
            records.append(
                {
                    "id": faq_id(name, lang),
                    "intent": name,
                    "question": question,
                    "paraphrases": paraphrases,
                    "answer": " ".join(answer.split()),
                    "tags": spec["tags"],
                    "lang": lang,
                }
            )
    n_faq = write_jsonl(OUT / "faq.jsonl", records)

    known = {norm(t) for t, _, _ in rows}
    for r in records:
        known.update(norm(t) for t in [r["question"], *r["paraphrases"]])
    evals: list[dict[str, str]] = []
    for name, spec in intents.items():
        for query in spec["eval"]:
            if norm(query) in known:
                raise SystemExit(f"eval query repeats a training text: {query!r}")
            lang = "zh" if _HAN.search(query) else "en"
            evals.append({"query": query, "faq_id": faq_id(name, lang), "intent": name})
    n_eval = write_jsonl(OUT / "eval.jsonl", evals)
    print(
        f"education: {n_courses} courses, {len(intents)} intents, {n_examples} examples, "
        f"{n_faq} FAQ, {n_eval} eval"
    )


if __name__ == "__main__":
    main()
