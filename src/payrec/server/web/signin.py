"""Signing in and out of the app (`/app/sign-in`, `/app/sign-out`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from payrec.server.auth.dependencies import app_state
from payrec.server.errors import Invalid
from payrec.server.state import AppState
from payrec.server.users import service as users
from payrec.server.users.passwords import MAX_LENGTH, MIN_LENGTH
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter, language_from_header
from payrec.server.web.pages import error_page, render, signed_in_or_none, signed_in_user
from payrec.server.web.security import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    client_address,
    new_token,
    presented_token,
    safe_next,
    set_cookie,
    token_matches,
)

router = APIRouter(prefix="/app", include_in_schema=False)
_SIGNIN_SECONDS = 3600
CSRF_REFUSED = "The form has expired or was not sent from this app. Reload the page and try again."


def _form(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    next_url: str = "/app/",
    language: str | None = None,
) -> Response:
    token = new_token()
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status,
        language=language,
        csrf_token=token,
        error=error,
        email=email,
        next_url=safe_next(next_url),
    )
    public_url = app_state(request).settings.public_url
    set_cookie(
        response,
        request,
        public_url,
        SIGNIN_COOKIE,
        token,
        path="/app/sign-in",
        max_age=_SIGNIN_SECONDS,
    )
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/app/") -> Response:
    if signed_in_or_none(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(
        request,
        next_url=next,
        language=language_from_header(request.headers.get("accept-language")),
    )


def _open_session(
    state: AppState, email: str, password: str, address: str, user_agent: str | None
) -> str | None:
    """Check the password (argon2: slow on purpose, outside any write lock), then open a
    session; None when the credentials are wrong or the account is disabled."""
    with state.db.read() as session:
        user = users.check_credentials(session, email, password)
        user_id = user.id if user is not None else None
    if user_id is None:
        return None
    with state.db.write() as session:
        return users.start_session(
            session, users.get(session, user_id), address=address, user_agent=user_agent
        )


@router.post("/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app/",
) -> Response:
    language = language_from_header(request.headers.get("accept-language"))
    _ = Formatter(language).gettext
    if not token_matches(request.cookies.get(SIGNIN_COOKIE), await presented_token(request)):
        return error_page(request, 403, _(CSRF_REFUSED), language=language)
    state = app_state(request)
    address = client_address(request)
    wait = await run_in_threadpool(state.signin_throttle.retry_after, email, address)
    if wait is not None:
        response = _form(
            request,
            status=429,
            email=email,
            next_url=next,
            language=language,
            error=_("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    token = await run_in_threadpool(
        _open_session, state, email, password, address, request.headers.get("user-agent")
    )
    if token is None:
        await run_in_threadpool(state.signin_throttle.failed, email, address)
        return _form(
            request,
            status=401,
            email=email,
            next_url=next,
            language=language,
            error=_("Wrong email or password."),
        )
    await run_in_threadpool(state.signin_throttle.succeeded, email)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(
        response,
        request,
        state.settings.public_url,
        SESSION_COOKIE,
        token,
        path="/app",
        max_age=SESSION_SECONDS,
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/app/sign-in")
    return response


def _end_session(state: AppState, who: SignedIn) -> None:
    with state.db.write() as session:
        users.end_session(session, who)


@router.post("/sign-out")
async def sign_out(request: Request, who: Annotated[SignedIn, Depends(signed_in_user)]) -> Response:
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, Formatter(who.language).gettext(CSRF_REFUSED), who)
    await run_in_threadpool(_end_session, app_state(request), who)
    response: Response = RedirectResponse("/app/sign-in", status_code=303)
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=200, headers={"HX-Redirect": "/app/sign-in"})
    response.delete_cookie(SESSION_COOKIE, path="/app")
    return response


def _password_form(
    request: Request, who: SignedIn, *, status: int = 200, error: str | None = None
) -> Response:
    return render(request, "password.html", who, status_code=status, error=error)


@router.get("/password")
def password_form(request: Request, who: Annotated[SignedIn, Depends(signed_in_user)]) -> Response:
    return _password_form(request, who)


def _change_password(
    state: AppState, who: SignedIn, current: str, new: str, request: Request
) -> str:
    with state.db.write() as session:
        user = users.change_own_password(session, who, current, new)
        return users.start_session(
            session,
            user,
            address=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )


@router.post("/password")
async def change_password(
    request: Request,
    who: Annotated[SignedIn, Depends(signed_in_user)],
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    repeat_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """The user's own new password; every other session of the user ends."""
    _ = Formatter(who.language).gettext
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, _(CSRF_REFUSED), who)
    if new_password != repeat_password:
        return _password_form(request, who, status=422, error=_("The new passwords differ."))
    state = app_state(request)
    try:
        token = await run_in_threadpool(
            _change_password, state, who, current_password, new_password, request
        )
    except Invalid as exc:
        messages = {
            "current_password": _("Wrong current password."),
            "new_password": _("Choose a password other than the current one."),
        }
        field = (exc.errors or [{}])[0].get("field", "")
        text = messages.get(field) or _(
            "A password has %(least)s to %(most)s characters.", least=MIN_LENGTH, most=MAX_LENGTH
        )
        return _password_form(request, who, status=422, error=text)
    response = RedirectResponse("/app/", status_code=303)
    set_cookie(
        response,
        request,
        state.settings.public_url,
        SESSION_COOKIE,
        token,
        path="/app",
        max_age=SESSION_SECONDS,
    )
    return response
