"""JWTs: issue ours (HS256, key shared through the database, sealed by the master key) and
verify ours or a JWKS issuer's."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from payrec.server.auth.roles import Principal
from payrec.server.auth.secretbox import SecretBox
from payrec.server.db import Database
from payrec.server.errors import Unauthenticated
from payrec.server.models import SigningKey

OWN_ALGORITHMS = ["HS256"]
EXTERNAL_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
_KEY_ID = "payrec-hs256-1"


@dataclass
class TokenSettings:
    issuer: str
    audience: str
    ttl_seconds: int
    jwks_url: str | None = None
    jwks_issuer: str | None = None
    jwks_audience: str | None = None


class TokenService:
    """Issues and verifies bearer JWTs."""

    def __init__(self, db: Database, settings: TokenSettings, box: Callable[[], SecretBox]) -> None:
        self._db = db
        self._settings = settings
        self._box = box
        self._secret: str | None = None
        self._lock = threading.Lock()
        self._jwks: jwt.PyJWKClient | None = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300)
            if settings.jwks_url
            else None
        )

    def _signing_secret(self) -> str:
        with self._lock:
            if self._secret is None:
                self._secret = self._load_or_create_secret()
            return self._secret

    def _load_or_create_secret(self) -> str:
        """The shared key, stored only sealed (a database read alone signs nothing)."""
        box = self._box()
        with self._db.write() as session:
            existing = session.get(SigningKey, _KEY_ID)
            if existing is not None:
                return box.open(existing.secret)
            session.add(SigningKey(kid=_KEY_ID, secret=box.seal(secrets.token_urlsafe(48))))
        with self._db.read() as session:  # another process may have won the race
            stored = session.scalar(select(SigningKey).where(SigningKey.kid == _KEY_ID))
            assert stored is not None
            return box.open(stored.secret)

    def load(self) -> None:
        """Create or load the shared key now (at start-up), racing other processes safely."""
        try:
            self._signing_secret()
        except IntegrityError:
            self._secret = None
            self._signing_secret()

    def issue(self, *, subject: str, name: str, roles: list[str]) -> tuple[str, int]:
        """A token for a stored client; its `roles` only narrow what the client's record
        grants at each verification (a role removed or a client revoked applies at once)."""
        now = datetime.now(UTC)
        claims = {
            "iss": self._settings.issuer,
            "aud": self._settings.audience,
            "sub": subject,
            "name": name,
            "roles": roles,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=self._settings.ttl_seconds),
            "jti": secrets.token_hex(12),
        }
        token = jwt.encode(
            claims, self._signing_secret(), algorithm="HS256", headers={"kid": _KEY_ID}
        )
        return token, self._settings.ttl_seconds

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed bearer token") from exc
        if header.get("kid") == _KEY_ID:
            return self._verify_own(token)
        if self._jwks is not None:
            return self._verify_external(token)
        raise Unauthenticated("token was not issued by this service")

    def _verify_own(self, token: str) -> Principal:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._signing_secret(),
                algorithms=OWN_ALGORITHMS,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        return Principal(
            subject=str(claims["sub"]),
            name=str(claims.get("name", claims["sub"])),
            roles=frozenset(str(r) for r in claims.get("roles", [])),
            via="jwt",
        )

    def _verify_external(self, token: str) -> Principal:
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=EXTERNAL_ALGORITHMS,
                audience=self._settings.jwks_audience or self._settings.audience,
                issuer=self._settings.jwks_issuer,
                options={
                    "require": ["exp", "sub"],
                    "verify_iss": self._settings.jwks_issuer is not None,
                },
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthenticated("invalid token") from exc
        return Principal(
            subject=str(claims["sub"]),
            name=str(claims.get("azp") or claims.get("client_id") or claims["sub"]),
            roles=frozenset(_external_roles(claims)),
            via="external_jwt",
            issuer="jwks:" + str(claims.get("iss") or self._settings.jwks_url),
        )


def _external_roles(claims: dict[str, Any]) -> set[str]:
    """Roles from `roles`, `realm_access.roles` or a space-separated `scope` (`ROLE_X` too)."""
    raw: list[str] = []
    if isinstance(claims.get("roles"), list):
        raw += [str(r) for r in claims["roles"]]
    realm = claims.get("realm_access")
    if isinstance(realm, dict) and isinstance(realm.get("roles"), list):
        raw += [str(r) for r in realm["roles"]]
    if isinstance(claims.get("scope"), str):
        raw += claims["scope"].split()
    return {r.removeprefix("ROLE_").removeprefix("SCOPE_") for r in raw}
