"""Authentication and role checks as FastAPI dependencies."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import jwt
from fastapi import Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from payrec.server.auth.credentials import hash_secret, key_lookup_of, secrets_match
from payrec.server.auth.roles import Principal, Role
from payrec.server.errors import Forbidden, Unauthenticated
from payrec.server.models import ServiceClient
from payrec.server.ratelimit import refuse_if
from payrec.server.state import AppState

_CACHE_SECONDS = 2.0
_cache: dict[str, tuple[float, Principal]] = {}
_cache_lock = threading.Lock()


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.payrec
    return state


def _cached(digest: str) -> Principal | None:
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(digest)
    return cached[1] if cached and cached[0] > now else None


def _remember(digest: str, principal: Principal, seconds: float) -> None:
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = (time.monotonic() + seconds, principal)


def _principal_for_key(state: AppState, api_key: str) -> Principal:
    lookup = key_lookup_of(api_key)
    if lookup is None:
        raise Unauthenticated("invalid API key")
    with state.db.read() as session:
        client = session.scalar(select(ServiceClient).where(ServiceClient.key_lookup == lookup))
        if client is None or not secrets_match(api_key, client.key_hash):
            raise Unauthenticated("invalid API key")
        if client.revoked_at is not None:
            raise Unauthenticated("API key revoked")
        return Principal(
            subject=client.id, name=client.name, roles=frozenset(client.roles), via="api_key"
        )


def _principal_for_token(state: AppState, token: str) -> tuple[Principal, float]:
    """A verified JWT's principal and how long it may be cached (never past its `exp`)."""
    principal = state.tokens.verify(token)
    if principal.via == "jwt":
        principal = _as_recorded(state, principal)
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    remaining = float(expires) - time.time() if isinstance(expires, int | float) else 0.0
    return principal, min(_CACHE_SECONDS, remaining)


def _resolve(state: AppState, token: str, digest: str) -> Principal:
    """Verify a credential (may read the database or a JWKS endpoint) and cache the result."""
    if token.startswith("prk_"):
        principal, seconds = _principal_for_key(state, token), _CACHE_SECONDS
    else:
        principal, seconds = _principal_for_token(state, token)
    if seconds > 0:
        _remember(digest, principal, seconds)
    return principal


def forget_cached_credentials() -> None:
    """Drop cached credentials (after a revocation in this process)."""
    with _cache_lock:
        _cache.clear()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authenticate(request: Request) -> Principal:
    """Resolve the bearer credential (API key or JWT) and apply the caller's rate limit.

    A credential verified in the last seconds is answered from memory on the event loop;
    only a new one costs a trip to the thread pool (database, JWKS), and only after the
    client address's limits allow it (failed attempts count per address and key prefix).
    """
    state = app_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    digest = hash_secret(token)
    principal = _cached(digest) if scheme.lower() == "bearer" and token else None
    if principal is None:
        principal = await state.limiter.verify(
            client_address(request),
            key_lookup_of(token),
            lambda: _verify(state, scheme, token, digest),
        )
    decision = await state.limiter.hit(principal.subject)
    request.state.rate_limit = decision
    request.state.principal = principal
    refuse_if(decision)
    return principal


async def _verify(state: AppState, scheme: str, token: str, digest: str) -> Principal:
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("missing bearer credentials")
    if token.startswith("prk_") and key_lookup_of(token) is None:
        raise Unauthenticated("invalid API key")
    return await run_in_threadpool(_resolve, state, token, digest)


def _as_recorded(state: AppState, principal: Principal) -> Principal:
    """Our own token's caller as its client record stands now: roles are the record's (the
    token's `roles` can only narrow them), and a revoked or deleted client is refused."""
    with state.db.read() as session:
        client = session.get(ServiceClient, principal.subject)
        if client is None or client.revoked_at is not None:
            raise Unauthenticated("credentials revoked")
        return Principal(
            subject=client.id,
            name=client.name,
            roles=frozenset(client.roles) & principal.roles,
            via="jwt",
        )


def require_roles(*roles: Role) -> object:
    """A dependency that admits callers holding any of `roles`."""
    names = tuple(role.value for role in roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(*names):
            raise Forbidden(f"this endpoint needs one of the roles {', '.join(names)}")
        return principal

    return Depends(check)


async def require_admin_or_agent_read(request: Request) -> Principal:
    """Management API: ADMIN for everything, AGENT for reads only."""
    principal = await authenticate(request)
    if principal.has_any(Role.ADMIN.value):
        return principal
    if principal.has_any(Role.AGENT.value) and request.method in ("GET", "HEAD"):
        return principal
    if principal.has_any(Role.AGENT.value):
        raise Forbidden("the AGENT role may only read")
    raise Forbidden("this endpoint needs the ADMIN role")


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
