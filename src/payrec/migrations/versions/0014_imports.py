"""imports: the import jobs, and the external ids customers and cases are upserted by

Revision ID: 0014_imports
Revises: 0013_late_charges
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0014_imports"
down_revision: str | None = "0013_late_charges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = payrec.server.models.base.UtcDateTime(timezone=True)
    op.create_table(
        "imports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("file_format", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", stamp, nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index("ix_imports_status", "imports", ["status", "created_at"])
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch.create_index("ix_customers_external_id", ["external_id"])
    with op.batch_alter_table("recovery_cases") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch.create_index("ix_recovery_cases_external_id", ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("recovery_cases") as batch:
        batch.drop_index("ix_recovery_cases_external_id")
        batch.drop_column("external_id")
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_external_id")
        batch.drop_column("external_id")
    op.drop_index("ix_imports_status", table_name="imports")
    op.drop_table("imports")
