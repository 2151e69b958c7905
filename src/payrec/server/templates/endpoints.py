"""`/api/v1/templates` (management) and the workers' lookup and rendering endpoints.

`router` is mounted under `/api/v1`; `automation_router` under `/api/v1/automation`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.automation_deps import AutomationContext, ManagementContext
from payrec.server.jsonio import json_response
from payrec.server.pagination import PageQuery
from payrec.server.routing import api_router
from payrec.server.templates import rendering, service
from payrec.server.templates.schemas import (
    PreviewRequest,
    RenderedOut,
    RenderRequest,
    TemplateChannel,
    TemplateContent,
    TemplateCreate,
    TemplateList,
    TemplateOut,
)

router = api_router(prefix="/templates", tags=["templates"])
automation_router = api_router(tags=["templates"])

TemplateIdPath = Annotated[str, Path(max_length=100)]
LanguagePath = Annotated[str, Path(pattern=r"^[a-z]{2,3}$")]


@router.post("", status_code=201, response_model=TemplateOut)
def create_template(body: TemplateCreate, ctx: ManagementContext) -> Response:
    """Store a template (or the first override of a shipped one); 409 when already stored."""

    def action(session: Session) -> TemplateOut:
        return service.save(
            session, body.template_id, body.language, body, ctx.actor, create_only=True
        )

    return ctx.write(action, status_code=201)


@router.get("", response_model=TemplateList)
def list_templates(
    ctx: ManagementContext,
    page: PageQuery,
    template_id: Annotated[str | None, Query(alias="templateId", max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=10)] = None,
    channel: TemplateChannel | None = None,
) -> Response:
    with ctx.read() as session:
        outs = service.listing(session, template_id=template_id, language=language, channel=channel)
    shown = outs[page.offset : page.offset + page.limit]
    return json_response(
        TemplateList(
            templates=shown,
            total=len(outs),
            next_cursor=page.next_cursor(len(shown), len(outs)),
        )
    )


@router.post("/preview", response_model=RenderedOut)
def preview_template(body: PreviewRequest, ctx: ManagementContext) -> Response:
    """Render a template as edited, for a real case, without saving it: the errors saving it
    would answer come back the same way (422 naming the part)."""
    link_template = ctx.state.settings.payment_link_template
    with ctx.read() as session:
        out = rendering.preview(session, body, link_template=link_template)
    return json_response(out)


@router.get("/{template_id}/{language}", response_model=TemplateOut)
def get_template(
    template_id: TemplateIdPath, language: LanguagePath, ctx: ManagementContext
) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, template_id, language)))


@router.put("/{template_id}/{language}", response_model=TemplateOut)
def put_template(
    template_id: TemplateIdPath,
    language: LanguagePath,
    body: TemplateContent,
    ctx: ManagementContext,
) -> Response:
    """Create or replace the stored template for this id and language."""

    def action(session: Session) -> TemplateOut:
        return service.save(session, template_id, language, body, ctx.actor, create_only=False)

    return ctx.write(action)


@router.delete("/{template_id}/{language}", status_code=204, response_class=Response)
def delete_template(
    template_id: TemplateIdPath, language: LanguagePath, ctx: ManagementContext
) -> Response:
    """Delete a stored template; a shipped template with the same id and language shows again."""

    def action(session: Session) -> Response:
        service.remove(session, template_id, language, ctx.actor)
        return Response(status_code=204)

    return ctx.write(action)


@automation_router.get("/templates/{template_id}", response_model=TemplateOut)
def get_template_for_workers(
    template_id: TemplateIdPath,
    ctx: AutomationContext,
    language: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The template in `language` (a language or locale such as `de_DE`), else English."""
    with ctx.read() as session:
        return json_response(service.to_out(service.pick(session, template_id, language)))


@automation_router.post("/recovery-cases/{case_id}/render", response_model=RenderedOut)
def render_for_case(case_id: str, body: RenderRequest, ctx: AutomationContext) -> Response:
    """Render a template for the case's customer: language and formatting from their locale."""
    link_template = ctx.state.settings.payment_link_template

    def action(session: Session) -> RenderedOut:  # a write: it issues a customer-page link
        return rendering.render_for_case(session, case_id, body, link_template=link_template)

    return ctx.write(action)
