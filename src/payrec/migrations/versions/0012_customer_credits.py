"""customer credits (an overpayment's surplus) and reversed payments

Revision ID: 0012_customer_credits
Revises: 0011_bank_statements
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0012_customer_credits"
down_revision: str | None = "0011_bank_statements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = payrec.server.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("surplus", payrec.server.models.base.Money(), nullable=False,
                      server_default="0")
        )
        batch_op.add_column(sa.Column("reversed_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("reversal_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("surplus", server_default=None)
    op.create_table(
        "customer_credits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", payrec.server.models.base.Money(), nullable=False),
        sa.Column("remaining", payrec.server.models.base.Money(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_credits_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_customer_credits_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["recovery_case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_customer_credits_recovery_case_id_recovery_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_credits")),
    )
    op.create_index(
        "ix_customer_credits_customer", "customer_credits", ["customer_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_credits_customer", table_name="customer_credits")
    op.drop_table("customer_credits")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_at")
        batch_op.drop_column("surplus")
