"""The cheap pre-check in front of the detectors never changes what is found."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kefu.security import masking
from kefu.security.masking import FieldType, find_sensitive, may_be_sensitive


def _every_detector(text: str) -> list[tuple[int, int, FieldType]]:
    """The detectors run on every text, without the pre-check (the reference)."""
    spans: list[tuple[int, int, FieldType]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for m in masking._EMAIL.finditer(text):
        spans.append((m.start(), m.end(), FieldType.EMAIL))
    for m in masking._CN_ID.finditer(text):
        if masking.plausible_cn_national_id(m.group(0)) and free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.NATIONAL_ID))
    for m in masking._CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and masking.luhn_valid(digits) and free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.BANK_CARD))
    for m in masking._MOBILE.finditer(text):
        if free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.MOBILE))
    return sorted(spans)


#: Characters the detectors care about, with look-alikes (full-width and Arabic-Indic digits).
_HOSTILE = st.lists(
    st.sampled_from([*"0123456789 -+@.xX_abcz订单，\n\t１٣", "0086", "+86", "138"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_HOSTILE, st.text(max_size=80)))
@example("+44 20 7946 0958")
@example("+1 23 45 67")
@example("13812345678")
@example("x@y.io")
@example("4111 1111 1111 1111")
@example("11010519491231002X")
@example("123456 7")
def test_the_pre_check_finds_exactly_what_every_detector_finds(text: str) -> None:
    found = find_sensitive(text)
    assert found == _every_detector(text)
    if not may_be_sensitive(text):
        assert found == []


def test_the_shortest_foreign_number_passes_the_pre_check() -> None:
    # '+' and seven digits is the least any detector matches.
    assert _every_detector("+1 23 45 67") != []
    assert may_be_sensitive("+1 23 45 67")
    assert not may_be_sensitive("订单 #10023 [123] 2026-11")
