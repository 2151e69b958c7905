"""Engine and unit-of-work scopes for SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from payrec.server.jsonio import dumps, loads


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _json_text(value: Any) -> str:
    return dumps(value).decode("utf-8")


# JSON columns keep numbers exact: Decimals in, Decimals out (never through float).
_EXACT_JSON: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": loads}


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and explicit BEGIN handling."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            **_EXACT_JSON,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=2 * pool_size,
        # No ping per checkout (a round trip per request): a connection found dead raises a
        # disconnect error, SQLAlchemy then invalidates the whole pool, the request is
        # answered 503 + Retry-After and the client's retry gets a fresh connection.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "options": "-c timezone=UTC"},
        **_EXACT_JSON,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the database lock up front, so two writers never interleave
        # (claims, transitions): SQLite's equivalent of row locks.
        write = conn.get_execution_options().get("payrec_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class DriverStatement:
    """A Core statement compiled once per dialect and run straight on the driver's cursor.

    Rows come back as the driver gives them, without SQLAlchemy's result processing (text
    datetimes and 0/1 booleans on SQLite): for the few reads hot enough to need it, whose
    callers convert the raw values themselves.
    """

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def rows(self, session: Session, params: Mapping[str, Any]) -> Sequence[Any]:
        connection = session.connection()
        text, order = self._compiled.get(connection.dialect.name) or self._compile(connection)
        arguments = tuple(params[name] for name in order) if order is not None else dict(params)
        return connection.exec_driver_sql(text, arguments).all()

    def _compile(self, connection: Connection) -> tuple[str, tuple[str, ...] | None]:
        compiled = self._statement.compile(dialect=connection.dialect)  # type: ignore[attr-defined]
        order = tuple(compiled.positiontup) if compiled.positional else None
        self._compiled[connection.dialect.name] = (compiled.string, order)
        return compiled.string, order


class Database:
    """One engine and its two session factories (read, write)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(url, pool_size=pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # SQLite admits one writer at a time; queueing this process's writers on a lock is
        # fairer and faster than SQLite's busy handler, which sleeps up to 100 ms per retry.
        self._write_lock = threading.RLock() if self.is_sqlite else None
        # Process-wide values every session sees in `session.info` (set once at start-up:
        # `payrec.server.app` puts the rendering settings there, see `templates.rendering`).
        self.session_info: dict[str, Any] = {}
        info = self.session_info
        writer = self.engine.execution_options(payrec_write=True)
        self._write = sessionmaker(bind=writer, expire_on_commit=False, autoflush=True, info=info)
        self._read = sessionmaker(
            bind=self.engine, expire_on_commit=False, autoflush=True, info=info
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error."""
        if self._write_lock is None:
            with self._unit_of_work() as session:
                yield session
            return
        with self._write_lock, self._unit_of_work() as session:
            yield session

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        session = self._write()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only scope: always rolled back."""
        session = self._read()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
