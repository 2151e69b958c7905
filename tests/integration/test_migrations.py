"""The Alembic history builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payrec.server.db import make_engine
from payrec.server.migrate import upgrade
from payrec.server.models import Base


# SQLite's reflection cannot see expression indexes (`lower(email)`), so they are left out of
# its comparison; PostgreSQL compares them, and test_query_plans checks both use them.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migrations_match_the_models(kind: str, database_url_factory: Callable[[str], str]) -> None:
    url = database_url_factory(kind)
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": kind == "sqlite"}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
