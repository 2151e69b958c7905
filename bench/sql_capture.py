"""The SQL a piece of payrec runs, captured with SQLAlchemy's events (the benches time the
same statements bare, beside payrec, in the same run)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) the engine executes inside the block."""
    statements: list[tuple[str, Any]] = []

    def listener(_c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)
