"""Masking of whole frames on their way to an agent socket."""

from __future__ import annotations

import json

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.gateway.frames import EventOut, MessageOut, encode
from kefu.security.masking import mask_text
from kefu.security.sockets import mask_frame


def _message(text: str, client_msg_id: str = "m-1", conversation_id: str = "c1") -> bytes:
    return encode(
        MessageOut(
            conversation_id=conversation_id,
            seq=7,
            sender="visitor",
            sender_id="v1",
            client_msg_id=client_msg_id,
            text=text,
            time="2026-11-27T06:31:05.123456+00:00",
        )
    )


def test_a_frame_without_personal_data_goes_out_as_the_same_bytes() -> None:
    data = _message("你好，我的订单 #10023 还没有发货 [123]")
    assert mask_frame(data) is data


def test_text_and_client_ids_are_masked_and_the_frame_stays_valid_json() -> None:
    data = _message('call 13812345678 or "li.lei@example.com"\n', client_msg_id="13912345678")
    frame = json.loads(mask_frame(data))
    assert frame["text"] == 'call 138****5678 or "l*****@example.com"\n'
    assert frame["client_msg_id"] == "139****5678"
    assert frame["time"] == "2026-11-27T06:31:05.123456+00:00"
    assert frame["seq"] == 7


def test_server_ids_are_never_mangled() -> None:
    # A hex id can hold a run of digits shaped like a phone number.
    cid = "ab13812345678cd0000000000000000e"
    frame = json.loads(mask_frame(_message("hi", conversation_id=cid)))
    assert frame["conversation_id"] == cid


def test_nested_event_data_keys_values_and_numbers_are_masked() -> None:
    event = EventOut(
        "c1",
        "customer",
        {"phone": 13812345678, "emails": ["li.lei@example.com", 3], "13812345678": True},
    )
    frame = json.loads(mask_frame(encode(event)))
    assert frame["data"] == {
        "phone": "138****5678",
        "emails": ["l*****@example.com", 3],
        "138****5678": True,
    }
    assert frame["name"] == "customer"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('0123456789 -+@.ab"\\\n订')), max_size=50))
def test_the_text_reaches_the_agent_exactly_as_mask_text_masks_it(text: str) -> None:
    frame = msgspec.json.decode(mask_frame(_message(text)))
    assert frame["text"] == mask_text(text)
