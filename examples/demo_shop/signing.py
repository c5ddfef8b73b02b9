"""Webhook signatures the shop puts on each delivery: ``Kefu-Signature: t=<unix>,v1=<hex>``.

The signature is HMAC-SHA256 with the shared secret over ``f"{t}."`` followed by the raw body,
so a captured body cannot be replayed later with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Kefu-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Kefu-Signature`` header value for ``body`` signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
