"""Frame decoding: every kind of bad input maps to its documented error code."""

from __future__ import annotations

import msgspec
import pytest

from kefu.gateway.frames import (
    Ack,
    AgentHello,
    AgentMessage,
    EventOut,
    FrameError,
    MessageOut,
    VisitorHello,
    VisitorMessage,
    decode_agent,
    decode_for_agent,
    decode_for_visitor,
    decode_shared,
    decode_visitor,
    encode,
)

LIMIT = 512


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{nope", "bad_json"),
        ("", "bad_json"),
        (b"\xff", "bad_json"),
        ('{"type": "shout"}', "unknown_type"),
        ('{"text": "x"}', "unknown_type"),
        ('{"type": 3}', "unknown_type"),
        ("[]", "invalid_frame"),
        ('{"type": "message", "text": "x"}', "invalid_frame"),
        ('{"type": "message", "client_msg_id": "", "text": "x"}', "invalid_frame"),
        ('{"type": "message", "client_msg_id": "' + "i" * 65 + '", "text": "x"}', "invalid_frame"),
        ('{"type": "message", "client_msg_id": "a", "text": "x", "x": 1}', "invalid_frame"),
        ('{"type": "read", "seq": -1}', "invalid_frame"),
        ('{"type": "hello", "last_seq": "3"}', "invalid_frame"),
        (
            '{"type": "message", "client_msg_id": "a", "text": "' + "x" * LIMIT + '"}',
            "frame_too_large",
        ),
    ],
)
def test_bad_visitor_frames_get_their_error_code(raw: str | bytes, code: str) -> None:
    with pytest.raises(FrameError) as caught:
        decode_visitor(raw, LIMIT)
    assert caught.value.code == code


def test_the_size_limit_counts_bytes_not_characters() -> None:
    text = "客" * 200  # 600 bytes in UTF-8
    raw = msgspec.json.encode({"type": "message", "client_msg_id": "a", "text": text}).decode()
    assert len(raw) < LIMIT
    with pytest.raises(FrameError) as caught:
        decode_visitor(raw, LIMIT)
    assert caught.value.code == "frame_too_large"


def test_good_frames_decode_to_their_structs() -> None:
    hello = decode_visitor('{"type": "hello"}', LIMIT)
    assert hello == VisitorHello()
    message = decode_visitor(b'{"type":"message","client_msg_id":"c1","text":"hi"}', LIMIT)
    assert message == VisitorMessage(client_msg_id="c1", text="hi")
    agent_hello = decode_agent('{"type":"hello","token":"t","last_seqs":{"c":4}}', LIMIT)
    assert agent_hello == AgentHello(token="t", last_seqs={"c": 4})
    assert isinstance(
        decode_agent(
            '{"type":"message","conversation_id":"c","client_msg_id":"m","text":"x"}', LIMIT
        ),
        AgentMessage,
    )


def test_agent_frames_need_a_conversation_and_visitor_only_types_are_unknown() -> None:
    with pytest.raises(FrameError) as caught:
        decode_agent('{"type":"message","client_msg_id":"m","text":"x"}', LIMIT)
    assert caught.value.code == "invalid_frame"
    with pytest.raises(FrameError) as caught:
        decode_visitor('{"type":"transfer","conversation_id":"c","to_agent_id":"a"}', LIMIT)
    assert caught.value.code == "unknown_type"


def test_server_frames_round_trip_with_their_type_tag() -> None:
    ack = Ack(client_msg_id="c", conversation_id="k", seq=3)
    assert msgspec.json.decode(encode(ack))["type"] == "ack"
    event = EventOut(conversation_id="k", name="queued", data={"position": 2})
    assert decode_shared(encode(event)) == event
    message = MessageOut("k", 1, "visitor", "v", "c", "hi", "2026-01-01T00:00:00+00:00")
    assert decode_for_visitor(encode(message)) == message
    assert decode_for_agent(encode(message)) == message
