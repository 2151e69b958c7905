"""The integration guide's sample ``ReminderService``, typed, kept as written otherwise.

It is a reference benchmark of the guide's behaviour, not the production reminder worker
(that one lives in ``payrec.automation``). Minimal adaptations only:

* type hints; imports from :mod:`payrec.client`;
* timestamps are timezone-aware UTC (``datetime.now(UTC)``) instead of ``utcnow()``;
* ``get_pending_recovery_cases()[0]`` is guarded: with no pending case the reminder fails
  with a clear ``LookupError`` (the task is then marked ``FAILED``, as any other failure)
  instead of an ``IndexError``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from ._client import AutomationApiClient
from .types import Task

__all__ = ["ReminderService"]

logger = logging.getLogger(__name__)


class ReminderService:
    """Service for sending payment reminders"""

    def __init__(self, api_client: AutomationApiClient) -> None:
        self.api_client = api_client

    def process_pending_reminders(self) -> None:
        """Process all pending reminders"""
        # Get scheduled tasks
        tasks = self.api_client.get_scheduled_tasks()

        for task in tasks:
            if task["type"] == "REMINDER" and task["status"] == "PENDING":
                try:
                    self._send_reminder(task)
                    self.api_client.update_task_status(
                        task["id"],
                        "COMPLETED",
                        {"sentAt": datetime.now(UTC).isoformat()},
                    )
                except Exception as e:
                    logger.error(f"Failed to send reminder {task['id']}: {e}")
                    self.api_client.update_task_status(
                        task["id"],
                        "FAILED",
                        {"error": str(e)},
                    )

    def _send_reminder(self, task: Task) -> None:
        """Send a reminder for a task"""
        # Get recovery case details
        case_id = str(task["recoveryCaseId"])
        cases = self.api_client.get_pending_recovery_cases()
        if not cases:
            raise LookupError(f"no pending recovery case to remind for task {task['id']}")
        case = cases[0]  # Simplified

        # Create reminder record
        reminder = self.api_client.create_reminder(
            {
                "recoveryCaseId": case_id,
                "type": task["metadata"]["reminderType"],
                "templateId": task["metadata"]["templateId"],
                "scheduledFor": task["scheduledAt"],
                "recipient": case["customer"]["email"],
                "metadata": {
                    "subject": "Payment Reminder",
                    "personalization": {
                        "customerName": case["customer"]["name"],
                        "amount": case["amount"],
                        "dueDate": case["dueDate"],
                    },
                },
            }
        )

        # Send email (using email service)
        # ... email sending logic ...

        # Record as sent
        self.api_client.record_reminder_sent(
            reminder["id"],
            {
                "sentAt": datetime.now(UTC).isoformat(),
                "channel": "EMAIL",
                "externalId": "email-msg-123",
                "status": "SENT",
            },
        )

        # Update case
        self.api_client.update_recovery_case(
            case_id,
            {
                "lastReminderSentAt": datetime.now(UTC).isoformat(),
                "notes": "Reminder sent via email",
            },
        )
