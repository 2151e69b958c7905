"""Shared fixtures: real backend processes on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.backend import (
    LiveBackend,
    clone_pg_database,
    clone_sqlite_database,
    create_pg_database,
    drop_pg_database,
    migrate,
    postgres_available,
    start_backend,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_PG_OK: bool | None = None


def _require_postgres() -> None:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = postgres_available()
    if not _PG_OK:
        if IN_CI:
            pytest.fail("PostgreSQL is required in CI (CI=true) but 127.0.0.1:5432 is unreachable")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL tests skipped")


@pytest.fixture(scope="session")
def database_url_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], str]]:
    """Fresh, empty databases: `factory("sqlite")` or `factory("postgres")`."""
    created: list[str] = []

    def factory(kind: str) -> str:
        if kind == "postgres":
            _require_postgres()
            url = create_pg_database()
            created.append(url)
            return url
        path = tmp_path_factory.mktemp("sqlite") / "payrec.db"
        return f"sqlite:///{path}"

    yield factory
    for url in created:
        with contextlib.suppress(Exception):
            drop_pg_database(url)


@pytest.fixture(scope="session")
def migrated_database_url_factory(
    database_url_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], str]]:
    """Fresh databases at the migrations' head: `factory("sqlite")` or `factory("postgres")`.

    Each is a copy of a template migrated once per test process (Alembic's full run costs
    seconds per database; the suite starts dozens of backends)."""
    templates: dict[str, str] = {}
    created: list[str] = []

    def factory(kind: str) -> str:
        if kind not in templates:
            template = database_url_factory(kind)
            migrate(template)
            templates[kind] = template
        if kind == "postgres":
            url = clone_pg_database(templates[kind])
            created.append(url)
            return url
        return clone_sqlite_database(
            templates[kind], tmp_path_factory.mktemp("sqlite") / "payrec.db"
        )

    yield factory
    for url in created:
        with contextlib.suppress(Exception):
            drop_pg_database(url)


@pytest.fixture(scope="session")
def backend_factory(
    database_url_factory: Callable[[str], str],
    migrated_database_url_factory: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LiveBackend]]:
    """Start extra backends: `backend_factory("sqlite", env={...})`.

    `backend_factory(db_url=other.db_url)` starts another process on the same database (and
    data directory), reusing the credentials of the backend already started on it.
    """
    started: list[LiveBackend] = []

    def factory(
        kind: str = "sqlite",
        *,
        env: dict[str, str] | None = None,
        db_url: str | None = None,
        data_dir: Path | None = None,
        provision: bool = True,
    ) -> LiveBackend:
        fresh = provision and db_url is None
        url = db_url or (migrated_database_url_factory if fresh else database_url_factory)(kind)
        sibling = next((b for b in started if b.db_url == url), None)
        backend = start_backend(
            url,
            data_dir or (sibling.data_dir if sibling else tmp_path_factory.mktemp("data")),
            env,
            provision=fresh,
            keys_from=sibling,
            migrated=fresh,
        )
        started.append(backend)
        return backend

    yield factory
    for backend in started:
        backend.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> LiveBackend:
    """The backend every integration test talks to, once on SQLite and once on PostgreSQL."""
    return backend_factory(request.param)


@pytest.fixture(params=["sqlite", "postgres"])
def own_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    """A backend of the test's own, on SQLite and on PostgreSQL, stopped when the test ends
    (for tests whose claims take every due task, which the shared backend's other tests own).
    Stopping it returns its database connections: a suite that kept one per test open ran
    PostgreSQL out of connections."""
    backend = backend_factory(request.param)
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    """A backend of the test module's own, on SQLite and on PostgreSQL, stopped when the module
    ends: for modules whose claims take every due task but whose tests each finish (or find by
    id, within the claim's limit) the tasks they created. Starting a backend costs seconds;
    one per module instead of one per test (`own_backend`) saves them."""
    backend = backend_factory(request.param)
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def module_pg_backend(backend_factory: Callable[..., LiveBackend]) -> Iterator[LiveBackend]:
    """`module_backend` on PostgreSQL only (races that need its row locks)."""
    backend = backend_factory("postgres")
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture
def own_pg_backend(backend_factory: Callable[..., LiveBackend]) -> Iterator[LiveBackend]:
    """`own_backend` on PostgreSQL only (races that need its row locks)."""
    backend = backend_factory("postgres")
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="session")
def sqlite_backend(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("sqlite")


@pytest.fixture(scope="session")
def pg_backend(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("postgres")
