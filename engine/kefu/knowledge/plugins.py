"""The plugins a pack names: their options (pack.toml plus the pack's data) and their instances.

Options each plugin receives, in increasing precedence:

* intent recognizer: ``threshold`` = ``[thresholds] out_of_scope``, then
  ``[plugins.intent_options]``;
* retriever: ``[plugins.retriever_options]``;
* reply policy: ``reply_threshold`` = ``[thresholds] reply``, ``templates`` (templates.toml),
  ``catalog`` (courses.jsonl, by course id), every key of compliance.toml, then
  ``[plugins.policy_options]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu import registry
from kefu.contracts import IntentRecognizer, PluginContext, ReplyPolicy, Retriever
from kefu.knowledge.errors import Problem
from kefu.knowledge.model import Pack, PluginSpec
from kefu.knowledge.packtoml import FILE, PLUGIN_KINDS
from kefu.knowledge.tomlfile import key_line

NAMESPACES = {"intent": "kefu.intent", "retriever": "kefu.retriever", "policy": "kefu.policy"}


@dataclass(frozen=True, slots=True)
class PackPlugins:
    """The three plugin instances that serve one pack."""

    recognizer: IntentRecognizer
    retriever: Retriever
    policy: ReplyPolicy


def plugin_options(pack: Pack) -> dict[str, dict[str, Any]]:
    """The constructor options of the pack's intent, retriever and policy plugins."""
    intent: dict[str, Any] = {"threshold": pack.thresholds.out_of_scope, **pack.intent.options}
    retriever: dict[str, Any] = dict(pack.retriever.options)
    policy: dict[str, Any] = {"reply_threshold": pack.thresholds.reply}
    if pack.templates:
        policy["templates"] = dict(pack.templates)
    if pack.courses:
        policy["catalog"] = {
            course.id: {
                "title": course.title,
                "summary": course.summary,
                "level": course.level,
                "prerequisites": list(course.prerequisites),
            }
            for course in pack.courses
        }
    policy.update(pack.compliance)
    policy.update(pack.policy.options)
    return {"intent": intent, "retriever": retriever, "policy": policy}


def unknown_plugins(specs: Mapping[str, PluginSpec], toml_text: str) -> list[Problem]:
    """A problem for each named plugin that no installed distribution provides."""
    problems: list[Problem] = []
    for kind in PLUGIN_KINDS:
        spec = specs.get(kind)
        if spec is None:
            continue
        installed = registry.installed_names(NAMESPACES[kind])
        if spec.name not in installed:
            problems.append(
                Problem(
                    FILE,
                    key_line(toml_text, "plugins", kind),
                    f"unknown {kind} plugin {spec.name!r}; installed in {NAMESPACES[kind]}: "
                    f"{', '.join(installed) or 'none'}",
                )
            )
    return problems


def build_plugins(pack: Pack, context: PluginContext) -> PackPlugins:
    """Instantiate the pack's plugins (untrained) with their options.

    Raises :class:`kefu.registry.PluginError` naming the plugin that is missing or refused
    its options.
    """
    options = plugin_options(pack)
    return PackPlugins(
        recognizer=registry.load("kefu.intent", pack.intent.name, context, **options["intent"]),
        retriever=registry.load(
            "kefu.retriever", pack.retriever.name, context, **options["retriever"]
        ),
        policy=registry.load("kefu.policy", pack.policy.name, context, **options["policy"]),
    )


def option_problems(pack: Pack, context: PluginContext, toml_text: str) -> list[Problem]:
    """A problem for each plugin that refuses the options the pack gives it."""
    options = plugin_options(pack)
    problems: list[Problem] = []
    for kind in PLUGIN_KINDS:
        spec: PluginSpec = getattr(pack, kind)
        try:
            registry.load(NAMESPACES[kind], spec.name, context, **options[kind])
        except registry.PluginError as exc:
            problems.append(Problem(FILE, key_line(toml_text, "plugins", kind), str(exc)))
    return problems


def uses_embeddings(plugins: PackPlugins) -> bool:
    """True when the recognizer or the retriever reads the shared embedder."""
    return any(
        bool(getattr(plugin, "uses_embeddings", False))
        for plugin in (plugins.recognizer, plugins.retriever)
    )
