"""Alembic environment: the URL comes from the caller's config, never from a file."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool
from sqlalchemy.exc import SAWarning

from payrec.server.db import normalise_url
from payrec.server.models import Base

config = context.config
# SQLite batch mode reflects a table before altering it and cannot reflect expression
# indexes (lower(email)); revisions that add columns keep them (ALTER TABLE ADD COLUMN, no
# table copy), and test_migrations checks the indexes are all there after the upgrade.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
)
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
        return
    section = config.get_section(config.config_ini_section) or {}
    section["sqlalchemy.url"] = normalise_url(section["sqlalchemy.url"])
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


run_migrations_online()
