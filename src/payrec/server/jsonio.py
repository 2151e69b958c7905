"""Exact JSON on the wire: Decimal in and out as JSON numbers, UTC timestamps with `Z`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import simplejson
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python", by_alias=True)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(content: Any) -> bytes:
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="python", by_alias=True)
    text: str = simplejson.dumps(
        content, use_decimal=True, default=_default, ensure_ascii=False, separators=(",", ":")
    )
    return text.encode("utf-8")


def to_plain(value: Any) -> Any:
    """JSON-ready data for a JSON column: datetimes as text, Decimals as exact strings."""
    return _decimals_to_str(simplejson.loads(dumps(value), use_decimal=True))


def _decimals_to_str(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimals_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals_to_str(v) for v in value]
    return value


def loads(raw: bytes | str) -> Any:
    return simplejson.loads(raw, use_decimal=True)


class ExactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(content), status_code=status_code, headers=headers, media_type="application/json"
    )


class ExactJSONRequest(Request):
    """Parses JSON bodies with every number that has a fraction as a Decimal."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = loads(body)
        return self._json


class ExactJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await original(ExactJSONRequest(request.scope, request.receive))

        return handler
