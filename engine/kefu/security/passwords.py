"""Password hashing for people: argon2id for new hashes, legacy scrypt hashes still verify.

Both functions are CPU-heavy by design; call them in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()

#: A valid argon2 hash of a random password: verified for unknown usernames so that timing
#: does not reveal which usernames exist.
DUMMY_HASH = _HASHER.hash("kefu-unknown-user-placeholder")


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The outcome of a password check: whether it matched and whether to store a new hash."""

    ok: bool
    needs_rehash: bool = False


def hash_password(password: str) -> str:
    """An argon2id hash (with its parameters and salt) in the PHC string format."""
    return _HASHER.hash(password)


def check_password(password: str, stored: str) -> PasswordCheck:
    """Verify ``password`` against an argon2 or legacy ``scrypt$...`` hash."""
    if stored.startswith("scrypt$"):
        return PasswordCheck(ok=_verify_scrypt(password, stored), needs_rehash=True)
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return PasswordCheck(ok=False)
    return PasswordCheck(ok=True, needs_rehash=_HASHER.check_needs_rehash(stored))


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (argon2 or legacy scrypt)."""
    return check_password(password, stored).ok


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def legacy_scrypt_hash(password: str, salt: bytes) -> str:
    """A hash in the pre-argon2 ``scrypt$n$r$p$salt$hash`` form (for migration tests)."""
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    parts = (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())
    return f"scrypt${n}${r}${p}${parts[0]}${parts[1]}"
