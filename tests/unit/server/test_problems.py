"""How database failures are answered (the handler alone; integration tests cover the rest)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import OperationalError

from payrec.server.middleware.problems import _database_handler


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("driver says no")
        self.sqlstate = sqlstate


def _answer(sqlstate: str | None) -> tuple[int, dict[str, Any], str | None]:
    exc = OperationalError("UPDATE tasks ...", {}, _DriverError(sqlstate))
    response = _database_handler(None, exc)  # type: ignore[arg-type]
    return (
        response.status_code,
        json.loads(bytes(response.body)),
        response.headers.get("retry-after"),
    )


def test_a_deadlock_or_serialization_failure_is_a_retryable_conflict() -> None:
    for sqlstate in ("40P01", "40001"):
        status, problem, retry_after = _answer(sqlstate)
        assert status == 503 and retry_after == "1"
        assert problem["type"].endswith("/concurrent-conflict")
        assert "retry" in problem["detail"] and "UPDATE" not in problem["detail"]


def test_a_lost_database_is_unavailable() -> None:
    status, problem, retry_after = _answer("08006")
    assert status == 503 and retry_after == "2"
    assert problem["type"].endswith("/database-unavailable")
