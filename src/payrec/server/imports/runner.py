"""Imports run in the background of the backend that took the upload (a thread per job);
the sweeper of any host resumes a job whose host died, from its last committed chunk."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from payrec.server.actor import Actor
from payrec.server.db import Database
from payrec.server.imports import service

logger = logging.getLogger(__name__)

_running: set[str] = set()
_lock = threading.Lock()


def start(db: Database, import_id: str, actor: Actor) -> None:
    with _lock:
        if import_id in _running:
            return
        _running.add(import_id)
    thread = threading.Thread(
        target=_run, args=(db, import_id, actor), name=f"import-{import_id}", daemon=True
    )
    thread.start()


def _run(db: Database, import_id: str, actor: Actor) -> None:
    try:
        service.run(db, import_id, actor)
    except Exception as exc:
        # the chunk in flight was rolled back whole; the job says why and stops (a host
        # that dies instead leaves its lease to run out, and the sweeper carries it on)
        logger.exception("import %s failed", import_id)
        service.fail(db, import_id, f"the import stopped: {type(exc).__name__}")
    finally:
        with _lock:
            _running.discard(import_id)


def resume_stalled(db: Database) -> None:
    """Called by the sweeper: jobs whose lease ran out are carried on here."""
    with db.write() as session:
        stalled = service.claim_stalled(session)
    for import_id in stalled:
        start(db, import_id, Actor(name="system", service_name="payrec-imports"))


def sweep_files(db: Database, retention_hours: float) -> None:
    """Called by the sweeper: finished imports' files kept past the retention are dropped."""
    with db.write() as session:
        swept = service.sweep_files(session, datetime.now(UTC), timedelta(hours=retention_hours))
    if swept:
        logger.info("dropped the files of %d finished imports", swept)
