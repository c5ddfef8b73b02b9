"""The in-process event bus: the default, with the same group/ack/reclaim semantics as Redis.

Entries live only in this process's memory and are lost on exit; use the Redis backend when
events must survive a restart or cross processes. All methods must be called from one event loop.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

from kefu.bus.base import (
    DEFAULT_MAXLEN,
    Delivery,
    PendingEntry,
    StartFrom,
    check_name,
    check_positive,
    check_seconds,
    encode_event,
)
from kefu.bus.errors import BusClosedError, GroupNotFoundError, InvalidEventError
from kefu.bus.events import Event

_EntryKey = tuple[int, int]


def _format(key: _EntryKey) -> str:
    return f"{key[0]}-{key[1]}"


def _parse(entry_id: str) -> _EntryKey | None:
    ms, sep, seq = entry_id.partition("-")
    if not sep or not ms.isdigit() or not seq.isdigit():
        return None
    return int(ms), int(seq)


@dataclass(slots=True)
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass(slots=True)
class _Group:
    last_delivered: _EntryKey
    # Insertion order is entry order: new deliveries always have larger ids than older ones.
    pending: dict[_EntryKey, _Pending] = field(default_factory=dict)


@dataclass(slots=True)
class _Stream:
    keys: list[_EntryKey] = field(default_factory=list)
    payloads: dict[_EntryKey, bytes] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    last_key: _EntryKey = (0, 0)
    published: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryEventBus:
    """Event bus kept in this process's memory (memory://), the single-process default."""

    def __init__(self, *, maxlen: int = DEFAULT_MAXLEN) -> None:
        check_positive("maxlen", maxlen)
        self._maxlen = maxlen
        self._streams: dict[str, _Stream] = {}
        self._running = False
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Build from ``memory://`` (an optional ``?maxlen=N`` query sets the bound)."""
        parts = urlsplit(url)
        if parts.scheme != "memory" or parts.netloc or parts.path not in ("", "/"):
            raise InvalidEventError(f"memory bus URL must be 'memory://', got {url!r}")
        for item in filter(None, parts.query.split("&")):
            name, _, value = item.partition("=")
            if name != "maxlen" or not value.isdigit():
                raise InvalidEventError(f"memory bus URL {url!r}: unknown query item {item!r}")
            options.setdefault("maxlen", int(value))
        return cls(**options)

    async def start(self) -> None:
        """Mark the bus usable (nothing to connect to)."""
        if self._closed:
            raise BusClosedError("this memory bus was closed; build a new one")
        self._running = True

    async def close(self) -> None:
        """Drop every stream and wake blocked readers, which return nothing."""
        self._running = False
        self._closed = True
        for stream in self._streams.values():
            stream.published.set()
        self._streams.clear()

    def _check_running(self) -> None:
        if not self._running:
            raise BusClosedError("the event bus is not running; call start() first")

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        state = self._streams.get(stream)
        found = state.groups.get(group) if state is not None else None
        if state is None or found is None:
            raise GroupNotFoundError(stream, group)
        return state, found

    def _next_key(self, state: _Stream) -> _EntryKey:
        ms = time.time_ns() // 1_000_000
        last_ms, last_seq = state.last_key
        return (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)

    async def publish(self, stream: str, event: Event) -> str:
        """Append ``event``; trims the oldest entries beyond ``maxlen``."""
        check_name("stream", stream)
        payload = encode_event(event)  # validates data before anything is stored
        self._check_running()
        state = self._streams.setdefault(stream, _Stream())
        key = self._next_key(state)
        state.last_key = key
        state.keys.append(key)
        state.payloads[key] = payload
        excess = len(state.keys) - self._maxlen
        if excess > 0:
            for old in state.keys[:excess]:
                del state.payloads[old]
            del state.keys[:excess]
        # Wake every blocked reader, then arm a fresh signal for the next publish.
        state.published.set()
        state.published = asyncio.Event()
        return _format(key)

    async def ensure_group(self, stream: str, group: str, *, start: StartFrom = "earliest") -> None:
        """Create ``group`` at the oldest entry or after the newest one."""
        check_name("stream", stream)
        check_name("group", group)
        if start not in ("earliest", "latest"):
            raise InvalidEventError(f"start must be 'earliest' or 'latest', got {start!r}")
        self._check_running()
        state = self._streams.setdefault(stream, _Stream())
        if group not in state.groups:
            position = state.last_key if start == "latest" else (0, 0)
            state.groups[group] = _Group(last_delivered=position)

    async def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 10,
        block: float | None = None,
    ) -> list[Delivery]:
        """Deliver up to ``count`` entries the group has not seen yet to ``consumer``."""
        check_name("stream", stream)
        check_name("group", group)
        check_name("consumer", consumer)
        check_positive("count", count)
        wait = check_seconds("block", block) if block is not None else 0.0
        self._check_running()
        deadline = time.monotonic() + wait
        while True:
            state, found = self._group(stream, group)
            start = bisect.bisect_right(state.keys, found.last_delivered)
            keys = state.keys[start : start + count]
            if keys:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            signal = state.published
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                return []
            if not self._running:
                return []
        now = time.monotonic()
        found.last_delivered = keys[-1]
        deliveries = []
        for key in keys:
            found.pending[key] = _Pending(consumer, now, 1)
            event = Event.from_json(state.payloads[key])
            deliveries.append(Delivery(stream, group, consumer, _format(key), event))
        return deliveries

    async def ack(self, stream: str, group: str, *entry_ids: str) -> int:
        """Remove entries from the group's pending list; 0 for an unknown group, as in Redis."""
        check_name("stream", stream)
        check_name("group", group)
        keys = [_parse(entry_id) for entry_id in entry_ids]
        for entry_id, key in zip(entry_ids, keys, strict=True):
            if key is None:
                raise InvalidEventError(f"not a stream entry id: {entry_id!r}")
        self._check_running()
        state = self._streams.get(stream)
        found = state.groups.get(group) if state is not None else None
        if found is None:
            return 0
        return sum(
            1 for key in keys if key is not None and found.pending.pop(key, None) is not None
        )

    async def pending(self, stream: str, group: str, *, count: int = 100) -> list[PendingEntry]:
        """The oldest unacknowledged entries of ``group``."""
        check_name("stream", stream)
        check_name("group", group)
        check_positive("count", count)
        self._check_running()
        _, found = self._group(stream, group)
        now = time.monotonic()
        entries: list[PendingEntry] = []
        for key, item in found.pending.items():
            if len(entries) == count:
                break
            entries.append(
                PendingEntry(_format(key), item.consumer, now - item.delivered_at, item.deliveries)
            )
        return entries

    async def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle: float, count: int = 10
    ) -> list[Delivery]:
        """Move entries idle for ``min_idle`` seconds to ``consumer`` and deliver them again."""
        check_name("stream", stream)
        check_name("group", group)
        check_name("consumer", consumer)
        idle = check_seconds("min_idle", min_idle)
        check_positive("count", count)
        self._check_running()
        state, found = self._group(stream, group)
        now = time.monotonic()
        deliveries: list[Delivery] = []
        for key, item in list(found.pending.items()):
            if len(deliveries) == count:
                break
            if now - item.delivered_at < idle:
                continue
            payload = state.payloads.get(key)
            if payload is None:  # trimmed away while pending: nothing left to deliver
                del found.pending[key]
                continue
            item.consumer, item.delivered_at = consumer, now
            item.deliveries += 1
            event = Event.from_json(payload)
            deliveries.append(
                Delivery(stream, group, consumer, _format(key), event, item.deliveries)
            )
        return deliveries

    async def length(self, stream: str) -> int:
        """Entries retained in ``stream``."""
        check_name("stream", stream)
        self._check_running()
        state = self._streams.get(stream)
        return len(state.keys) if state is not None else 0

    async def delete(self, stream: str) -> None:
        """Forget ``stream``; blocked readers of it return nothing."""
        check_name("stream", stream)
        self._check_running()
        state = self._streams.pop(stream, None)
        if state is not None:
            state.published.set()
