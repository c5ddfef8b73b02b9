"""Interim agent/visitor tokens and password hashes."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from kefu.gateway.auth import (
    InvalidTokenError,
    TokenSigner,
    hash_password,
    verify_password,
)

SECRET = "s" * 40


def test_agent_token_round_trips_and_is_bound_to_the_secret() -> None:
    signer = TokenSigner(SECRET)
    token = signer.agent_token("a1", "alice")
    identity = signer.verify_agent(token)
    assert (identity.agent_id, identity.username) == ("a1", "alice")
    with pytest.raises(InvalidTokenError):
        TokenSigner("t" * 40).verify_agent(token)


def test_expired_forged_and_wrong_kind_tokens_are_refused() -> None:
    signer = TokenSigner(SECRET, agent_ttl=timedelta(seconds=-1))
    with pytest.raises(InvalidTokenError, match="expired"):
        signer.verify_agent(signer.agent_token("a1", "alice"))
    fresh = TokenSigner(SECRET)
    with pytest.raises(InvalidTokenError):
        fresh.verify_agent(fresh.visitor_token("v1"))  # a visitor token is not an agent token
    with pytest.raises(InvalidTokenError):
        fresh.verify_visitor(fresh.agent_token("a1", "alice"))
    unsigned = jwt.encode({"sub": "a1", "kind": "agent", "iss": "kefu"}, key="", algorithm="none")
    with pytest.raises(InvalidTokenError):
        fresh.verify_agent(unsigned)
    for bad in (None, "", "a.b.c", "garbage"):
        with pytest.raises(InvalidTokenError):
            fresh.verify_agent(bad)


def test_visitor_tokens_round_trip_and_expire() -> None:
    signer = TokenSigner(SECRET)
    assert signer.verify_visitor(signer.visitor_token("v1")) == "v1"
    stale = TokenSigner(SECRET, visitor_ttl=timedelta(seconds=-1))
    with pytest.raises(InvalidTokenError):
        stale.verify_visitor(stale.visitor_token("v1"))


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        TokenSigner("short")


def test_password_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password("pw", first) and verify_password("pw", second)
    assert not verify_password("PW", first)
    assert not verify_password("pw", "not-a-hash")
    assert not verify_password("pw", "bcrypt$1$2$3$AA==$AA==")
