"""Turn candidates into final fields with confidences, applying consistency checks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from . import fields as F
from .confidence import (
    base_confidence,
    close,
    dates_consistent,
    items_consistent,
    totals_consistent,
)
from .contacts import customer_contacts, is_credit_note
from .context import Context
from .dates import add_days
from .languages import detect_language
from .line_items import line_items
from .parties import customer_email, parties
from .result import ExtractionResult

# a field that conflicts with another printed one is never high-confidence (< 0.9)
CONFLICT_CAP = 0.85
_INNER_LABEL = re.compile(r"\S\s+[^\W\d]{2,}\s?:\s*\S")


def _name_confidence(name: object, conf: float) -> float:
    """A name with a 'Label:' inside ('ABC S.A. Nazwa: Jan Kowalski') is two cells glued."""
    return min(conf, 0.6) if _INNER_LABEL.search(str(name)) else conf


def _pick(cands: list[F.Candidate], strong: float = 0.93) -> tuple[object, float] | None:
    """Best value and its confidence. An explicit strong label with no competing value
    reaches `strong`; a second agreeing occurrence adds a little more."""
    got = F.best(cands)
    if got is None:
        return None
    value, combined, runner = got
    support = [c.score for c in cands if c.value == value]
    top = max(support)
    conf = base_confidence(top, combined, runner)
    if top >= 0.95 and runner < 0.5 * top:
        conf = max(conf, strong + (0.03 if len(support) >= 2 else 0.0))
    return value, conf


def assemble(ctx: Context, result: ExtractionResult) -> ExtractionResult:
    r = result
    # invoice number
    got = _pick(F.invoice_number(ctx))
    if got:
        r.set("invoiceNumber", got[0], got[1])
    # dates
    issue_c, due_c, terms = F.dates(ctx)
    issue = _pick(issue_c)
    if issue:
        r.set("issueDate", issue[0], issue[1])
    due = _pick(due_c)
    issue_value = issue[0] if issue and isinstance(issue[0], date) else None
    if due and isinstance(due[0], date):
        conf = due[1]
        if not dates_consistent(issue_value, due[0]):
            # the two dates conflict: neither is high-confidence
            conf = min(conf * 0.6, CONFLICT_CAP)
            if issue:
                r.field_confidence["issueDate"] = min(r.field_confidence["issueDate"], CONFLICT_CAP)
        r.set("dueDate", due[0], conf)
    elif terms is not None and issue_value is not None:
        r.set("dueDate", add_days(issue_value, terms), min(0.85, issue[1] if issue else 0.5))
    # amounts
    tot = F.totals(ctx)
    total = _pick(tot.total)
    amount_due = _pick(tot.due)
    total_line: int | None = None
    items = line_items(ctx)
    if total is None and amount_due is not None:
        total = (amount_due[0], amount_due[1] * 0.8)
    if total is not None and isinstance(total[0], Decimal):
        value, conf = total[0], total[1]
        consistent = totals_consistent(value, tot.subtotal, tot.tax)
        if consistent:
            conf = min(0.99, conf + 0.2)
        subtotals = [c.value for c in tot.subtotal]
        if items_consistent(items, [value, *subtotals]):
            conf = min(0.99, conf + 0.1)
        # a larger labelled total elsewhere with a consistent breakdown beats this one
        alternatives = [c for c in tot.total if c.value != value]
        for alt in sorted(alternatives, key=lambda c: -c.score):
            if not consistent and totals_consistent(alt.value, tot.subtotal, tot.tax) \
                    and alt.score >= 0.75:
                value, conf = alt.value, min(0.95, alt.score + 0.1)
                break
        if tot.subtotal and tot.tax and not totals_consistent(value, tot.subtotal, tot.tax):
            conf = min(conf, CONFLICT_CAP)  # a printed net and tax that do not add up to it
        r.set("amount", value, conf)
        total_line = next((c.line for c in tot.total if c.value == value), None)
        if total_line is None:
            total_line = next((c.line for c in tot.due if c.value == value), None)
    if amount_due is not None and isinstance(amount_due[0], Decimal):
        r.set("amountDue", amount_due[0], amount_due[1])
    elif "amount" in r.fields:
        r.set("amountDue", r.fields["amount"], r.field_confidence["amount"] * 0.7)
    # currency
    cur = F.currency(ctx, total_line)
    if cur:
        r.set("currency", cur[0], cur[1])
    # parties
    issuers, customers = parties(ctx)
    cust = _pick(customers)
    if cust:
        r.set("customerName", cust[0], _name_confidence(cust[0], cust[1]))
    issuers = [c for c in issuers if not cust or str(c.value).lower() != str(cust[0]).lower()]
    iss = _pick(issuers)
    if iss:
        r.set("issuerName", iss[0], _name_confidence(iss[0], iss[1]))
    email = customer_email(ctx)
    if email:
        r.set("customerEmail", email[0], email[1])
    for key, (text, conf) in customer_contacts(ctx, str(cust[0]) if cust else None).items():
        r.set(key, text, conf)
    lang = detect_language(ctx.doc.text)
    if lang:
        r.set("customerLanguage", lang[0], lang[1])
    r.mark_document_type(is_credit_note(ctx), 0.9)
    # line items: they should sum to the subtotal (or total); a prefix that does wins
    if items:
        conf = 0.6
        targets = [c.value for c in tot.subtotal]
        if "amount" in r.fields:
            targets.append(r.fields["amount"])
        if items_consistent(items, targets):
            conf = 0.95
        else:
            for k in range(len(items) - 1, 0, -1):
                if items_consistent(items[:k], targets):
                    items, conf = items[:k], 0.9
                    break
        r.set("lineItems", items, conf)
    _cross_check(r)
    return r


def _cross_check(r: ExtractionResult) -> None:
    amount = r.fields.get("amount")
    due = r.fields.get("amountDue")
    if isinstance(amount, Decimal) and isinstance(due, Decimal) and abs(due) > abs(amount) \
            and not close(abs(due), abs(amount)):
        # more to pay than the invoice's total: one of the two is wrong, neither is sure
        for key in ("amount", "amountDue"):
            r.field_confidence[key] = min(r.field_confidence[key], CONFLICT_CAP)
    if isinstance(amount, Decimal) and isinstance(due, Decimal) and close(amount, due):
        r.field_confidence["amountDue"] = max(r.field_confidence.get("amountDue", 0),
                                              min(0.9, r.field_confidence["amount"]))

