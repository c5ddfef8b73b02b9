"""The installed plugins as the admin page lists them, from entry-point metadata or loaded."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points

import msgspec

from kefu import registry


class PluginOut(msgspec.Struct):
    """One installed plugin; ``summary`` is only known once it was loaded."""

    namespace: str
    kind: str
    name: str
    target: str
    distribution: str
    summary: str | None = None
    load_error: str | None = None


class PluginListing(msgspec.Struct):
    """The body of ``GET /api/plugins``: ``loaded`` says whether each plugin was imported."""

    plugins: list[PluginOut]
    loaded: bool


def declared_plugins() -> list[PluginOut]:
    """Every plugin declared in Kefu's namespaces, read from metadata without importing it."""
    found: list[PluginOut] = []
    for namespace, kind in registry.NAMESPACES.items():
        for ep in sorted(entry_points(group=namespace), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            found.append(PluginOut(namespace, kind, ep.name, ep.value, dist))
    return found


def loaded_plugins() -> list[PluginOut]:
    """Every plugin imported once through :func:`kefu.registry.describe` (slow: loads models)."""
    failed = "(failed to load: "
    items: list[PluginOut] = []
    for info in registry.describe():
        error = info.summary[len(failed) : -1] if info.summary.startswith(failed) else None
        items.append(
            PluginOut(
                info.namespace,
                registry.NAMESPACES.get(info.namespace, ""),
                info.name,
                info.target,
                info.distribution,
                summary=None if error else info.summary,
                load_error=error,
            )
        )
    return items


class PluginCatalogue:
    """Answers plugin listings: fast from metadata, or by loading every plugin once."""

    def __init__(self) -> None:
        self._loaded: list[PluginOut] | None = None
        self._lock = asyncio.Lock()

    async def listing(self, load: bool) -> PluginListing:
        """The declared plugins; with ``load`` (or once loaded before), with summaries."""
        if self._loaded is None and not load:
            return PluginListing(await asyncio.to_thread(declared_plugins), loaded=False)
        async with self._lock:
            if self._loaded is None:
                self._loaded = await asyncio.to_thread(loaded_plugins)
        return PluginListing(self._loaded, loaded=True)
