"""Build the configured event bus from its URL, choosing the backend through ``kefu.bus``."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from kefu import registry
from kefu.bus.base import EventBus, EventBusBackend, redact_url
from kefu.bus.errors import InvalidEventError, UnknownBusBackendError

NAMESPACE = "kefu.bus"

#: URL schemes served by a backend registered under another name.
_ALIASES = {"rediss": "redis", "unix": "redis"}


def backend_name(url: str) -> str:
    """The ``kefu.bus`` entry-point name a bus URL selects (its scheme, after aliases)."""
    if not isinstance(url, str) or "://" not in url:
        raise InvalidEventError(
            f"bus URL must look like memory:// or redis://host:6379/0, got {url!r}"
        )
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise InvalidEventError(f"bus URL {url!r} has no scheme")
    return _ALIASES.get(scheme, scheme)


def create_bus(url: str, **options: Any) -> EventBus:
    """An unstarted bus for ``url``; ``options`` go to the backend's constructor.

    Raises UnknownBusBackendError, listing the installed backends, for an unknown scheme.
    """
    name = backend_name(url)
    try:
        backend = cast(type[EventBusBackend], registry.load_class(NAMESPACE, name))
    except registry.PluginNotFoundError as exc:
        raise UnknownBusBackendError(redact_url(url), urlsplit(url).scheme, exc.installed) from exc
    return cast(EventBus, backend.from_url(url, **options))
