"""Config reads the environment when instantiated, not at import time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from payrec.client import Config


def test_config_reads_env_at_instantiation(monkeypatch: pytest.MonkeyPatch) -> None:
    first = Config()
    assert (first.java_api_base_url, first.java_api_key) == ("http://localhost:8080", "")
    assert (first.max_retries, first.retry_delay, first.log_level) == (3, 1.0, "INFO")
    monkeypatch.setenv("JAVA_API_BASE_URL", "http://java:8080")
    monkeypatch.setenv("JAVA_API_KEY", "secret-key-value")
    monkeypatch.setenv("MAX_RETRIES", "9")
    monkeypatch.setenv("RETRY_DELAY", "0.5")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    second = Config()
    assert second.java_api_base_url == "http://java:8080"
    assert second.java_api_key == "secret-key-value"
    assert (second.max_retries, second.retry_delay, second.log_level) == (9, 0.5, "WARNING")
    assert "secret-key-value" not in repr(second)
    monkeypatch.setenv("PAYREC_API_BASE_URL", "http://payrec:8080")
    assert Config().java_api_base_url == "http://payrec:8080"
    assert Config(max_retries=1).max_retries == 1


def test_client_imports_nothing_from_server_or_automation() -> None:
    code = (
        "import sys, payrec.client, payrec.client.sample_reminder_service;"
        "bad = sorted(m for m in sys.modules"
        " if m.startswith(('payrec.server', 'payrec.automation')));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
