"""The answer of `POST /tasks/claim`: tasks with what the claim was asked to include."""

from __future__ import annotations

from pydantic import Field

from payrec.server.cases.schemas import CaseOut
from payrec.server.reminders.schemas import ReminderOut
from payrec.server.tasks.schemas import TaskOut
from payrec.server.types import OutModel


class ReminderAttachmentOut(OutModel):
    """The case's invoice document a claimed e-mail reminder sends along."""

    document_id: str
    file_name: str
    mime_type: str
    size: int


class ClaimedReminder(ReminderOut):
    thread_reminder_ids: list[str] | None = Field(
        default=None,
        description=(
            "E-mail reminders: the case's e-mail reminders already SENT, oldest first (the "
            "first and the latest nine); the worker threads on their Message-IDs "
            "(In-Reply-To the latest, References all)"
        ),
    )
    attachment: ReminderAttachmentOut | None = Field(
        default=None,
        description=(
            "When the task's step says `attachInvoice`: the case's latest uploaded PDF, which "
            "the worker downloads and attaches up to PAYREC_ATTACHMENT_MAX_BYTES"
        ),
    )
    attachments: list[ReminderAttachmentOut] | None = Field(
        default=None,
        description=(
            "Every document the step attaches, in order: the invoice (`attachInvoice`, as "
            "`attachment`) and the case's latest formal letter PDF (`attachLetter`)"
        ),
    )


class ClaimedTask(TaskOut):
    recovery_case: CaseOut | None = Field(
        default=None, description='The task\'s case, when claimed with `include: ["recoveryCase"]`'
    )
    reminder: ClaimedReminder | None = Field(
        default=None,
        description=(
            'The task\'s reminder, when claimed with `include: ["reminder"]` (absent when '
            "`POST /reminders` would refuse it)"
        ),
    )


class ClaimedTasks(OutModel):
    tasks: list[ClaimedTask]
