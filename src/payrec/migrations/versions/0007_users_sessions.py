"""users, their sessions, and who a case is assigned to

The collectors' workspace signs people in: users (argon2id password hashes, role, language),
server-side sessions (revocable: revoked_at) and the collector a case is assigned to.

Revision ID: 0007_users_sessions
Revises: 0006_sealed_secrets
"""

import contextlib
import warnings
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from payrec.server.models.base import UtcDateTime

revision: str = "0007_users_sessions"
down_revision: str | None = "0006_sealed_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@contextlib.contextmanager
def _quiet_reflection() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection", category=sa.exc.SAWarning
        )
        yield


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("password_change_required", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    op.create_index(
        "ix_user_sessions_user", "user_sessions", ["user_id", "revoked_at"], unique=False
    )
    # SQLite rebuilds the table to add the foreign key, reflecting the tables it references:
    # customers' expression indexes are not its to copy, and SQLAlchemy says so (a warning
    # that would stand in the CLI's one-line answers).
    with _quiet_reflection(), op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_user_id", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_recovery_cases_assignee_user_id_users"),
            "users",
            ["assignee_user_id"],
            ["id"],
        )
        batch_op.create_index("ix_recovery_cases_assignee", ["assignee_user_id"], unique=False)


def downgrade() -> None:
    with _quiet_reflection(), op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_recovery_cases_assignee")
        batch_op.drop_constraint(
            batch_op.f("fk_recovery_cases_assignee_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("assignee_user_id")
    op.drop_index("ix_user_sessions_user", table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("users")
