"""Build knowledge_packs/finance from BANKING77 and finance_faq.toml.

intents.csv: every BANKING77 train example (intent names normalised to ``[a-z0-9_]+``) plus
the Chinese questions of the FAQ. eval.jsonl: 5 test examples per intent, drawn with a fixed
seed, skipping any whose normalised text occurs in intents.csv or in an FAQ entry.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from packlib import DATA, PACKS, intent_name, norm, read_toml, write_intents, write_jsonl

SEED = 20200302
EVAL_PER_INTENT = 5
HERE = Path(__file__).resolve().parent
OUT = PACKS / "finance"


def read_split(name: str) -> list[tuple[str, str]]:
    with (DATA / "banking77" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["text"].strip(), intent_name(r["category"])) for r in csv.DictReader(fh)]


def faq_id(intent: str) -> str:
    return intent.replace("_", "-")


def main() -> None:
    faq: dict[str, Any] = read_toml(HERE / "finance_faq.toml")["faq"]
    train = read_split("train")
    intents = sorted({i for _, i in train})
    missing = sorted(set(intents) ^ set(faq))
    if missing:
        raise SystemExit(f"FAQ and BANKING77 intents differ: {missing}")

    # A few train texts differ only in case or spacing: keep the first of each.
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for text, intent in train:
        if norm(text) not in seen:
            seen.add(norm(text))
            rows.append((text, intent, "en"))
    for intent in intents:
        for text in faq[intent]["zh"]:
            if norm(text) not in seen:
                seen.add(norm(text))
                rows.append((text, intent, "zh"))
    n_examples = write_intents(OUT / "intents.csv", rows)

    records: list[dict[str, Any]] = []
    faq_texts: set[str] = set()
    for intent in intents:
        entry = faq[intent]
        paraphrases = [*entry["paraphrases"], *entry["zh"]]
        faq_texts.update(norm(t) for t in [entry["question"], *paraphrases])
        records.append(
            {
                "id": faq_id(intent),
                "intent": intent,
                "question": entry["question"],
                "paraphrases": paraphrases,
                "answer": " ".join(entry["answer"].split()),
                "tags": entry["tags"],
                "lang": "en",
            }
        )
    n_faq = write_jsonl(OUT / "faq.jsonl", records)

    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in read_split("test"):
        by_intent[intent].append(text)
    rng = random.Random(SEED)
    known = seen | faq_texts
    evals: list[dict[str, str]] = []
    for intent in intents:
        pool = sorted(by_intent[intent])
        rng.shuffle(pool)
        picked = [t for t in pool if norm(t) not in known][:EVAL_PER_INTENT]
        if len(picked) < EVAL_PER_INTENT:
            raise SystemExit(f"not enough unseen test queries for {intent}")
        evals.extend({"query": t, "faq_id": faq_id(intent), "intent": intent} for t in picked)
    n_eval = write_jsonl(OUT / "eval.jsonl", evals)
    print(f"finance: {len(intents)} intents, {n_examples} examples, {n_faq} FAQ, {n_eval} eval")


if __name__ == "__main__":
    main()
