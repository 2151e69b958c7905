"""Schemathesis against the live backend's `/openapi.json`: no 5xx, answers as documented.

Bounded: at most `MAX_EXAMPLES` derandomized examples per operation, each operation called with
the key of the API it belongs to (automation key for `/api/v1/automation`, admin key elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.support.backend import LiveBackend

MAX_EXAMPLES = 10  # per operation: bounds the fuzzing time (~15 s per database here)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Paths whose responses are not JSON documents checked against a schema (none left).
SCHEMA_GAPS: tuple[str, ...] = ()


def _seed(backend: LiveBackend) -> None:
    """A little real data, so some generated ids and lists are not all empty."""
    case = backend.new_case()
    backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "REMINDER",
            "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case["id"],
        },
    )


def _run_operation(
    operation: Any, backend: LiveBackend, session: requests.Session, failures: list[str]
) -> None:
    path = operation.path
    key = backend.automation_key if path.startswith("/api/v1/automation") else backend.admin_key
    headers = {"Authorization": f"Bearer {key}", "X-Service-Name": "schemathesis"}
    checks = CHECKS[:-1] if SCHEMA_GAPS and path.startswith(SCHEMA_GAPS) else CHECKS

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        response = case.call(base_url=backend.base_url, session=session, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a FailureGroup: collect every operation's, report together
        failures.append(f"{operation.method.upper()} {path}: {_summary(exc)}")


def _summary(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup):
        text = "\n".join(str(e) for e in exc.exceptions) or text
    return text[:1500]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_openapi_fuzz(kind: str, backend_factory: Callable[..., LiveBackend]) -> None:
    backend = backend_factory(kind)
    _seed(backend)
    schema = schemathesis.openapi.from_url(backend.base_url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"operation not testable: {result.err()}")
                continue
            operation = result.ok()
            operations += 1
            _run_operation(operation, backend, session, failures)
    assert operations >= 40
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in backend.logs()
