"""Admins' settings for what payrec sends: policies (`/app/settings/policies`, the service of
`/api/v1/policies`) and templates per channel and language (`/app/settings/templates`, the
service of `/api/v1/templates`) with a live preview rendered for a real case by the same
sandboxed rendering as `POST /api/v1/templates/preview`; a template that does not render is
refused before it is saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from payrec.domain.policy import policy_to_dict
from payrec.server.auth.dependencies import app_state
from payrec.server.errors import DomainError
from payrec.server.policies import service as policies
from payrec.server.templates import rendering
from payrec.server.templates import service as templates
from payrec.server.templates.schemas import PreviewRequest, TemplateContent
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import in_write
from payrec.server.web.pages import error_page, render
from payrec.server.web.settings_pages import Who, _form_or_refusal, _refused, listing_page
from payrec.server.worklist import service as worklist
from payrec.server.worklist.repository import Filters

router = APIRouter(prefix="/app/settings", include_in_schema=False)
CHANNELS = ("EMAIL", "SMS", "CALL", "LETTER")
PRIORITIES = ("", "LOW", "MEDIUM", "HIGH")
NEW_STEP_ROWS = 1
EDITED = ("channel", "subject", "bodyText", "bodyHtml", "caseId")


def _problem(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        named = [e.get("field") for e in (getattr(exc, "errors", None) or []) if e.get("field")]
        return f"{named[0]}: {exc.detail}" if named else exc.detail
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))


@router.get("/policies")
def policies_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or listing_page(
        request,
        who,
        "settings_policies.html",
        lambda session: {"policies": policies.listing(session, offset=0, limit=100)[0]},
    )


def _policy_page(
    request: Request,
    who: SignedIn,
    policy_id: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    saved: bool = False,
) -> Response:
    try:
        with app_state(request).db.read() as session:
            policy, row = policies.get(session, policy_id)
            out = policies.to_out(policy, row)
    except DomainError as exc:
        return error_page(request, exc.status, exc.detail, who)
    return render(
        request,
        "settings_policy.html",
        who,
        status_code=status_code,
        policy=out,
        channels=CHANNELS,
        priorities=PRIORITIES,
        new_rows=range(len(out.steps), len(out.steps) + NEW_STEP_ROWS),
        error=error,
        saved=saved,
    )


@router.get("/policies/{policy_id}")
def policy_page(request: Request, policy_id: str, who: Who) -> Response:
    return _refused(request, who) or _policy_page(request, who, policy_id)


def _int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # the policy's own validation names the field


def policy_body(base: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The policy as edited: the form's fields over the stored definition (the fields the
    form does not show are kept as they were)."""
    steps = []
    index = 0
    while f"steps-{index}-channel" in values:
        prefix = f"steps-{index}-"
        index += 1
        if values.get(prefix + "remove") or not values.get(prefix + "templateId"):
            continue
        step: dict[str, Any] = {
            "offsetDays": _int(values.get(prefix + "offsetDays", "")),
            "channel": values.get(prefix + "channel", ""),
            "templateId": values.get(prefix + "templateId", ""),
        }
        if values.get(prefix + "priority"):
            step["priority"] = values[prefix + "priority"]
        if values.get(prefix + "attachInvoice"):
            step["attachInvoice"] = True
        if values.get(prefix + "attachLetter"):
            step["attachLetter"] = True
        steps.append(step)
    cap = values.get("maxContactsPer7Days", "")
    return {
        **base,
        "name": values.get("name", ""),
        "steps": steps,
        "sendWindow": {
            "start": values.get("sendWindowStart", ""),
            "end": values.get("sendWindowEnd", ""),
            "weekends": bool(values.get("sendWindowWeekends")),
        },
        "businessDaysOnly": bool(values.get("businessDaysOnly")),
        "maxContactsPer7Days": _int(cap) if cap else None,
    }


@router.post("/policies/{policy_id}")
async def save_policy(request: Request, policy_id: str, who: Who) -> Response:
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values

    def write(session: Session) -> None:
        policy, _row = policies.get(session, policy_id)
        policies.replace(session, policy_id, policy_body(policy_to_dict(policy), values), who.actor)

    try:
        await in_write(request, write)
    except DomainError as exc:
        return _policy_page(request, who, policy_id, status_code=exc.status, error=_problem(exc))
    return RedirectResponse(f"/app/settings/policies/{policy_id}?saved=1", status_code=303)


@router.get("/templates")
def templates_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or listing_page(
        request,
        who,
        "settings_templates.html",
        lambda s: {
            "templates": templates.listing(s, template_id=None, language=None, channel=None)
        },
    )


def _template_page(
    request: Request,
    who: SignedIn,
    template_id: str,
    language: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    edited: dict[str, str] | None = None,
) -> Response:
    try:
        with app_state(request).db.read() as session:
            entry = templates.to_out(templates.get(session, template_id, language))
            first = worklist.worklist(session, Filters(), limit=1).items
    except DomainError as exc:
        return error_page(request, exc.status, exc.detail, who)
    shown = {
        "channel": entry.channel,
        "subject": entry.subject or "",
        "bodyText": entry.body_text,
        "bodyHtml": entry.body_html or "",
        "caseId": first[0].id if first else "",
        **(edited or {}),
    }
    return render(
        request,
        "settings_template.html",
        who,
        status_code=status_code,
        entry=entry,
        shown=shown,
        channels=CHANNELS,
        error=error,
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/templates/{template_id}/{language}")
def template_page(request: Request, template_id: str, language: str, who: Who) -> Response:
    return _refused(request, who) or _template_page(request, who, template_id, language)


def _content(values: dict[str, str]) -> dict[str, Any]:
    return {
        "channel": values.get("channel", ""),
        "subject": values.get("subject") or None,
        "bodyText": values.get("bodyText", ""),
        "bodyHtml": values.get("bodyHtml") or None,
    }


def _preview_request(values: dict[str, str], template_id: str, language: str) -> PreviewRequest:
    """The edited template, to be rendered for the form's case (`caseId`)."""
    return PreviewRequest.model_validate(
        {
            **_content(values),
            "caseId": values.get("caseId", ""),
            "templateId": template_id,
            "language": language,
        }
    )


@router.post("/templates/{template_id}/{language}/preview")
async def preview_template(request: Request, template_id: str, language: str, who: Who) -> Response:
    """The edited template rendered for the chosen case, or what stops it (not saved)."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    state = app_state(request)

    def run() -> Any:
        body = _preview_request(values, template_id, language)
        with state.db.read() as session:
            return rendering.preview(
                session, body, link_template=state.settings.payment_link_template
            )

    try:
        rendered = await run_in_threadpool(run)
    except (ValidationError, DomainError) as exc:
        return render(request, "_template_preview.html", who, error=_problem(exc), rendered=None)
    return render(request, "_template_preview.html", who, error=None, rendered=rendered)


@router.post("/templates/{template_id}/{language}")
async def save_template(request: Request, template_id: str, language: str, who: Who) -> Response:
    """Save the edited template; one that does not validate or render is not saved."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    link_template = app_state(request).settings.payment_link_template

    def write(session: Session) -> None:
        content = TemplateContent.model_validate(_content(values))
        if values.get("caseId"):  # the preview's case: a render error refuses the save
            preview = _preview_request(values, template_id, language)
            rendering.preview(session, preview, link_template=link_template)
        templates.save(session, template_id, language, content, who.actor, create_only=False)

    try:
        await in_write(request, write)
    except (ValidationError, DomainError) as exc:
        return _template_page(
            request,
            who,
            template_id,
            language,
            status_code=exc.status if isinstance(exc, DomainError) else 422,
            error=_problem(exc),
            edited={k: values.get(k, "") for k in EDITED},
        )
    return RedirectResponse(
        f"/app/settings/templates/{template_id}/{language}?saved=1", status_code=303
    )
