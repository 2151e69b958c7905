"""The exact computation: simple interest per day on the outstanding principal, from the day
after the due date, across rate periods and partial payments; fixed compensation and fees;
payments applied in the configured order; waivers.

Days: the due date earns nothing; every later day up to and including ``as_of`` (and a
payment's own day, on the principal owed before that payment) earns
``principal * rate / 100 / days_in_year``. A payment on day *d* lowers the principal from
day *d + 1*. Interest is summed exactly (Decimal, 60 digits) and rounded **once**, to the
currency's minor unit (``domain.money.quantize``, half up); the interest lines share that
rounded total by largest remainder, so the lines add up to it. Compensation and fees are each
one line, rounded once. Nothing here is ever negative: a rate below zero counts as zero.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from payrec.domain.charges.rates import RateTable, half_year_start
from payrec.domain.charges.schemes import (
    Bucket,
    LateCharges,
    Scheme,
    SchemeRule,
    uk_fixed_sum,
)
from payrec.domain.errors import Conflict
from payrec.domain.money import minor_units, quantize

__all__ = [
    "KINDS",
    "CaseCharges",
    "CaseTerms",
    "ChargeLine",
    "CompensationMissing",
    "Waiver",
    "compute",
]

KINDS = ("INTEREST", "COMPENSATION", "FEE")
_CTX = decimal.Context(prec=60)
_ZERO = Decimal(0)
_DAY = timedelta(days=1)


class CompensationMissing(Conflict, code="compensation-currency-missing"):
    """The scheme's fixed compensation has no sum in the case's currency (409)."""


@dataclass(frozen=True, slots=True)
class CaseTerms:
    principal: Decimal
    currency: str
    due_date: date
    is_business: bool


@dataclass(frozen=True, slots=True)
class Waiver:
    kind: str  # INTEREST, COMPENSATION or FEE
    on: date


@dataclass(slots=True)
class ChargeLine:
    """One charge: for INTEREST a run of days at one rate on one base."""

    kind: str
    amount: Decimal
    currency: str
    rate: Decimal | None = None
    from_date: date | None = None
    to_date: date | None = None
    base: Decimal | None = None
    days: int | None = None
    reference_rate: Decimal | None = None
    margin: Decimal | None = None
    waived: bool = False
    paid: Decimal = _ZERO
    waived_amount: Decimal = _ZERO
    exact: Decimal = _ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid - self.waived_amount


@dataclass(slots=True)
class CaseCharges:
    scheme: str
    currency: str
    applicable: bool
    note: str | None = None
    lines: list[ChargeLine] = field(default_factory=list)
    principal: Decimal = _ZERO
    principal_paid: Decimal = _ZERO
    unapplied: Decimal = _ZERO
    current_rate: Decimal | None = None
    error: str | None = None  # why the charges could not be computed (shown, never zero)
    error_code: str | None = None

    def _sum(self, attr: str, kinds: Iterable[str] = KINDS) -> Decimal:
        wanted = set(kinds)
        return sum((getattr(x, attr) for x in self.lines if x.kind in wanted), _ZERO)

    @property
    def principal_outstanding(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest(self) -> Decimal:
        return self._sum("amount", ["INTEREST"])

    @property
    def compensation(self) -> Decimal:
        return self._sum("amount", ["COMPENSATION"])

    @property
    def fees(self) -> Decimal:
        return self._sum("amount", ["FEE"])

    @property
    def billed(self) -> Decimal:
        return self._sum("amount")

    @property
    def collected(self) -> Decimal:
        return self._sum("paid")

    @property
    def waived(self) -> Decimal:
        return self._sum("waived_amount")

    @property
    def outstanding(self) -> Decimal:
        return self._sum("amount") - self._sum("paid") - self._sum("waived_amount")

    @property
    def total_due(self) -> Decimal:
        return self.principal_outstanding + self.outstanding


@dataclass(slots=True)
class _Segment:
    start: date
    end: date
    rate: Decimal
    ref: Decimal | None
    margin: Decimal | None
    base: Decimal
    exact: Decimal


class _Run:
    """The running state of one case while its history is replayed."""

    def __init__(self, terms: CaseTerms, config: LateCharges, rates: RateTable) -> None:
        self.terms = terms
        self.config = config
        self.rates = rates
        self.rule: SchemeRule | None = config.rule
        self.principal_out = terms.principal
        self.segments: list[_Segment] = []
        self.interest_paid = _ZERO
        self.interest_waived = _ZERO
        self.interest_stopped: date | None = None
        self.costs: list[ChargeLine] = []
        self.waived_kinds: set[str] = set()
        self.unapplied = _ZERO
        self.fixed_rate: tuple[Decimal, Decimal | None, Decimal | None] | None = None

    # -- interest ------------------------------------------------------------------------
    def rate_on(self, day: date) -> tuple[Decimal, Decimal | None, Decimal | None]:
        """(rate, reference rate, margin) in percent per year for ``day``."""
        if self.config.scheme is Scheme.CUSTOM:
            return (self.config.annual_rate or _ZERO, None, None)
        rule = self.rule
        if rule is None or rule.reference is None:
            return (_ZERO, None, None)
        if rule.fixed_at_start:
            if self.fixed_rate is None:
                ref = self.rates.rate_on(rule.reference, self.terms.due_date + _DAY).rate
                self.fixed_rate = (max(_ZERO, ref + rule.margin), ref, rule.margin)
            return self.fixed_rate
        ref = self.rates.rate_on(rule.reference, day).rate
        return (max(_ZERO, ref + rule.margin), ref, rule.margin)

    def earns_interest(self) -> bool:
        return self.config.scheme is Scheme.CUSTOM or (
            self.rule is not None and self.rule.reference is not None
        )

    def accrue(self, after: date, through: date) -> None:
        """Interest for the days after ``after`` up to and including ``through``."""
        if not self.earns_interest() or self.interest_stopped is not None:
            return
        day = after + _DAY
        while day <= through and self.principal_out > 0:
            half_end = date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)
            end = min(through, half_end)
            rate, ref, margin = self.rate_on(day)
            days = (end - day).days + 1
            exact = _CTX.divide(
                _CTX.multiply(_CTX.multiply(self.principal_out, rate), Decimal(days)),
                Decimal(100 * self.config.days_in_year),
            )
            last = self.segments[-1] if self.segments else None
            if (
                last is not None
                and last.end + _DAY == day
                and last.rate == rate
                and last.base == self.principal_out
                and half_year_start(last.start) == half_year_start(day)
            ):
                last.end = end
                last.exact = _CTX.add(last.exact, exact)
            else:
                self.segments.append(
                    _Segment(day, end, rate, ref, margin, self.principal_out, exact)
                )
            day = end + _DAY

    def interest_total(self) -> Decimal:
        exact = sum((s.exact for s in self.segments), _ZERO)
        return quantize(exact, self.terms.currency)

    def interest_owed(self) -> Decimal:
        return self.interest_total() - self.interest_paid - self.interest_waived

    # -- events --------------------------------------------------------------------------
    def add_cost(self, kind: str, amount: Decimal, day: date, note_rate: Decimal | None) -> None:
        if kind in self.waived_kinds:
            return
        value = quantize(amount, self.terms.currency)
        if value > 0:
            self.costs.append(
                ChargeLine(
                    kind,
                    value,
                    self.terms.currency,
                    rate=note_rate,
                    from_date=day,
                    to_date=day,
                    base=self.principal_out,
                )
            )

    def waive(self, kind: str, day: date) -> None:
        self.waived_kinds.add(kind)
        if kind == "INTEREST":
            self.interest_waived += self.interest_owed()
            self.interest_stopped = day
            return
        for line in self.costs:
            if line.kind == kind:
                line.waived = True
                line.waived_amount += line.outstanding

    def pay(self, amount: Decimal) -> None:
        left = amount
        for bucket in self.config.allocation_order:
            if left <= 0:
                break
            if bucket is Bucket.COSTS:
                for line in self.costs:
                    share = min(left, line.outstanding)
                    line.paid += share
                    left -= share
            elif bucket is Bucket.INTEREST:
                share = min(left, self.interest_owed())
                self.interest_paid += share
                left -= share
            else:
                share = min(left, self.principal_out)
                self.principal_out -= share
                left -= share
        self.unapplied += left


def _compensation(terms: CaseTerms, config: LateCharges) -> Decimal:
    if config.compensation is not None:
        return config.compensation
    rule = config.rule
    if rule is None:
        return _ZERO
    if rule.uk_sums:
        if terms.currency != "GBP":
            raise CompensationMissing(
                f"{config.scheme.value} fixes its sums in GBP; set lateCharges.compensation "
                f"for {terms.currency} cases"
            )
        return uk_fixed_sum(terms.principal)
    if not rule.compensation:
        return _ZERO
    if terms.currency not in rule.compensation:
        raise CompensationMissing(
            f"{config.scheme.value} fixes its compensation in "
            f"{'/'.join(rule.compensation)}; set lateCharges.compensation for "
            f"{terms.currency} cases"
        )
    return rule.compensation[terms.currency]


def _interest_lines(run: _Run) -> list[ChargeLine]:
    """The segments as lines sharing the once-rounded total by largest remainder."""
    currency = run.terms.currency
    total = run.interest_total()
    unit = Decimal(1).scaleb(-minor_units(currency))
    floors = [s.exact.quantize(unit, rounding=ROUND_FLOOR) for s in run.segments]
    spare = int((total - sum(floors, _ZERO)) / unit)
    order = sorted(
        range(len(floors)), key=lambda i: run.segments[i].exact - floors[i], reverse=True
    )
    for i in order[: max(spare, 0)]:
        floors[i] += unit
    lines = [
        ChargeLine(
            "INTEREST",
            amount,
            currency,
            rate=s.rate,
            from_date=s.start,
            to_date=s.end,
            base=s.base,
            days=(s.end - s.start).days + 1,
            reference_rate=s.ref,
            margin=s.margin,
            waived="INTEREST" in run.waived_kinds,
            exact=s.exact,
        )
        for s, amount in zip(run.segments, floors, strict=True)
    ]
    _spread(lines, run.interest_paid, "paid")
    _spread(lines, run.interest_waived, "waived_amount")
    return lines


def _spread(lines: Sequence[ChargeLine], amount: Decimal, attr: str) -> None:
    """Lay a paid (or waived) interest sum over the lines, oldest first."""
    left = amount
    for line in lines:
        room = line.amount - line.paid - line.waived_amount
        share = min(left, room)
        setattr(line, attr, getattr(line, attr) + share)
        left -= share


def compute(
    terms: CaseTerms,
    config: LateCharges,
    rates: RateTable,
    *,
    as_of: date,
    payments: Sequence[tuple[date, Decimal]] = (),
    steps: Sequence[date] = (),
    waivers: Sequence[Waiver] = (),
) -> CaseCharges:
    """The case's charges as of ``as_of``, its payments applied in the configured order.

    Raises :class:`~payrec.domain.charges.rates.RateMissing` when a half-year the case
    needs has no reference rate, and :class:`CompensationMissing` when the fixed sum has
    no amount in the case's currency: never a silent zero.
    """
    result = CaseCharges(
        config.scheme.value, terms.currency, applicable=config.is_on, principal=terms.principal
    )
    rule = config.rule
    if rule is not None and rule.business_only and not terms.is_business:
        result.applicable = False
        result.note = f"{config.scheme.value} applies to business customers only"
    if not result.applicable:
        result.principal_paid = min(terms.principal, sum((a for _d, a in payments), _ZERO))
        result.unapplied = sum((a for _d, a in payments), _ZERO) - result.principal_paid
        return result
    run = _Run(terms, config, rates)
    overdue_from = terms.due_date + _DAY
    events: list[tuple[date, int, str, Decimal]] = []
    if overdue_from <= as_of:
        events.append((overdue_from, 0, "COMPENSATION", _compensation(terms, config)))
    if config.scheme is Scheme.FIXED:
        events += [(d, 1, "FEE", _ZERO) for d in steps if terms.due_date < d <= as_of]
    events += [(w.on, 2, "WAIVE:" + w.kind, _ZERO) for w in waivers if w.on <= as_of]
    events += [(d, 3, "PAY", a) for d, a in payments if d <= as_of]
    events.sort(key=lambda e: (e[0], e[1]))
    cursor = terms.due_date
    for day, _rank, what, amount in events:
        if day > cursor:
            run.accrue(cursor, day)
            cursor = day
        if what == "COMPENSATION":
            run.add_cost("COMPENSATION", amount, day, None)
        elif what == "FEE":
            fee = (config.flat_fee or _ZERO) + _CTX.divide(
                _CTX.multiply(run.principal_out, config.percent_fee or _ZERO), Decimal(100)
            )
            run.add_cost("FEE", fee, day, config.percent_fee)
        elif what.startswith("WAIVE:"):
            run.waive(what.removeprefix("WAIVE:"), day)
        else:
            run.pay(amount)
    if as_of > cursor:
        run.accrue(cursor, as_of)
    if run.earns_interest() and as_of > terms.due_date:
        result.current_rate = run.rate_on(max(as_of, overdue_from))[0]
    result.lines = [*run.costs, *_interest_lines(run)]
    result.lines.sort(key=lambda x: (x.from_date or as_of, KINDS.index(x.kind)))
    result.principal_paid = terms.principal - run.principal_out
    result.unapplied = run.unapplied
    return result
