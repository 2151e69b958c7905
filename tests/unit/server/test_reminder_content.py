"""What a reminder keeps of its render: capped, and frozen once the reminder is SENT."""

from __future__ import annotations

from payrec.server.models import Reminder
from payrec.server.reminders.service import BODY_CAP, keep_content, stored_content
from payrec.server.templates.schemas import RenderedOut


def _rendered(subject: str | None, text: str) -> RenderedOut:
    return RenderedOut(
        case_id="case-1",
        template_id="reminder-1",
        channel="EMAIL",
        language="de",
        locale="de_DE",
        subject=subject,
        text=text,
        html=None,
        recipient="a@example.com",
        opted_out=False,
        payment_link="https://pay.example/case-1",
    )


def test_the_render_is_kept_capped_followed_while_scheduled_and_frozen_once_sent() -> None:
    reminder = Reminder(type="EMAIL", status="SCHEDULED")
    assert stored_content(reminder) is None  # nothing rendered: null, as the API shows it
    keep_content(reminder, _rendered("Zahlungserinnerung", "x" * (BODY_CAP + 50)))
    kept = stored_content(reminder)
    assert kept is not None and kept["subject"] == "Zahlungserinnerung"
    assert kept["language"] == "de" and len(kept["body"]) == BODY_CAP
    assert kept["body"].endswith("[…]")

    keep_content(reminder, _rendered("Edited before sending", "New text"))
    assert stored_content(reminder) == {
        "subject": "Edited before sending",
        "body": "New text",
        "language": "de",
    }

    reminder.status = "SENT"
    keep_content(reminder, _rendered("Edited after sending", "Not what was received"))
    frozen = stored_content(reminder)
    assert frozen is not None and frozen["body"] == "New text"  # what the customer received
