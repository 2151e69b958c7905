"""Opaque cursors for the management lists (`limit` + `nextCursor`)."""

from __future__ import annotations

import base64
import binascii

from payrec.server.errors import Invalid


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
