"""Masks personal data and secrets in every log record, whichever handler writes it.

Installed as the process's log-record factory, so it also covers uvicorn's and libraries'
records: phone numbers, IDs, cards and emails are masked, and JWTs, Kefu API keys, bearer
tokens and the configured secrets are replaced by ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from kefu.security.masking import mask_text

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_API_KEY = re.compile(r"kefu_[0-9a-f]{16}_[A-Za-z0-9_-]{20,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}")
_REDACTED = "[redacted]"

_secrets: set[str] = set()
_installed = False


def scrub(text: str) -> str:
    """``text`` without secrets, tokens or unmasked personal data."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    text = _JWT.sub(_REDACTED, text)
    text = _API_KEY.sub(_REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + _REDACTED, text)
    return mask_text(text)


def install_log_masking(secrets: Iterable[str] = ()) -> None:
    """Mask every later log record of this process; ``secrets`` are redacted verbatim."""
    global _installed
    _secrets.update(s for s in secrets if len(s) >= 8)
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return record
        record.msg = scrub(message)
        record.args = None
        return record

    logging.setLogRecordFactory(factory)
