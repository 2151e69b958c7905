"""What every form the app posts goes through: the CSRF check, the form's text fields, the change
in one unit of work off the event loop, and the redirect after it (htmx follows HX-Redirect)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import error_page
from payrec.server.web.security import presented_token, token_matches

T = TypeVar("T")
CSRF_REFUSED = "The form has expired or was not sent from this app. Reload the page and try again."


async def checked_form(request: Request, who: SignedIn) -> FormData | Response:
    """The posted form, or the plain 403 page when its CSRF token is not the session's."""
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, Formatter(who.language).gettext(CSRF_REFUSED), who)
    return await request.form()


def text_fields(form: FormData) -> dict[str, str]:
    """The form's text fields, trimmed (the CSRF token left out)."""
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


async def in_write(request: Request, change: Callable[[Session], T]) -> T:
    """`change` in one transaction (committed when it returns), run off the event loop; what
    it raises (a `DomainError`, a `ValidationError`) reaches the caller, nothing written."""
    db = app_state(request).db

    def run() -> T:
        with db.write() as session:
            return change(session)

    return await run_in_threadpool(run)
