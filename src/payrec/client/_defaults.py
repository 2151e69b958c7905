"""Connection defaults and environment loading shared by both clients."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import httpx

from .config import Config

#: Explicit phases: fail fast on connect, allow the backend time to answer.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
#: One pooled, keep-alive connection set per client.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0
)

_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET"}


def to_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


@dataclass(frozen=True, slots=True)
class EnvSettings:
    base_url: str
    api_key: str
    max_retries: int
    retry_delay: float


def load_env() -> EnvSettings:
    """Read ``PAYREC_API_BASE_URL``/``PAYREC_API_KEY`` (aliases ``JAVA_*``), ``MAX_RETRIES``,
    ``RETRY_DELAY`` now; apply ``LOG_LEVEL`` (when set) to the ``payrec.client`` logger."""
    config = Config()
    if not config.java_api_key:
        raise ValueError("PAYREC_API_KEY (or JAVA_API_KEY) is not set")
    if os.environ.get("LOG_LEVEL", "").strip() and config.log_level in _LEVELS:
        logging.getLogger("payrec.client").setLevel(config.log_level)
    return EnvSettings(
        base_url=config.java_api_base_url,
        api_key=config.java_api_key,
        max_retries=config.max_retries,
        retry_delay=config.retry_delay,
    )
