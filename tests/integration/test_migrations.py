"""The Alembic history builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from payrec.server.db import make_engine
from payrec.server.migrate import upgrade
from payrec.server.models import Base


# SQLite's reflection cannot see expression indexes (`lower(email)`), so they are left out of
# its comparison; PostgreSQL compares them, and test_query_plans checks both use them.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migrations_match_the_models(kind: str, database_url_factory: Callable[[str], str]) -> None:
    url = database_url_factory(kind)
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": kind == "sqlite"}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_upgrading_fills_in_the_phone_digits_of_existing_customers(
    kind: str, database_url_factory: Callable[[str], str]
) -> None:
    """Customers stored before phone digits were kept get theirs on upgrade, so an inbound
    SMS reply finds them."""
    url = database_url_factory(kind)
    upgrade(url, "0004_customer_lookup")
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (id, name, phone, timezone, locale, opt_out_email, "
                    "opt_out_sms, version, created_at, updated_at) VALUES (:id, 'A', :phone, "
                    "'UTC', 'en_US', false, false, 1, :now, :now)"
                ),
                [
                    {"id": "cust-a", "phone": "+1 (555) 010-0123", "now": datetime.now(UTC)},
                    {"id": "cust-b", "phone": None, "now": datetime.now(UTC)},
                    {"id": "cust-c", "phone": "n/a", "now": datetime.now(UTC)},
                ],
            )
        upgrade(url)
        with engine.connect() as connection:
            digits = dict(connection.execute(text("SELECT id, phone_digits FROM customers")).all())
    finally:
        engine.dispose()
    assert digits == {"cust-a": "15550100123", "cust-b": None, "cust-c": None}


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_upgrading_keeps_duplicate_invoices_stored_before_the_one_open_case_rule(
    kind: str, database_url_factory: Callable[[str], str]
) -> None:
    """Two open cases for one (customer, invoice number), stored when that was still
    accepted, survive the upgrade: the rule is checked for new cases by the service (under
    the customer's lock), not by a unique index the old rows would break."""
    url = database_url_factory(kind)
    upgrade(url, "0007_users_sessions")
    engine = make_engine(url, pool_size=1)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (id, name, timezone, locale, opt_out_email, "
                    "opt_out_sms, version, created_at, updated_at) VALUES ('cust-d', 'D', "
                    "'UTC', 'en_US', false, false, 1, :now, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO recovery_cases (id, customer_id, invoice_number, amount, "
                    "amount_paid, currency, due_date, status, priority, priority_rank, version, "
                    "created_at, updated_at) VALUES (:id, 'cust-d', 'INV-1', 1000000, 0, 'EUR', "
                    "'2026-01-31', 'OVERDUE', 'MEDIUM', 1, 1, :now, :now)"
                ),
                [{"id": "case-d1", "now": now}, {"id": "case-d2", "now": now}],
            )
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, paused_until, promise_due, broken_promise_at FROM recovery_cases "
                    "WHERE invoice_number = 'INV-1' ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("case-d1", None, None, None),
        ("case-d2", None, None, None),
    ]
