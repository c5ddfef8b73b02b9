"""Webhook signatures: what verifies, and the precise error for everything that does not."""

from __future__ import annotations

import pytest

from kefu.integration.errors import WebhookError
from kefu.integration.signing import SignatureVerifier, compute, sign

SECRET = "s3cret-s3cret-s3cret"
BODY = b'{"id":"1"}'
NOW = 1_800_000_000


def test_a_fresh_signature_verifies_and_returns_its_timestamp() -> None:
    assert SignatureVerifier([SECRET]).verify(sign(SECRET, BODY, NOW), BODY, now=NOW + 10) == NOW


def test_either_secret_verifies_while_rotating() -> None:
    verifier = SignatureVerifier(["old-secret-0123456789", SECRET])
    assert verifier.verify(sign(SECRET, BODY, NOW), BODY, now=NOW) == NOW
    assert verifier.verify(sign("old-secret-0123456789", BODY, NOW), BODY, now=NOW) == NOW


def test_several_v1_values_are_accepted_if_one_matches() -> None:
    header = f"t={NOW},v1={'0' * 64},v1={compute(SECRET, NOW, BODY)}"
    assert SignatureVerifier([SECRET]).verify(header, BODY, now=NOW) == NOW


@pytest.mark.parametrize(
    ("header", "now", "code"),
    [
        (None, NOW, "missing_signature"),
        ("", NOW, "missing_signature"),
        ("garbage", NOW, "malformed_signature"),
        (f"t={NOW}", NOW, "malformed_signature"),
        ("t=abc,v1=00", NOW, "malformed_signature"),
        (sign(SECRET, BODY, NOW), NOW + 301, "stale_timestamp"),
        (sign(SECRET, BODY, NOW), NOW - 301, "stale_timestamp"),
        (sign("another-secret-xyz", BODY, NOW), NOW, "bad_signature"),
        (sign(SECRET, BODY + b" ", NOW), NOW, "bad_signature"),
    ],
)
def test_refusals_are_401_with_a_code(header: str | None, now: int, code: str) -> None:
    with pytest.raises(WebhookError) as refused:
        SignatureVerifier([SECRET]).verify(header, BODY, now=now)
    assert (refused.value.status, refused.value.code) == (401, code)
    assert refused.value.body()["detail"]


def test_a_replayed_signature_with_a_moved_timestamp_does_not_verify() -> None:
    header = sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 200}")
    with pytest.raises(WebhookError, match="bad_signature"):
        SignatureVerifier([SECRET]).verify(header, BODY, now=NOW + 200)


def test_weak_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SignatureVerifier([""])
    with pytest.raises(ValueError, match="16 characters"):
        SignatureVerifier(["short"])
    with pytest.raises(ValueError, match="positive"):
        SignatureVerifier([SECRET], tolerance=0)


def test_the_demo_shop_signs_the_way_kefu_verifies() -> None:
    from demo_shop.signing import sign as shop_sign

    assert shop_sign(SECRET, BODY, NOW) == sign(SECRET, BODY, NOW)
