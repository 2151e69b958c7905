"""promises to pay, disputes, pauses until a date; one open case per invoice looked up by index

Collectors record promises (reminders wait until the promised date plus the policy's grace)
and disputes (contact stops until someone resolves them), and pause a case until a date. The
case keeps what the worklist ranks by (a pending promise's date, a broken promise) and when a
pause ends. One open case per (customer, invoice number) is checked by the service under the
customer's lock: databases may already hold duplicates, so the index stays non-unique.

Revision ID: 0008_case_actions
Revises: 0007_users_sessions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0008_case_actions"
down_revision: str | None = "0007_users_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Utc = payrec.server.models.base.UtcDateTime
_Money = payrec.server.models.base.Money


def upgrade() -> None:
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", _Utc(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("promise_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("broken_promise_at", _Utc(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_recovery_cases_customer_invoice", ["customer_id", "invoice_number"], unique=False
        )
        batch_op.create_index("ix_recovery_cases_paused_until", ["paused_until"], unique=False)
    op.create_table(
        "promises",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("amount", _Money(), nullable=True),
        sa.Column("target", _Money(), nullable=False),
        sa.Column("paid_before", _Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("breaks_at", _Utc(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _Utc(timezone=True), nullable=False),
        sa.Column("settled_at", _Utc(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recovery_case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_promises_recovery_case_id_recovery_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
    )
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index("ix_promises_case", ["recovery_case_id", "created_at"], unique=False)
        batch_op.create_index("ix_promises_due", ["status", "breaks_at"], unique=False)
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_before", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("amount", _Money(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _Utc(timezone=True), nullable=False),
        sa.Column("resolved_at", _Utc(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recovery_case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_disputes_recovery_case_id_recovery_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_case", ["recovery_case_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("disputes")
    op.drop_table("promises")
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_recovery_cases_paused_until")
        batch_op.drop_index("ix_recovery_cases_customer_invoice")
        batch_op.drop_column("broken_promise_at")
        batch_op.drop_column("promise_due")
        batch_op.drop_column("paused_until")
