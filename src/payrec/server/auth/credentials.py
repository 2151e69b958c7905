"""API keys and client secrets: generation, hashing at rest, constant-time checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "prk_"


@dataclass(frozen=True)
class NewCredentials:
    api_key: str
    key_lookup: str
    key_hash: str
    client_id: str
    client_secret: str
    client_secret_hash: str


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret (256 bits of randomness make a slow hash pointless)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secrets_match(presented: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(presented), stored_hash)


def generate_credentials() -> NewCredentials:
    lookup = secrets.token_hex(8)
    api_key = f"{KEY_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    client_secret = secrets.token_urlsafe(32)
    return NewCredentials(
        api_key=api_key,
        key_lookup=lookup,
        key_hash=hash_secret(api_key),
        client_id=f"cli_{secrets.token_hex(10)}",
        client_secret=client_secret,
        client_secret_hash=hash_secret(client_secret),
    )


def key_lookup_of(api_key: str) -> str | None:
    """The public lookup part of `prk_<lookup>_<secret>`, or None when malformed."""
    if not api_key.startswith(KEY_PREFIX):
        return None
    parts = api_key[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or len(parts[0]) != 16:
        return None
    return parts[0]
