"""Manual steps: which tasks a collector may complete by hand, and the note an outcome leaves."""

from __future__ import annotations

import pytest

from payrec.domain.errors import Conflict
from payrec.domain.manual_tasks import NotCompletable, Outcome, check_completable, outcome_note


@pytest.mark.parametrize("task_type", ["CALL", "LETTER"])
@pytest.mark.parametrize("status", ["PENDING", "IN_PROGRESS"])
def test_open_manual_tasks_are_completable(task_type: str, status: str) -> None:
    check_completable(task_type, status)


@pytest.mark.parametrize("status", ["COMPLETED", "CANCELLED", "FAILED"])
def test_finished_tasks_are_refused_as_conflicts(status: str) -> None:
    with pytest.raises(NotCompletable, match=status) as caught:
        check_completable("CALL", status)
    assert isinstance(caught.value, Conflict) and caught.value.status == 409


def test_automatic_tasks_are_not_completed_by_hand() -> None:
    with pytest.raises(NotCompletable, match="REMINDER"):
        check_completable("REMINDER", "PENDING")


def test_outcome_note_names_the_step_the_outcome_and_the_note() -> None:
    noted = outcome_note("CALL", Outcome.NO_ANSWER, "  Rang twice. ")
    assert noted == "CALL: no answer. Rang twice."
    assert outcome_note("LETTER", Outcome.REACHED, None) == "LETTER: customer reached."
    assert {outcome_note("CALL", o, "") for o in Outcome} == {
        "CALL: customer reached.",
        "CALL: no answer.",
        "CALL: wrong number.",
        "CALL: payment promised.",
    }
