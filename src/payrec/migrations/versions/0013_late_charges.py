"""late charges: customers' business flag, postal address and scheme override; charge
waivers; reference rates an admin adds (issue 18)

Revision ID: 0013_late_charges
Revises: 0012_customer_credits
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import payrec.server.models.base

revision: str = "0013_late_charges"
down_revision: str | None = "0012_customer_credits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # plain ADD COLUMNs (SQLite takes them in place: no table copy under the cases' keys)
    op.add_column(
        "customers",
        sa.Column("is_business", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("customers", sa.Column("postal_address", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("late_charges", _JSON, nullable=True))
    op.create_table(
        "charge_waivers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("waived_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at", payrec.server.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["recovery_case_id"], ["recovery_cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_charge_waivers_case", "charge_waivers", ["recovery_case_id"])
    op.create_table(
        "reference_rates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", payrec.server.models.base.Money(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at", payrec.server.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference", "valid_from"),
    )


def downgrade() -> None:
    op.drop_table("reference_rates")
    op.drop_index("ix_charge_waivers_case", table_name="charge_waivers")
    op.drop_table("charge_waivers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("late_charges")
        batch_op.drop_column("postal_address")
        batch_op.drop_column("is_business")
