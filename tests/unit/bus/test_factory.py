"""create_bus picks the backend from the URL scheme through the kefu.bus entry points."""

from __future__ import annotations

import pytest

from kefu.bus import InvalidEventError, UnknownBusBackendError, create_bus
from kefu.bus.base import redact_url
from kefu.bus.memory import MemoryEventBus
from kefu.bus.redis_streams import RedisStreamsEventBus


def test_memory_url_builds_the_memory_backend() -> None:
    assert isinstance(create_bus("memory://"), MemoryEventBus)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.internal:6380/1"])
def test_redis_urls_build_the_redis_backend_without_connecting(url: str) -> None:
    bus = create_bus(url, prefix="app:")
    assert isinstance(bus, RedisStreamsEventBus)
    assert bus.key("s") == "app:s"


def test_unknown_scheme_lists_installed_backends() -> None:
    with pytest.raises(UnknownBusBackendError) as info:
        create_bus("kafka://broker:9092")
    message = str(info.value)
    assert "'kafka'" in message
    assert "memory://" in message and "redis://" in message
    assert {"memory", "redis"} <= set(info.value.installed)


def test_unknown_scheme_error_hides_the_password() -> None:
    with pytest.raises(UnknownBusBackendError) as info:
        create_bus("nats://user:s3cret@host:4222")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("url", ["", "memory", "127.0.0.1:6379", "://x"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidEventError, match="bus URL"):
        create_bus(url)


def test_backend_options_are_checked() -> None:
    with pytest.raises(InvalidEventError, match="maxlen"):
        create_bus("memory://", maxlen=0)


def test_redact_url() -> None:
    assert redact_url("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert redact_url("redis://u:pw@h/0") == "redis://u:***@h/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
