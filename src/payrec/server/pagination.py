"""The management lists' paging: opaque cursors (`limit` + `nextCursor`), the one dependency
that reads a list's `limit` and `cursor`, and the one count-plus-page query every list runs.

No `from __future__ import annotations` here: FastAPI reads the dependency's parameters from
its annotations, and `paging`'s name `max_limit` only resolves while they are evaluated at once.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from payrec.server.errors import Invalid

Row = TypeVar("Row")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError(text)
        return offset
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not one this API issued", field="cursor") from exc


def next_cursor(offset: int, returned: int, total: int) -> str | None:
    end = offset + returned
    return encode_cursor(end) if end < total else None


@dataclass(frozen=True)
class Paging:
    """Where a list's page starts (`offset`, from its `cursor`) and how long it is (`limit`)."""

    offset: int
    limit: int

    def next_cursor(self, returned: int, total: int) -> str | None:
        return next_cursor(self.offset, returned, total)


def paging(max_limit: int = 1000) -> Callable[..., Paging]:
    """The dependency reading `limit` (1..max_limit, 100 by default) and `cursor`."""

    def dependency(
        limit: Annotated[int, Query(ge=1, le=max_limit)] = 100,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Paging:
        return Paging(decode_cursor(cursor), limit)

    return dependency


PageQuery = Annotated[Paging, Depends(paging())]
"""A management list's `limit` (at most 1000) and `cursor`, as the last query parameters."""


def count_and_page(
    session: Session,
    model: type[Row],
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    *,
    offset: int,
    limit: int,
) -> tuple[Sequence[Row], int]:
    """One page of `model`'s rows matching every condition, in `order_by` order, and how many
    match in all: what every management list answers (`total` + `nextCursor`)."""
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    rows = session.scalars(
        select(model).where(*conditions).order_by(*order_by).offset(offset).limit(limit)
    ).all()
    return rows, total
