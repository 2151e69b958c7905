"""idempotency keys: drop the old reservation's leftovers (`RUNNING` rows, `locked_until`)

The backend claims a key and stores its answer in the transaction of the effect (a
PostgreSQL advisory lock answers a concurrent duplicate), so it never writes a `RUNNING`
reservation nor its `locked_until` any more. A `RUNNING` row can only be left by an older
backend that died mid-request: it recorded no answer and no effect, so it is deleted (a
retry then runs the request once, as the current code already did with such a row).

Revision ID: 0010_idempotency_leftovers
Revises: 0009_case_issue_date
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0010_idempotency_leftovers"
down_revision: str | None = "0009_case_issue_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM idempotency_keys WHERE state = 'RUNNING'"))
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "locked_until",
                payrec.server.models.base.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
