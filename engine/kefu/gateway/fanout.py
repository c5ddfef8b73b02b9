"""Socket fan-out across processes through Litestar channels (memory or Redis pub/sub).

Every visitor socket listens on its conversation's channel, every agent socket on the agent's
channel. The domain's notices become frames here, encoded once and published to every channel
that must hear them; any process holding such a socket pushes the frame down it.
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


def visitor_channel(conversation_id: str) -> str:
    """The channel a conversation's visitor sockets listen on."""
    return f"kefu:visitor:{conversation_id}"


def agent_channel(agent_id: str) -> str:
    """The channel an agent's sockets listen on."""
    return f"kefu:agent:{agent_id}"


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
        self._channels = channels

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Publish each notice to its recipients' channels, in order.

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
                await self._channels.wait_published(encode(frame_for(notice.body)), targets)
            except Exception:
                log.exception("fan-out of %s failed", type(notice.body).__name__)
