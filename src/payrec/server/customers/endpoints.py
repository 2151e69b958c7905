"""`/api/v1/customers` (management)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from payrec.server.automation_deps import ManagementContext, StaffContext
from payrec.server.customers import repository, service, statement
from payrec.server.customers.schemas import (
    CustomerCreate,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    CustomerStatement,
)
from payrec.server.jsonio import json_response
from payrec.server.pagination import decode_cursor, next_cursor
from payrec.server.routing import api_router

router = api_router(prefix="/customers", tags=["customers"])


@router.post("", status_code=201, response_model=CustomerOut)
def create_customer(body: CustomerCreate, ctx: ManagementContext) -> Response:
    return ctx.write(lambda s: service.to_out(service.create(s, body, ctx.actor)), status_code=201)


@router.get("", response_model=CustomerList)
def list_customers(
    ctx: ManagementContext,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Response:
    offset = decode_cursor(cursor)
    with ctx.read() as session:
        rows, total = repository.page(session, offset=offset, limit=limit, email=email)
        body = CustomerList(
            customers=[service.to_out(c) for c in rows],
            total=total,
            next_cursor=next_cursor(offset, len(rows), total),
        )
    return json_response(body)


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, customer_id)))


@router.patch("/{customer_id}", response_model=CustomerOut)
def patch_customer(customer_id: str, body: CustomerPatch, ctx: StaffContext) -> Response:
    """Contacts, opt-outs, language, time zone, policy: ADMIN or AGENT (collectors keep their
    customers' contacts up to date, in the workspace and here alike)."""
    return ctx.write(lambda s: service.to_out(service.patch(s, customer_id, body, ctx.actor)))


@router.get("/{customer_id}/statement", response_model=CustomerStatement)
def get_customer_statement(customer_id: str, ctx: ManagementContext) -> Response:
    """Every case of the customer and what is owed per currency (overdue as of today, UTC)."""
    today = datetime.now(UTC).date()
    with ctx.read() as session:
        return json_response(statement.statement(session, customer_id, today=today))
