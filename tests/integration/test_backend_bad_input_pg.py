"""The bad-input table of test_backend_bad_input, on PostgreSQL (a file of its own so the two
databases' runs go to two test workers)."""

from __future__ import annotations

import pytest

from tests.integration.test_backend_bad_input import (
    CASES,
    Case,
    assert_bad_uploads_refused,
    assert_refused,
    case_ids,
)
from tests.support.backend import LiveBackend


@pytest.fixture(scope="module")
def ids(pg_backend: LiveBackend) -> dict[str, str]:
    return case_ids(pg_backend)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_on_postgresql(pg_backend: LiveBackend, ids: dict[str, str], case: Case) -> None:
    assert_refused(pg_backend, case, ids)


def test_bad_multipart_uploads_on_postgresql(pg_backend: LiveBackend) -> None:
    assert_bad_uploads_refused(pg_backend)
