"""What produced a figure: Kefu's version, each plugin's distribution, the embedding model."""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from kefu import __version__
from kefu.contracts import Embedder
from kefu.evaluation.plugins import local_class, plugin_name


class TrackedEmbedderFactory:
    """An embedder factory that remembers which model it handed out (for the report).

    The model is loaded only when a plugin asks for it, so evaluating ``tfidf`` alone never
    loads it and records no embedding model.
    """

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._model_id: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Embedder:
        embedder = self._factory()
        with self._lock:
            self._model_id = embedder.model_id
        return embedder

    @property
    def model_id(self) -> str | None:
        """The id of the embedding model used so far, or None if none was used."""
        return self._model_id


def plugin_distribution(namespace: str, name: str) -> dict[str, str]:
    """The entry point's target and the name and version of the distribution declaring it."""
    local = local_class(namespace, name)
    if local is not None:
        return {
            "target": f"{local.__module__}:{local.__qualname__}",
            "distribution": "(registered in this process)",
            "version": "-",
        }
    for ep in entry_points(group=namespace):
        if ep.name == name:
            dist = ep.dist
            return {
                "target": ep.value,
                "distribution": dist.name if dist is not None else "?",
                "version": dist.version if dist is not None else "?",
            }
    return {"target": "?", "distribution": "?", "version": "?"}


def provenance(
    namespace: str, plugins: Sequence[str], *, embedding_model: str | None, seed: int
) -> dict[str, Any]:
    """The JSON-ready record of versions and seed that every report carries."""
    return {
        "kefu_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": seed,
        "embedding_model": embedding_model,
        "plugins": {
            label: {
                "plugin": plugin_name(label),
                **plugin_distribution(namespace, plugin_name(label)),
            }
            for label in plugins
        },
    }
