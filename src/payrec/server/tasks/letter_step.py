"""A policy's LETTER step (issue 18.4): the case's formal reminder letter made for its manual
task (`charges.letters.make_letter`: the PDF stored as a LETTER document on the case), so that
the collector's task has it ready.

The scheduler asks for it right after creating the task (`POST
/api/v1/automation/tasks/{id}/letter`); a collector can ask again (`POST /api/v1/tasks/{id}/letter`,
after fixing an address). Each call is one short transaction of its own: a scheduler's batch of
tasks is never held open while PDFs render. The task's metadata links the letter
(`letterDocumentId`, `letterDownloadUrl` for the API, `letterWorkspaceUrl` for a signed-in
collector), or says why there is none (`letterError`: code and
detail; no postal address, no creditor address, a reference rate missing). One letter per task:
once linked, a call answers the task as it is (the task row is locked while it is made).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.charges.letters import make_letter
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import Conflict, DomainError, NotFound
from payrec.server.models import RecoveryCase, Task
from payrec.server.tasks import repository
from payrec.server.templates.rendering import creditor_of

logger = logging.getLogger("payrec.tasks.letter_step")

_OPEN = frozenset({"PENDING", "IN_PROGRESS"})


def prepare(
    session: Session, task_id: str, store: DocumentStore, actor: Actor, *, base_url: str
) -> Task:
    """Make the letter of an open LETTER task with a case (once) and link it in its metadata;
    404 for no such task, 409 for a task that is not an open LETTER task of a case."""
    task = repository.get(session, task_id, for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    if task.type != "LETTER" or task.status not in _OPEN or task.recovery_case_id is None:
        raise Conflict(
            f"only an open LETTER task of a case gets a letter; this one is {task.type} "
            f"{task.status}",
            code="task-not-a-letter",
        )
    meta = dict(task.meta or {})
    if meta.get("letterDocumentId"):
        return task
    case = session.get(RecoveryCase, task.recovery_case_id)
    if case is None:
        raise NotFound("recovery case", task.recovery_case_id)
    meta.pop("letterError", None)
    try:
        document = make_letter(
            session, store, case, creditor_of(session), actor, today=datetime.now(UTC).date()
        )
    except DomainError as exc:  # refused before anything is written
        logger.warning("LETTER task %s of case %s: no letter: %s", task.id, case.id, exc.code)
        task.meta = {**meta, "letterError": {"code": exc.code, "detail": exc.detail}}
    else:
        task.meta = {
            **meta,
            "letterDocumentId": document.id,
            "letterDownloadUrl": f"{base_url}/api/v1/documents/{document.id}/content",
            "letterWorkspaceUrl": f"{base_url}/app/review/{document.id}/document",
        }
    session.flush()
    return task
