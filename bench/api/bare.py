"""The yardstick: a bare FastAPI app on uvicorn answering the same JSON from memory.

`python -m bench.api.bare --port P --pending FILE --claim FILE`
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse


def create_bare_app(pending: dict[str, Any], claim: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/automation/recovery-cases/pending")
    def pending_cases() -> JSONResponse:
        return JSONResponse(pending)

    @app.post("/api/v1/automation/tasks/claim")
    def claim_tasks() -> JSONResponse:
        return JSONResponse(claim)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pending", type=Path, required=True)
    parser.add_argument("--claim", type=Path, required=True)
    args = parser.parse_args()
    app = create_bare_app(json.loads(args.pending.read_text()), json.loads(args.claim.read_text()))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
