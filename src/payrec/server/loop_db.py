"""PostgreSQL statements awaited on the event loop, for the fast lane's one-statement work.

The fast lane's hottest calls (a queue page, a plain claim) are each one statement. Run in a
worker thread, every call pays two thread hops and waits for the GIL between the event loop
and the thread twice: measured, that cost more than the statement itself (the queue page
served 476 requests/s that way and 1,005 awaited on the loop, `bench/api`). Here they run on
connections of psycopg's own async pool, in autocommit (each statement its own
transaction), with the same session settings and exact JSON decoding as the engine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from payrec.server.jsonio import loads

APPLICATION_NAME = "payrec-loop"  # how its connections show in pg_stat_activity


class LoopStatements:
    """A small pool of autocommit PostgreSQL connections used from the event loop."""

    def __init__(self, url: str, *, size: int = 4) -> None:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=0,  # connected on first use, as the engine's pool is
            max_size=size,
            open=False,
            kwargs={
                "autocommit": True,
                "options": "-c timezone=UTC",
                "connect_timeout": 5,
                "application_name": APPLICATION_NAME,
            },
            configure=_configure,
            timeout=10,
        )

    async def open(self) -> None:
        await self._pool.open()

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, sql: str, params: Mapping[str, Any]) -> Sequence[tuple[Any, ...]]:
        """The rows of one statement (its own transaction), as the driver gives them."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute(sql, params)
            return await cursor.fetchall()


async def _configure(connection: AsyncConnection[Any]) -> None:
    set_json_loads(loads, connection)  # JSON numbers stay exact, as through the engine
