"""reminders keep what was rendered for the customer (subject, text body, language)

Revision ID: 0021_reminder_content
Revises: 0020_user_time_zone
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_reminder_content"
down_revision: str | None = "0020_user_time_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("content_subject", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("content_body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("content_language", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("content_language")
        batch.drop_column("content_body")
        batch.drop_column("content_subject")
