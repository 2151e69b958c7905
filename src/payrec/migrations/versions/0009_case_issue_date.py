"""recovery cases' invoice issue date, for the reports' "billed" and DSO

Reports counted an invoice as billed on the day its case was created, so a 2019 invoice
imported today counted as billed in the last 90 days. Cases now keep the invoice's issue
date; existing cases get the earlier of their creation day and their due date, the same
default a new case gets when no issue date is given (`domain.cases.default_issue_date`).

Revision ID: 0009_case_issue_date
Revises: 0008_case_actions
"""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009_case_issue_date"
down_revision: str | None = "0008_case_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_date", sa.Date(), nullable=True))
    connection = op.get_bind()
    cases = sa.table(
        "recovery_cases",
        sa.column("id"),
        sa.column("due_date"),
        sa.column("created_at"),
        sa.column("issue_date", sa.Date()),
    )
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.due_date, cases.c.created_at)
    ).all()
    update = (
        sa.update(cases)
        .where(cases.c.id == sa.bindparam("case_id"))
        .values(issue_date=sa.bindparam("issued", type_=sa.Date()))
    )
    values = [
        {"case_id": id_, "issued": min(_day(due), _day(created))}
        for id_, due, created in rows
    ]
    for start in range(0, len(values), _BATCH):
        connection.execute(update, values[start : start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.drop_column("issue_date")
