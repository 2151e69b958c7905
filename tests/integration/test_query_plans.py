"""The hot statements the backend runs read their indexes, on both databases.

Claims read due work in index order, however much of it shares one time. A scheduler pass
places every customer of a time zone at the same opening of the send window, so thousands of
due tasks can share `scheduled_at`. The claim orders by time, then id: unless the index holds
both, the database sorts every due row for each claim (27 ms per claim with 15,000 such tasks
on PostgreSQL). Extractions find their customer by e-mail or name, case-insensitively,
through the `lower(...)` indexes. The plans are checked on a migrated schema holding such a
backlog and a few thousand customers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.sql import Executable

from payrec.server.customers import repository as customers
from payrec.server.db import make_engine
from payrec.server.migrate import upgrade
from payrec.server.notifications import service as notifications
from payrec.server.tasks import repository

SAME_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
BACKLOG = 3_000


@pytest.fixture(params=["sqlite", "postgres"])
def engine(
    request: pytest.FixtureRequest, database_url_factory: Callable[[str], str]
) -> Iterator[Engine]:
    url = database_url_factory(request.param)
    upgrade(url)
    engine = make_engine(url, pool_size=1)
    rows = [
        {"id": f"task-{n:05d}", "time": SAME_TIME, "now": SAME_TIME - timedelta(days=1)}
        for n in range(BACKLOG)
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tasks (id, type, status, scheduled_at, metadata, attempts, "
                "max_attempts, created_at, updated_at) "
                "VALUES (:id, 'REMINDER', 'PENDING', :time, '{}', 0, 5, :now, :now)"
            ),
            rows,
        )
        connection.execute(
            text(
                "INSERT INTO notifications (id, type, recipient, subject, body, priority, "
                "status, scheduled_for, attempts, max_attempts, created_at, updated_at) "
                "VALUES (:id, 'ESCALATION', 'team@example.com', 's', 'm', 'MEDIUM', "
                "'PENDING', :time, 0, 5, :now, :now)"
            ),
            [{**row, "id": row["id"].replace("task", "ntf")} for row in rows],
        )
        connection.execute(
            text(
                "INSERT INTO customers (id, name, email, phone, phone_digits, timezone, "
                "locale, opt_out_email, opt_out_sms, version, created_at, updated_at) VALUES "
                "(:id, :name, :email, :phone, :digits, 'UTC', 'en_US', false, false, 1, "
                ":now, :now)"
            ),
            [
                {
                    **row,
                    "id": f"cust-{n}",
                    "name": f"Customer {n}",
                    "email": f"c{n}@example.com",
                    "phone": f"+1 555 {n:07d}",
                    "digits": f"1555{n:07d}",
                }
                for n, row in enumerate(rows)
            ],
        )
        connection.execute(text("ANALYZE"))
    yield engine
    engine.dispose()


def _plan(engine: Engine, statement: Executable, params: dict[str, Any]) -> str:
    """The database's plan for `statement` as the backend runs it (its SQL and parameters
    captured on the way to the driver), as text."""
    captured: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        captured.append((args[2], args[3]))  # statement, parameters

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as connection:
            connection.execute(statement, params)
            connection.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    sql, parameters = captured[-1]
    return _explain(engine, sql, parameters)


def _explain(engine: Engine, sql: str, parameters: Any) -> str:
    """The plan of `sql` as the driver would run it with `parameters`, as text."""
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (FORMAT JSON) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + sql, parameters).all()
        connection.rollback()
    return json.dumps([list(row) for row in rows], default=str)


def test_customers_are_found_by_email_name_and_phone_through_their_indexes(
    engine: Engine,
) -> None:
    for statement, params, index in (
        (customers.BY_EMAIL, {"email": "c42@example.com"}, "ix_customers_email_lower"),
        (customers.BY_NAME, {"name": "customer 42"}, "ix_customers_name_lower"),
        (
            customers.BY_PHONE_DIGITS,
            {"variants": ["15550000042", "0015550000042"]},
            "ix_customers_phone_digits",
        ),
    ):
        plan = _plan(engine, statement, params)
        assert index in plan, plan


def _assert_read_in_index_order(plan: str) -> None:
    assert "TEMP B-TREE" not in plan, plan  # SQLite sorting the rows itself
    assert '"Sort"' not in plan, plan  # PostgreSQL sorting the rows itself
    assert "ix_tasks_due" in plan or "ix_notifications_due" in plan, plan


def test_a_task_claim_reads_the_due_index_in_order(engine: Engine) -> None:
    now = SAME_TIME + timedelta(hours=1)
    for types in (None, ["REMINDER"]):
        lease = repository.Lease(
            now=now, types=types, limit=10, prefix="p.", expires=now, worker="w"
        )
        if engine.dialect.name == "postgresql":  # the statement the backend runs there
            event = {"event_id": "evt", "actor": "a", "service_name": None, "request_id": None}
            sql = repository.LEASE_DUE_AUDITED[bool(types)]
            plan = _explain(engine, sql, {**lease.params(), **event})
        else:
            plan = _plan(engine, repository.LEASE_DUE[bool(types)], lease.params())
        _assert_read_in_index_order(plan)


def test_a_notification_claim_reads_the_due_index_in_order(engine: Engine) -> None:
    now = SAME_TIME + timedelta(hours=1)
    for types in (None, ["ESCALATION"]):
        _assert_read_in_index_order(_plan(engine, notifications.due(now, types, 10), {}))
