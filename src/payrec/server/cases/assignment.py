"""Who works a case: assign it to a collector (a user who is not disabled) or to nobody."""

from __future__ import annotations

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.errors import Invalid
from payrec.server.models import RecoveryCase
from payrec.server.users import service as users


def assign(session: Session, case_id: str, user_id: str | None, actor: Actor) -> RecoveryCase:
    """Assign the case (`user_id` None: to nobody); audited as `case.assigned`."""
    case = cases.get(session, case_id, for_update=True)
    if user_id:
        user = users.get(session, user_id)
        if user.disabled_at is not None:
            raise Invalid("that user is disabled", field="userId")
    before = case.assignee_user_id
    if before == (user_id or None):
        return case
    case.assignee_user_id = user_id or None
    session.flush()
    record_change(
        session,
        actor,
        "case.assigned",
        case,
        before={"assigneeUserId": before},
        after={"assigneeUserId": case.assignee_user_id},
    )
    return case
