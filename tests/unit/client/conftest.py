"""Fixtures of the client's unit tests."""

from __future__ import annotations

import pytest

from tests.unit.client.client_fakes import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PAYREC_API_BASE_URL",
        "JAVA_API_BASE_URL",
        "PAYREC_API_KEY",
        "JAVA_API_KEY",
        "MAX_RETRIES",
        "RETRY_DELAY",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
