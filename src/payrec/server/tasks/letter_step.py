"""A policy's LETTER step (issue 18.4): when its manual task is created, the backend renders
the case's formal reminder letter (`charges.letters.make_letter`: the PDF stored as a LETTER
document on the case) so that the collector's task has it ready.

The task's metadata links it: `letterDocumentId` and `letterDownloadUrl`, or `letterError`
(code and detail) when the letter cannot say what it must (no postal address, no creditor
address, a reference rate missing): the task is still created, the collector sees why.
One letter per task: a task posted again (same `dedupeKey`) or already linked makes none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.charges.letters import make_letter
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import DomainError
from payrec.server.models import RecoveryCase, Task
from payrec.server.templates.rendering import creditor_of

logger = logging.getLogger("payrec.tasks.letter_step")

LINKS = ("letterDocumentId", "letterError")


def prepare(
    session: Session,
    made: Sequence[tuple[Task, bool]],
    store: DocumentStore,
    actor: Actor,
    *,
    base_url: str,
) -> None:
    """Render the letter of each newly created open LETTER task with a case."""
    for task, created in made:
        meta = task.meta or {}
        if (
            not created
            or task.type != "LETTER"
            or task.status != "PENDING"
            or task.recovery_case_id is None
            or any(meta.get(key) for key in LINKS)
        ):
            continue
        case = session.get(RecoveryCase, task.recovery_case_id)
        if case is None:
            continue
        try:
            document = make_letter(
                session, store, case, creditor_of(session), actor, today=datetime.now(UTC).date()
            )
        except DomainError as exc:  # refused before anything is written
            logger.warning("LETTER task %s of case %s: no letter: %s", task.id, case.id, exc.code)
            task.meta = {**meta, "letterError": {"code": exc.code, "detail": exc.detail}}
            continue
        task.meta = {
            **meta,
            "letterDocumentId": document.id,
            "letterDownloadUrl": f"{base_url}/api/v1/documents/{document.id}/content",
        }
    session.flush()
