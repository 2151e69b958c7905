"""Receivables figures per currency: aging, recovery rate, amount recovered, DSO.

Every amount is a Decimal summed exactly and shown with the currency's minor units; the
definitions travel with the answer (`schemas.DEFINITIONS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal, outstanding
from payrec.domain.money import quantize
from payrec.server.charges import reporting as late_charges
from payrec.server.reports import repository
from payrec.server.reports.breakdown import StepRef, StepTally, latest_steps, tally_key
from payrec.server.reports.repository import CaseRow
from payrec.server.reports.schemas import (
    DEFINITIONS,
    Bucket,
    BucketName,
    CollectorFigure,
    CurrencySummary,
    PromiseFigures,
    StepFigure,
    Summary,
    Total,
)

DSO_DAYS = 90
BUCKETS: tuple[tuple[BucketName, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def end_of(day: date) -> datetime:
    """The first moment after `day` (UTC): reports include everything before it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def bucket_of(days_past_due: int) -> BucketName:
    for name, low, high in BUCKETS:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return name
    raise AssertionError(days_past_due)  # pragma: no cover - the buckets cover every integer


@dataclass
class _Tally:
    cases: int = 0
    aging: dict[BucketName, list[Decimal]] = field(default_factory=dict)
    billed: Decimal = Decimal(0)
    recovered: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    billed_90: Decimal = Decimal(0)
    steps: dict[StepRef | None, StepTally] = field(default_factory=dict)
    collectors: dict[str | None, StepTally] = field(default_factory=dict)


def principal_left(row: CaseRow) -> Decimal:
    """The principal left: after the scheme's allocation order where one applies (payments
    pay costs and interest first), else `amount - paid`."""
    return outstanding(row.amount, row.paid) if row.principal_left is None else row.principal_left


def owed_at(row: CaseRow, until: datetime) -> tuple[Decimal, Decimal]:
    """(principal, late charges) the case still owed at `until` (zero once it was closed by
    then)."""
    closed = is_terminal(row.status) and row.resolved_at is not None and row.resolved_at < until
    if closed:
        return Decimal(0), Decimal(0)
    return principal_left(row), row.charges_left


def outstanding_at(row: CaseRow, until: datetime) -> Decimal:
    """What the case still owed at `until`: principal and late charges (its total due)."""
    principal, charges = owed_at(row, until)
    return principal + charges


def with_charges(session: Session, rows: Iterable[CaseRow], as_of: date) -> Iterator[CaseRow]:
    """The rows, those whose late-charge scheme applies with what they owe as of `as_of`."""
    owed = late_charges.owed_by_case(session, as_of=as_of)
    for row in rows:
        found = owed.get(row.id)
        yield row if found is None else replace(row, principal_left=found[0], charges_left=found[1])


def summary(session: Session, *, as_of: date, since: date | None) -> Summary:
    """The summary as the API and the reports page show it (with the per-step breakdown)."""
    until = end_of(as_of)
    steps = latest_steps(repository.completed_step_tasks(session, until=until))
    result = summarise(
        with_charges(session, repository.case_rows(session, until=until), as_of),
        as_of=as_of,
        since=since,
        steps=steps,
    )
    promises = repository.promise_counts(session, until=until)
    for currency in result.currencies:
        currency.promises = PromiseFigures(
            kept=promises.get((currency.currency, "KEPT"), 0),
            broken=promises.get((currency.currency, "BROKEN"), 0),
            pending=promises.get((currency.currency, "PENDING"), 0),
        )
    return result


def case_rows_until(session: Session, day: date) -> Iterable[CaseRow]:
    """The CSV's rows: every case created by the end of `day` (with its late charges)."""
    return with_charges(session, repository.case_rows(session, until=end_of(day)), day)


def summarise(
    rows: Iterable[CaseRow],
    *,
    as_of: date,
    since: date | None,
    steps: Mapping[str, StepRef] | None = None,
) -> Summary:
    until = end_of(as_of)
    window_start = until - timedelta(days=DSO_DAYS)
    tallies: dict[str, _Tally] = {}
    for row in rows:
        tally = tallies.setdefault(row.currency, _Tally())
        due = outstanding_at(row, until)
        if due > 0:
            days = (as_of - row.due_date).days
            tally.aging.setdefault(bucket_of(days), []).append(due)
            if steps is not None:
                step = tally.steps.setdefault(steps.get(row.id), StepTally())
                step.count += 1
                step.amount += due
            mine = tally.collectors.setdefault(row.assignee_user_id, StepTally())
            mine.count += 1
            mine.amount += due
        if window_start.date() <= row.issue_date <= as_of:
            tally.billed_90 += row.amount
        if since is not None and row.issue_date < since:
            continue
        tally.cases += 1
        tally.billed += row.amount
        tally.recovered += row.paid
        if row.status == "WRITTEN_OFF" and row.resolved_at is not None and row.resolved_at < until:
            tally.written_off += principal_left(row)
    return Summary(
        as_of=as_of,
        from_=since,
        generated_at=datetime.now(UTC),
        currencies=[_currency_summary(c, t) for c, t in sorted(tallies.items())],
        definitions=DEFINITIONS,
    )


def _currency_summary(currency: str, t: _Tally) -> CurrencySummary:
    def money(value: Decimal) -> Decimal:
        return quantize(value, currency)

    buckets = [
        Bucket(
            bucket=name,
            min_days_past_due=low,
            max_days_past_due=high,
            count=len(t.aging.get(name, [])),
            amount=money(sum(t.aging.get(name, []), Decimal(0))),
        )
        for name, low, high in BUCKETS
    ]
    outstanding = sum((b.amount for b in buckets), Decimal(0))
    rate = (t.recovered / t.billed).quantize(Decimal("0.0001"), ROUND_HALF_UP) if t.billed else None
    dso = (
        (outstanding / t.billed_90 * DSO_DAYS).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if t.billed_90
        else None
    )
    return CurrencySummary(
        currency=currency,
        cases=t.cases,
        aging=buckets,
        outstanding=Total(count=sum(b.count for b in buckets), amount=money(outstanding)),
        billed=money(t.billed),
        amount_recovered=money(t.recovered),
        recovery_rate=rate,
        amount_written_off=money(t.written_off),
        billed_last_90_days=money(t.billed_90),
        days_sales_outstanding=dso,
        by_policy_step=[
            StepFigure(
                policy_id=step.policy_id if step else None,
                step_index=step.index if step else None,
                channel=step.channel if step else None,
                offset_days=step.offset_days if step else None,
                count=figure.count,
                amount=money(figure.amount),
            )
            for step, figure in sorted(t.steps.items(), key=lambda item: tally_key(item[0]))
        ],
        by_collector=[
            CollectorFigure(assignee_user_id=user, count=figure.count, amount=money(figure.amount))
            for user, figure in sorted(t.collectors.items(), key=lambda item: item[0] or "")
        ],
    )
