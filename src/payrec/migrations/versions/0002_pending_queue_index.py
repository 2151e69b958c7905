"""index the pending-case queue order

The pending list orders open cases by priority then due date; without an index in that order
each page sorted every open case (190 ms at 100k cases on SQLite, 35 ms on PostgreSQL).

Revision ID: 0002_queue_index
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_queue_index"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recovery_cases_queue", ["priority_rank", "due_date", "id"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE")  # SQLite picks the ordered index only with statistics


def downgrade() -> None:
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_recovery_cases_queue")
