"""Socket fan-out across processes through Litestar channels (memory or Redis pub/sub).

Every socket has a route: a visitor socket its conversation's, an agent socket its agent's.
The domain's notices become frames here, encoded once and published once, in an envelope that
names the routes that must hear them, on the one channel every process listens to
(:data:`SOCKETS_CHANNEL`). Each process's :class:`~kefu.gateway.dispatch.SocketDispatcher`
opens the envelope and hands the frame to the local sockets on those routes.

One channel for the cluster means every process reads every frame and drops those for routes
it holds no socket of (a dict lookup each). That is what keeps an idle socket cheap: no
subscription, queue or task of its own, and one Redis subscription per process instead of one
per socket.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec
from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from kefu.conversations.notices import (
    MessageNotice,
    Notice,
    NoticeBody,
    ReadNotice,
    StatusNotice,
    TypingNotice,
)
from kefu.gateway.frames import EventOut, MessageOut, ReadOut, SharedFrame, TypingOut, encode
from kefu.store.records import SenderKind, StoredMessage

log = logging.getLogger(__name__)


#: The channel every process subscribes to once; frames on it travel in envelopes.
SOCKETS_CHANNEL = "kefu:sockets"


def visitor_channel(conversation_id: str) -> str:
    """The route of a conversation's visitor sockets."""
    return f"kefu:visitor:{conversation_id}"


def agent_channel(agent_id: str) -> str:
    """The route of an agent's sockets."""
    return f"kefu:agent:{agent_id}"


_routes_decoder = msgspec.json.Decoder(list[str])


def envelope(routes: Sequence[str], frame: bytes) -> bytes:
    """``frame`` addressed to ``routes``: a JSON list of routes, a newline, the frame itself.

    Encoded JSON never holds a raw newline, so the first one ends the routes and the frame
    travels byte for byte.
    """
    return msgspec.json.encode(list(routes)) + b"\n" + frame


def open_envelope(data: bytes) -> tuple[list[str], bytes]:
    """The routes and the frame of an envelope (ValueError when it is not one)."""
    end = data.find(b"\n")
    if end < 0:
        raise ValueError("not a socket envelope: no newline after the routes")
    try:
        routes = _routes_decoder.decode(data[:end])
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a socket envelope: {exc}") from exc
    return routes, data[end + 1 :]


class FramePublisher:
    """Publishes encoded frames to socket routes on every process, in one envelope each."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._channels = channels

    async def publish(self, frame: bytes, routes: Sequence[str]) -> None:
        """Send ``frame`` to the sockets on ``routes``, wherever they are connected."""
        if routes:
            await self._channels.wait_published(envelope(routes, frame), [SOCKETS_CHANNEL])


def channels_backend(bus_url: str) -> ChannelsBackend:
    """The channels backend for ``settings.bus_url``: in-process memory or Redis pub/sub."""
    scheme = bus_url.split("://", 1)[0]
    if scheme == "memory":
        return MemoryChannelsBackend()
    if scheme in {"redis", "rediss"}:
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(bus_url), key_prefix="KEFU_CHANNELS")
    raise ValueError(f"no socket fan-out for bus URL scheme {scheme!r}; use memory:// or redis://")


class FrameHead(msgspec.Struct, frozen=True):
    """The routing fields of a fanned-out frame, read without decoding the rest of it."""

    type: str
    conversation_id: str = ""
    seq: int = 0


_head_decoder = msgspec.json.Decoder(FrameHead)


def frame_head(data: bytes) -> FrameHead:
    """The type, conversation and sequence number of an encoded frame (unknown fields skipped).

    Live delivery forwards a message's bytes as they were published: the socket only needs
    to know which message it is, to never send it twice, not to decode and encode it again.
    """
    return _head_decoder.decode(data)


def message_frame(message: StoredMessage, viewer: SenderKind) -> MessageOut:
    """The frame for a stored message as ``viewer`` sees it (masked text for the other side)."""
    own = message.sender_kind is viewer
    return MessageOut(
        conversation_id=message.conversation_id,
        seq=message.seq,
        sender=message.sender_kind.value,
        sender_id=message.sender_id,
        client_msg_id=message.client_msg_id,
        text=message.text if own else message.delivered_text,
        time=message.created_at.isoformat(),
        filter_action=message.filter_action,
        blocked=message.blocked,
    )


def frame_for(body: NoticeBody) -> SharedFrame:
    """The frame that carries a notice body (messages are only sent to the other side)."""
    if isinstance(body, MessageNotice):
        viewer = (
            SenderKind.AGENT
            if body.message.sender_kind is SenderKind.VISITOR
            else SenderKind.VISITOR
        )
        return message_frame(body.message, viewer)
    if isinstance(body, StatusNotice):
        return EventOut(conversation_id=body.conversation_id, name=body.event, data=body.data)
    if isinstance(body, TypingNotice):
        return TypingOut(body.conversation_id, sender=body.side.value, active=body.active)
    if isinstance(body, ReadNotice):
        return ReadOut(body.conversation_id, by=body.side.value, seq=body.seq)
    raise TypeError(f"unknown notice body {type(body).__name__}")


class ChannelsNotifier:
    """A :class:`~kefu.conversations.Notifier` publishing frames through Litestar channels."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._publisher = FramePublisher(channels)

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Publish each notice to its recipients' routes, in order.

        A fan-out failure (Redis down) is logged, not raised: the message is already stored
        and clients recover it on their next resume.
        """
        for notice in notices:
            targets = [agent_channel(a) for a in notice.to_agents]
            if notice.to_visitor:
                targets.append(visitor_channel(notice.to_visitor))
            if not targets:
                continue
            try:
                await self._publisher.publish(encode(frame_for(notice.body)), targets)
            except Exception:
                log.exception("fan-out of %s failed", type(notice.body).__name__)
