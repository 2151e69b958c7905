"""Structured, secret-free log lines for every process.

Every line goes through :func:`redact`, JSON or text, tracebacks included; uvicorn's own
loggers (``uvicorn``, ``uvicorn.error``, ``uvicorn.access``) are configured by the same
:func:`log_config` (passed to uvicorn as its ``log_config``, so its worker processes use it
too) instead of uvicorn's plain formatter.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from datetime import UTC, datetime
from typing import Any

_SECRET = re.compile(r"(prk_[A-Za-z0-9_\-]+|Bearer\s+[A-Za-z0-9._\-]+|eyJ[A-Za-z0-9._\-]{10,})")


def redact(text: str) -> str:
    """Remove anything shaped like an API key or bearer token."""
    return _SECRET.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update({k: redact(str(v)) for k, v in extra.items()})
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Text lines for a terminal, redacted like the JSON ones (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def log_config(level: str = "INFO", *, json_lines: bool | None = None) -> dict[str, Any]:
    """The `logging.config.dictConfig` of every payrec process: one stderr handler with the
    redacting formatter (JSON unless stderr is a terminal) on the root logger, which
    uvicorn's loggers propagate to."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    formatter = JsonFormatter if json_lines else RedactingFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"payrec": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "payrec",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper() if level else "INFO"},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": "NOTSET"}
            for name in UVICORN_LOGGERS
        },
    }


def configure_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    logging.config.dictConfig(log_config(level, json_lines=json_lines))
