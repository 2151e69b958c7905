"""`/healthz` (open), `/readyz` and `/metrics` (authenticated)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import PlainTextResponse, Response

from payrec.server.auth.dependencies import app_state, authenticate, require_roles
from payrec.server.auth.roles import Role
from payrec.server.jsonio import json_response
from payrec.server.middleware.problems import problem_response
from payrec.server.routing import api_router

router = api_router(tags=["ops"])
_METRICS_ACCESS: Any = require_roles(Role.ADMIN, Role.AUTOMATION_SERVICE)


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str


@router.get("/healthz", response_model=Health)
def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=Ready, dependencies=[Depends(authenticate)])
def readyz(request: Request) -> Response:
    state = app_state(request)
    try:
        with state.db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return problem_response(
            503, "database unreachable", code="database-unavailable", headers={"Retry-After": "2"}
        )
    return json_response({"status": "ready", "database": state.db.engine.dialect.name})


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text exposition format"}},
    dependencies=[_METRICS_ACCESS],
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
