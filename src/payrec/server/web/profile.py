"""The signed-in user's own profile (`/app/me`): name, language and time zone; the password
has its own page (`/app/password`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from payrec.server.errors import DomainError
from payrec.server.users import service as users
from payrec.server.users.service import LANGUAGES, SignedIn
from payrec.server.web.forms import in_write
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, render
from payrec.server.web.security import presented_token, token_matches
from payrec.server.web.signin import CSRF_REFUSED

router = APIRouter(prefix="/app", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]


def _page(
    request: Request,
    who: SignedIn,
    *,
    status: int = 200,
    error: str | None = None,
    saved: bool = False,
    values: dict[str, str] | None = None,
) -> Response:
    shown = values or {"name": who.name, "language": who.language, "time_zone": who.time_zone}
    return render(
        request,
        "profile.html",
        who,
        status_code=status,
        error=error,
        saved=saved,
        values=shown,
        languages=LANGUAGES,
        time_zones=sorted(users.time_zones()),
    )


@router.get("/me")
def profile_page(request: Request, who: Who, saved: bool = False) -> Response:
    return _page(request, who, saved=saved)


@router.post("/me")
async def save_profile(
    request: Request,
    who: Who,
    name: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    _ = Formatter(who.language).gettext
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, _(CSRF_REFUSED), who)
    values = {"name": name, "language": language, "time_zone": time_zone.strip()}
    try:
        await in_write(
            request,
            lambda session: users.update_profile(
                session, who, name=name, language=language, time_zone=values["time_zone"]
            ),
        )
    except DomainError as exc:
        messages = {
            "timeZone": _("Choose a time zone from the list (for example Europe/Berlin)."),
            "name": _("A name is required."),
        }
        field = (exc.errors or [{}])[0].get("field", "")
        return _page(
            request, who, status=exc.status, error=messages.get(field, exc.detail), values=values
        )
    return RedirectResponse("/app/me?saved=true", status_code=303)
