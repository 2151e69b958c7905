"""The case page's actions (`POST /app/cases/{id}/...`): each calls the same service as its
`/api/v1` twin, in one transaction, as the signed-in user; bad input answers the case page
again with a plain message (never a 500, never a partial write)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state
from payrec.server.auth.roles import Role
from payrec.server.cases import assignment, disputes, edits, holds, promises
from payrec.server.cases import service as cases
from payrec.server.cases.action_schemas import DisputeCreate, PauseRequest, PromiseCreate
from payrec.server.cases.schemas import CaseEdit
from payrec.server.errors import DomainError, Invalid
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate
from payrec.server.tasks import manual
from payrec.server.tasks.schemas import TaskCompletion
from payrec.server.users.service import SignedIn
from payrec.server.web.case_view import case_page_response
from payrec.server.web.forms import checked_form, in_write, text_fields
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, see_other

router = APIRouter(prefix="/app/cases/{case_id}", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
_LABELS = {
    "amount": "Amount",
    "reference": "Reference",
    "note": "Note",
    "text": "Note",
    "promisedDate": "Promised date",
    "reason": "Reason",
    "until": "Pause until",
    "outcome": "Outcome",
    "dueDate": "Due date",
    "policyId": "Policy",
    "userId": "Assign to",
}


def _given(values: dict[str, str], *names: str) -> dict[str, str]:
    """The named fields the person filled in (an empty field is left out, as in the API)."""
    return {name: values[name] for name in names if values.get(name)}


def _validation_message(exc: ValidationError, fmt: Formatter) -> str:
    _ = fmt.gettext
    first = exc.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    field = loc[0] if loc else ""
    label = _(_LABELS.get(field, field or "Form"))
    if first.get("type") == "missing":
        return _("%(field)s: please fill this in.", field=label)
    return _("%(field)s: %(problem)s", field=label, problem=first.get("msg", ""))


async def _act(
    request: Request,
    case_id: str,
    who: SignedIn,
    build: Callable[[dict[str, str]], Callable[[Session], object]],
) -> Response:
    """CSRF first, then the form's fields parsed by `build` into one write."""
    form = await checked_form(request, who)
    if isinstance(form, Response):
        return form
    fmt = Formatter(who.language)
    try:
        await in_write(request, build(text_fields(form)))
    except ValidationError as exc:
        return case_page_response(
            request, case_id, who, status_code=422, error=_validation_message(exc, fmt)
        )
    except DomainError as exc:
        status = exc.status if exc.status != 404 or _case_exists(request, case_id) else 404
        if status == 404:
            return error_page(request, 404, fmt.gettext("Not found"), who)
        return case_page_response(request, case_id, who, status_code=status, error=exc.detail)
    return see_other(request, f"/app/cases/{case_id}")


def _case_exists(request: Request, case_id: str) -> bool:
    with app_state(request).db.read() as session:
        try:
            cases.get(session, case_id)
        except DomainError:
            return False
    return True


def _valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return model.model_validate(data)


@router.post("/payments")
async def record_payment(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        def action(session: Session) -> object:
            currency = cases.get(session, case_id).currency
            body = _valid(
                PaymentCreate,
                {"currency": currency, **_given(values, "amount", "reference")},
            )
            return payments.record_payment(session, case_id, body, who.actor)

        return action

    return await _act(request, case_id, who, build)


@router.post("/notes")
async def add_note(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        note = values.get("note", "")
        if not note:
            raise Invalid("a note needs some text", field="note")
        if len(note) > 10_000:
            raise Invalid("a note has at most 10000 characters", field="note")

        def action(session: Session) -> object:
            return cases.add_note(session, cases.get(session, case_id), note, who.actor)

        return action

    return await _act(request, case_id, who, build)


@router.post("/promises")
async def take_promise(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        body = _valid(
            PromiseCreate,
            {
                "promisedDate": values.get("promisedDate", ""),
                **_given(values, "amount", "note"),
            },
        )
        return lambda s: promises.create(
            s,
            case_id,
            promised_date=body.promised_date,
            amount=body.amount,
            note=body.note,
            actor=who.actor,
        )

    return await _act(request, case_id, who, build)


@router.post("/disputes")
async def open_dispute(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        body = _valid(DisputeCreate, {"reason": values.get("reason", ""), **_given(values, "text")})
        return lambda s: disputes.open_dispute(
            s, case_id, reason=body.reason, text=body.text, actor=who.actor
        )

    return await _act(request, case_id, who, build)


@router.post("/pause")
async def pause_case(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        body = _valid(
            PauseRequest, {"until": values.get("until", ""), "reason": values.get("reason", "")}
        )
        return lambda s: holds.pause(s, case_id, body.until, body.reason, who.actor)

    return await _act(request, case_id, who, build)


@router.post("/resume")
async def resume_case(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        reason = values.get("reason") or "resumed"
        return lambda s: holds.resume(s, case_id, who.actor, reason=reason[:1000])

    return await _act(request, case_id, who, build)


@router.post("/assign")
async def assign_case(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        user_id = values.get("userId") or None
        return lambda s: assignment.assign(s, case_id, user_id, who.actor)

    return await _act(request, case_id, who, build)


@router.post("/tasks/{task_id}/complete")
async def complete_task(request: Request, case_id: str, task_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        body = _valid(
            TaskCompletion, {"outcome": values.get("outcome", ""), **_given(values, "note")}
        )

        def action(session: Session) -> object:
            return manual.complete(session, task_id, body, who.actor, case_id=case_id)

        return action

    return await _act(request, case_id, who, build)


@router.post("/edit")
async def edit_case(request: Request, case_id: str, who: Who) -> Response:
    def build(values: dict[str, str]) -> Callable[[Session], object]:
        body = _valid(CaseEdit, _given(values, "amount", "dueDate", "policyId", "reason"))
        return lambda s: edits.edit(
            s, case_id, body, who.actor, may_write_off=who.role == Role.ADMIN.value
        )

    return await _act(request, case_id, who, build)
