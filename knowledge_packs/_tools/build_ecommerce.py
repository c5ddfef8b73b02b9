"""Build knowledge_packs/ecommerce (intents.csv, faq.jsonl, eval.jsonl).

Sources: ecommerce_source.toml (phrasings, English FAQ, eval queries), ecommerce_more.toml (more
phrasings and product-FAQ paraphrases) and ecommerce_zh.toml (Chinese FAQ entries). Intents are
the 55 ABCD subflows (names as in ABCD's kb.json); the texts were written for this pack.
catalog.jsonl, templates.toml and docs/ are edited by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from packlib import DATA, PACKS, norm, read_toml, write_intents, write_jsonl

HERE = Path(__file__).resolve().parent
_HAN = re.compile(r"[\u4e00-\u9fff]")
OUT = PACKS / "ecommerce"


def faq_id(intent: str, lang: str = "en") -> str:
    base = intent.replace("_", "-")
    return base if lang == "en" else f"{base}-{lang}"


def phrasings(spec: dict[str, Any], more: dict[str, Any], name: str, lang: str) -> list[str]:
    """Every phrasing of intent ``name`` in ``lang``: the source's, then the extra ones."""
    return [*spec[lang], *more.get(name, {}).get(lang, [])]


def main() -> None:
    source = read_toml(HERE / "ecommerce_source.toml")
    intents: dict[str, Any] = source["intent"]
    kb = json.loads((DATA / "abcd" / "kb.json").read_text(encoding="utf-8"))
    if set(intents) != set(kb):
        raise SystemExit(f"intents differ from ABCD subflows: {sorted(set(intents) ^ set(kb))}")

    extra = read_toml(HERE / "ecommerce_more.toml")
    more: dict[str, Any] = extra["more"]
    faq_more: dict[str, list[str]] = extra["faq_more"]
    if not set(more) <= set(intents):
        raise SystemExit(
            f"unknown intents in ecommerce_more.toml: {sorted(set(more) - set(intents))}"
        )
    rows = [
        (text, name, lang)
        for name, spec in intents.items()
        for lang in ("en", "zh")
        for text in phrasings(spec, more, name, lang)
    ]
    n_examples = write_intents(OUT / "intents.csv", rows)

    zh_entries: dict[str, Any] = read_toml(HERE / "ecommerce_zh.toml")["zh"]
    if not set(zh_entries) <= set(intents):
        raise SystemExit(
            f"unknown intents in ecommerce_zh.toml: {sorted(set(zh_entries) - set(intents))}"
        )
    records: list[dict[str, Any]] = []
    for name, spec in intents.items():
        if "answer" not in spec:
            continue
        zh = zh_entries.get(name)
        records.append(
            {
                "id": faq_id(name),
                "intent": name,
                "question": spec["question"],
                "paraphrases": [
                    *phrasings(spec, more, name, "en"),
                    *([] if zh else phrasings(spec, more, name, "zh")),
                ],
                "answer": " ".join(spec["answer"].split()),
                "tags": spec["tags"],
                "lang": "en",
            }
        )
        if zh:
            records.append(
                {
                    "id": faq_id(name, "zh"),
                    "intent": name,
                    "question": zh["question"],
                    "paraphrases": phrasings(spec, more, name, "zh"),
                    "answer": zh["answer"].strip(),
                    "tags": spec["tags"],
                    "lang": "zh",
                }
            )
    for entry in source["faq"]:
        records.append(
            {
                "id": entry["id"],
                "intent": entry["intent"],
                "question": entry["question"],
                "paraphrases": [*entry["paraphrases"], *faq_more.get(entry["id"], [])],
                "answer": " ".join(entry["answer"].split()),
                "tags": intents[entry["intent"]]["tags"],
                "lang": "en",
            }
        )
    n_faq = write_jsonl(OUT / "faq.jsonl", records)
    faq_ids = {r["id"] for r in records}
    if not set(faq_more) <= faq_ids:
        raise SystemExit(f"faq_more names unknown FAQ ids: {sorted(set(faq_more) - faq_ids)}")

    known = {norm(t) for t, _, _ in rows}
    for r in records:
        known.update(norm(t) for t in [r["question"], *r["paraphrases"]])
    evals: list[dict[str, str]] = []
    for name, spec in intents.items():
        for item in spec["eval"]:
            if isinstance(item, str):
                lang = "zh" if _HAN.search(item) and name in zh_entries else "en"
                query, target = item, faq_id(name, lang)
            else:
                query, target = item
            if norm(query) in known:
                raise SystemExit(f"eval query repeats a training text: {query!r}")
            if target not in faq_ids:
                raise SystemExit(f"eval query {query!r} names unknown FAQ {target!r}")
            evals.append({"query": query, "faq_id": target, "intent": name})
    n_eval = write_jsonl(OUT / "eval.jsonl", evals)
    print(f"ecommerce: {len(intents)} intents, {n_examples} examples, {n_faq} FAQ, {n_eval} eval")


if __name__ == "__main__":
    main()
