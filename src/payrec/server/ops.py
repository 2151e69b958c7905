"""`/healthz` (open), `/readyz` and `/metrics` (authenticated)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state, authenticate, require_roles
from payrec.server.auth.roles import Role
from payrec.server.jsonio import json_response
from payrec.server.middleware.problems import problem_response

router = APIRouter(tags=["ops"])
_METRICS_ACCESS: Any = require_roles(Role.ADMIN, Role.AUTOMATION_SERVICE)


@router.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", dependencies=[Depends(authenticate)])
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


@router.get("/metrics", dependencies=[_METRICS_ACCESS])
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
