"""Masking of personal data: mobile numbers, Chinese national IDs, bank cards, emails, addresses.

Two entry points:

* :func:`mask_text` finds sensitive values inside free text (chat messages, log lines) and masks
  them. Card numbers must pass the Luhn check and national IDs their checksum, so order numbers
  and amounts are left alone.
* :func:`mask_value` masks one structured field whose type is known (from an adapter mapping).

Masks keep just enough for a human to recognise the value (``138****5678``, ``**** 1234``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable


class FieldType(enum.StrEnum):
    """The kinds of personal data Kefu masks."""

    MOBILE = "mobile"
    NATIONAL_ID = "national_id"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    ADDRESS = "address"
    NAME = "name"
    SECRET = "secret"  # masked whole: tokens, passwords, keys


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_cn_national_id(value: str) -> bool:
    """True for an 18-character PRC resident ID whose check character is right."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def plausible_cn_national_id(value: str) -> bool:
    """True for 18 characters shaped like a PRC ID: a valid checksum, or a plausible birth date.

    Masking errs on the side of hiding: a mistyped ID (wrong check character) still is one.
    """
    if valid_cn_national_id(value):
        return True
    if len(value) != 18 or not value[:17].isdigit():
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn check (payment cards)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _keep(value: str, head: int, tail: int, fill: str = "*") -> str:
    """Keep ``head`` and ``tail`` characters, mask the middle (at least 4 fill characters)."""
    if len(value) <= head + tail:
        return fill * max(4, len(value))
    middle = max(4, len(value) - head - tail)
    return (
        value[:head] + fill * middle + value[len(value) - tail :]
        if tail
        else value[:head] + fill * middle
    )


def mask_mobile(value: str) -> str:
    """``+86 138-1234-5678`` -> ``+86 138****5678``: country code and the first 3, last 4 kept."""
    digits = re.sub(r"\D", "", value)
    prefix = ""
    if digits.startswith("0086") and len(digits) == 15:
        return "+86 " + _keep(digits[4:], 3, 4)
    if value.strip().startswith("+"):
        if digits.startswith("86") and len(digits) == 13:
            prefix, digits = "+86 ", digits[2:]
        else:
            return "+" + _keep(digits, 2, 2)
    return prefix + _keep(digits, 3, 4)


def mask_national_id(value: str) -> str:
    """``11010519491231002X`` -> ``110***********002X``: region and last 4 kept."""
    return _keep(value.strip(), 3, 4)


def mask_bank_card(value: str) -> str:
    """``6222 0212 3456 7890 123`` -> ``**** 0123``: only the last 4 digits kept."""
    digits = re.sub(r"\D", "", value)
    return "**** " + digits[-4:] if len(digits) >= 8 else "****"


def mask_email(value: str) -> str:
    """``lilei@example.com`` -> ``l****@example.com``."""
    local, at, domain = value.strip().partition("@")
    if not at:
        return _keep(value, 1, 0)
    return _keep(local, 1, 0) + "@" + domain


def mask_address(value: str) -> str:
    """Keep the first few characters (province/city or street name), mask the rest."""
    text = value.strip()
    keep = 6 if any("\u4e00" <= ch <= "\u9fff" for ch in text[:6]) else 10
    return text[:keep] + "****" if len(text) > keep else "****"


def mask_name(value: str) -> str:
    """``李雷`` -> ``李*``, ``Li Lei`` -> ``L*****``."""
    text = value.strip()
    return text[:1] + "*" * max(1, len(text) - 1) if text else text


def mask_secret(value: str) -> str:
    """Mask the whole value."""
    return "****"


MASKERS: dict[FieldType, Callable[[str], str]] = {
    FieldType.MOBILE: mask_mobile,
    FieldType.NATIONAL_ID: mask_national_id,
    FieldType.BANK_CARD: mask_bank_card,
    FieldType.EMAIL: mask_email,
    FieldType.ADDRESS: mask_address,
    FieldType.NAME: mask_name,
    FieldType.SECRET: mask_secret,
}


def mask_value(value: object, field_type: FieldType) -> object:
    """Mask one field's value; non-string values are masked through their text form."""
    if value is None or value == "":
        return value
    return MASKERS[field_type](str(value))


# Free-text detection. Order matters: IDs and cards (long digit runs with checks) first, so that
# a mobile number is not found inside them.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CN_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"  # Chinese mobiles
    r"|(?<![\d+])\+(?!86)\d{1,3}[ -]?\d{2,4}(?:[ -]?\d{2,4}){2,3}(?!\d)"  # other E.164 numbers
)


#: Every ID, card and phone number above holds a run of seven or more digits, each at most one
#: space or dash from the next (the shortest, a foreign number, has 1+2+2+2); every email an @.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){6}")


def may_be_sensitive(text: str) -> bool:
    """False when :func:`find_sensitive` is sure to find nothing in ``text`` (a cheap check).

    Most chat texts have neither an ``@`` nor a run of seven digits, so they skip the detectors.
    """
    return "@" in text or _DIGIT_RUN.search(text) is not None


def find_sensitive(text: str) -> list[tuple[int, int, FieldType]]:
    """Spans ``(start, end, type)`` of sensitive values in ``text``, left to right, disjoint."""
    spans: list[tuple[int, int, FieldType]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    if "@" in text:
        for m in _EMAIL.finditer(text):
            spans.append((m.start(), m.end(), FieldType.EMAIL))
    if _DIGIT_RUN.search(text) is None:
        return spans
    for m in _CN_ID.finditer(text):
        if plausible_cn_national_id(m.group(0)) and free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.NATIONAL_ID))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.BANK_CARD))
    for m in _MOBILE.finditer(text):
        if free(m.start(), m.end()):
            spans.append((m.start(), m.end(), FieldType.MOBILE))
    return sorted(spans)


def mask_text(text: str, *, keep: Iterable[FieldType] = ()) -> str:
    """``text`` with every sensitive value masked, except the types in ``keep``."""
    kept = frozenset(keep)
    out: list[str] = []
    last = 0
    for start, end, field_type in find_sensitive(text):
        if field_type in kept:
            continue
        out.append(text[last:start])
        out.append(MASKERS[field_type](text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)
