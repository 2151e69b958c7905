"""Password hashing: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 256


@functools.cache
def _dummy_hash() -> str:
    """Verified when the account does not exist, so that a wrong e-mail costs as long as a
    wrong password (the answer's timing says nothing about who has an account). Made on first
    use: hashing is slow on purpose, and start-up should not pay for it."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def generate_password() -> str:
    """A one-time password to hand over (about 120 bits)."""
    return secrets.token_urlsafe(15)
