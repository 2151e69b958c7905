"""index the worklist's tiers and its search

The worklist reads its order tier by tier (domain.worklist.TIERS): the broken and the due
promises by two partial indexes, then per aging bucket a walk of the open cases in
(outstanding DESC, due date, id) order, stopping where the page ends; before, PostgreSQL sorted
every listed case for each page (1.5 s at 1M cases). The flagged tiers' indexes carry what
the queries read of a case (PostgreSQL's INCLUDE), so a flagged tier is sorted off its index;
a case's manual task due is probed in a partial index of the pending CALL and LETTER tasks.
Its search (`LIKE '%...%'` on the customer's name, e-mail and phone digits and the invoice
number) gets trigram indexes on PostgreSQL (pg_trgm); SQLite keeps its plain LIKE.

Revision ID: 0019_worklist_tiers
Revises: 0018_customer_portal
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_worklist_tiers"
down_revision: str | None = "0018_customer_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_WHERE = "status IN ('PENDING', 'OVERDUE', 'IN_PROGRESS')"
FLAGGED = (
    ("ix_recovery_cases_broken_promise", "status", "broken_promise_at IS NOT NULL"),
    ("ix_recovery_cases_promise_due", "status", "promise_due IS NOT NULL"),
    ("ix_recovery_cases_disputed", "assignee_user_id", "status = 'DISPUTED'"),
)
FLAGGED_INCLUDE = (
    "id",
    "status",
    "broken_promise_at",
    "promise_due",
    "assignee_user_id",
    "due_date",
    "amount",
    "amount_paid",
    "currency",
)
WALK_INCLUDE = ("status", "currency", "assignee_user_id", "broken_promise_at", "promise_due")
MANUAL_PENDING = "type IN ('CALL', 'LETTER') AND status = 'PENDING'"
TRIGRAMS = (
    ("ix_customers_name_trgm", "customers", "lower(name)"),
    ("ix_customers_email_trgm", "customers", "lower(email)"),
    ("ix_customers_phone_digits_trgm", "customers", "phone_digits"),
    ("ix_recovery_cases_invoice_trgm", "recovery_cases", "lower(invoice_number)"),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_index(
        "ix_recovery_cases_worklist",
        "recovery_cases",
        [sa.text("(amount - amount_paid) DESC"), "due_date", "id"],
        postgresql_where=sa.text(OPEN_WHERE),
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_include=list(WALK_INCLUDE),
    )
    for name, column, condition in FLAGGED:
        op.create_index(
            name,
            "recovery_cases",
            [column],
            postgresql_where=sa.text(condition),
            sqlite_where=sa.text(condition),
            postgresql_include=list(FLAGGED_INCLUDE),
        )
    op.create_index(
        "ix_tasks_manual_due",
        "tasks",
        ["recovery_case_id", "scheduled_at"],
        postgresql_where=sa.text(MANUAL_PENDING),
        sqlite_where=sa.text(MANUAL_PENDING),
    )
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in TRIGRAMS:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")
    else:
        op.execute("ANALYZE recovery_cases")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _expression in TRIGRAMS:
            op.drop_index(name, table_name=table)
    op.drop_index("ix_tasks_manual_due", table_name="tasks")
    for name, _column, _condition in FLAGGED:
        op.drop_index(name, table_name="recovery_cases")
    op.drop_index("ix_recovery_cases_worklist", table_name="recovery_cases")
