"""Issue 20, items 3, 4 and 6, for databases written before the fix: migration 0006 removes the
plaintext signing key and the stored secrets, and re-keys the stored answers by full scope."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from payrec.server.auth.roles import Principal
from payrec.server.context import idempotency_scope
from payrec.server.db import make_engine
from payrec.server.migrate import upgrade
from tests.support.backend import make_key, start_backend

BEFORE = "0005_phone_digits"
PATH = "/api/v1/service-clients"


def _fingerprint(body: bytes) -> str:
    """How the backend identifies a request body for its Idempotency-Key (POST, path, body)."""
    return hashlib.sha256(b"POST" + PATH.encode() + b"\0" + body).hexdigest()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_upgrade_leaves_no_secret_and_rekeys_stored_answers(
    kind: str, database_url_factory: Callable[[str], str], tmp_path: Path
) -> None:
    url = database_url_factory(kind)
    upgrade(url, BEFORE)
    admin_key = make_key(url, "old-admin", "ADMIN")
    request = json.dumps({"name": "old", "roles": ["AGENT"]}).encode()
    revealed = {"id": "svc-old", "name": "old", "apiKey": "prk_0123456789abcdef_LEAKED"}
    revealed["clientSecret"] = "LEAKED-CLIENT-SECRET"
    later = datetime.now(UTC) + timedelta(hours=1)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            admin_id = conn.execute(
                text("SELECT id FROM service_clients WHERE name = 'old-admin'")
            ).scalar_one()
            conn.execute(
                text("INSERT INTO signing_keys (kid, secret, created_at) VALUES (:k, :s, :t)"),
                {"k": "payrec-hs256-1", "s": "PLAINTEXT-SIGNING-KEY", "t": datetime.now(UTC)},
            )
            conn.execute(
                text(
                    "INSERT INTO idempotency_keys (caller, key, fingerprint, state, "
                    "response_status, response_body, created_at, expires_at) "
                    "VALUES (:c, :k, :f, 'DONE', 201, :b, :t, :e)"
                ),
                [
                    {**row, "f": _fingerprint(request), "t": datetime.now(UTC), "e": later}
                    for row in (
                        {"c": admin_id, "k": "secret", "b": json.dumps(revealed).encode()},
                        {"c": admin_id, "k": "plain", "b": b'{"id": "cust-1"}'},
                        {"c": "x" * 40, "k": "external", "b": b'{"id": "cust-2"}'},
                    )
                ],
            )
        upgrade(url)
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT count(*) FROM signing_keys")).scalar_one()
            rows = {
                key: (caller, state, bytes(body))
                for caller, key, state, body in conn.execute(
                    text("SELECT caller, key, state, response_body FROM idempotency_keys")
                )
            }
    finally:
        engine.dispose()

    assert keys == 0  # the plaintext key is gone; the next start generates a sealed one
    scope = idempotency_scope(Principal(subject=admin_id, name="old-admin"))
    assert set(rows) == {"secret", "plain"}  # the external subject's truncated scope is dropped
    assert rows["plain"] == (scope, "DONE", b'{"id": "cust-1"}')
    caller, state, body = rows["secret"]
    assert (caller, state) == (scope, "WITHHELD")
    assert b"LEAKED" not in body and json.loads(body)["id"] == "svc-old"

    backend = start_backend(url, tmp_path / "data", provision=False)
    backend.admin_key = admin_key
    try:
        replay = backend.admin(
            "POST",
            "/service-clients",
            content=request,
            headers={"Idempotency-Key": "secret", "Content-Type": "application/json"},
        )
        assert replay.status_code == 409, replay.text
        assert replay.json()["resource"]["id"] == "svc-old" and "LEAKED" not in replay.text
        plain = backend.admin(
            "POST",
            "/service-clients",
            content=request,
            headers={"Idempotency-Key": "plain", "Content-Type": "application/json"},
        )
        assert plain.headers.get("idempotent-replayed") == "true", plain.text
    finally:
        backend.stop()
