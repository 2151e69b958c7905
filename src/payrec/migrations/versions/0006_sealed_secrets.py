"""secrets a database read does not give away (issue 20, items 3, 4 and 6)

- `signing_keys.secret` holds the JWT signing key sealed with `PAYREC_SECRET_KEY` (a Fernet
  token, longer than the key). The plaintext keys are deleted: the next backend to start
  generates a new one, sealed. Tokens issued before the upgrade are refused (they live
  `PAYREC_JWT_TTL_SECONDS`, 15 minutes by default; clients fetch a new one).
- `idempotency_keys.caller` is the SHA-256 of the caller's issuer and full subject, not the
  subject's first 40 characters. Stored answers of this service's own clients are re-keyed;
  those of external subjects are dropped (their truncated subject may be shared).
- stored answers that revealed an API key or client secret keep only the rest of the answer
  and are marked `WITHHELD` (a replay answers 409 instead of the secret).

Revision ID: 0006_sealed_secrets
Revises: 0005_phone_digits
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sealed_secrets"
down_revision: str | None = "0005_phone_digits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SECRET_FIELDS = ("apiKey", "clientSecret")


def _scope(issuer: str, subject: str) -> str:
    """Frozen copy of `payrec.server.context.idempotency_scope` (own clients: issuer "")."""
    return hashlib.sha256(json.dumps([issuer, subject]).encode()).hexdigest()


def _redacted(body: bytes | None) -> bytes | None:
    """The body without its secrets, or None when it held none."""
    try:
        data = json.loads(body or b"")
    except ValueError:
        return None
    if not isinstance(data, dict) or not any(f in data for f in _SECRET_FIELDS):
        return None
    return json.dumps({k: v for k, v in data.items() if k not in _SECRET_FIELDS}).encode()


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM signing_keys"))
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=128), type_=sa.String(length=512)
        )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "caller", existing_type=sa.String(length=40), type_=sa.String(length=64)
        )
    keys = sa.table(
        "idempotency_keys",
        sa.column("caller"),
        sa.column("key"),
        sa.column("state"),
        sa.column("response_body", sa.LargeBinary()),
    )
    own = set(connection.execute(sa.text("SELECT id FROM service_clients")).scalars())
    rows = connection.execute(sa.select(keys.c.caller, keys.c.key, keys.c.response_body)).all()
    for caller, key, body in rows:
        where = (keys.c.caller == caller) & (keys.c.key == key)
        if caller not in own:
            connection.execute(sa.delete(keys).where(where))
            continue
        values: dict[str, object] = {"caller": _scope("", caller)}
        redacted = _redacted(body)
        if redacted is not None:
            values.update(response_body=redacted, state="WITHHELD")
        connection.execute(sa.update(keys).where(where).values(**values))


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM idempotency_keys"))
    connection.execute(sa.text("DELETE FROM signing_keys"))
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "caller", existing_type=sa.String(length=64), type_=sa.String(length=40)
        )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=512), type_=sa.String(length=128)
        )
