"""Issue 20, items 3 and 4: a read of the database gives away no usable secret.

The attacker here holds a dump of every table (each text, JSON and binary column) but not the
backend's environment (`PAYREC_SECRET_KEY`). Before the fix the dump held a new client's
`apiKey` and `clientSecret` (in `idempotency_keys.response_body`) and the JWT signing key in
the clear (`signing_keys.secret`), and a token signed with it carried any roles it claimed.
"""

from __future__ import annotations

import json
import re
import secrets
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, inspect, literal_column, select, table, text

from payrec.server.auth.secretbox import SecretBox
from payrec.server.db import normalise_url
from tests.support.backend import TEST_SECRET_KEY, LiveBackend

MANAGEMENT_PROBE = "/api/v1/customers"
AUTOMATION_PROBE = "/api/v1/automation/tasks/scheduled"
# every refused attempt of these tests is one failed authentication: no throttling here
UNTHROTTLED = {
    "PAYREC_AUTH_FAILURE_LIMIT": "100000/second",
    "PAYREC_ANONYMOUS_RATE_LIMIT": "100000/second",
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def target(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    backend = backend_factory(request.param, env=UNTHROTTLED)
    yield backend
    backend.stop()


def _create_client(
    backend: LiveBackend, name: str, roles: list[str], key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return backend.admin(
        "POST", "/service-clients", json={"name": name, "roles": roles}, headers=headers
    )


def _get(backend: LiveBackend, path: str, credential: str) -> httpx.Response:
    return backend.http.get(
        backend.base_url + path, headers={"Authorization": f"Bearer {credential}"}
    )


def _dump(db_url: str) -> list[str]:
    """Every value of every table, as text (what `pg_dump` or a copied SQLite file shows)."""
    engine = create_engine(normalise_url(db_url))
    values: list[str] = []
    try:
        tables = inspect(engine).get_table_names()
        with engine.connect() as conn:
            for name in tables:
                for row in conn.execute(select(literal_column("*")).select_from(table(name))):
                    values += [_as_text(value) for value in row if value is not None]
    finally:
        engine.dispose()
    return values


def _as_text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _candidates(values: list[str]) -> set[str]:
    """Each value long enough to be a key, and each key-like word inside one (JSON bodies)."""
    found = {v for v in values if 16 <= len(v) <= 2000}
    for value in values:
        found.update(w for w in re.split(r"[\s\"',:;{}\[\]()]+", value) if len(w) >= 16)
    return found


def _stored_signing_key(backend: LiveBackend) -> str:
    engine = create_engine(normalise_url(backend.db_url))
    try:
        with engine.connect() as conn:
            sealed: str = conn.execute(text("SELECT secret FROM signing_keys")).scalar_one()
    finally:
        engine.dispose()
    return sealed


def _forge(key: str, subject: str) -> str:
    """An ADMIN token for `subject`, shaped exactly like the backend's own, signed with `key`."""
    now = datetime.now(UTC)
    claims = {
        "iss": "payrec",
        "aud": "payrec-api",
        "sub": subject,
        "name": "forged",
        "roles": ["ADMIN", "AGENT", "AUTOMATION_SERVICE"],
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=10),
        "jti": secrets.token_hex(12),
    }
    with warnings.catch_warnings():  # PyJWT warns about short HMAC keys: that is the point
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm="HS256", headers={"kid": "payrec-hs256-1"})


def _admin_client_id(backend: LiveBackend) -> str:
    listed = backend.admin("GET", "/service-clients").json()["serviceClients"]
    return next(c["id"] for c in listed if c["name"] == "test-admin")


def test_a_dump_holds_no_plaintext_credential(target: LiveBackend) -> None:
    created = _create_client(target, "dump-me", ["ADMIN"], key=f"dump-{secrets.token_hex(4)}")
    assert created.status_code == 201, created.text
    client = created.json()
    token = target.oauth_token(client)
    assert _get(target, MANAGEMENT_PROBE, token).status_code == 200
    signing_key = SecretBox(TEST_SECRET_KEY).open(_stored_signing_key(target))

    dump = "\n".join(_dump(target.db_url))
    assert "dump-me" in dump and client["id"] in dump  # the dump did read the tables
    for secret in (
        client["apiKey"],
        client["clientSecret"],
        target.admin_key,
        target.automation_key,
        signing_key,
        TEST_SECRET_KEY,
        token,
    ):
        assert secret not in dump


def test_no_value_in_the_dump_signs_a_token_or_passes_as_a_credential(
    target: LiveBackend,
) -> None:
    created = _create_client(target, "dump-forge", ["ADMIN"], key=f"forge-{secrets.token_hex(4)}")
    assert created.status_code == 201, created.text
    client = created.json()
    target.oauth_token(client)  # the signing key is in use
    admin_id = _admin_client_id(target)
    # the forgery is sound: the real key (which only the environment opens) signs for ADMIN
    genuine = SecretBox(TEST_SECRET_KEY).open(_stored_signing_key(target))
    assert _get(target, MANAGEMENT_PROBE, _forge(genuine, admin_id)).status_code == 200

    candidates = _candidates(_dump(target.db_url))
    assert len(candidates) > 20, candidates
    accepted: list[tuple[str, str, int]] = []
    for value in sorted(candidates):
        for how, response in (
            ("signing key", _get(target, MANAGEMENT_PROBE, _forge(value, admin_id))),
            ("bearer credential", _get(target, MANAGEMENT_PROBE, value)),
            (
                "client secret",
                target.http.post(
                    target.base_url + "/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client["clientId"],
                        "client_secret": value,
                    },
                ),
            ),
        ):
            if response.status_code != 401:
                accepted.append((how, value[:60], response.status_code))
    assert not accepted


def test_a_replayed_secret_revealing_post_does_not_give_the_secret_again(
    target: LiveBackend,
) -> None:
    key = f"replay-{secrets.token_hex(4)}"
    name = f"replayed-{secrets.token_hex(3)}"
    first = _create_client(target, name, ["AGENT"], key=key)
    assert first.status_code == 201, first.text
    created = first.json()

    again = _create_client(target, name, ["AGENT"], key=key)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["type"].endswith("idempotency-secret-not-replayable")
    assert problem["resource"]["id"] == created["id"]  # the caller learns what was created
    assert created["apiKey"] not in again.text and created["clientSecret"] not in again.text
    assert "apiKey" not in problem["resource"] and "clientSecret" not in problem["resource"]
    listed = target.admin("GET", "/service-clients").json()["serviceClients"]
    assert [c["id"] for c in listed if c["name"] == name] == [created["id"]]  # created once
    # the key it revealed once works, the same body with another key creates another client
    assert _get(target, MANAGEMENT_PROBE, created["apiKey"]).status_code == 200
    other = _create_client(target, name, ["AGENT"], key=key + "-b")
    assert other.status_code == 201 and other.json()["id"] != created["id"]

    # an answer without secrets still replays as before
    body = {"name": "Replay Ltd", "email": "replay@example.com", "timezone": "UTC"}
    customer_key = {"Idempotency-Key": f"cust-{secrets.token_hex(4)}"}
    made = target.admin("POST", "/customers", json=body, headers=customer_key)
    replayed = target.admin("POST", "/customers", json=body, headers=customer_key)
    assert made.status_code == replayed.status_code == 201, replayed.text
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.json()["id"] == made.json()["id"]


def test_a_lowered_role_or_a_revocation_refuses_an_old_token_at_once(
    target: LiveBackend,
) -> None:
    created = _create_client(target, f"lowered-{secrets.token_hex(3)}", ["ADMIN"])
    assert created.status_code == 201, created.text
    client = created.json()
    token = target.oauth_token(client)
    assert _get(target, MANAGEMENT_PROBE, token).status_code == 200

    lowered = target.admin(
        "PATCH", f"/service-clients/{client['id']}", json={"roles": ["AUTOMATION_SERVICE"]}
    )
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["roles"] == ["AUTOMATION_SERVICE"]
    # no waiting: the very next request with the old token is judged by the record
    assert _get(target, MANAGEMENT_PROBE, token).status_code == 403
    assert _get(target, MANAGEMENT_PROBE, client["apiKey"]).status_code == 403
    # the old token was issued for ADMIN only: it does not gain the new role either
    assert _get(target, AUTOMATION_PROBE, token).status_code == 403
    assert _get(target, AUTOMATION_PROBE, client["apiKey"]).status_code == 200
    fresh = target.oauth_token(client)
    assert _get(target, AUTOMATION_PROBE, fresh).status_code == 200

    assert target.admin("DELETE", f"/service-clients/{client['id']}").status_code == 200
    for credential in (token, fresh, client["apiKey"]):
        assert _get(target, AUTOMATION_PROBE, credential).status_code == 401
    events = target.admin(
        "GET", "/audit-events", params={"entityType": "service_client", "entityId": client["id"]}
    )
    assert events.status_code == 200, events.text
    changed = [e for e in events.json()["events"] if e["action"] == "service_client.roles_changed"]
    assert [(e["before"], e["after"]) for e in changed] == [
        ({"roles": ["ADMIN"]}, {"roles": ["AUTOMATION_SERVICE"]})
    ]


@pytest.mark.parametrize(
    ("client_id", "body", "status"),
    [
        ("svc-missing", {"roles": ["AGENT"]}, 404),
        (None, {"roles": ["ROOT"]}, 422),
        (None, {"roles": []}, 422),
    ],
)
def test_a_role_change_refusal_writes_nothing(
    target: LiveBackend, client_id: str | None, body: dict[str, Any], status: int
) -> None:
    created = _create_client(target, f"unchanged-{secrets.token_hex(3)}", ["AGENT"]).json()
    response = target.admin("PATCH", f"/service-clients/{client_id or created['id']}", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    listed = target.admin("GET", "/service-clients").json()["serviceClients"]
    assert next(c for c in listed if c["id"] == created["id"])["roles"] == ["AGENT"]
    by_agent = target._call(
        target.agent_key,
        "/api/v1",
        "PATCH",
        f"/service-clients/{created['id']}",
        json={"roles": ["ADMIN"]},
    )
    assert by_agent.status_code == 403
