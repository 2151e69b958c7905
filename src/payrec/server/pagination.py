"""The management lists' paging: opaque cursors (`limit` + `nextCursor`) and the one
count-plus-page query every list runs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

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
