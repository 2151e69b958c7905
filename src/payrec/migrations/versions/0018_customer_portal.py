"""customer page links, Stripe events handled and card payments

Revision ID: 0018_customer_portal
Revises: 0017_worklist_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payrec.server.models.base

revision: str = "0018_customer_portal"
down_revision: str | None = "0017_worklist_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = payrec.server.models.base.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "portal_links",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("expires_at", _UTC(timezone=True), nullable=False),
        sa.Column("revoked_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["recovery_case_id"], ["recovery_cases.id"]),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index(
        "ix_portal_links_case", "portal_links", ["recovery_case_id", "expires_at"], unique=False
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", _UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "card_payments",
        sa.Column("payment_intent", sa.String(length=255), nullable=False),
        sa.Column("recovery_case_id", sa.String(length=40), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("amount", payrec.server.models.base.Money(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("refunded_at", _UTC(timezone=True), nullable=True),
        sa.Column("disputed_at", _UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("payment_intent"),
    )


def downgrade() -> None:
    op.drop_table("card_payments")
    op.drop_table("stripe_events")
    op.drop_index("ix_portal_links_case", table_name="portal_links")
    op.drop_table("portal_links")
