"""The Redis Streams event bus: durable events shared by every Kefu process (``redis://``).

Each Kefu stream is one Redis stream key (``prefix + name``) holding entries with a single
``event`` field, the JSON envelope. Consumer groups, acknowledgement and reclaiming map
directly onto XGROUP, XREADGROUP, XACK, XPENDING and XAUTOCLAIM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self
from urllib.parse import urlsplit

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from kefu.bus.base import (
    DEFAULT_MAXLEN,
    Delivery,
    PendingEntry,
    StartFrom,
    check_name,
    check_positive,
    check_seconds,
    encode_event,
    redact_url,
)
from kefu.bus.errors import (
    BusClosedError,
    BusUnavailableError,
    EventDecodeError,
    GroupNotFoundError,
    InvalidEventError,
)
from kefu.bus.events import Event

log = logging.getLogger(__name__)

_FIELD = b"event"
_ENTRY_ID = re.compile(r"^\d+-\d+$")
#: Longest single XAUTOCLAIM scan; larger backlogs are walked with its cursor.
_CLAIM_SCAN = 100


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStreamsEventBus:
    """Event bus on Redis Streams (redis://), shared by every Kefu process; Redis 6.2+."""

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "kefu:events:",
        maxlen: int = DEFAULT_MAXLEN,
        approximate_trim: bool = True,
        connect_timeout: float = 5.0,
    ) -> None:
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise InvalidEventError(f"Redis bus URL must start with redis://, got {url!r}")
        check_positive("maxlen", maxlen)
        self._url = url
        self._prefix = prefix
        self._maxlen = maxlen
        # Exact trimming costs Redis more work per XADD; '~' trims whole nodes when convenient.
        self._approximate = approximate_trim
        self._connect_timeout = check_seconds("connect_timeout", connect_timeout)
        self._redis: Redis[bytes] | None = None

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """Build from ``redis://[:password@]host:port/db`` (``rediss://`` for TLS)."""
        return cls(url, **options)

    @property
    def prefix(self) -> str:
        """The prefix of every Redis key this bus writes."""
        return self._prefix

    def key(self, stream: str) -> str:
        """The Redis key holding ``stream``."""
        return self._prefix + check_name("stream", stream)

    async def start(self) -> None:
        """Connect and check that Redis answers; raises BusUnavailableError otherwise."""
        if self._redis is not None:
            return
        client = Redis.from_url(
            self._url, decode_responses=False, socket_connect_timeout=self._connect_timeout
        )
        try:
            await client.ping()
        except (redis_errors.RedisError, OSError) as exc:  # down, refused, wrong password
            await client.aclose()  # type: ignore[attr-defined]  # types-redis predates aclose
            raise BusUnavailableError(
                f"cannot reach Redis for the event bus at {redact_url(self._url)}: {exc}"
            ) from exc
        self._redis = client

    async def close(self) -> None:
        """Close the connection pool."""
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()  # type: ignore[attr-defined]  # types-redis predates aclose

    def _client(self) -> Redis[bytes]:
        if self._redis is None:
            raise BusClosedError("the event bus is not running; call start() first")
        return self._redis

    @contextmanager
    def _errors(self, stream: str, group: str | None = None) -> Iterator[None]:
        try:
            yield
        except redis_errors.ResponseError as exc:
            if group is not None and str(exc).startswith("NOGROUP"):
                raise GroupNotFoundError(stream, group) from exc
            raise
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            raise BusUnavailableError(
                f"lost Redis at {redact_url(self._url)} on stream {stream!r}: {exc}"
            ) from exc

    async def publish(self, stream: str, event: Event) -> str:
        """XADD the envelope, trimming the stream to about ``maxlen`` entries."""
        key = self.key(stream)
        payload = encode_event(event)
        client = self._client()
        with self._errors(stream):
            entry_id = await client.xadd(
                key, {_FIELD: payload}, maxlen=self._maxlen, approximate=self._approximate
            )
        return _text(entry_id)

    async def ensure_group(self, stream: str, group: str, *, start: StartFrom = "earliest") -> None:
        """XGROUP CREATE ... MKSTREAM, ignoring a group that already exists."""
        key = self.key(stream)
        check_name("group", group)
        if start not in ("earliest", "latest"):
            raise InvalidEventError(f"start must be 'earliest' or 'latest', got {start!r}")
        client = self._client()
        with self._errors(stream):
            try:
                await client.xgroup_create(
                    key, group, id="0" if start == "earliest" else "$", mkstream=True
                )
            except redis_errors.ResponseError as exc:
                if not str(exc).startswith("BUSYGROUP"):
                    raise

    async def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 10,
        block: float | None = None,
    ) -> list[Delivery]:
        """XREADGROUP ``>``: entries never delivered to this group."""
        key = self.key(stream)
        check_name("group", group)
        check_name("consumer", consumer)
        check_positive("count", count)
        wait = check_seconds("block", block) if block is not None else 0.0
        client = self._client()
        # BLOCK 0 means "forever" to Redis, so a zero wait omits BLOCK altogether.
        block_ms = max(1, round(wait * 1000)) if wait > 0 else None
        with self._errors(stream, group):
            reply = await client.xreadgroup(
                group, consumer, {key: ">"}, count=count, block=block_ms
            )
        if not reply:
            return []
        entries = reply[0][1]
        return await self._deliveries(stream, group, consumer, entries)

    async def _deliveries(
        self,
        stream: str,
        group: str,
        consumer: str,
        entries: list[tuple[bytes, dict[bytes, bytes] | None]],
        counts: dict[str, int] | None = None,
    ) -> list[Delivery]:
        deliveries: list[Delivery] = []
        poisoned: list[str] = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            if not fields:  # trimmed or deleted while pending
                poisoned.append(entry_id)
                continue
            try:
                event = Event.from_json(fields[_FIELD])
            except (KeyError, EventDecodeError) as exc:
                # An entry no Kefu process wrote: acknowledge it so it cannot wedge the group.
                log.error("dropping undecodable entry %s on stream %s: %s", entry_id, stream, exc)
                poisoned.append(entry_id)
                continue
            count = counts.get(entry_id, 1) if counts else 1
            deliveries.append(Delivery(stream, group, consumer, entry_id, event, count))
        if poisoned:
            await self.ack(stream, group, *poisoned)
        return deliveries

    async def ack(self, stream: str, group: str, *entry_ids: str) -> int:
        """XACK; returns how many entries were pending (0 for an unknown group)."""
        key = self.key(stream)
        check_name("group", group)
        for entry_id in entry_ids:
            if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
                raise InvalidEventError(f"not a stream entry id: {entry_id!r}")
        if not entry_ids:
            return 0
        client = self._client()
        with self._errors(stream, group):
            acked = await client.xack(key, group, *entry_ids)  # type: ignore[no-untyped-call]
            return int(acked)

    async def pending(self, stream: str, group: str, *, count: int = 100) -> list[PendingEntry]:
        """XPENDING (extended form) from the oldest entry."""
        key = self.key(stream)
        check_name("group", group)
        check_positive("count", count)
        client = self._client()
        with self._errors(stream, group):
            rows = await client.xpending_range(key, group, min="-", max="+", count=count)
        return [
            PendingEntry(
                entry_id=_text(row["message_id"]),
                consumer=_text(row["consumer"]),
                idle=row["time_since_delivered"] / 1000,
                deliveries=int(row["times_delivered"]),
            )
            for row in rows
        ]

    async def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle: float, count: int = 10
    ) -> list[Delivery]:
        """XAUTOCLAIM over the whole pending list until ``count`` entries are claimed."""
        key = self.key(stream)
        check_name("group", group)
        check_name("consumer", consumer)
        idle_ms = round(check_seconds("min_idle", min_idle) * 1000)
        check_positive("count", count)
        client = self._client()
        claimed: list[tuple[bytes, dict[bytes, bytes] | None]] = []
        cursor: bytes | str = "0-0"
        with self._errors(stream, group):
            while len(claimed) < count:
                reply = await client.xautoclaim(
                    key,
                    group,
                    consumer,
                    idle_ms,
                    start_id=cursor,
                    count=min(_CLAIM_SCAN, count - len(claimed)),
                )
                cursor, entries = reply[0], reply[1]
                claimed.extend(entries)
                if _text(cursor) == "0-0":
                    break
            counts = await self._delivery_counts(client, key, group, claimed)
        return await self._deliveries(stream, group, consumer, claimed, counts)

    @staticmethod
    async def _delivery_counts(
        client: Redis[bytes],
        key: str,
        group: str,
        claimed: list[tuple[bytes, dict[bytes, bytes] | None]],
    ) -> dict[str, int]:
        """Delivery counts of just-claimed entries (XAUTOCLAIM does not return them)."""
        if not claimed:
            return {}
        # One pipelined XPENDING per entry: a range query could be crowded out by the other
        # entries this consumer already holds.
        async with client.pipeline(transaction=False) as pipe:
            for raw_id, _ in claimed:
                pipe.xpending_range(key, group, min=raw_id, max=raw_id, count=1)
            replies = await pipe.execute()
        return {
            _text(row["message_id"]): int(row["times_delivered"])
            for rows in replies
            for row in rows
        }

    async def length(self, stream: str) -> int:
        """XLEN."""
        key = self.key(stream)
        client = self._client()
        with self._errors(stream):
            return int(await client.xlen(key))

    async def delete(self, stream: str) -> None:
        """DEL the stream key, dropping its entries and groups."""
        key = self.key(stream)
        client = self._client()
        with self._errors(stream):
            await client.delete(key)
