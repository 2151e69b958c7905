"""Domain errors: each carries the HTTP status it maps to and a stable machine-readable code."""

from __future__ import annotations

__all__ = ["DomainError", "IllegalTransition"]


class DomainError(Exception):
    """Base of every rule violation raised by the pure domain layer."""

    status_code: int = 422
    code: str = "domain_error"


class IllegalTransition(DomainError):
    """A state change the machine does not allow (maps to HTTP 409)."""

    status_code = 409
    code = "illegal_transition"

    def __init__(self, machine: str, from_state: str, to_state: str) -> None:
        self.machine = machine
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"illegal {machine} transition {from_state} -> {to_state}")
