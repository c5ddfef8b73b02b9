"""Live delivery forwards a fanned-out message's bytes as published, once per socket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from kefu.gateway.fanout import frame_head, message_frame
from kefu.gateway.frames import EventOut, decode_shared, encode
from kefu.gateway.session import Outbox
from kefu.store.records import SenderKind, StoredMessage


class _Socket:
    """Records what an Outbox sends down it."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_data(self, data: str, mode: str = "text") -> None:
        self.sent.append(data)


def _stored(seq: int) -> StoredMessage:
    return StoredMessage(
        conversation_id="c1",
        seq=seq,
        client_msg_id=f"m{seq}",
        sender_kind=SenderKind.VISITOR,
        sender_id="v1",
        text="你好",
        redacted=None,
        verdicts=(),
        filter_action="allow",
        blocked=False,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_frame_head_reads_type_conversation_and_seq_only() -> None:
    data = encode(message_frame(_stored(7), SenderKind.AGENT))
    head = frame_head(data)
    assert (head.type, head.conversation_id, head.seq) == ("message", "c1", 7)
    event = frame_head(encode(EventOut(conversation_id="c1", name="closed", data={"by": "x"})))
    assert (event.type, event.conversation_id, event.seq) == ("event", "c1", 0)


async def test_raw_forwarding_and_replays_never_send_a_message_twice() -> None:
    socket = _Socket()
    outbox = Outbox(cast(Any, socket))
    live = encode(message_frame(_stored(1), SenderKind.AGENT))
    await outbox.send_message_raw("c1", 1, live)
    await outbox.send(message_frame(_stored(1), SenderKind.AGENT))  # the replay of it
    await outbox.send(message_frame(_stored(2), SenderKind.AGENT))
    await outbox.send_message_raw("c1", 2, encode(message_frame(_stored(2), SenderKind.AGENT)))
    assert [decode_shared(s).seq for s in socket.sent] == [1, 2]  # type: ignore[union-attr]
    assert socket.sent[0] == live.decode()  # forwarded byte for byte
    outbox.forget("c1")
    await outbox.send_message_raw("c1", 1, live)
    assert len(socket.sent) == 3
