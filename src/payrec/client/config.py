"""The guide's ``Config`` dataclass, reading the environment when instantiated.

The guide evaluated ``os.getenv`` in the class body, i.e. once at import time; here every field
has a ``default_factory``, so ``Config()`` reflects the environment of the moment. The
``PAYREC_*`` names win over the guide's ``JAVA_*`` aliases.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_BASE_URL",
    "Config",
    "env_api_base_url",
    "env_api_key",
    "env_log_level",
    "env_max_retries",
    "env_retry_delay",
]

DEFAULT_BASE_URL = "http://localhost:8080"
DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_DELAY = 1.0
DEFAULT_LOG_LEVEL = "INFO"


def _first_env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def env_api_base_url() -> str:
    return _first_env("PAYREC_API_BASE_URL", "JAVA_API_BASE_URL") or DEFAULT_BASE_URL


def env_api_key() -> str:
    return _first_env("PAYREC_API_KEY", "JAVA_API_KEY") or ""


def env_max_retries() -> int:
    raw = _first_env("MAX_RETRIES")
    if raw is None:
        return DEFAULT_MAX_RETRIES
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"MAX_RETRIES must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"MAX_RETRIES must be >= 0, got {value}")
    return value


def env_retry_delay() -> float:
    raw = _first_env("RETRY_DELAY")
    if raw is None:
        return DEFAULT_RETRY_DELAY
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"RETRY_DELAY must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"RETRY_DELAY must be a finite number >= 0, got {raw!r}")
    return value


def env_log_level() -> str:
    return (_first_env("LOG_LEVEL") or DEFAULT_LOG_LEVEL).upper()


@dataclass
class Config:
    java_api_base_url: str = field(default_factory=env_api_base_url)
    java_api_key: str = field(default_factory=env_api_key, repr=False)
    max_retries: int = field(default_factory=env_max_retries)
    retry_delay: float = field(default_factory=env_retry_delay)
    log_level: str = field(default_factory=env_log_level)
