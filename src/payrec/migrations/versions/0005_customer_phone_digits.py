"""customers' phone digits, indexed, for inbound SMS replies

An inbound SMS reply (STOP) found its customer by loading every customer with a phone and
comparing digits in Python, twice: a full read of the table per message. The digits are now
kept beside the number (the model keeps them in step) and indexed.

Revision ID: 0005_phone_digits
Revises: 0004_customer_lookup
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_phone_digits"
down_revision: str | None = "0004_customer_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_digits", sa.String(length=40), nullable=True))
    connection = op.get_bind()
    customers = sa.table(
        "customers", sa.column("id"), sa.column("phone"), sa.column("phone_digits")
    )
    rows = connection.execute(
        sa.select(customers.c.id, customers.c.phone).where(customers.c.phone.is_not(None))
    ).all()
    update = (
        sa.update(customers)
        .where(customers.c.id == sa.bindparam("customer_id"))
        .values(phone_digits=sa.bindparam("digits"))
    )
    values = [
        {"customer_id": id_, "digits": "".join(ch for ch in phone if ch.isdigit()) or None}
        for id_, phone in rows
    ]
    for start in range(0, len(values), _BATCH):
        connection.execute(update, values[start : start + _BATCH])
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_phone_digits", ["phone_digits"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_phone_digits")
        batch_op.drop_column("phone_digits")
