"""customers' postal address and VAT id, read from the invoices extraction creates them from

Revision ID: 0015_customer_contacts
Revises: 0014_imports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_customer_contacts"
down_revision: str | None = "0014_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("vat_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("vat_id")
        batch_op.drop_column("address")
