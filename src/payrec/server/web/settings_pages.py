"""Settings for admins (`/app/settings/...`): users (the service of `/api/v1/users`) and API
keys (that of `/api/v1/service-clients`); policies and templates are in `settings_content`.
An AGENT gets a plain 403 page on every settings page and POST."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from payrec.server.auth import service as clients
from payrec.server.auth.dependencies import app_state, forget_cached_credentials
from payrec.server.auth.roles import Role
from payrec.server.errors import DomainError
from payrec.server.users import service as users
from payrec.server.users.passwords import generate_password
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import LANGUAGES, Formatter
from payrec.server.web.pages import current_user, error_page, render
from payrec.server.web.security import presented_token, token_matches

router = APIRouter(prefix="/app/settings", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
ADMINS_ONLY = "Settings are for admins."
CSRF_REFUSED = "The form has expired or was not sent from this app. Reload the page and try again."
ROLES = (Role.ADMIN.value, Role.AGENT.value)


def _refused(request: Request, who: SignedIn) -> Response | None:
    if who.role != Role.ADMIN.value:
        return error_page(request, 403, Formatter(who.language).gettext(ADMINS_ONLY), who)
    return None


async def _form_or_refusal(request: Request, who: SignedIn) -> dict[str, str] | Response:
    refusal = _refused(request, who)
    if refusal is not None:
        return refusal
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, Formatter(who.language).gettext(CSRF_REFUSED), who)
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.get("")
def settings_index(request: Request, who: Who) -> Response:
    return _refused(request, who) or render(request, "settings_index.html", who)


def _users_page(
    request: Request,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    created: tuple[str, str] | None = None,
) -> Response:
    with app_state(request).db.read() as session:  # rendered while the rows are live
        return render(
            request,
            "settings_users.html",
            who,
            status_code=status_code,
            people=list(users.list_all(session)),
            roles=ROLES,
            languages=LANGUAGES,
            error=error,
            created=created,
        )


@router.get("/users")
def users_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or _users_page(request, who)


@router.post("/users")
async def create_user(request: Request, who: Who) -> Response:
    """A new user with a one-time password, shown once (changed at the first sign-in)."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    password = generate_password()
    state = app_state(request)

    def write() -> str:
        with state.db.write() as session:
            user = users.create(
                session,
                email=values.get("email", ""),
                role=values.get("role", ""),
                name=values.get("name") or None,
                language=values.get("language") or "en",
                password=password,
                one_time=True,
                actor=who.actor,
            )
            return user.email

    try:
        email = await run_in_threadpool(write)
    except DomainError as exc:
        return _users_page(request, who, status_code=exc.status, error=exc.detail)
    return _users_page(request, who, status_code=201, created=(email, password))


@router.post("/users/{user_id}")
async def change_user(request: Request, user_id: str, who: Who) -> Response:
    """Change a user's role, sign them out everywhere, or deactivate / reactivate the
    account (deactivating ends its sessions too)."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    state = app_state(request)
    action = values.get("action", "")

    def write() -> None:
        with state.db.write() as session:
            if action == "deactivate":
                users.update(session, user_id, actor=who.actor, disabled=True)
            elif action == "sign-out":
                users.revoke_sessions(session, user_id, actor=who.actor)
            elif action == "activate":
                users.update(session, user_id, actor=who.actor, disabled=False)
            else:
                users.update(session, user_id, actor=who.actor, role=values.get("role", ""))

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        return _users_page(request, who, status_code=exc.status, error=exc.detail)
    return RedirectResponse("/app/settings/users", status_code=303)


def _keys_page(
    request: Request,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    created: dict[str, str] | None = None,
) -> Response:
    with app_state(request).db.read() as session:  # rendered while the rows are live
        return render(
            request,
            "settings_keys.html",
            who,
            status_code=status_code,
            keys=list(clients.list_clients(session)),
            roles=[role.value for role in Role],
            error=error,
            created=created,
        )


@router.get("/api-keys")
def keys_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or _keys_page(request, who)


@router.post("/api-keys")
async def create_key(request: Request, who: Who) -> Response:
    """A new API key (and OAuth2 client): its secrets are shown on this answer only."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    form = await request.form()
    roles = [v for v in form.getlist("roles") if isinstance(v, str)]
    name = values.get("name", "")
    if not name:
        fmt = Formatter(who.language)
        message = fmt.gettext("%(field)s: please fill this in.", field=fmt.gettext("Name"))
        return _keys_page(request, who, status_code=422, error=message)
    state = app_state(request)

    def write() -> dict[str, str]:
        with state.db.write() as session:
            client, creds = clients.create_client(
                session, name=name[:200], roles=roles, actor=who.actor
            )
            return {
                "name": client.name,
                "api_key": creds.api_key,
                "client_id": client.client_id,
                "client_secret": creds.client_secret,
            }

    try:
        created = await run_in_threadpool(write)
    except DomainError as exc:
        return _keys_page(request, who, status_code=exc.status, error=exc.detail)
    return _keys_page(request, who, status_code=201, created=created)


@router.post("/api-keys/{client_id}/revoke")
async def revoke_key(request: Request, client_id: str, who: Who) -> Response:
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    state = app_state(request)

    def write() -> None:
        with state.db.write() as session:
            clients.revoke(session, client_id, who.actor)

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        return _keys_page(request, who, status_code=exc.status, error=exc.detail)
    forget_cached_credentials()
    return RedirectResponse("/app/settings/api-keys", status_code=303)
