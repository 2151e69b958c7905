"""index customer lookups by e-mail and name, case-insensitively

An extraction is matched to its customer by `lower(email)`, else `lower(name)`; the indexes
on the plain columns cannot serve those comparisons, so every match scanned every customer.

Revision ID: 0004_customer_lookup
Revises: 0003_due_order
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_customer_lookup"
down_revision: str | None = "0003_due_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_email_lower", "customers", [sa.text("lower(email)")])
    op.create_index("ix_customers_name_lower", "customers", [sa.text("lower(name)")])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE customers")


def downgrade() -> None:
    op.drop_index("ix_customers_name_lower", table_name="customers")
    op.drop_index("ix_customers_email_lower", table_name="customers")
