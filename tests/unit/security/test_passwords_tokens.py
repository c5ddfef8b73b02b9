"""Password hashing (argon2id, legacy scrypt) and access/visitor token claims."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from kefu.gateway.auth import InvalidTokenError, TokenSigner
from kefu.security.passwords import check_password, hash_password, legacy_scrypt_hash

SECRET = "unit-test-secret-key-0123456789-abcdef"


def test_new_hashes_are_argon2id_and_legacy_scrypt_verifies_with_a_rehash_hint() -> None:
    fresh = hash_password("s3cret")
    assert fresh.startswith("$argon2id$")
    assert check_password("s3cret", fresh).ok
    assert not check_password("S3cret", fresh).ok
    assert not check_password("s3cret", fresh).needs_rehash
    legacy = legacy_scrypt_hash("s3cret", b"0123456789abcdef")
    assert check_password("s3cret", legacy) == check_password("s3cret", legacy)
    assert check_password("s3cret", legacy).ok and check_password("s3cret", legacy).needs_rehash
    assert not check_password("wrong", legacy).ok
    for garbage in ("", "scrypt$1$2", "$argon2id$broken", "bcrypt$x"):
        assert not check_password("s3cret", garbage).ok


def test_access_tokens_carry_audience_issuer_role_jti_and_a_short_expiry() -> None:
    signer = TokenSigner(SECRET)
    token = signer.agent_token("a1", "alice", "supervisor")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="kefu")
    assert claims["iss"] == "kefu" and claims["role"] == "supervisor" and len(claims["jti"]) == 32
    assert 0 < claims["exp"] - time.time() <= 15 * 60 + 1
    identity = signer.verify_agent(token)
    assert (identity.agent_id, identity.role, identity.jti) == ("a1", "supervisor", claims["jti"])
    assert signer.agent_token("a1", "alice") != token  # a fresh jti every time


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "other"},
        {"iss": "other"},
        {"kind": "visitor"},
        {"exp": int(time.time()) - 5},
    ],
)
def test_tokens_with_a_wrong_claim_are_refused(claims: dict[str, object]) -> None:
    base = {
        "iss": "kefu",
        "aud": "kefu",
        "kind": "agent",
        "sub": "a1",
        "role": "admin",
        "jti": "j",
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode({**base, **claims}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        TokenSigner(SECRET).verify_agent(token)


def test_unsigned_and_foreign_tokens_are_refused() -> None:
    signer = TokenSigner(SECRET)
    claims = {"iss": "kefu", "aud": "kefu", "kind": "agent", "sub": "a1", "exp": time.time() + 60}
    with pytest.raises(InvalidTokenError):
        signer.verify_agent(jwt.encode(claims, None, algorithm="none"))
    with pytest.raises(InvalidTokenError):
        signer.verify_agent(jwt.encode(claims, "x" * 40, algorithm="HS256"))
    visitor = TokenSigner(SECRET, visitor_ttl=timedelta(days=1)).visitor_token("v1")
    assert jwt.decode(visitor, SECRET, algorithms=["HS256"], audience="kefu-visitor")["exp"]
    with pytest.raises(InvalidTokenError):
        signer.verify_agent(visitor)
