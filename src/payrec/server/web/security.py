"""Cookies and CSRF for the app's pages.

A signed-in browser holds the session cookie (HttpOnly, SameSite=Lax, Secure behind https);
every form carries the session's synchronizer token in a hidden field, and htmx requests carry
it in a header (`X-CSRF-Token`, sent with `HX-Request`). The sign-in form, before any session,
pairs its hidden field with a short-lived cookie of its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "payrec_session"
SIGNIN_COOKIE = "payrec_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600


def is_secure(request: Request, public_url: str | None) -> bool:
    return request.url.scheme == "https" or (public_url or "").lower().startswith("https://")


def set_cookie(
    response: Response,
    request: Request,
    public_url: str | None,
    name: str,
    value: str,
    *,
    path: str,
    max_age: int,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=is_secure(request, public_url),
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_matches(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


async def presented_token(request: Request) -> str | None:
    """The CSRF token a POST carries: htmx's header, else the form's hidden field."""
    if request.headers.get("hx-request") == "true" and request.headers.get(CSRF_HEADER):
        return request.headers.get(CSRF_HEADER)
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path inside the app, never another site."""
    if target and target.startswith("/app/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app/"
