"""The guide's ``Config`` dataclass, reading the environment when instantiated.

The guide evaluated ``os.getenv`` in the class body, i.e. once at import time; here every field
has a ``default_factory``, so ``Config()`` reflects the environment of the moment. The
``PAYREC_*`` names win over the guide's ``JAVA_*`` aliases.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

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

N = TypeVar("N", int, float)


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


def _env_number(name: str, parse: Callable[[str], N], default: N, kind: str, bound: str) -> N:
    """``name`` read by ``parse`` (``default`` when unset); a finite number, not negative."""
    raw = _first_env(name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be {bound}, got {raw!r}")
    return value


def env_max_retries() -> int:
    return _env_number("MAX_RETRIES", int, DEFAULT_MAX_RETRIES, "an integer", ">= 0")


def env_retry_delay() -> float:
    kind, bound = "a number of seconds", "a finite number >= 0"
    return _env_number("RETRY_DELAY", float, DEFAULT_RETRY_DELAY, kind, bound)


def env_log_level() -> str:
    return (_first_env("LOG_LEVEL") or DEFAULT_LOG_LEVEL).upper()


@dataclass
class Config:
    java_api_base_url: str = field(default_factory=env_api_base_url)
    java_api_key: str = field(default_factory=env_api_key, repr=False)
    max_retries: int = field(default_factory=env_max_retries)
    retry_delay: float = field(default_factory=env_retry_delay)
    log_level: str = field(default_factory=env_log_level)
