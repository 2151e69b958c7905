"""The one error hierarchy: a subclass names its HTTP answer in its class header."""

from __future__ import annotations

from payrec.domain.errors import Conflict, DomainError, Invalid
from payrec.server.errors import Forbidden, NotFound


class Gone(DomainError, status=410, code="gone", title="Gone"):
    """A test error."""


class AlreadyPaid(Conflict, code="already-paid"):
    """Keeps the 409 and the title of `Conflict`, names its own code."""


def test_a_subclass_header_sets_status_code_and_title() -> None:
    error = Gone("it left")
    assert (error.status, error.code, error.title, error.detail) == (410, "gone", "Gone", "it left")


def test_what_a_subclass_leaves_out_it_inherits() -> None:
    error = AlreadyPaid("paid on 1 May")
    assert (error.status, error.code, error.title) == (409, "already-paid", "Conflict")
    assert isinstance(error, Conflict) and isinstance(error, DomainError)


def test_the_server_errors_answer_with_their_status() -> None:
    assert NotFound("case", "c1").status == 404 and NotFound("case", "c1").code == "not-found"
    assert Forbidden("no").status == 403
    assert Invalid("bad", field="amount").errors == [{"field": "amount", "message": "bad"}]
    assert Invalid("bad").status == 422 and Invalid("bad").code == "validation-error"


def test_a_code_given_when_raising_wins_over_the_class_code() -> None:
    assert Conflict("x", code="duplicate-case").code == "duplicate-case"
    assert Conflict("y").code == "conflict"
