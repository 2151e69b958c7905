"""Issue 20, item 6: `Idempotency-Key`s belong to the caller's issuer and full subject.

They were scoped by `subject[:40]`: two external subjects sharing their first 40 characters
shared keys, and one was answered the other's stored response (a new API key included).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.backend import LiveBackend
from tests.support.idp import JwksServer, idp_token

PREFIX = "service-account:collections-team/region-"  # 40 characters
assert len(PREFIX) == 40


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def idp_backend(
    request: pytest.FixtureRequest,
    backend_factory: Callable[..., LiveBackend],
    idp_key: rsa.RSAPrivateKey,
) -> Iterator[LiveBackend]:
    """A backend that also trusts an external identity provider's ADMIN tokens."""
    with JwksServer.for_key(idp_key) as server:
        backend = backend_factory(request.param, env=server.backend_env())
        yield backend
        backend.stop()


def _post(
    backend: LiveBackend, token: str, path: str, body: dict[str, Any], key: str
) -> httpx.Response:
    return backend.http.post(
        backend.base_url + "/api/v1" + path,
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def _admin_of_idp(key: rsa.RSAPrivateKey, subject: str) -> str:
    return idp_token(key, sub=subject, azp=subject[-20:], roles=["ADMIN"])


def test_long_subjects_sharing_forty_characters_do_not_share_answers(
    idp_backend: LiveBackend, idp_key: rsa.RSAPrivateKey
) -> None:
    alice = _admin_of_idp(idp_key, PREFIX + "north/alice")
    bob = _admin_of_idp(idp_key, PREFIX + "north/bob")
    key = f"shared-{secrets.token_hex(4)}"
    body = {"name": f"scoped-{secrets.token_hex(3)}", "roles": ["AGENT"]}

    first = _post(idp_backend, alice, "/service-clients", body, key)
    second = _post(idp_backend, bob, "/service-clients", body, key)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert first.json()["apiKey"] not in second.text
    assert first.json()["clientSecret"] not in second.text

    customer = {"name": "Scope Ltd", "email": "scope@example.com", "timezone": "UTC"}
    ckey = f"cust-{secrets.token_hex(4)}"
    made = _post(idp_backend, alice, "/customers", customer, ckey)
    other = _post(idp_backend, bob, "/customers", customer, ckey)
    assert made.status_code == other.status_code == 201, (made.text, other.text)
    assert other.json()["id"] != made.json()["id"]
    # each keeps its own: alice's retry replays alice's answer
    retried = _post(idp_backend, alice, "/customers", customer, ckey)
    assert retried.headers.get("idempotent-replayed") == "true"
    assert retried.json()["id"] == made.json()["id"]


def test_one_subject_name_at_two_issuers_does_not_share_answers(
    idp_backend: LiveBackend, idp_key: rsa.RSAPrivateKey
) -> None:
    listed = idp_backend.admin("GET", "/service-clients").json()["serviceClients"]
    own_admin = next(c["id"] for c in listed if c["name"] == "test-admin")
    impostor = _admin_of_idp(idp_key, own_admin)  # the IdP names a subject like our client
    key = f"issuer-{secrets.token_hex(4)}"
    customer = {"name": "Issuer Ltd", "email": "issuer@example.com", "timezone": "UTC"}
    ours = _post(idp_backend, idp_backend.admin_key, "/customers", customer, key)
    theirs = _post(idp_backend, impostor, "/customers", customer, key)
    assert ours.status_code == theirs.status_code == 201, (ours.text, theirs.text)
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != ours.json()["id"]


def test_a_very_long_subject_keeps_its_keys(
    idp_backend: LiveBackend, idp_key: rsa.RSAPrivateKey
) -> None:
    token = _admin_of_idp(idp_key, PREFIX + "x" * 400)
    key = f"long-{secrets.token_hex(4)}"
    customer = {"name": "Long Ltd", "email": "long@example.com", "timezone": "UTC"}
    made = _post(idp_backend, token, "/customers", customer, key)
    again = _post(idp_backend, token, "/customers", customer, key)
    assert made.status_code == again.status_code == 201, (made.text, again.text)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == made.json()["id"]
    changed = _post(idp_backend, token, "/customers", {**customer, "name": "Other"}, key)
    assert changed.status_code == 422 and changed.json()["type"].endswith("idempotency-key-reused")
