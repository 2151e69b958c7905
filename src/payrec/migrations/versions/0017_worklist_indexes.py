"""index the manual tasks due (the worklist's "call today" flag)

The worklist ranks a case with a CALL or LETTER task due today above the rest; its query asks
for every pending manual task planned before the end of today. The only index with the
status led to every PENDING task of the book (500,000 at 1M cases, 0.5-0.7 s for each of
the two uses in the page query on PostgreSQL); this one leads to the manual ones by type.

Revision ID: 0017_worklist_indexes
Revises: 0016_outbound_webhooks
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_worklist_indexes"
down_revision: str | None = "0016_outbound_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_type_due", ["type", "status", "scheduled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_type_due")
