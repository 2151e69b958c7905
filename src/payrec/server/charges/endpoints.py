"""Late charges: a case's charge lines, waivers (ADMIN or AGENT, with a reason), and the
reference rates (everyone staff reads; an ADMIN adds a half-year's rate)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.automation_deps import AdminContext, ManagementContext, StaffContext
from payrec.server.charges import adjustments, letters, reporting, service
from payrec.server.charges.schemas import (
    CaseChargesOut,
    ChargesReport,
    RateCreate,
    RateList,
    RateOut,
    ReferenceName,
    WaiverCreate,
)
from payrec.server.documents import service as documents
from payrec.server.documents.endpoints import base_url, store_of
from payrec.server.documents.schemas import DocumentOut
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router
from payrec.server.templates.rendering import creditor_of

router = api_router(tags=["late-charges"])


@router.get("/recovery-cases/{case_id}/charges", response_model=CaseChargesOut)
def get_case_charges(case_id: str, ctx: ManagementContext) -> Response:
    """The case's charges as of today: each line with how it was computed (days, base, rate
    = reference rate + margin), what was paid and waived, principal and total due; `error`
    names a missing reference rate or compensation sum (never counted as zero)."""
    with ctx.read() as session:
        case = adjustments.case_or_404(session, case_id)
        return json_response(service.to_out(case.id, service.for_case(session, case)))


@router.post(
    "/recovery-cases/{case_id}/charges/waivers", status_code=201, response_model=CaseChargesOut
)
def waive_charge(case_id: str, body: WaiverCreate, ctx: StaffContext) -> Response:
    """Waive the case's INTEREST, COMPENSATION or FEE from today on, with a reason (audited
    `charges.waived`); a case whose principal is paid and which owes nothing more resolves."""

    def action(session: Session) -> CaseChargesOut:
        case = adjustments.case_or_404(session, case_id)
        _waiver, charges = adjustments.waive(session, case, body, ctx.actor)
        adjustments.resolve_if_settled(session, case, ctx.actor)
        return service.to_out(case.id, charges)

    return ctx.write(action, status_code=201)


@router.post("/recovery-cases/{case_id}/letters", status_code=201, response_model=DocumentOut)
def create_letter(
    case_id: str,
    ctx: StaffContext,
    language: Annotated[Literal["en", "de", "fr", "es"] | None, Query()] = None,
) -> Response:
    """Render the formal reminder letter (PDF: both postal addresses, the invoice, each
    charge and how it was computed, total due, IBAN with the RF reference and an EPC QR
    code for EUR) and store it as a LETTER document on the case; `downloadUrl` serves it.
    422 without the customer's `postalAddress`; 409 without the creditor's address or
    with a reference rate missing."""

    def action(session: Session) -> DocumentOut:
        case = adjustments.case_or_404(session, case_id)
        document = letters.make_letter(
            session,
            store_of(ctx),
            case,
            creditor_of(session),
            ctx.actor,
            today=datetime.now(UTC).date(),
            language=language,
        )
        return documents.to_out(document, base_url(ctx))

    return ctx.write(action, status_code=201)


@router.get("/reports/late-charges", response_model=ChargesReport)
def late_charges_report(
    ctx: ManagementContext,
    as_of: Annotated[date | None, Query(alias="asOf")] = None,
) -> Response:
    """Late charges billed, collected (per the allocation order), waived and outstanding
    per currency as of `asOf` (default today, UTC); `errors` counts cases whose charges
    cannot be computed (a reference rate missing: see each case's `lateCharges.error`)."""
    with ctx.read() as session:
        return json_response(reporting.report(session, as_of=as_of or datetime.now(UTC).date()))


@router.get("/reference-rates", response_model=RateList)
def list_reference_rates(
    ctx: ManagementContext,
    reference: Annotated[ReferenceName | None, Query()] = None,
) -> Response:
    """The shipped rates (with their sources) and the ones admins added."""
    with ctx.read() as session:
        return json_response(adjustments.list_rates(session, reference))


@router.post("/reference-rates", status_code=201, response_model=RateOut)
def add_reference_rate(body: RateCreate, ctx: AdminContext) -> Response:
    """Add a half-year's reference rate (`validFrom` 1 January or 1 July; 409 if that
    half-year has one)."""
    return ctx.write(lambda s: adjustments.add_rate(s, body, ctx.actor), status_code=201)
