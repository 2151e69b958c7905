"""The answer of `POST /tasks/claim`: tasks with what the claim was asked to include."""

from __future__ import annotations

from pydantic import Field

from payrec.server.cases.schemas import CaseOut
from payrec.server.reminders.schemas import ReminderOut
from payrec.server.tasks.schemas import TaskOut
from payrec.server.types import OutModel


class ClaimedTask(TaskOut):
    recovery_case: CaseOut | None = Field(
        default=None, description='The task\'s case, when claimed with `include: ["recoveryCase"]`'
    )
    reminder: ReminderOut | None = Field(
        default=None,
        description=(
            'The task\'s reminder, when claimed with `include: ["reminder"]` (absent when '
            "`POST /reminders` would refuse it)"
        ),
    )


class ClaimedTasks(OutModel):
    tasks: list[ClaimedTask]
