"""Reading pack.toml: identity, licence, plugins, thresholds and chunking, every field checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kefu.knowledge.chunking import DEFAULT_MAX_CHARS
from kefu.knowledge.errors import Problem
from kefu.knowledge.model import VERTICALS, PackMeta, PluginSpec, Thresholds, frozen_mapping
from kefu.knowledge.tomlfile import key_line, parse_toml

FILE = "pack.toml"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Semantic Versioning 2.0.0 (https://semver.org), without the optional build metadata.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*( (AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$")
PLUGIN_KINDS = ("intent", "retriever", "policy")

_TABLES = {
    "pack": {"name", "version", "vertical", "languages", "description", "license", "attribution"},
    "plugins": {*PLUGIN_KINDS, *(f"{kind}_options" for kind in PLUGIN_KINDS)},
    "thresholds": {"reply", "out_of_scope"},
    "chunking": {"max_chars", "intent_examples"},
    "actions": set(),  # any action name
}
ACTION = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class PackToml:
    """What pack.toml declares; None where a field was missing or invalid."""

    meta: PackMeta | None
    plugins: dict[str, PluginSpec]
    thresholds: Thresholds
    max_chars: int
    text: str
    actions: dict[str, tuple[str, ...]]
    #: ``[chunking] intent_examples``: index intents.csv examples as chunks of their FAQ entry.
    intent_examples: bool = False


class _Reader:
    """Collects problems while reading one TOML document's tables."""

    def __init__(self, text: str, data: dict[str, Any]) -> None:
        self.text = text
        self.data = data
        self.problems: list[Problem] = []

    def problem(self, table: str, key: str | None, message: str) -> None:
        self.problems.append(Problem(FILE, key_line(self.text, table, key), message))

    def table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.problem(name, None, f"[{name}] must be a table")
            return {}
        for key in sorted(set(value) - _TABLES[name]) if name != "actions" else ():
            allowed = ", ".join(sorted(_TABLES[name]))
            self.problem(name, key, f"unknown key {key!r} in [{name}] (allowed: {allowed})")
        return value

    def string(self, table: str, values: dict[str, Any], key: str, *, required: bool) -> str | None:
        if key not in values:
            if required:
                self.problem(table, None, f"[{table}] {key} is required")
            return None
        value = values[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(table, key, f"[{table}] {key} must be a non-empty string")
            return None
        return value.strip()

    def matching(
        self, table: str, values: dict[str, Any], key: str, pattern: re.Pattern[str], what: str
    ) -> str | None:
        value = self.string(table, values, key, required=True)
        if value is not None and not pattern.match(value):
            self.problem(table, key, f"[{table}] {key} = {value!r} is not {what}")
            return None
        return value

    def fraction(self, values: dict[str, Any], key: str, default: float) -> float:
        value = values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            self.problem("thresholds", key, f"[thresholds] {key} must be a number in [0, 1]")
            return default
        return float(value)


def read_pack_toml(text: str) -> tuple[PackToml | None, list[Problem]]:
    """Parse and check pack.toml's text; the result is None only when the TOML is malformed."""
    data, problem = parse_toml(text, FILE)
    if data is None:
        return None, [problem] if problem else []
    reader = _Reader(text, data)
    for name in sorted(set(data) - set(_TABLES)):
        reader.problem(name, None, f"unknown table [{name}] (allowed: {', '.join(_TABLES)})")
    if "pack" not in data:
        reader.problems.append(Problem(FILE, None, "the [pack] table is required"))
    meta = _meta(reader, reader.table("pack")) if "pack" in data else None
    if "plugins" not in data:
        reader.problems.append(Problem(FILE, None, "the [plugins] table is required"))
    plugins = _plugins(reader, reader.table("plugins")) if "plugins" in data else {}
    limits = reader.table("thresholds")
    thresholds = Thresholds(
        reply=reader.fraction(limits, "reply", Thresholds().reply),
        out_of_scope=reader.fraction(limits, "out_of_scope", Thresholds().out_of_scope),
    )
    if thresholds.out_of_scope > thresholds.reply:
        reader.problem(
            "thresholds",
            "out_of_scope",
            f"[thresholds] out_of_scope ({thresholds.out_of_scope}) must not exceed "
            f"reply ({thresholds.reply})",
        )
    chunking = reader.table("chunking")
    max_chars = chunking.get("max_chars", DEFAULT_MAX_CHARS)
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 100:
        reader.problem("chunking", "max_chars", "[chunking] max_chars must be an integer >= 100")
        max_chars = DEFAULT_MAX_CHARS
    intent_examples = chunking.get("intent_examples", False)
    if not isinstance(intent_examples, bool):
        reader.problem(
            "chunking", "intent_examples", "[chunking] intent_examples must be true or false"
        )
        intent_examples = False
    actions: dict[str, tuple[str, ...]] = {}
    for action, intents in reader.table("actions").items():
        if (
            not ACTION.match(action)
            or not isinstance(intents, list)
            or not all(isinstance(intent, str) for intent in intents)
        ):
            reader.problem("actions", action, f"[actions] {action} must be a list of intent names")
            continue
        actions[action] = tuple(intents)
    declared = PackToml(meta, plugins, thresholds, max_chars, text, actions, intent_examples)
    return declared, reader.problems


def _meta(reader: _Reader, values: dict[str, Any]) -> PackMeta | None:
    name = reader.matching("pack", values, "name", NAME, "a valid name ([a-z0-9][a-z0-9_-]*)")
    version = reader.matching("pack", values, "version", SEMVER, "a semantic version (1.2.0)")
    vertical = reader.string("pack", values, "vertical", required=True)
    if vertical is not None and vertical not in VERTICALS:
        reader.problem(
            "pack",
            "vertical",
            f"[pack] vertical = {vertical!r} is not one of {', '.join(VERTICALS)}",
        )
        vertical = None
    license_id = reader.matching("pack", values, "license", SPDX, "an SPDX licence expression")
    description = reader.string("pack", values, "description", required=False) or ""
    attribution = reader.string("pack", values, "attribution", required=False) or ""
    languages = values.get("languages", ["en"])
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(lang, str) and LANGUAGE.match(lang) for lang in languages)
    ):
        reader.problem(
            "pack", "languages", "[pack] languages must be a non-empty list of language codes"
        )
        languages = ["en"]
    if name is None or version is None or vertical is None or license_id is None:
        return None
    return PackMeta(
        name=name,
        version=version,
        vertical=vertical,
        license=license_id,
        languages=tuple(languages),
        description=description,
        attribution=attribution,
    )


def _plugins(reader: _Reader, values: dict[str, Any]) -> dict[str, PluginSpec]:
    specs: dict[str, PluginSpec] = {}
    for kind in PLUGIN_KINDS:
        name = reader.string("plugins", values, kind, required=True)
        options = values.get(f"{kind}_options", {})
        if not isinstance(options, dict):
            reader.problem(
                "plugins", f"{kind}_options", f"[plugins] {kind}_options must be a table"
            )
            options = {}
        if name is not None:
            specs[kind] = PluginSpec(name, frozen_mapping(options))
    return specs
