"""Template wire shapes (camelCase): one template per id, channel and language."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from payrec.server.types import ApiModel, OutModel

TemplateChannel = Literal["EMAIL", "SMS", "CALL", "LETTER"]
TemplateId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", examples=["de"])]
Subject = Annotated[str, Field(max_length=500)]
Body = Annotated[str, Field(min_length=1, max_length=50_000)]


class TemplateContent(ApiModel):
    """The editable part of a template; `PUT` may repeat the path's id and language."""

    template_id: TemplateId | None = None
    language: Language | None = None
    channel: TemplateChannel
    subject: Subject | None = None
    body_text: Body
    body_html: Body | None = None


class TemplateCreate(TemplateContent):
    template_id: TemplateId
    language: Language


class TemplateOut(OutModel):
    """`shipped`: the text ships with payrec; `overridesShipped`: a stored edit replaces it."""

    template_id: str
    language: str
    channel: TemplateChannel
    subject: str | None
    body_text: str
    body_html: str | None
    shipped: bool
    overrides_shipped: bool
    updated_at: datetime | None = None


class TemplateList(OutModel):
    templates: list[TemplateOut]
    total: int
    next_cursor: str | None


class RenderRequest(ApiModel):
    template_id: TemplateId
    channel: TemplateChannel | None = None
    language: Language | None = None


class PreviewRequest(TemplateContent):
    """A template as edited, rendered for a real case before it is saved."""

    case_id: Annotated[str, Field(min_length=1, max_length=40)]
    template_id: TemplateId
    language: Language


class RenderedOut(OutModel):
    """A message rendered for a case's customer, ready to send."""

    case_id: str
    template_id: str
    channel: TemplateChannel
    language: str
    locale: str
    subject: str | None
    text: str
    html: str | None
    recipient: str | None
    opted_out: bool
    payment_link: str
    unsubscribe_url: str | None = None
