"""The masking sandbox (documents by role, grants) and the log-record masking."""

from __future__ import annotations

import logging

import pytest

from kefu.security.logmask import install_log_masking, scrub
from kefu.security.masking import FieldType
from kefu.security.sandbox import POLICIES, field_type_of, mask_document

CONTEXT = {
    "profile": {
        "name": "Mei Chen",
        "phone": "+1 415 555 0101",
        "email": "mei.chen@example.com",
        "id_card": "11010519491231002X",
        "note": "call 13812345678 or card 6222021234567890128",
    },
    "orders": [{"id": "SO-100231", "total_cents": 12900, "address": "88 Century Avenue, Pudong"}],
}


def test_documents_are_masked_by_field_type_and_free_text() -> None:
    masked = mask_document(CONTEXT, POLICIES["agent"])
    profile = masked["profile"]
    assert profile["name"] == "Mei Chen"  # agents see names
    assert profile["phone"] == "+14*******01"
    assert profile["email"] == "m*******@example.com"
    assert profile["id_card"] == "110***********002X"
    assert "13812345678" not in profile["note"] and "6222021234567890128" not in profile["note"]
    assert masked["orders"][0]["id"] == "SO-100231" and masked["orders"][0]["total_cents"] == 12900
    assert "Pudong" not in masked["orders"][0]["address"]
    assert mask_document(CONTEXT, POLICIES["api_key"])["profile"]["name"] != "Mei Chen"
    assert CONTEXT["profile"]["phone"] == "+1 415 555 0101"  # the input is not modified


def test_a_grant_unmasks_exactly_one_field() -> None:
    masked = mask_document(CONTEXT, POLICIES["agent"], unmasked=["profile.phone"])
    assert masked["profile"]["phone"] == "+1 415 555 0101"
    assert masked["profile"]["email"] != "mei.chen@example.com"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("phone", FieldType.MOBILE),
        ("mobile_no", FieldType.MOBILE),
        ("id_card", FieldType.NATIONAL_ID),
        ("card_number", FieldType.BANK_CARD),
        ("email", FieldType.EMAIL),
        ("shipping_address", FieldType.ADDRESS),
        ("api_key", FieldType.SECRET),
        ("total_cents", None),
        ("tier", None),
    ],
)
def test_field_types_come_from_field_names(key: str, expected: FieldType | None) -> None:
    assert field_type_of(key) == expected


def test_log_records_lose_secrets_tokens_and_personal_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "the-process-secret-key-0123456789"
    install_log_masking([secret])
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhMSJ9.c2lnbmF0dXJlLXZhbHVl"
    key = "kefu_0123456789abcdef_" + "A" * 43
    with caplog.at_level(logging.INFO):
        logging.getLogger("kefu.test").info(
            "secret %s token %s key %s phone %s header Bearer %s",
            secret,
            token,
            key,
            "13812345678",
            "abcdefghijklmnopqrstuvwxyz",
        )
    text = caplog.text
    for leaked in (secret, token, key, "13812345678", "abcdefghijklmnopqrstuvwxyz"):
        assert leaked not in text
    assert "[redacted]" in text and "138****5678" in text
    assert scrub("nothing to hide") == "nothing to hide"
