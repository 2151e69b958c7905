"""The shared sanity check for business dates (issue 20, item 2)."""

from __future__ import annotations

from datetime import date

import pytest

from payrec.domain.date_bounds import (
    DateOutOfBounds,
    date_problem,
    require_sane,
    require_sane_terms,
    terms_problem,
)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1969, 12, 31), date(2201, 1, 1),
                                 date(9999, 12, 31)])
def test_dates_outside_the_range_are_refused(day: date) -> None:
    assert date_problem(day) == "must be between 1970-01-01 and 2200-12-31"
    with pytest.raises(DateOutOfBounds):
        require_sane(day)


@pytest.mark.parametrize("day", [date(1970, 1, 1), date(2026, 3, 31), date(2200, 12, 31)])
def test_dates_inside_the_range_pass(day: date) -> None:
    assert date_problem(day) is None and require_sane(day) == day


def test_due_date_within_decades_of_issue() -> None:
    assert terms_problem(date(2026, 3, 1), date(2026, 3, 31)) is None
    assert terms_problem(date(2026, 3, 1), date(2056, 2, 1)) is None
    assert terms_problem(None, date(2026, 3, 31)) is None
    assert terms_problem(date(2026, 3, 1), None) is None
    assert "30 years after" in (terms_problem(date(2026, 3, 1), date(2060, 1, 1)) or "")
    assert "a year before" in (terms_problem(date(2026, 3, 1), date(2024, 1, 1)) or "")
    assert terms_problem(date(2026, 3, 1), date(9999, 12, 31)) == (
        "due date 9999-12-31 must be between 1970-01-01 and 2200-12-31"
    )
    with pytest.raises(DateOutOfBounds):
        require_sane_terms(date(1, 1, 1), None)
    require_sane_terms(date(2026, 3, 1), date(2026, 4, 1))
