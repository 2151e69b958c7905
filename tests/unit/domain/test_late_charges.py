"""Late charges: worked examples computed by hand (the arithmetic is in each row's comment),
then property tests (never negative; a payment split on its day changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payrec.domain.charges.compute import (
    CaseCharges,
    CaseTerms,
    CompensationMissing,
    Waiver,
    compute,
)
from payrec.domain.charges.rates import RateMissing, RateTable, ReferenceRate, shipped_table
from payrec.domain.charges.schemes import late_charges_from_dict, uk_fixed_sum
from payrec.domain.errors import Invalid

RATES = shipped_table()


def run(
    principal: str,
    currency: str,
    due: date,
    as_of: date,
    scheme: dict[str, object],
    *,
    business: bool = True,
    payments: list[tuple[date, str]] | None = None,
    waivers: list[Waiver] | None = None,
    steps: list[date] | None = None,
) -> CaseCharges:
    return compute(
        CaseTerms(D(principal), currency, due, business),
        late_charges_from_dict(scheme),
        RATES,
        as_of=as_of,
        payments=[(d, D(a)) for d, a in payments or []],
        waivers=waivers or [],
        steps=steps or [],
    )


def test_eu_b2b_across_a_rate_change_and_two_partial_payments() -> None:
    # EUR 10,000.00 due 2024-06-20. ECB MRO 4.50 (2024-H1) -> 12.50 %; 4.25 (2024-H2) -> 12.25 %.
    # 06-21..06-30, 10 days on 10,000.00 at 12.50 %: 10000 * 0.125 * 10 / 365 = 34.2465753...
    # 06-30 pays 3,000.00: costs 40.00, interest round(34.2465...) = 34.25, principal 2,925.75
    #   -> principal 7,074.25
    # 07-01..07-10, 10 days on 7,074.25 at 12.25 %: 8665.95625 / 365 = 23.7423458...
    # 07-10 pays 2,000.00: interest round(57.9889211...) - 34.25 = 23.74, principal 1,976.26
    #   -> principal 5,097.99
    # 07-11..07-20, 10 days on 5,097.99 at 12.25 %: 6245.03775 / 365 = 17.1096925...
    # total interest round(75.0986137...) = 75.10; paid 57.99; owed 17.11; due 5,115.10
    r = run(
        "10000.00", "EUR", date(2024, 6, 20), date(2024, 7, 20), {"scheme": "EU_B2B"},
        payments=[(date(2024, 6, 30), "3000.00"), (date(2024, 7, 10), "2000.00")],
    )
    interest = [(x.from_date, x.to_date, x.rate, x.base, x.amount) for x in r.lines
                if x.kind == "INTEREST"]
    assert interest == [
        (date(2024, 6, 21), date(2024, 6, 30), D("12.50"), D("10000.00"), D("34.25")),
        (date(2024, 7, 1), date(2024, 7, 10), D("12.25"), D("7074.25"), D("23.74")),
        (date(2024, 7, 11), date(2024, 7, 20), D("12.25"), D("5097.99"), D("17.11")),
    ]
    assert (r.interest, r.compensation, r.collected) == (D("75.10"), D("40.00"), D("97.99"))
    assert r.principal_outstanding == D("5097.99")
    assert (r.outstanding, r.total_due) == (D("17.11"), D("5115.10"))


def test_uk_b2b_rate_fixed_at_the_half_year_it_became_overdue() -> None:
    # GBP 5,000.00 due 2024-12-20: BoE 5.25 on 30 June 2024 -> 13.25 % for the whole debt,
    # although 2025-H1's reference (4.75, 31 Dec 2024) is lower. Fixed sum GBP 70 (1,000..9,999.99).
    # 12-21..12-31, 11 days on 5,000: 7287.5/365 = 19.9657534; 01-01..01-10, 10 days: 6625/365 =
    # 18.1506849 (two lines: two half-years). 01-10 pays 1,070.00: 70.00 costs, round(38.1164383)
    # = 38.12 interest, 961.88 principal -> 4,038.12.
    # 01-11..01-20 on 4,038.12: 5350.509/365 = 14.6589288; 01-20 pays 500.00: round(52.7753671)
    # - 38.12 = 14.66 interest, 485.34 principal -> 3,552.78.
    # 01-21..01-31, 11 days on 3,552.78: 5178.17685/365 = 14.1867859; total round(66.9621530)
    # = 66.96; owed 66.96 - 52.78 = 14.18; due 3,566.96. Lines share 66.96 by largest remainder.
    r = run(
        "5000.00", "GBP", date(2024, 12, 20), date(2025, 1, 31), {"scheme": "UK_B2B"},
        payments=[(date(2025, 1, 10), "1070.00"), (date(2025, 1, 20), "500.00")],
    )
    interest = [(x.rate, x.amount) for x in r.lines if x.kind == "INTEREST"]
    assert interest == [
        (D("13.25"), D("19.96")), (D("13.25"), D("18.15")),
        (D("13.25"), D("14.66")), (D("13.25"), D("14.19")),
    ]
    assert (r.interest, r.compensation) == (D("66.96"), D("70.00"))
    assert (r.principal_outstanding, r.outstanding, r.total_due) == (
        D("3552.78"), D("14.18"), D("3566.96"))


@pytest.mark.parametrize(
    ("amount", "fixed"),
    [("999.99", "40"), ("1000.00", "70"), ("9999.99", "70"), ("10000.00", "100"),
     ("0.01", "40"), ("250000.00", "100")],
)
def test_uk_fixed_sums_at_their_thresholds(amount: str, fixed: str) -> None:
    assert uk_fixed_sum(D(amount)) == D(fixed)
    r = run(amount, "GBP", date(2025, 3, 1), date(2025, 3, 2), {"scheme": "UK_B2B"})
    assert r.compensation == D(fixed)


@pytest.mark.parametrize(
    ("scheme", "business", "interest", "compensation", "total"),
    [
        # 1,000.00 due 2025-06-30, 30 days in 2025-H2 (Basiszinssatz 1.27):
        ("DE_B2B", True, "8.44", "40.00", "1048.44"),   # 10.27 %: 3081/365 = 8.4410958
        ("DE_B2C", False, "5.15", "0", "1005.15"),      # 6.27 %: 1881/365 = 5.1534247
        ("DE_B2C", True, "5.15", "0", "1005.15"),       # § 288 (1) binds businesses too
        ("DE_B2B", False, "0", "0", "1000.00"),         # B2B scheme, consumer: not applicable
        ("EU_B2B", False, "0", "0", "1000.00"),
    ],
)
def test_german_consumer_and_business(
    scheme: str, business: bool, interest: str, compensation: str, total: str
) -> None:
    r = run("1000.00", "EUR", date(2025, 6, 30), date(2025, 7, 30), {"scheme": scheme},
            business=business)
    assert (r.interest, r.compensation, r.total_due) == (D(interest), D(compensation), D(total))
    assert r.applicable == (business or scheme == "DE_B2C")


@pytest.mark.parametrize(
    ("waived", "interest", "waived_sum", "outstanding"),
    [
        # EU_B2B, 1,000.00 due 2025-06-30, as of 07-30: 10.15 % -> 3045/365 = 8.34; EUR 40
        ([], "8.34", "0", "48.34"),
        (["COMPENSATION"], "8.34", "40.00", "8.34"),
        # interest waived on 07-15: 15 days accrued, 1522.5/365 = 4.17, waived; nothing later
        (["INTEREST"], "4.17", "4.17", "40.00"),
        (["INTEREST", "COMPENSATION"], "4.17", "44.17", "0.00"),
    ],
)
def test_waivers(waived: list[str], interest: str, waived_sum: str, outstanding: str) -> None:
    r = run("1000.00", "EUR", date(2025, 6, 30), date(2025, 7, 30), {"scheme": "EU_B2B"},
            waivers=[Waiver(kind, date(2025, 7, 15)) for kind in waived])
    assert (r.interest, r.waived, r.outstanding) == (D(interest), D(waived_sum), D(outstanding))
    assert all(x.waived for x in r.lines if x.kind in waived)


@pytest.mark.parametrize(
    ("principal", "currency", "rate", "days", "interest"),
    [
        ("1000000", "JPY", "10", 30, "8219"),       # 3,000,000 / 365 = 8219.178 -> 8219
        ("1234.567", "KWD", "7.5", 45, "11.416"),   # 4166.663625 / 365 = 11.4155168 -> 11.416
        ("1999", "JPY", "8", 1, "0"),               # 159.92/365 = 0.438 -> 0
    ],
)
def test_currencies_with_zero_and_three_minor_units(
    principal: str, currency: str, rate: str, days: int, interest: str
) -> None:
    due = date(2025, 1, 31)
    r = run(principal, currency, due, due + timedelta(days=days),
            {"scheme": "CUSTOM", "annualRate": rate})
    assert str(r.interest) == interest
    assert r.total_due == D(principal) + D(interest)


def test_fixed_fee_per_sent_step() -> None:
    # FIXED: 5.00 + 1 % of the principal outstanding per step: 5 + 2.00 = 7.00 on 200.00,
    # then 150.00 paid (costs 7.00 first, 143.00 principal -> 57.00): 5 + 0.57 = 5.57
    r = run("200.00", "EUR", date(2025, 1, 1), date(2025, 3, 1),
            {"scheme": "FIXED", "flatFee": "5", "percentFee": "1"},
            payments=[(date(2025, 2, 1), "150.00")],
            steps=[date(2025, 1, 10), date(2025, 2, 10)])
    assert [x.amount for x in r.lines if x.kind == "FEE"] == [D("7.00"), D("5.57")]
    assert (r.principal_outstanding, r.outstanding, r.interest) == (D("57.00"), D("5.57"), 0)


def test_principal_first_order_leaves_charges_and_stops_interest() -> None:
    # PRINCIPAL first: 1,000.00 paid on 07-10 settles the principal; 10 days of interest
    # (1015/365 = 2.78) and EUR 40 stay owed, and no interest accrues after.
    r = run("1000.00", "EUR", date(2025, 6, 30), date(2025, 8, 30),
            {"scheme": "EU_B2B", "allocationOrder": ["PRINCIPAL", "INTEREST", "COSTS"]},
            payments=[(date(2025, 7, 10), "1000.00")])
    assert (r.principal_outstanding, r.interest, r.outstanding) == (0, D("2.78"), D("42.78"))
    # default order: the same payment pays 40.00 + 2.78 first; 42.78 principal keeps earning
    d = run("1000.00", "EUR", date(2025, 6, 30), date(2025, 8, 30), {"scheme": "EU_B2B"},
            payments=[(date(2025, 7, 10), "1000.00")])
    assert d.principal_outstanding == D("42.78") and d.outstanding > 0


def test_a_missing_rate_is_an_error_never_zero() -> None:
    with pytest.raises(RateMissing) as caught:
        run("100.00", "EUR", date(2030, 1, 1), date(2030, 2, 1), {"scheme": "EU_B2B"})
    assert caught.value.extra == {"reference": "ECB_MRO", "validFrom": "2030-01-01"}
    added = RATES.with_rates([ReferenceRate("ECB_MRO", date(2030, 1, 1), D("1.00"), "test")])
    r = compute(CaseTerms(D("100.00"), "EUR", date(2030, 1, 1), True),
                late_charges_from_dict({"scheme": "EU_B2B"}), added, as_of=date(2030, 2, 1))
    assert r.current_rate == D("9.00")


def test_compensation_needs_the_schemes_currency_or_an_override() -> None:
    with pytest.raises(CompensationMissing):
        run("100.00", "USD", date(2025, 1, 1), date(2025, 2, 1), {"scheme": "EU_B2B"})
    r = run("100.00", "USD", date(2025, 1, 1), date(2025, 2, 1),
            {"scheme": "EU_B2B", "compensation": "45"})
    assert r.compensation == D("45.00")


@pytest.mark.parametrize(
    "bad",
    [{"scheme": "XX"}, {"scheme": "CUSTOM"}, {"scheme": "FIXED"},
     {"scheme": "EU_B2B", "allocationOrder": ["COSTS", "COSTS", "PRINCIPAL"]},
     {"scheme": "CUSTOM", "annualRate": 5.5}, {"scheme": "EU_B2B", "other": 1}],
)
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        late_charges_from_dict(bad)


def test_shipped_table_covers_2019_to_2026_h1() -> None:
    for reference in ("ECB_MRO", "BOE_BASE", "DE_BASIS"):
        for year in range(2019, 2027):
            for month in (1, 7):
                if (year, month) == (2026, 7) and reference != "BOE_BASE":
                    continue
                assert RATES.get(reference, date(year, month, 1)) is not None
    assert RATES.rate_on("DE_BASIS", date(2023, 7, 15)).rate == D("3.12")


# -- properties ------------------------------------------------------------------------------

_SCHEMES = st.sampled_from([
    {"scheme": "EU_B2B"}, {"scheme": "UK_B2B", "compensation": "40"}, {"scheme": "DE_B2B"},
    {"scheme": "DE_B2C"}, {"scheme": "CUSTOM", "annualRate": "12.5"},
    {"scheme": "FIXED", "flatFee": "3", "percentFee": "2"},
    {"scheme": "EU_B2B", "allocationOrder": ["PRINCIPAL", "COSTS", "INTEREST"]},
])
_PAYMENTS = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 400_000)), max_size=6
)


def _case(scheme: dict[str, object], payments: list[tuple[int, int]], waive: list[str],
          split: int | None = None) -> CaseCharges:
    due = date(2023, 5, 17)
    rows: list[tuple[date, D]] = []
    for i, (offset, cents) in enumerate(sorted(payments)):
        day, amount = due + timedelta(days=offset), D(cents).scaleb(-2)
        if i == split and cents > 1:
            first = D(cents // 3 or 1).scaleb(-2)
            rows += [(day, first), (day, amount - first)]
        else:
            rows.append((day, amount))
    return compute(
        CaseTerms(D("2500.00"), "EUR", due, True), late_charges_from_dict(scheme), RATES,
        as_of=date(2024, 9, 30), payments=rows,
        waivers=[Waiver(k, due + timedelta(days=90)) for k in waive],
        steps=[due + timedelta(days=10), due + timedelta(days=40)],
    )


@settings(max_examples=150, deadline=None)
@given(_SCHEMES, _PAYMENTS, st.lists(st.sampled_from(["INTEREST", "COMPENSATION", "FEE"])))
def test_charges_are_never_negative(
    scheme: dict[str, object], payments: list[tuple[int, int]], waive: list[str]
) -> None:
    r = _case(scheme, payments, waive)
    for line in r.lines:
        assert line.amount >= 0 and line.paid >= 0 and line.outstanding >= 0
    assert r.principal_outstanding >= 0 and r.outstanding >= 0 and r.total_due >= 0
    paid = sum((D(c).scaleb(-2) for _o, c in payments), D(0))
    assert r.collected + r.principal_paid + r.unapplied == paid


@settings(max_examples=150, deadline=None)
@given(_SCHEMES, _PAYMENTS.filter(bool), st.integers(0, 5))
def test_splitting_a_payment_on_its_day_gives_the_same_state(
    scheme: dict[str, object], payments: list[tuple[int, int]], which: int
) -> None:
    whole, split = _case(scheme, payments, []), _case(scheme, payments, [], which % len(payments))
    shape = [(x.kind, x.amount, x.paid, x.from_date, x.to_date, x.base) for x in whole.lines]
    assert shape == [(x.kind, x.amount, x.paid, x.from_date, x.to_date, x.base)
                     for x in split.lines]
    assert (whole.principal_outstanding, whole.outstanding, whole.unapplied) == (
        split.principal_outstanding, split.outstanding, split.unapplied)


def test_rate_table_rejects_nothing_silently() -> None:
    table = RateTable([])
    with pytest.raises(RateMissing):
        table.rate_on("BOE_BASE", date(2025, 1, 1))
