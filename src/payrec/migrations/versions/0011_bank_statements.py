"""bank statements: the entries imported (matched, or waiting in the unmatched list)

Revision ID: 0011_bank_statements
Revises: 0010_idempotency_leftovers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0011_bank_statements"
down_revision: str | None = "0010_idempotency_leftovers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("amount", payrec.server.models.base.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
        sa.Column("structured_reference", sa.String(length=200), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("debtor_name", sa.String(length=200), nullable=False),
        sa.Column("debtor_iban", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", payrec.server.models.base.UtcDateTime(timezone=True),
                  nullable=False),
        sa.Column("resolved_at", payrec.server.models.base.UtcDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_bank_entries_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["recovery_case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_bank_entries_recovery_case_id_recovery_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entries")),
    )
    op.create_index("ix_bank_entries_reference", "bank_entries", ["reference"], unique=True)
    op.create_index("ix_bank_entries_status", "bank_entries", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_bank_entries_status", table_name="bank_entries")
    op.drop_index("ix_bank_entries_reference", table_name="bank_entries")
    op.drop_table("bank_entries")
