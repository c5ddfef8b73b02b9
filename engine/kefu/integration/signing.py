"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}."`` + body, checked within a replay window.

The sender puts ``Kefu-Signature: t=<unix seconds>,v1=<hex digest>`` on each request. Several
``v1=`` values may appear (one per secret while a secret is rotated); one match suffices. A
timestamp outside ``tolerance`` seconds of Kefu's clock is refused, so a captured request cannot
be replayed later; within the window, the event id makes a replay harmless (see webhooks.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from kefu.integration.errors import WebhookError

SIGNATURE_HEADER = "Kefu-Signature"
#: How far a signature's timestamp may be from now, in seconds (both directions).
DEFAULT_TOLERANCE = 300.0


def compute(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}."`` + ``body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """A ``Kefu-Signature`` header value for ``body``, timestamped now unless given."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute(secret, t, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookError(401, "malformed_signature", f"signature part {part!r} is not k=v")
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                raise WebhookError(401, "malformed_signature", "t= must be unix seconds")
            timestamp = int(value)
        elif key == "v1":
            digests.append(value.lower())
    if timestamp is None or not digests:
        raise WebhookError(
            401, "malformed_signature", f"{SIGNATURE_HEADER} must carry t=<unix> and v1=<hex>"
        )
    return timestamp, digests


class SignatureVerifier:
    """Checks one sender's signatures against its current secrets."""

    def __init__(self, secrets: Sequence[str], *, tolerance: float = DEFAULT_TOLERANCE) -> None:
        usable = [s for s in secrets if s]
        if not usable:
            raise ValueError("a webhook sender needs at least one non-empty secret")
        if any(len(s) < 16 for s in usable):
            raise ValueError("webhook secrets must be at least 16 characters long")
        if tolerance <= 0:
            raise ValueError("the replay window must be positive")
        self._secrets = tuple(usable)
        self.tolerance = tolerance

    def verify(self, header: str | None, body: bytes, *, now: float | None = None) -> int:
        """Return the signed timestamp, or raise WebhookError(401) saying what is wrong."""
        if not header:
            raise WebhookError(
                401, "missing_signature", f"the {SIGNATURE_HEADER} header is required"
            )
        timestamp, digests = _parse(header)
        current = time.time() if now is None else now
        if abs(current - timestamp) > self.tolerance:
            raise WebhookError(
                401,
                "stale_timestamp",
                f"signature timestamp {timestamp} is more than {self.tolerance:.0f}s from now",
            )
        for secret in self._secrets:
            expected = compute(secret, timestamp, body)
            if any(hmac.compare_digest(expected, d) for d in digests):
                return timestamp
        raise WebhookError(401, "bad_signature", "the signature does not match the body")
