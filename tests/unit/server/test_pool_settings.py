"""`PAYREC_DB_POOL_SIZE` bounds the connections a backend process holds: operators size
PostgreSQL's `max_connections` by it (docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from payrec.config import load_settings
from payrec.server.app import create_app


def test_the_pool_size_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYREC_DB_POOL_SIZE", "3")
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", data_dir=tmp_path)
    db = create_app(settings).state.payrec.db
    try:
        assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert db.engine.pool._max_overflow == 6  # type: ignore[attr-defined]
    finally:
        db.dispose()


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_nonsensical_pool_size_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYREC_DB_POOL_SIZE", value)
    with pytest.raises(ValidationError, match=r"DB_POOL_SIZE|db_pool_size"):
        load_settings()
