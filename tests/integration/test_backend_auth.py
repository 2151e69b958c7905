"""Every authentication and authorisation rule of contract §3, over HTTP, on both databases."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, text

from payrec.server.auth.secretbox import SecretBox
from tests.support import idp as support_idp
from tests.support.backend import TEST_SECRET_KEY, LiveBackend, wait_until

AUTOMATION_PROBE = "/api/v1/automation/tasks/scheduled"
MANAGEMENT_PROBE = "/api/v1/customers"


def _get(backend: LiveBackend, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    headers = dict(kw.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return backend.http.get(backend.base_url + path, headers=headers, timeout=10, **kw)


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"]


def _new_client(backend: LiveBackend, name: str, roles: list[str]) -> dict[str, Any]:
    response = backend.admin("POST", "/service-clients", json={"name": name, "roles": roles})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _token(backend: LiveBackend, client: dict[str, Any]) -> str:
    return backend.oauth_token(client)


def _signing_secret(backend: LiveBackend) -> str:
    """The backend's shared HS256 key, read from its database and opened with the master key
    (to craft edge-case tokens)."""
    from payrec.server.db import normalise_url

    engine = create_engine(normalise_url(backend.db_url))
    try:
        with engine.connect() as conn:
            sealed: str = conn.execute(text("SELECT secret FROM signing_keys")).scalar_one()
        return SecretBox(TEST_SECRET_KEY).open(sealed)
    finally:
        engine.dispose()


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- API keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Token prk_0123456789abcdef_x",
        "Bearer prk_short_x",
        "Bearer prk_0123456789abcdef_wrong-secret-entirely",
        "Bearer not-a-key-nor-a-jwt",
        "Bearer a.b.c",
    ],
)
def test_missing_malformed_or_wrong_credentials_are_401(
    backend: LiveBackend, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for path in (AUTOMATION_PROBE, MANAGEMENT_PROBE):
        _assert_401(backend.http.get(backend.base_url + path, headers=headers, timeout=10))


def test_known_lookup_with_wrong_secret_is_401(backend: LiveBackend) -> None:
    lookup_part = backend.admin_key.rsplit("_", 1)[0]
    forged = lookup_part + "_" + "A" * 43
    _assert_401(_get(backend, MANAGEMENT_PROBE, forged))


def test_revoked_key_is_refused_within_the_cache_window(backend: LiveBackend) -> None:
    client = _new_client(backend, "to-revoke", ["AUTOMATION_SERVICE"])
    key = client["apiKey"]
    assert key.startswith("prk_")
    assert _get(backend, AUTOMATION_PROBE, key).status_code == 200
    revoked = backend.admin("DELETE", f"/service-clients/{client['id']}")
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    response = wait_until(
        lambda: (r := _get(backend, AUTOMATION_PROBE, key)).status_code == 401 and r,
        timeout=5,
        message="revoked key refused",
    )
    _assert_401(response)


def test_roles_are_least_privilege_in_both_directions(backend: LiveBackend) -> None:
    admin_on_automation = _get(backend, AUTOMATION_PROBE, backend.admin_key)
    assert admin_on_automation.status_code == 403, admin_on_automation.text
    assert admin_on_automation.headers["content-type"].startswith("application/problem+json")
    automation_on_management = _get(backend, MANAGEMENT_PROBE, backend.automation_key)
    assert automation_on_management.status_code == 403
    agent_on_automation = _get(backend, AUTOMATION_PROBE, backend.agent_key)
    assert agent_on_automation.status_code == 403
    automation_creating_clients = backend.http.post(
        backend.base_url + "/api/v1/service-clients",
        headers={"Authorization": f"Bearer {backend.automation_key}"},
        json={"name": "escalate", "roles": ["ADMIN"]},
        timeout=10,
    )
    assert automation_creating_clients.status_code == 403


def test_agent_reads_but_never_writes(backend: LiveBackend) -> None:
    """Beyond the collectors' own work on a case (notes, edits, promises, disputes, pauses:
    `test_mgmt_case_actions.py`), an AGENT reads only."""
    case = backend.new_case()
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    for path in ("/customers", "/recovery-cases", f"/recovery-cases/{case['id']}", "/documents"):
        response = backend.http.get(backend.base_url + "/api/v1" + path, headers=agent, timeout=10)
        assert response.status_code == 200, (path, response.text)
    writes = [
        ("POST", "/customers", {"name": "Nope"}),
        ("POST", f"/recovery-cases/{case['id']}/payments", {"amount": 1, "currency": "USD"}),
        ("POST", "/service-clients", {"name": "x", "roles": ["ADMIN"]}),
    ]
    for method, path, body in writes:
        response = backend.http.request(
            method, backend.base_url + "/api/v1" + path, headers=agent, json=body, timeout=10
        )
        assert response.status_code == 403, (method, path, response.text)
    clients = backend.http.get(
        backend.base_url + "/api/v1/service-clients", headers=agent, timeout=10
    )
    assert clients.status_code == 403  # credentials are the admin's business only


# --- OAuth2 client credentials and JWTs -------------------------------------------------------


def test_client_credentials_grant_form_and_basic(backend: LiveBackend) -> None:
    client = _new_client(backend, "oauth-worker", ["AUTOMATION_SERVICE"])
    token = _token(backend, client)
    assert token.count(".") == 2
    assert _get(backend, AUTOMATION_PROBE, token).status_code == 200
    assert _get(backend, MANAGEMENT_PROBE, token).status_code == 403

    basic = base64.b64encode(f"{client['clientId']}:{client['clientSecret']}".encode()).decode()
    response = backend.http.post(
        backend.base_url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert response.headers["cache-control"] == "no-store"
    issued = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert issued["exp"] - issued["iat"] == body["expires_in"] <= 3600  # short-lived
    assert {"iss", "aud", "sub", "jti"} <= issued.keys()
    assert _get(backend, AUTOMATION_PROBE, body["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials", "client_id": "cli_x", "client_secret": "nope"},
            401,
            "invalid_client",
        ),
    ],
)
def test_token_endpoint_refusals(
    backend: LiveBackend, form: dict[str, str], status: int, error: str
) -> None:
    response = backend.http.post(backend.base_url + "/oauth/token", data=form, timeout=10)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


def test_forged_and_tampered_tokens_are_refused(backend: LiveBackend) -> None:
    client = _new_client(backend, "jwt-edge", ["AUTOMATION_SERVICE"])
    token = _token(backend, client)
    header_b64, payload_b64, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))

    none_header = {**header, "alg": "none"}
    alg_none = f"{_b64(none_header)}.{payload_b64}."
    _assert_401(_get(backend, AUTOMATION_PROBE, alg_none))
    _assert_401(_get(backend, AUTOMATION_PROBE, f"{_b64({'alg': 'none'})}.{payload_b64}."))

    escalated = {**claims, "roles": ["ADMIN", "AUTOMATION_SERVICE"]}
    altered = f"{header_b64}.{_b64(escalated)}.{signature}"
    _assert_401(_get(backend, MANAGEMENT_PROBE, altered))
    _assert_401(_get(backend, AUTOMATION_PROBE, altered))

    wrong_key = jwt.encode(claims, "not-the-server-key-" * 3, algorithm="HS256", headers=header)
    _assert_401(_get(backend, AUTOMATION_PROBE, wrong_key))

    secret = _signing_secret(backend)
    now = datetime.now(UTC)
    expired = jwt.encode(
        {
            **claims,
            "iat": now - timedelta(hours=1),
            "nbf": now - timedelta(hours=1),
            "exp": now - timedelta(minutes=5),
        },
        secret,
        algorithm="HS256",
        headers=header,
    )
    _assert_401(_get(backend, AUTOMATION_PROBE, expired))
    wrong_audience = jwt.encode({**claims, "aud": "someone-else"}, secret, "HS256", header)
    _assert_401(_get(backend, AUTOMATION_PROBE, wrong_audience))
    wrong_issuer = jwt.encode({**claims, "iss": "evil"}, secret, "HS256", header)
    _assert_401(_get(backend, AUTOMATION_PROBE, wrong_issuer))
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    _assert_401(_get(backend, AUTOMATION_PROBE, jwt.encode(no_exp, secret, "HS256", header)))
    # The genuine key with an allowed algorithm still works: the refusals were about the token.
    genuine = jwt.encode(claims, secret, algorithm="HS256", headers=header)
    assert _get(backend, AUTOMATION_PROBE, genuine).status_code == 200


def test_jwt_of_a_revoked_client_is_refused(backend: LiveBackend) -> None:
    client = _new_client(backend, "jwt-revoke", ["AUTOMATION_SERVICE"])
    token = _token(backend, client)
    assert _get(backend, AUTOMATION_PROBE, token).status_code == 200
    assert backend.admin("DELETE", f"/service-clients/{client['id']}").status_code == 200
    response = wait_until(
        lambda: (r := _get(backend, AUTOMATION_PROBE, token)).status_code == 401 and r,
        timeout=5,
        message="revoked client's JWT refused",
    )
    _assert_401(response)
    refused = backend.http.post(
        backend.base_url + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["clientId"],
            "client_secret": client["clientSecret"],
        },
        timeout=10,
    )
    assert refused.status_code == 401


# --- ops endpoints, secrets in logs and bodies -------------------------------------------------


def test_health_is_open_readiness_and_metrics_need_credentials(backend: LiveBackend) -> None:
    assert _get(backend, "/healthz").status_code == 200
    _assert_401(_get(backend, "/readyz"))
    _assert_401(_get(backend, "/metrics"))
    ready = _get(backend, "/readyz", backend.automation_key)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert _get(backend, "/metrics", backend.admin_key).status_code == 200
    assert _get(backend, "/metrics", backend.agent_key).status_code == 403


def test_service_client_secrets_are_shown_once(backend: LiveBackend) -> None:
    created = _new_client(backend, "shown-once", ["AUTOMATION_SERVICE", "AGENT"])
    assert created["apiKey"].startswith("prk_") and created["clientSecret"]
    assert created["roles"] == ["AGENT", "AUTOMATION_SERVICE"]
    listing = backend.admin("GET", "/service-clients")
    assert listing.status_code == 200
    assert created["apiKey"] not in listing.text and created["clientSecret"] not in listing.text
    rows = [c for c in listing.json()["serviceClients"] if c["id"] == created["id"]]
    assert rows and "apiKey" not in rows[0] and "clientSecret" not in rows[0]
    assert rows[0]["keyPrefix"] == created["apiKey"][: len(rows[0]["keyPrefix"])]
    # the replay of an idempotent create is the one place the secret may be repeated
    events = backend.admin("GET", "/audit-events", params={"entityId": created["id"]})
    assert created["apiKey"] not in events.text and created["clientSecret"] not in events.text


def test_no_secret_in_logs_or_error_bodies(backend: LiveBackend) -> None:
    client = _new_client(backend, "leak-check", ["AUTOMATION_SERVICE"])
    token = _token(backend, client)
    secrets_seen = [
        client["apiKey"],
        client["clientSecret"],
        token,
        backend.admin_key,
        backend.automation_key,
    ]
    bodies: list[str] = []
    bad_key = client["apiKey"][:-4] + "AAAA"
    bodies.append(_get(backend, AUTOMATION_PROBE, bad_key).text)
    bodies.append(_get(backend, AUTOMATION_PROBE, token + "x").text)
    bodies.append(_get(backend, MANAGEMENT_PROBE, client["apiKey"]).text)
    bodies.append(
        backend.http.post(
            backend.base_url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["clientId"],
                "client_secret": client["clientSecret"] + "x",
            },
            timeout=10,
        ).text
    )
    bodies.append(
        backend.http.post(
            backend.automation_url + "/tasks",
            headers={"Authorization": f"Bearer {client['apiKey']}"},
            content=b'{"type": "REMINDER", ',
            timeout=10,
        ).text
    )
    for body in bodies:
        for secret in [*secrets_seen, bad_key, token + "x", client["clientSecret"] + "x"]:
            assert secret not in body
    logs = backend.logs()
    for secret in secrets_seen:
        assert secret not in logs


# --- CLI keys, external identity provider, verbose logs (one extra backend) -------------------


IDP_ISSUER = support_idp.IDP_ISSUER
IDP_AUDIENCE = support_idp.IDP_AUDIENCE


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def idp_backend(
    backend_factory: Callable[..., LiveBackend], idp_key: rsa.RSAPrivateKey
) -> Iterator[LiveBackend]:
    with support_idp.JwksServer.for_key(idp_key) as server:
        yield backend_factory(
            "sqlite",
            env={**server.backend_env(), "LOG_LEVEL": "DEBUG"},
        )


def _idp_token(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    return support_idp.idp_token(key, **overrides)


def test_external_identity_provider_tokens(
    idp_backend: LiveBackend, idp_key: rsa.RSAPrivateKey
) -> None:
    good = _idp_token(idp_key)
    assert _get(idp_backend, AUTOMATION_PROBE, good).status_code == 200
    assert _get(idp_backend, MANAGEMENT_PROBE, good).status_code == 403
    scoped = _idp_token(idp_key, roles=[], scope="openid ROLE_AUTOMATION_SERVICE")
    assert _get(idp_backend, AUTOMATION_PROBE, scoped).status_code == 200

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, _idp_token(other_key)))
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, _idp_token(idp_key, _kid="unknown-kid")))
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, _idp_token(idp_key, aud="someone-else")))
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, _idp_token(idp_key, iss="https://evil")))
    past = datetime.now(UTC) - timedelta(hours=1)
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, _idp_token(idp_key, exp=past, iat=past)))
    no_role = _idp_token(idp_key, roles=["SOMETHING_ELSE"])
    assert _get(idp_backend, AUTOMATION_PROBE, no_role).status_code == 403
    # the algorithm allow-list: an HMAC token keyed with the public JWK is refused
    hs = jwt.encode(
        {
            "iss": IDP_ISSUER,
            "aud": IDP_AUDIENCE,
            "sub": "x",
            "roles": ["AUTOMATION_SERVICE"],
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        },
        "public-key-as-secret-" * 2,
        algorithm="HS256",
        headers={"kid": "idp-key-1"},
    )
    _assert_401(_get(idp_backend, AUTOMATION_PROBE, hs))
    # our own tokens keep working beside the IdP's
    own = _token(idp_backend, _new_client(idp_backend, "own", ["AUTOMATION_SERVICE"]))
    assert _get(idp_backend, AUTOMATION_PROBE, own).status_code == 200
    logs = idp_backend.logs()
    assert good not in logs and own not in logs


def test_cli_keys_appear_in_the_list(idp_backend: LiveBackend) -> None:
    env = {
        **os.environ,
        "PAYREC_DATABASE_URL": idp_backend.db_url,
        "PAYREC_DATA_DIR": str(idp_backend.data_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "payrec", "keys", "create", "--name", "ops-cli", "--role", "ADMIN"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("prk_") and "\n" not in key
    listing = idp_backend.admin("GET", "/service-clients").json()["serviceClients"]
    mine = [c for c in listing if c["name"] == "ops-cli"]
    assert len(mine) == 1 and mine[0]["roles"] == ["ADMIN"] and mine[0]["revokedAt"] is None
    assert key.startswith(mine[0]["keyPrefix"])
    assert _get(idp_backend, MANAGEMENT_PROBE, key).status_code == 200
    bad = subprocess.run(
        [sys.executable, "-m", "payrec", "keys", "create", "--name", "x", "--role", "ROOT"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode != 0 and not bad.stdout.strip()


def test_verbose_logs_carry_no_secret(idp_backend: LiveBackend) -> None:
    client = _new_client(idp_backend, "verbose", ["AUTOMATION_SERVICE"])
    token = _token(idp_backend, client)
    for credential in (client["apiKey"], token, idp_backend.automation_key):
        _get(idp_backend, AUTOMATION_PROBE, credential, headers={"X-Service-Name": "leakcheck"})
        _get(idp_backend, AUTOMATION_PROBE, credential[:-3] + "zzz")
    logs = wait_until(
        lambda: "leakcheck" in (text := idp_backend.logs()) and text,
        timeout=5,
        message="access log lines",
    )
    for secret in (
        client["apiKey"],
        client["clientSecret"],
        token,
        idp_backend.admin_key,
        idp_backend.automation_key,
    ):
        assert secret not in logs
