"""Rendering the app's pages, and who is signed in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from payrec.server.auth.dependencies import app_state
from payrec.server.users import service as users
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter, language_of
from payrec.server.web.security import SESSION_COOKIE

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.auto_reload = False  # compiled once per process: no stat of every file per page


@pass_context
def moment(context: Context, value: datetime | None) -> str:
    """`{{ value|moment }}`: every time a page shows, in the signed-in user's zone and named."""
    fmt: Formatter = context["fmt"]
    return fmt.moment(value)


TEMPLATES.env.filters["moment"] = moment
STATIC_DIR = str(Path(__file__).parent / "static")
ACCOUNT_PAGE = "/app/password"
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SignInRequired(Exception):
    """No live session: the page answers a redirect to the sign-in form."""


class PasswordChangeRequired(Exception):
    """Signed in with a one-time password: the password page comes first."""


def render(
    request: Request,
    template: str,
    who: SignedIn | None,
    *,
    status_code: int = 200,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    fmt = Formatter(
        language_of(language or (who.language if who else None)),
        who.time_zone if who else "UTC",
    )
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"who": who, "fmt": fmt, "_": fmt.gettext, "lang": fmt.language, **context},
        status_code=status_code,
    )
    response.headers.update(_HEADERS)
    return response


def error_page(
    request: Request,
    status: int,
    message: str,
    who: SignedIn | None = None,
    *,
    language: str | None = None,
) -> HTMLResponse:
    """A plain error page (the message already in the reader's language)."""
    return render(
        request,
        "error.html",
        who,
        status_code=status,
        language=language,
        message=message,
        status=status,
    )


def signed_in_or_none(request: Request) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with app_state(request).db.read() as session:
        return users.signed_in(session, token)


def worker_in(session: Session, request: Request) -> SignedIn:
    """`current_user`'s check inside a read scope the page already holds (one transaction
    for the session and the page's reads): the user, or the same redirects."""
    token = request.cookies.get(SESSION_COOKIE)
    who = users.signed_in(session, token) if token else None
    if who is None:
        raise SignInRequired
    if who.password_change_required:
        raise PasswordChangeRequired
    return who


def signed_in_user(request: Request) -> SignedIn:
    """A dependency: the signed-in user, or a redirect to the sign-in form."""
    who = signed_in_or_none(request)
    if who is None:
        raise SignInRequired
    return who


def current_user(request: Request) -> SignedIn:
    """A dependency for the work pages: a signed-in user who has chosen a password."""
    who = signed_in_user(request)
    if who.password_change_required:
        raise PasswordChangeRequired
    return who


def see_other(request: Request, target: str) -> Response:
    """A redirect to `target`: 303, or HX-Redirect for htmx (which would swap a 303's page in)."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def password_redirect(request: Request, _exc: Exception) -> Response:
    return see_other(request, ACCOUNT_PAGE)


def sign_in_redirect(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(request, f"/app/sign-in?next={quote(target, safe='/')}")
