"""Customer rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payrec.domain.charges.schemes import late_charges_from_dict, late_charges_to_dict
from payrec.domain.phones import country_of, to_e164
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.customers import repository
from payrec.server.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    CustomerSummary,
)
from payrec.server.errors import Invalid, NotFound
from payrec.server.events.service import emit
from payrec.server.models import Customer, Policy

_AUDITED = (
    "name",
    "email",
    "phone",
    "timezone",
    "locale",
    "policy_id",
    "opt_out_email",
    "opt_out_sms",
    "is_business",
    "postal_address",
    "late_charges",
)


def to_summary(customer: Customer) -> CustomerSummary:
    # built from stored, already valid values: construct without re-validating (hot in lists)
    return CustomerSummary.trusted_from_row(customer)


def to_out(customer: Customer) -> CustomerOut:
    return CustomerOut.from_row(customer, is_business=bool(customer.is_business))


def get(session: Session, customer_id: str) -> Customer:
    customer = repository.get(session, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def _check_policy(session: Session, policy_id: str | None) -> None:
    if (
        policy_id is not None
        and policy_id != "policy-default"
        and session.get(Policy, policy_id) is None
    ):
        raise Invalid("unknown policy", field="policyId")


def _phone(raw: str | None, locale: str | None, timezone: str | None) -> str | None:
    """E.164 in the customer's country (``030 1234567`` in de_DE → ``+49301234567``)."""
    return None if raw is None else to_e164(raw, country_of(locale, timezone))


def _late_charges(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A customer's scheme override, validated and stored in its canonical shape."""
    if raw is None:
        return None
    return late_charges_to_dict(late_charges_from_dict(raw))


def create(session: Session, data: CustomerCreate, actor: Actor) -> Customer:
    _check_policy(session, data.policy_id)
    customer = Customer(
        name=data.name,
        email=str(data.email) if data.email else None,
        phone=_phone(data.phone, data.locale, data.timezone),
        timezone=data.timezone,
        locale=data.locale,
        policy_id=data.policy_id,
        opt_out_email=data.opt_out_email,
        opt_out_sms=data.opt_out_sms,
        is_business=data.is_business,
        postal_address=data.postal_address,
        late_charges=_late_charges(data.late_charges),
    )
    session.add(customer)
    session.flush()
    record_change(session, actor, "customer.created", customer, after=_snapshot(customer))
    return customer


def patch(session: Session, customer_id: str, data: CustomerPatch, actor: Actor) -> Customer:
    customer = get(session, customer_id)
    changes = data.model_dump(exclude_unset=True)
    if "policy_id" in changes:
        _check_policy(session, changes["policy_id"])
    if "name" in changes and changes["name"] is None:
        raise Invalid("name cannot be removed", field="name")
    if changes.get("phone") is not None:
        changes["phone"] = _phone(
            changes["phone"],
            changes.get("locale") or customer.locale,
            changes.get("timezone") or customer.timezone,
        )
    if "late_charges" in changes:
        changes["late_charges"] = _late_charges(changes["late_charges"])
    if changes.get("postal_address") == "":
        changes["postal_address"] = None
    before = _snapshot(customer)
    for field, value in changes.items():
        if field in ("timezone", "locale", "opt_out_email", "opt_out_sms", "is_business") and (
            value is None
        ):
            raise Invalid(f"{field} cannot be null", field=field)
        setattr(customer, field, str(value) if field == "email" and value is not None else value)
    after = _snapshot(customer)
    if before != after:
        customer.version += 1
        record_change(session, actor, "customer.updated", customer, before=before, after=after)
    session.flush()
    return customer


def opt_out(
    session: Session, customer: Customer, channel: str, actor: Actor, *, opted_out: bool = True
) -> None:
    before = _snapshot(customer)
    if channel == "SMS":
        customer.opt_out_sms = opted_out
    else:
        customer.opt_out_email = opted_out
    record_change(
        session,
        actor,
        "customer.opt_out" if opted_out else "customer.opt_in",
        customer,
        before=before,
        after=_snapshot(customer),
    )
    if opted_out:
        emit(session, "customer.opted_out", {"customerId": customer.id, "channel": channel})


def _snapshot(customer: Customer) -> dict[str, object]:
    return {field: getattr(customer, field) for field in _AUDITED}


snapshot = _snapshot  # what the audit trail records of a customer (imports write it too)
