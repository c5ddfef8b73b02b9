"""The masking sandbox: what each role sees of personal data leaving the server.

Structured documents (customer context) are masked field by field: a field's type comes from
its key (``phone``, ``id_card``, ``card_no``, ``email``, ``address``...) and free text inside
any string is masked by :func:`~kefu.security.masking.mask_text`. A role's *policy* names the
field types it sees in clear; an :class:`UnmaskGrant` shows one field of one customer to one
person until it expires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kefu.security.masking import FieldType, mask_text, mask_value

#: Field types each caller kind sees in clear (everything else is masked).
POLICIES: Mapping[str, frozenset[FieldType]] = {
    "agent": frozenset({FieldType.NAME}),
    "supervisor": frozenset({FieldType.NAME}),
    "admin": frozenset(),
    "api_key": frozenset(),
}

_KEY_TYPES: tuple[tuple[re.Pattern[str], FieldType], ...] = (
    (re.compile(r"(phone|mobile|tel|手机|电话)", re.I), FieldType.MOBILE),
    (re.compile(r"(national_id|id_card|id_no|identity|身份证)", re.I), FieldType.NATIONAL_ID),
    (
        re.compile(r"(card_no|card_number|bank_card|iban|account_no|银行卡)", re.I),
        FieldType.BANK_CARD,
    ),
    (re.compile(r"(email|e_mail|邮箱)", re.I), FieldType.EMAIL),
    (re.compile(r"(address|addr|street|地址)", re.I), FieldType.ADDRESS),
    (re.compile(r"(password|secret|token|api_key)", re.I), FieldType.SECRET),
    (re.compile(r"^(name|full_name|real_name|customer_name|姓名)$", re.I), FieldType.NAME),
)


def field_type_of(key: str) -> FieldType | None:
    """The personal-data type a field name suggests, or None."""
    for pattern, field_type in _KEY_TYPES:
        if pattern.search(key):
            return field_type
    return None


def mask_document(
    value: Any,
    keep: Iterable[FieldType] = (),
    *,
    unmasked: Iterable[str] = (),
    path: str = "",
) -> Any:
    """A copy of ``value`` (JSON-like) with personal data masked.

    ``keep`` are field types shown in clear; ``unmasked`` are dotted paths (``profile.phone``,
    list indexes omitted) a grant shows in clear.
    """
    kept = frozenset(keep)
    clear = frozenset(unmasked)
    return _mask(value, kept, clear, path, None)


def _mask(
    value: Any,
    kept: frozenset[FieldType],
    clear: frozenset[str],
    path: str,
    field_type: FieldType | None,
) -> Any:
    if path in clear:
        return value
    if isinstance(value, Mapping):
        return {
            k: _mask(v, kept, clear, f"{path}.{k}" if path else str(k), field_type_of(str(k)))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask(v, kept, clear, path, field_type) for v in value]
    if field_type is not None and field_type not in kept and isinstance(value, str | int):
        return mask_value(value, field_type)
    if isinstance(value, str):
        return mask_text(value, keep=kept)
    return value
