"""Plugin loading by namespace and name through stevedore, with errors that say what is there."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from stevedore import DriverManager, ExtensionManager

#: Every entry-point namespace Kefu reads, with what its plugins are for.
NAMESPACES: dict[str, str] = {
    "kefu.intent": "intent recognizers",
    "kefu.retriever": "knowledge retrievers",
    "kefu.policy": "reply policies",
    "kefu.filter": "message filters",
    "kefu.adapter": "business-system adapters",
    "kefu.pack": "knowledge packs",
    "kefu.bus": "event-bus backends",
}


class PluginError(Exception):
    """Base class for plugin loading problems."""


class PluginNotFoundError(PluginError, LookupError):
    """No plugin of that name is installed in the namespace."""

    def __init__(self, namespace: str, name: str, installed: Iterable[str]) -> None:
        self.namespace = namespace
        self.name = name
        self.installed = sorted(installed)
        listing = ", ".join(self.installed) or "none"
        super().__init__(f"no plugin {name!r} in namespace {namespace!r}; installed: {listing}")


class PluginLoadError(PluginError):
    """The plugin is installed but could not be imported or built."""

    def __init__(self, namespace: str, name: str, cause: BaseException) -> None:
        self.namespace = namespace
        self.name = name
        super().__init__(
            f"plugin {name!r} in namespace {namespace!r} failed to load: "
            f"{type(cause).__name__}: {cause}"
        )
        self.__cause__ = cause


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What ``kefu plugins list`` shows about one installed plugin."""

    namespace: str
    name: str
    target: str
    distribution: str
    summary: str


def installed_names(namespace: str) -> list[str]:
    """Names of the plugins declared in ``namespace`` by any installed distribution."""
    return sorted({ep.name for ep in entry_points(group=namespace)})


def load_class(namespace: str, name: str) -> Any:
    """Import the object a plugin's entry point names, without instantiating it."""
    if name not in installed_names(namespace):
        raise PluginNotFoundError(namespace, name, installed_names(namespace))
    errors: list[BaseException] = []

    def on_failure(_manager: Any, _entrypoint: Any, exc: BaseException) -> None:
        errors.append(exc)

    try:
        manager = DriverManager(
            namespace=namespace,
            name=name,
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
        )
    except Exception as exc:  # stevedore wraps a failed import in NoMatches
        raise PluginLoadError(namespace, name, errors[0] if errors else exc) from exc
    if errors:
        raise PluginLoadError(namespace, name, errors[0])
    return manager.driver


def load(namespace: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """Import and instantiate one plugin: ``cls(*args, **kwargs)``."""
    cls = load_class(namespace, name)
    try:
        return cls(*args, **kwargs)
    except Exception as exc:
        raise PluginLoadError(namespace, name, exc) from exc


def load_all(namespace: str, names: Iterable[str], *args: Any, **kwargs: Any) -> list[Any]:
    """Instantiate several plugins of one namespace, in the order given."""
    return [load(namespace, name, *args, **kwargs) for name in names]


def describe(namespace: str | None = None) -> list[PluginInfo]:
    """Every installed plugin (of one namespace, or of all of Kefu's), for listings."""
    spaces = [namespace] if namespace else list(NAMESPACES)
    infos: list[PluginInfo] = []
    for space in spaces:
        failures: dict[str, str] = {}

        def on_failure(
            _manager: Any, entrypoint: Any, exc: BaseException, failures: dict[str, str] = failures
        ) -> None:
            failures[entrypoint.name] = f"{type(exc).__name__}: {exc}"

        manager = ExtensionManager(
            namespace=space, invoke_on_load=False, on_load_failure_callback=on_failure
        )
        loaded = {ext.name: ext for ext in manager.extensions}
        for ep in sorted(entry_points(group=space), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            ext = loaded.get(ep.name)
            if ext is None:
                summary = f"(failed to load: {failures.get(ep.name, 'unknown error')})"
            else:
                doc = inspect.getdoc(ext.plugin) or ""
                summary = doc.splitlines()[0] if doc else ""
            infos.append(PluginInfo(space, ep.name, ep.value, dist, summary))
    return infos
