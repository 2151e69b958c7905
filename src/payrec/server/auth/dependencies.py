"""Authentication and role checks as FastAPI dependencies."""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from payrec.server.auth.credentials import hash_secret, key_lookup_of, secrets_match
from payrec.server.auth.roles import Principal, Role
from payrec.server.errors import Forbidden, RateLimited, Unauthenticated
from payrec.server.models import ServiceClient
from payrec.server.state import AppState

_CACHE_SECONDS = 2.0
_cache: dict[str, tuple[float, Principal]] = {}
_cache_lock = threading.Lock()


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.payrec
    return state


def _principal_for_key(state: AppState, api_key: str) -> Principal:
    lookup = key_lookup_of(api_key)
    if lookup is None:
        raise Unauthenticated("invalid API key")
    digest = hash_secret(api_key)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(digest)
    if cached and cached[0] > now:
        return cached[1]
    with state.db.read() as session:
        client = session.scalar(select(ServiceClient).where(ServiceClient.key_lookup == lookup))
        if client is None or not secrets_match(api_key, client.key_hash):
            raise Unauthenticated("invalid API key")
        if client.revoked_at is not None:
            raise Unauthenticated("API key revoked")
        principal = Principal(
            subject=client.id, name=client.name, roles=frozenset(client.roles), via="api_key"
        )
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = (now + _CACHE_SECONDS, principal)
    return principal


def forget_cached_credentials() -> None:
    """Drop cached key lookups (after a revocation in this process)."""
    with _cache_lock:
        _cache.clear()


def authenticate(request: Request) -> Principal:
    """Resolve the bearer credential (API key or JWT) and apply the caller's rate limit."""
    state = app_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer credentials")
    token = token.strip()
    if token.startswith("prk_"):
        principal = _principal_for_key(state, token)
    else:
        principal = state.tokens.verify(token)
        if principal.via == "jwt":
            _ensure_not_revoked(state, principal)
    decision = state.limiter.hit(principal.subject)
    request.state.rate_limit = decision
    request.state.principal = principal
    if not decision.allowed:
        raise RateLimited(
            "rate limit exceeded; retry later",
            headers={"Retry-After": str(decision.retry_after)},
        )
    return principal


def _ensure_not_revoked(state: AppState, principal: Principal) -> None:
    now = time.monotonic()
    key = "jwt:" + principal.subject
    with _cache_lock:
        cached = _cache.get(key)
    if cached and cached[0] > now:
        return
    with state.db.read() as session:
        client = session.get(ServiceClient, principal.subject)
        if client is None or client.revoked_at is not None:
            raise Unauthenticated("credentials revoked")
    with _cache_lock:
        _cache[key] = (now + _CACHE_SECONDS, principal)


def require_roles(*roles: Role) -> object:
    """A dependency that admits callers holding any of `roles`."""
    names = tuple(role.value for role in roles)

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(*names):
            raise Forbidden(f"this endpoint needs one of the roles {', '.join(names)}")
        return principal

    return Depends(check)


def require_admin_or_agent_read(request: Request) -> Principal:
    """Management API: ADMIN for everything, AGENT for reads only."""
    principal = authenticate(request)
    if principal.has_any(Role.ADMIN.value):
        return principal
    if principal.has_any(Role.AGENT.value) and request.method in ("GET", "HEAD"):
        return principal
    if principal.has_any(Role.AGENT.value):
        raise Forbidden("the AGENT role may only read")
    raise Forbidden("this endpoint needs the ADMIN role")


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
