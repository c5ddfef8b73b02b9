"""Masking of personal data in free text and in typed fields."""

from __future__ import annotations

import pytest

from kefu.security.masking import (
    FieldType,
    find_sensitive,
    luhn_valid,
    mask_text,
    mask_value,
    valid_cn_national_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13812345678", "call 138****5678"),
        ("call 138-1234-5678 now", "call 138****5678 now"),
        ("call +86 139 1234 5678", "call +86 139****5678"),
        ("call 0086-13912345678", "call +86 139****5678"),
        ("我的手机13812345678，谢谢", "我的手机138****5678，谢谢"),
        ("ID 11010519491231002X ok", "ID 110***********002X ok"),
        ("身份证号110105194912310021", "身份证号110***********0021"),
        ("card 4111 1111 1111 1111 thanks", "card **** 1111 thanks"),
        ("卡号6222021234567890128", "卡号**** 0128"),
        ("mail li.lei@example.com please", "mail l*****@example.com please"),
        ("uk +44 20 7946 0958", "uk +44********58"),
    ],
)
def test_sensitive_values_in_text_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123 costs 99.00",  # 13 digits failing Luhn: an order number
        "tracking SF1234567890",
        "version 1.2.3, 2026-11-27 12:00",
        "price ¥1380",
        "",
        "x" * 10_000,
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_keep_leaves_chosen_types_clear() -> None:
    text = "13812345678 / li@example.com"
    assert mask_text(text, keep=[FieldType.EMAIL]) == "138****5678 / li@example.com"


def test_spans_do_not_overlap_and_name_the_type() -> None:
    text = "ID 11010519491231002X phone 13812345678"
    assert [t for _, _, t in find_sensitive(text)] == [FieldType.NATIONAL_ID, FieldType.MOBILE]


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        ("13812345678", FieldType.MOBILE, "138****5678"),
        ("6222021234567890128", FieldType.BANK_CARD, "**** 0128"),
        ("广东省深圳市南山区科技园1号", FieldType.ADDRESS, "广东省深圳市****"),
        ("221B Baker Street, London", FieldType.ADDRESS, "221B Baker****"),
        ("李雷", FieldType.NAME, "李*"),
        ("sk-live-abcdef", FieldType.SECRET, "****"),
        (None, FieldType.MOBILE, None),
    ],
)
def test_typed_fields_are_masked(value: str | None, field_type: FieldType, expected: str) -> None:
    assert mask_value(value, field_type) == expected


def test_checksums() -> None:
    assert valid_cn_national_id("11010519491231002X")
    assert not valid_cn_national_id("110105194912310021")
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
