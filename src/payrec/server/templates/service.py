"""Template rules: shipped defaults merged with stored overrides, validated at save time.

A stored template with the same id and language as a shipped one overrides it everywhere
(management reads, the automation lookup and server-side rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payrec.domain.default_templates import default_templates
from payrec.domain.policy import Channel
from payrec.domain.templates import Template, TemplateInvalid, choose_template, validate_template
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import MessageTemplate
from payrec.server.templates import repository
from payrec.server.templates.schemas import TemplateContent, TemplateOut

Key = tuple[str, str]


@dataclass(frozen=True)
class Entry:
    template: Template
    row: MessageTemplate | None
    shipped: bool


class TemplateFields(Protocol):
    """A template's parts as a stored row and an edited (previewed) template both carry them."""

    @property
    def template_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def body_text(self) -> str: ...
    @property
    def body_html(self) -> str | None: ...


def template_of(source: TemplateFields) -> Template:
    return Template(
        id=source.template_id,
        channel=Channel(source.channel),
        language=source.language,
        subject=source.subject,
        body_text=source.body_text,
        body_html=source.body_html,
    )


_CACHE = "payrec.templates.merged"


def merged(session: Session, template_id: str | None = None) -> dict[Key, Entry]:
    """Every template by (id, language): shipped ones, replaced by stored overrides.

    Read once per transaction and template id (a claim renders many reminders of one
    template); `save` and `remove` forget what was read.
    """
    cache: dict[str | None, dict[Key, Entry]] = session.info.setdefault(_CACHE, {})
    found = cache.get(template_id)
    if found is None:
        found = cache[template_id] = _merged(session, template_id)
    return dict(found)


def _forget(session: Session) -> None:
    session.info.pop(_CACHE, None)


def _merged(session: Session, template_id: str | None) -> dict[Key, Entry]:
    entries: dict[Key, Entry] = {
        (t.id, t.language): Entry(t, None, True)
        for t in default_templates()
        if template_id is None or t.id == template_id
    }
    for row in repository.all_stored(session, template_id):
        key = (row.template_id, row.language)
        entries[key] = Entry(template_of(row), row, key in entries)
    return dict(sorted(entries.items()))


def to_out(entry: Entry) -> TemplateOut:
    t = entry.template
    return TemplateOut(
        template_id=t.id,
        language=t.language,
        channel=t.channel.value,
        subject=t.subject,
        body_text=t.body_text,
        body_html=t.body_html,
        shipped=entry.shipped,
        overrides_shipped=entry.shipped and entry.row is not None,
        updated_at=entry.row.updated_at if entry.row is not None else None,
    )


def get(session: Session, template_id: str, language: str) -> Entry:
    entry = merged(session, template_id).get((template_id, language))
    if entry is None:
        raise NotFound("template", f"{template_id}/{language}")
    return entry


def pick(session: Session, template_id: str, language: str | None) -> Entry:
    """The template in `language` (a language or a locale), else English; 404 when neither."""
    entries = merged(session, template_id)
    try:
        chosen = choose_template([e.template for e in entries.values()], template_id, language)
    except LookupError as exc:
        raise NotFound("template", template_id) from exc
    return entries[(chosen.id, chosen.language)]


def listing(
    session: Session,
    *,
    template_id: str | None,
    language: str | None,
    channel: str | None,
) -> list[TemplateOut]:
    return [
        to_out(e)
        for (tid, lang), e in merged(session, template_id).items()
        if (language is None or lang == language)
        and (channel is None or e.template.channel.value == channel)
    ]


def _validated(session: Session, template: Template) -> None:
    for field, text in (
        ("subject", template.subject),
        ("bodyText", template.body_text),
        ("bodyHtml", template.body_html),
    ):
        if text is not None and "\x00" in text:
            raise Invalid("must not contain NUL (U+0000) characters", field=field)
    try:
        validate_template(template)
    except TemplateInvalid as exc:
        raise Invalid(exc.message, field=exc.field or "body") from exc
    for (_tid, lang), other in merged(session, template.id).items():
        if lang != template.language and other.template.channel is not template.channel:
            raise Invalid(
                f"template {template.id!r} is a {other.template.channel.value} template "
                f"(language {lang!r}); all languages of one template share its channel",
                field="channel",
            )


def _snapshot(t: Template) -> dict[str, object]:
    return {
        "channel": t.channel.value,
        "subject": t.subject,
        "bodyText": t.body_text,
        "bodyHtml": t.body_html,
    }


def save(
    session: Session,
    template_id: str,
    language: str,
    content: TemplateContent,
    actor: Actor,
    *,
    create_only: bool,
) -> TemplateOut:
    """Store a template (POST: only when not stored yet; PUT: create or replace)."""
    for field, given, expected in (
        ("templateId", content.template_id, template_id),
        ("language", content.language, language),
    ):
        if given is not None and given != expected:
            raise Invalid(f"{given!r} does not match the path's {expected!r}", field=field)
    template = Template(
        id=template_id,
        channel=Channel(content.channel),
        language=language,
        subject=content.subject,
        body_text=content.body_text,
        body_html=content.body_html,
    )
    _forget(session)
    row = repository.get(session, template_id, language, for_update=True)
    if row is not None and create_only:
        raise Conflict(
            f"template {template_id}/{language} exists; PUT /templates/{template_id}/{language}",
            code="template-exists",
        )
    _validated(session, template)
    previous = get_or_none(session, template_id, language)
    before = _snapshot(previous.template) if previous is not None else None
    if row is None:
        row = MessageTemplate(template_id=template_id, language=language)
        session.add(row)
    elif before == _snapshot(template):
        return to_out(get(session, template_id, language))  # repeated PUT: no change
    row.channel = template.channel.value
    row.subject = template.subject
    row.body_text = template.body_text
    row.body_html = template.body_html
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("template written concurrently; retry", code="template-exists") from exc
    _forget(session)
    record_change(
        session,
        actor,
        "template.saved",
        row,
        before={"templateId": template_id, "language": language, **(before or {})},
        after={"templateId": template_id, "language": language, **_snapshot(template)},
    )
    return to_out(get(session, template_id, language))


def get_or_none(session: Session, template_id: str, language: str) -> Entry | None:
    return merged(session, template_id).get((template_id, language))


def remove(session: Session, template_id: str, language: str, actor: Actor) -> Entry | None:
    """Delete a stored template: a shipped one shows again (returned), else nothing remains."""
    _forget(session)
    row = repository.get(session, template_id, language, for_update=True)
    if row is None:
        raise NotFound("stored template", f"{template_id}/{language}")
    before = _snapshot(template_of(row))
    session.delete(row)
    session.flush()
    _forget(session)
    record_change(
        session,
        actor,
        "template.deleted",
        row,
        before={"templateId": template_id, "language": language, **before},
    )
    return get_or_none(session, template_id, language)
