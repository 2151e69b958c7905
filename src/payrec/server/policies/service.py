"""Policy rules: validation through the domain mapping, the shipped default, resolution.

The shipped `policy-default` (the domain's `DEFAULT_POLICY`) is always listed and readable.
`PUT /policies/policy-default` stores an override that every reader (management, automation,
case resolution) then sees; the shipped ladder stays the fallback while no override exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payrec.domain.default_templates import default_templates
from payrec.domain.policy import (
    DEFAULT_POLICY,
    DunningPolicy,
    PolicyError,
    policy_from_dict,
    policy_to_dict,
)
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cases import service as cases
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import Policy
from payrec.server.models.base import new_id
from payrec.server.policies import repository
from payrec.server.policies.schemas import EffectivePolicy, PolicyOut

DEFAULT_ID = DEFAULT_POLICY.id
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
Source = Literal["CASE", "CUSTOMER", "DEFAULT"]


def _shipped_channels() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for template in default_templates():
        found.setdefault(template.id, set()).add(template.channel.value)
    return found


def validate(session: Session, body: Mapping[str, Any], policy_id: str) -> DunningPolicy:
    """A policy from its JSON body (id from the path); 422 naming the field otherwise."""
    if not isinstance(body, Mapping):
        raise Invalid("a policy must be a JSON object", field="body")
    given = body.get("id")
    if given is not None and given != policy_id:
        raise Invalid(f"id {given!r} does not match the policy id {policy_id!r}", field="id")
    try:
        policy = policy_from_dict({**body, "id": policy_id})
    except PolicyError as exc:
        raise Invalid(exc.message, field=exc.field or "body") from exc
    if not policy.name.isprintable():
        raise Invalid("must not contain control characters", field="name")
    _check_templates(session, policy)
    return policy


def _check_templates(session: Session, policy: DunningPolicy) -> None:
    ids = sorted({step.template_id for step in policy.steps})
    known = _shipped_channels()
    for template_id, stored in repository.stored_template_channels(session, ids).items():
        known.setdefault(template_id, set()).update(stored)
    for i, step in enumerate(policy.steps):
        channels = known.get(step.template_id)
        field = f"steps[{i}].templateId"
        if not channels:
            raise Invalid(f"unknown template {step.template_id!r}", field=field)
        if step.channel.value not in channels:
            shown = "/".join(sorted(channels))
            raise Invalid(
                f"template {step.template_id!r} is a {shown} template, not {step.channel.value}",
                field=field,
            )


def to_domain(row: Policy) -> DunningPolicy:
    return policy_from_dict({**row.definition, "id": row.id})


def find(session: Session, policy_id: str) -> tuple[DunningPolicy, Policy | None] | None:
    """The policy and its stored row (None for the shipped default without override)."""
    row = repository.get(session, policy_id)
    if row is not None:
        return to_domain(row), row
    if policy_id == DEFAULT_ID:
        return DEFAULT_POLICY, None
    return None


def get(session: Session, policy_id: str) -> tuple[DunningPolicy, Policy | None]:
    found = find(session, policy_id)
    if found is None:
        raise NotFound("policy", policy_id)
    return found


def to_out(policy: DunningPolicy, row: Policy | None) -> PolicyOut:
    return PolicyOut.model_validate(
        {
            **policy_to_dict(policy),
            "shipped": policy.id == DEFAULT_ID,
            "overridden": policy.id == DEFAULT_ID and row is not None,
            "createdAt": row.created_at if row is not None else None,
            "updatedAt": row.updated_at if row is not None else None,
        }
    )


def create(session: Session, body: Mapping[str, Any], actor: Actor) -> PolicyOut:
    raw_id = body.get("id") if isinstance(body, Mapping) else None
    if raw_id is None:
        policy_id = new_id("policy")
    elif not isinstance(raw_id, str) or not _ID.match(raw_id):
        raise Invalid("must be 1-40 letters, digits, '.', '_' or '-'", field="id")
    else:
        policy_id = raw_id
    if policy_id == DEFAULT_ID:
        raise Conflict(
            "policy-default ships with payrec; PUT /policies/policy-default to override it",
            code="policy-exists",
        )
    if repository.get(session, policy_id) is not None:
        raise Conflict(f"policy {policy_id!r} already exists", code="policy-exists")
    policy = validate(session, body, policy_id)
    row = Policy(id=policy_id, name=policy.name, definition=policy_to_dict(policy))
    session.add(row)
    _flush(session, policy_id)
    record(
        session,
        actor,
        action="policy.created",
        entity_type="policy",
        entity_id=policy_id,
        after=row.definition,
    )
    return to_out(policy, row)


def replace(session: Session, policy_id: str, body: Mapping[str, Any], actor: Actor) -> PolicyOut:
    """Replace a stored policy, or store the override of the shipped default."""
    row = repository.get(session, policy_id, for_update=True)
    if row is None and policy_id != DEFAULT_ID:
        raise NotFound("policy", policy_id)
    policy = validate(session, body, policy_id)
    definition = policy_to_dict(policy)
    before = row.definition if row is not None else policy_to_dict(DEFAULT_POLICY)
    if row is None:
        row = Policy(id=policy_id, name=policy.name, definition=definition)
        session.add(row)
    elif row.definition == definition:
        return to_out(policy, row)  # a repeated PUT changes nothing
    else:
        row.name = policy.name
        row.definition = definition
    _flush(session, policy_id)
    record(
        session,
        actor,
        action="policy.updated",
        entity_type="policy",
        entity_id=policy_id,
        before=before,
        after=definition,
    )
    return to_out(policy, row)


def _flush(session: Session, policy_id: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent writer stored the same id first
        raise Conflict(
            f"policy {policy_id!r} was written concurrently; retry", code="policy-exists"
        ) from exc


def listing(session: Session, *, offset: int, limit: int) -> tuple[list[PolicyOut], int]:
    """The default first (shipped or overridden), then stored policies by creation."""
    default_policy, default_row = get(session, DEFAULT_ID)
    outs: list[PolicyOut] = []
    if offset == 0:
        outs.append(to_out(default_policy, default_row))
    stored_offset = max(offset - 1, 0)
    rows, stored_total = repository.page(
        session, offset=stored_offset, limit=limit - len(outs), exclude=DEFAULT_ID
    )
    outs.extend(to_out(to_domain(r), r) for r in rows)
    return outs, stored_total + 1


def effective(session: Session, case_id: str) -> EffectivePolicy:
    """The case's policy, else its customer's, else the default (dangling ids fall through)."""
    case = cases.get(session, case_id)
    customer = customers.get(session, case.customer_id)
    chain: list[tuple[Source, str | None]] = [
        ("CASE", case.policy_id),
        ("CUSTOMER", customer.policy_id),
    ]
    for source, policy_id in chain:
        if policy_id:
            found = find(session, policy_id)
            if found is not None:
                return EffectivePolicy(
                    case_id=case.id, source=source, policy=policy_to_dict(found[0])
                )
    policy, _row = get(session, DEFAULT_ID)
    return EffectivePolicy(case_id=case.id, source="DEFAULT", policy=policy_to_dict(policy))
