"""The database's own ceiling for claims: the claim the backend runs, on the bare driver.

No HTTP, no framework, no SQLAlchemy: each client is a thread with its own driver
connection running the backend's claim transaction in a loop, with the benchmark's
concurrency (PostgreSQL) or one writer (SQLite, whose writers queue on one lock anyway, as
the backend's do). No server can claim faster than its database lets it, so this rate
bounds what the real endpoint can reach on this machine, whatever the Python above it does.

- PostgreSQL: the backend's own statement (`tasks.repository.LEASE_DUE_AUDITED`: pick with
  `FOR UPDATE SKIP LOCKED`, lease, audit entry) in autocommit, one round trip per claim;
- SQLite: `BEGIN IMMEDIATE`, the same `UPDATE ... RETURNING` as
  `tasks.repository.LEASE_DUE` and the audit entry, `COMMIT`.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from payrec.server.tasks.repository import LEASE_DUE_AUDITED, TASK_WIRE_COLUMNS

CLAIM_TYPES = ["BENCH"]
CLAIM_LIMIT = 10


@dataclass
class Floor:
    claims: int
    seconds: float
    ran_out: bool  # the due tasks ran out before the time did: the rate is not a ceiling

    @property
    def rps(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


def claim_floor(url: str, *, clients: int, seconds: float) -> Floor:
    """Claims per second the database sustains for `seconds` (each of `CLAIM_LIMIT` tasks)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        return _run([_sqlite_claimer(path)], seconds)
    dsn = "postgresql://" + url.split("://", 1)[1]
    return _run([_postgres_claimer(dsn) for _ in range(clients)], seconds)


def _run(claimers: list[Callable[[], int]], seconds: float) -> Floor:
    counts: list[int] = []
    ran_out = threading.Event()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(claim: Callable[[], int]) -> None:
        done = 0
        while time.monotonic() < stop_at and not ran_out.is_set():
            if claim() < CLAIM_LIMIT:
                ran_out.set()
                break
            done += 1
        with lock:
            counts.append(done)

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(claim,)) for claim in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Floor(sum(counts), time.monotonic() - started, ran_out.is_set())


def _postgres_claimer(dsn: str) -> Callable[[], int]:
    import psycopg

    connection = psycopg.connect(dsn, autocommit=True, options="-c timezone=UTC")
    sql = LEASE_DUE_AUDITED[True]

    def claim() -> int:
        now = datetime.now(UTC)
        params = {
            "now": now,
            "types": CLAIM_TYPES,
            "limit": CLAIM_LIMIT,
            "prefix": secrets.token_urlsafe(16) + ".",
            "expires": now + timedelta(hours=1),
            "worker": "floor",
            "event_id": "evt_" + secrets.token_hex(12),
            "actor": "bench",
            "service_name": None,
            "request_id": None,
        }
        return len(connection.execute(sql, params).fetchall())

    return claim


_COLUMNS = ", ".join(column.name for column in TASK_WIRE_COLUMNS)
_SQLITE_LEASE = f"""
UPDATE tasks SET status = 'IN_PROGRESS', lease_token = ? || id, lease_expires_at = ?,
       locked_by = ?, updated_at = ?
WHERE id IN (SELECT id FROM tasks WHERE status = 'PENDING' AND scheduled_at <= ? AND type IN (?)
             ORDER BY scheduled_at, id LIMIT ?)
  AND status = 'PENDING'
RETURNING {_COLUMNS}
"""  # noqa: S608 (the model's column names, no input)
_SQLITE_AUDIT = """
INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, after)
VALUES (?, ?, 'bench', 'tasks.claimed', 'task', ?, ?)
"""


def _sqlite_claimer(path: str) -> Callable[[], int]:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")

    def claim() -> int:
        now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC text
        stamp = now.isoformat(sep=" ")
        expires = (now + timedelta(hours=1)).isoformat(sep=" ")
        prefix = secrets.token_urlsafe(16) + "."
        connection.execute("BEGIN IMMEDIATE")
        rows = connection.execute(
            _SQLITE_LEASE, (prefix, expires, "floor", stamp, stamp, CLAIM_TYPES[0], CLAIM_LIMIT)
        ).fetchall()
        if not rows:
            connection.execute("ROLLBACK")
            return 0
        ids = [task_id for _, task_id in sorted((row[2], row[0]) for row in rows)]
        after = json.dumps({"workerId": "floor", "taskIds": ids})
        event = "evt_" + secrets.token_hex(12)
        connection.execute(_SQLITE_AUDIT, (event, stamp, ids[0], after))
        connection.execute("COMMIT")
        return len(rows)

    return claim
