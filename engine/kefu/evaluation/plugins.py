"""Building the plugins under evaluation: ``--option plugin.key=value`` parsing, seeds, errors.

Options given on the command line are JSON values when they parse as JSON (numbers, booleans,
lists, objects, ``null``) and plain strings otherwise, so ``tfidf.C=5``,
``ensemble.members=["tfidf","embedding"]`` and ``tfidf.classifier=svm`` all work.
"""

from __future__ import annotations

import inspect
import json
import random
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kefu import registry
from kefu.contracts import PluginContext
from kefu.evaluation.errors import EvaluationError


def plugin_name(label: str) -> str:
    """The plugin a run label names: ``tfidf@svm`` is plugin ``tfidf`` under the label ``svm``.

    Labels let one comparison run the same plugin with several option sets.
    """
    return label.partition("@")[0]


def parse_value(text: str) -> Any:
    """A JSON value when ``text`` is one, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_options(specs: Sequence[str], plugins: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{plugin: {key: value}}`` from ``plugin.key=value`` strings naming chosen plugins.

    ``plugins`` are run labels (``name`` or ``name@label``); an option names the label.
    """
    options: dict[str, dict[str, Any]] = {name: {} for name in plugins}
    for spec in specs:
        target, sep, value = spec.partition("=")
        name, dot, key = target.partition(".")
        if not sep or not dot or not name or not key:
            raise EvaluationError(
                f"option {spec!r} is not of the form plugin.key=value (e.g. tfidf.C=5)"
            )
        if name not in options:
            raise EvaluationError(
                f"option {spec!r} names plugin {name!r}, which is not evaluated here "
                f"(plugins: {', '.join(plugins)})"
            )
        options[name][key.strip()] = parse_value(value.strip())
    return options


def accepts(cls: Any, option: str) -> bool:
    """True when the plugin class's constructor names the keyword ``option``.

    A ``**kwargs`` catch-all does not count: such plugins often check the names themselves.
    """
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False
    return option in parameters


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and (when it is loaded) torch's random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


#: Plugins registered in this process (e.g. a class written in a notebook), by namespace.
_LOCAL: dict[str, dict[str, type[Any]]] = {}


def register_local(namespace: str, name: str, cls: type[Any]) -> None:
    """Make ``cls`` available as plugin ``name`` of ``namespace`` to this process's evaluations.

    A local plugin takes precedence over an installed one of the same name. To make it
    available everywhere (the server, ``kefu pack build``), ship it in a distribution that
    declares the entry point.
    """
    if not isinstance(cls, type):
        raise TypeError(f"register a plugin class, not a {type(cls).__name__}")
    _LOCAL.setdefault(namespace, {})[name] = cls


def unregister_local(namespace: str, name: str) -> None:
    """Forget a plugin registered with :func:`register_local` (no error when it is not)."""
    _LOCAL.get(namespace, {}).pop(name, None)


def local_class(namespace: str, name: str) -> type[Any] | None:
    """The class registered locally under ``name``, if any."""
    return _LOCAL.get(namespace, {}).get(name)


def available_names(namespace: str) -> list[str]:
    """Installed plugin names plus those registered in this process, sorted."""
    return sorted({*registry.installed_names(namespace), *_LOCAL.get(namespace, {})})


def check_installed(namespace: str, names: Sequence[str]) -> None:
    """Refuse names that no installed distribution provides, listing the installed ones."""
    installed = available_names(namespace)
    missing = [name for name in names if name not in installed]
    if missing:
        raise EvaluationError(
            f"unknown plugin {', '.join(repr(m) for m in missing)} in {namespace}; installed: "
            f"{', '.join(installed) or 'none'}"
        )


def build_plugin(
    namespace: str,
    name: str,
    context: PluginContext,
    options: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
) -> Any:
    """Instantiate plugin ``name`` with ``options`` (plus ``seed=`` when it takes one)."""
    check_installed(namespace, [name])
    chosen = dict(options or {})
    cls = local_class(namespace, name)
    if cls is None:
        try:
            cls = registry.load_class(namespace, name)
        except registry.PluginError as exc:
            raise EvaluationError(str(exc)) from exc
    if seed is not None and "seed" not in chosen and accepts(cls, "seed"):
        chosen["seed"] = seed
    try:
        return cls(context, **chosen)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(
            f"plugin {name!r} ({namespace}) refused its options {chosen}: {exc}"
        ) from exc
