"""Settings for admins (`/app/settings/...`): users (the service of `/api/v1/users`) and API
keys (that of `/api/v1/service-clients`); policies and templates are in `settings_content`.
An AGENT gets a plain 403 page on every settings page and POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from payrec.server.auth import service as clients
from payrec.server.auth.dependencies import app_state, forget_cached_credentials
from payrec.server.auth.roles import Role
from payrec.server.errors import DomainError
from payrec.server.users import service as users
from payrec.server.users.passwords import generate_password
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import checked_form, in_write, text_fields
from payrec.server.web.i18n import LANGUAGES, Formatter
from payrec.server.web.pages import current_user, error_page, render

router = APIRouter(prefix="/app/settings", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
ADMINS_ONLY = "Settings are for admins."
ROLES = (Role.ADMIN.value, Role.AGENT.value)


def _refused(request: Request, who: SignedIn) -> Response | None:
    if who.role != Role.ADMIN.value:
        return error_page(request, 403, Formatter(who.language).gettext(ADMINS_ONLY), who)
    return None


async def _form_or_refusal(request: Request, who: SignedIn) -> dict[str, str] | Response:
    form = _refused(request, who) or await checked_form(request, who)
    return form if isinstance(form, Response) else text_fields(form)


@router.get("")
def settings_index(request: Request, who: Who) -> Response:
    return _refused(request, who) or render(request, "settings_index.html", who)


def listing_page(
    request: Request,
    who: SignedIn,
    template: str,
    rows: Callable[[Session], dict[str, Any]],
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A settings page listing what `rows` reads, rendered while the rows are live."""
    with app_state(request).db.read() as session:
        return render(request, template, who, status_code=status_code, **rows(session), **context)


def _users_page(
    request: Request,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    created: tuple[str, str] | None = None,
) -> Response:
    return listing_page(
        request,
        who,
        "settings_users.html",
        lambda session: {"people": list(users.list_all(session))},
        status_code=status_code,
        roles=ROLES,
        languages=LANGUAGES,
        time_zones=sorted(users.time_zones()),
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

    def write(session: Session) -> str:
        user = users.create(
            session,
            email=values.get("email", ""),
            role=values.get("role", ""),
            name=values.get("name") or None,
            language=values.get("language") or "en",
            time_zone=values.get("time_zone") or None,
            password=password,
            one_time=True,
            actor=who.actor,
        )
        return user.email

    try:
        email = await in_write(request, write)
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
    action = values.get("action", "")

    def write(session: Session) -> None:
        if action == "deactivate":
            users.update(session, user_id, actor=who.actor, disabled=True)
        elif action == "sign-out":
            users.revoke_sessions(session, user_id, actor=who.actor)
        elif action == "activate":
            users.update(session, user_id, actor=who.actor, disabled=False)
        elif action == "time-zone":
            users.update(session, user_id, actor=who.actor, time_zone=values.get("time_zone"))
        else:
            users.update(session, user_id, actor=who.actor, role=values.get("role", ""))

    try:
        await in_write(request, write)
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
    return listing_page(
        request,
        who,
        "settings_keys.html",
        lambda session: {"keys": list(clients.list_clients(session))},
        status_code=status_code,
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

    def write(session: Session) -> dict[str, str]:
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
        created = await in_write(request, write)
    except DomainError as exc:
        return _keys_page(request, who, status_code=exc.status, error=exc.detail)
    return _keys_page(request, who, status_code=201, created=created)


@router.post("/api-keys/{client_id}/revoke")
async def revoke_key(request: Request, client_id: str, who: Who) -> Response:
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    try:
        await in_write(request, lambda session: clients.revoke(session, client_id, who.actor))
    except DomainError as exc:
        return _keys_page(request, who, status_code=exc.status, error=exc.detail)
    forget_cached_credentials()
    return RedirectResponse("/app/settings/api-keys", status_code=303)
