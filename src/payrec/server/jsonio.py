"""Exact JSON on the wire: Decimal in and out as JSON numbers, UTC timestamps with `Z`."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
import simplejson
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def exact_number(text: str) -> Any:
    """A number written on the wire exactly as `text` (decimal digits, no float on the way)."""
    return orjson.Fragment(text)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))  # the exact digits, as a JSON number
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python", by_alias=True)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Datetimes as RFC 3339 in UTC with `Z` (naive ones are UTC), dates as ISO dates, enums by value.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="python", by_alias=True)
    try:
        return orjson.dumps(content, default=_default, option=_OPTIONS)
    except TypeError:  # orjson refuses integers beyond 64 bits (free-form metadata may hold one)
        return _dumps_slow(content)


def _slow_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return _default(value)


def _dumps_slow(content: Any) -> bytes:
    """The same JSON as `dumps`, by simplejson: exact for integers of any size."""
    text: str = simplejson.dumps(
        content, use_decimal=True, default=_slow_default, ensure_ascii=False, separators=(",", ":")
    )
    return text.encode("utf-8")


def to_plain(value: Any) -> Any:
    """JSON-ready data for a JSON column: datetimes as text, Decimals as exact strings.
    Plain dicts and lists of the usual values (text, integers, booleans, finite Decimals,
    dates, UTC datetimes) are converted directly, to what the JSON round trip gives them
    (an audit snapshot per imported row: the round trip was most of its cost); anything
    else takes the round trip."""
    try:
        return _plain(value)
    except _NotPlain:
        return _decimals_to_str(simplejson.loads(dumps(value), use_decimal=True))


class _NotPlain(Exception):
    """A value `_plain` leaves to the JSON round trip."""


_SAME = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SAME:
        if kind is str and not value.isascii():
            raise _NotPlain  # the encoder decides about lone surrogates
        return value
    if kind is Decimal:
        if not value.is_finite():
            raise _NotPlain
        text = str(value)
        # JSON reads digits alone as an integer: `Decimal("5")` comes back as 5
        return text if "." in text or "E" in text else int(text)
    if kind is date:
        return value.isoformat()
    if kind is datetime:
        offset = value.utcoffset()
        if offset is not None and offset:
            raise _NotPlain
        return value.replace(tzinfo=None).isoformat() + "Z"
    if kind is dict:
        plain = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _NotPlain
            plain[key] = _plain(item)
        return plain
    if kind is list:
        return [_plain(item) for item in value]
    raise _NotPlain


def _decimals_to_str(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimals_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals_to_str(v) for v in value]
    return value


_DECODER = simplejson.JSONDecoder(parse_float=Decimal)  # as `use_decimal=True`, built once


def loads(raw: bytes | str) -> Any:
    """JSON with its non-integer numbers as exact Decimals (every JSON column is read so)."""
    return _DECODER.decode(raw)


class ExactJSONResponse(JSONResponse):
    """JSON with exact Decimals (a JSONResponse, so OpenAPI documents the response model)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(content), status_code=status_code, headers=headers, media_type="application/json"
    )


class TextWithNul(HTTPException):
    """A JSON string holding U+0000: valid JSON, but no database stores it (422)."""

    def __init__(self, path: str) -> None:
        super().__init__(422, "text must not contain NUL (U+0000) characters")
        self.errors = [{"field": path, "message": "must not contain NUL (U+0000) characters"}]


def _find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding U+0000, if any."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return here
            found = _find_nul(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class ExactJSONRequest(Request):
    """Parses JSON bodies with every number that has a fraction as a Decimal."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                parsed = loads(body)
            except simplejson.JSONDecodeError as exc:  # FastAPI answers the stdlib one with 400
                raise json.JSONDecodeError(exc.msg, exc.doc, exc.pos) from exc
            except (UnicodeDecodeError, RecursionError) as exc:
                raise json.JSONDecodeError(type(exc).__name__, "", 0) from exc
            if b"\\u0000" in body:  # cheap pre-check; only then walk the document
                where = _find_nul(parsed)
                if where is not None:
                    raise TextWithNul(where)
            self._json = parsed
        return self._json


class ExactJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await original(ExactJSONRequest(request.scope, request.receive))

        return handler
