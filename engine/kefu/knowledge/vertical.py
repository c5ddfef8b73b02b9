"""Reading templates.toml and compliance.toml, and checking the course prerequisite graph."""

from __future__ import annotations

import graphlib
import re
import string
from collections.abc import Sequence
from typing import Any

from kefu.knowledge.errors import Problem
from kefu.knowledge.model import Course
from kefu.knowledge.records import Located
from kefu.knowledge.tomlfile import key_line, parse_toml

TEMPLATES = "templates.toml"
COMPLIANCE = "compliance.toml"
COURSES = "courses.jsonl"

_COMPLIANCE_LISTS = ("advice_requests", "escalate_patterns")
_COMPLIANCE_INTENTS = ("disclaimer_intents", "escalate_intents")
_COMPLIANCE_TEXTS = ("advice_reply", "disclaimer")
COMPLIANCE_KEYS = frozenset(
    {"forbidden", *_COMPLIANCE_LISTS, *_COMPLIANCE_INTENTS, *_COMPLIANCE_TEXTS}
)


def read_templates(text: str, intents: frozenset[str]) -> tuple[dict[str, str], list[Problem]]:
    """The ``[templates]`` table: one well-formed template per known intent."""
    data, problem = parse_toml(text, TEMPLATES)
    if data is None:
        return {}, [problem] if problem else []
    problems: list[Problem] = []
    for key in sorted(set(data) - {"templates"}):
        problems.append(Problem(TEMPLATES, key_line(text, key), f"unknown table [{key}]"))
    table = data.get("templates", {})
    if not isinstance(table, dict):
        return {}, [*problems, Problem(TEMPLATES, None, "[templates] must be a table")]
    templates: dict[str, str] = {}
    for intent, template in table.items():
        line = key_line(text, "templates", intent)
        if intent not in intents:
            problems.append(Problem(TEMPLATES, line, f"unknown intent {intent!r}"))
            continue
        if not isinstance(template, str) or not template.strip():
            problems.append(Problem(TEMPLATES, line, f"template {intent!r} must be a string"))
            continue
        try:
            list(string.Formatter().parse(template))
        except ValueError as exc:
            problems.append(Problem(TEMPLATES, line, f"template {intent!r} is malformed: {exc}"))
            continue
        templates[intent] = template
    return templates, problems


def _patterns(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return None
    return list(value)


def _bad_regex(pattern: str) -> str | None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    return None


def read_compliance(text: str, intents: frozenset[str]) -> tuple[dict[str, Any], list[Problem]]:
    """compliance.toml's options for the ``finance_compliance`` policy, every pattern compiled."""
    data, problem = parse_toml(text, COMPLIANCE)
    if data is None:
        return {}, [problem] if problem else []
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(COMPLIANCE, key_line(text, "", key), message))

    options: dict[str, Any] = {}
    for key in sorted(set(data) - COMPLIANCE_KEYS):
        report(key, f"unknown key {key!r} (allowed: {', '.join(sorted(COMPLIANCE_KEYS))})")
    if "forbidden" in data:
        rules = data["forbidden"]
        if not isinstance(rules, list) or not all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) and x for x in r)
            for r in rules
        ):
            report("forbidden", "forbidden must be a list of [pattern, reason] pairs")
        else:
            errors = [e for e in (_bad_regex(pattern) for pattern, _ in rules) if e]
            for error in errors:
                report("forbidden", f"forbidden: {error}")
            if not errors:
                options["forbidden"] = [list(rule) for rule in rules]
    for key in _COMPLIANCE_LISTS:
        if key in data:
            patterns = _patterns(data[key])
            if patterns is None:
                report(key, f"{key} must be a list of regular expressions")
                continue
            errors = [e for e in (_bad_regex(p) for p in patterns) if e]
            for error in errors:
                report(key, f"{key}: {error}")
            if not errors:
                options[key] = patterns
    for key in _COMPLIANCE_INTENTS:
        if key in data:
            names = _patterns(data[key])
            if names is None:
                report(key, f"{key} must be a list of intent names")
                continue
            unknown = [name for name in names if name not in intents]
            if unknown:
                report(key, f"{key} names unknown intent(s): {', '.join(unknown)}")
            else:
                options[key] = names
    for key in _COMPLIANCE_TEXTS:
        if key in data:
            if not isinstance(data[key], str) or not data[key].strip():
                report(key, f"{key} must be a non-empty string")
            else:
                options[key] = data[key]
    return options, problems


def course_problems(courses: Sequence[Located[Course]]) -> list[Problem]:
    """Prerequisites that name no course of the file, and prerequisite cycles."""
    known = {located.value.id: located.line for located in courses}
    problems: list[Problem] = []
    graph: dict[str, list[str]] = {}
    for located in courses:
        course = located.value
        for prerequisite in course.prerequisites:
            if prerequisite not in known:
                problems.append(
                    Problem(
                        COURSES,
                        located.line,
                        f"course {course.id!r} requires unknown course {prerequisite!r}",
                    )
                )
        graph[course.id] = [p for p in course.prerequisites if p in known]
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = [str(node) for node in exc.args[1]]
        problems.append(
            Problem(
                COURSES,
                known.get(cycle[0]),
                f"course prerequisites form a cycle: {' -> '.join(reversed(cycle))}",
            )
        )
    return problems
