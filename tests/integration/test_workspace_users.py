"""People who sign in to the workspace: created by the CLI and by an admin in the API."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, create_user


def _payrec(*args: str, cwd: Path, stdin: str | None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYREC_")}
    return subprocess.run(
        [sys.executable, "-m", "payrec", *args],
        cwd=cwd,
        env=clean,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_users_create_cli_takes_the_password_from_stdin(tmp_path: Path) -> None:
    result = _payrec(
        "users",
        "create",
        "--email",
        "Ann@Example.com",
        "--role",
        "agent",
        "--name",
        "Ann",
        "--language",
        "de",
        cwd=tmp_path,
        stdin="correct horse battery\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("created user ann@example.com (usr-")
    assert "one-time password" not in result.stdout
    again = _payrec(
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--role",
        "AGENT",
        cwd=tmp_path,
        stdin="another long password\n",
    )
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr


def test_users_create_cli_refuses_a_short_password_and_a_bad_role(tmp_path: Path) -> None:
    short = _payrec(
        "users",
        "create",
        "--email",
        "b@example.com",
        "--role",
        "ADMIN",
        cwd=tmp_path,
        stdin="short\n",
    )
    assert short.returncode == 2 and "password" in short.stderr
    role = _payrec(
        "users",
        "create",
        "--email",
        "b@example.com",
        "--role",
        "ROOT",
        cwd=tmp_path,
        stdin="long enough password\n",
    )
    assert role.returncode == 2 and "role must be one of ADMIN, AGENT" in role.stderr
    zone = _payrec(
        "users",
        "create",
        "--email",
        "b@example.com",
        "--role",
        "AGENT",
        "--time-zone",
        "Mars/Olympus_Mons",
        cwd=tmp_path,
        stdin="long enough password\n",
    )
    assert zone.returncode == 2 and "not a time zone" in zone.stderr, zone.stderr


def test_admin_creates_users_in_the_api_agent_is_refused(backend: LiveBackend) -> None:
    email = f"coll-{secrets.token_hex(3)}@example.com"
    created = backend.admin(
        "POST", "/users", json={"email": email, "role": "AGENT", "name": "Col Lector"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == email and body["role"] == "AGENT" and body["language"] == "en"
    assert len(body["oneTimePassword"]) >= 16 and "passwordHash" not in body
    listed = backend.admin("GET", "/users").json()["users"]
    assert any(u["id"] == body["id"] and "oneTimePassword" not in u for u in listed)
    duplicate = backend.admin("POST", "/users", json={"email": email.upper(), "role": "AGENT"})
    assert duplicate.status_code == 409, duplicate.text
    bad = backend.admin("POST", "/users", json={"email": "not-an-address", "role": "AGENT"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    url = f"{backend.base_url}/api/v1/users"
    assert backend.http.get(url, headers=agent).status_code == 403
    refused = backend.http.post(
        url, json={"email": "x@example.com", "role": "ADMIN"}, headers=agent
    )
    assert refused.status_code == 403
    assert not any(
        u["email"] == "x@example.com" for u in backend.admin("GET", "/users").json()["users"]
    )
    events = backend.admin("GET", "/audit-events", params={"entityId": body["id"]}).json()["events"]
    assert [e["action"] for e in events] == ["user.created"]


def test_admin_signs_a_user_out_everywhere_in_the_api(backend: LiveBackend) -> None:
    user = create_user(backend, "AGENT")
    with AppClient(backend) as client:
        client.signed_in_as(user)
        revoked = backend.admin("POST", f"/users/{user.id}/sessions/revoke")
        assert revoked.status_code == 200, revoked.text
        assert client.get("/app/").status_code == 303  # the session is over
        assert client.sign_in(user.email, user.password).status_code == 303  # the account stays
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    url = f"{backend.base_url}/api/v1/users/{user.id}/sessions/revoke"
    assert backend.http.post(url, headers=agent).status_code == 403
    events = backend.admin("GET", "/audit-events", params={"entityId": user.id}).json()["events"]
    assert "user.sessions_revoked" in [e["action"] for e in events]


def test_a_users_time_zone_is_set_and_read_in_the_api_and_on_the_profile_page(
    backend: LiveBackend,
) -> None:
    email = f"tz-{secrets.token_hex(3)}@example.com"
    created = backend.admin(
        "POST", "/users", json={"email": email, "role": "AGENT", "timeZone": "Europe/Berlin"}
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert created.json()["timeZone"] == "Europe/Berlin"
    plain = backend.admin(
        "POST", "/users", json={"email": f"u{email}", "role": "AGENT", "password": "x" * 12}
    )
    assert plain.json()["timeZone"] == "UTC"  # no zone given: UTC
    changed = backend.admin("PATCH", f"/users/{user_id}", json={"timeZone": "America/New_York"})
    assert changed.status_code == 200 and changed.json()["timeZone"] == "America/New_York"
    assert backend.admin("GET", f"/users/{user_id}").json()["timeZone"] == "America/New_York"
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "utc+2", ""):
        refused = backend.admin("PATCH", f"/users/{user_id}", json={"timeZone": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "timeZone"
    refused = backend.admin(
        "POST", "/users", json={"email": f"v{email}", "role": "AGENT", "timeZone": "Nowhere"}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "timeZone"
    assert backend.admin("GET", f"/users/{user_id}").json()["timeZone"] == "America/New_York"

    user = create_user(backend, "AGENT", name="Zoe Zone")
    with AppClient(backend) as client:
        client.signed_in_as(user)
        page = client.get("/app/me")
        assert page.status_code == 200 and 'value="UTC"' in page.text
        saved = client.post(
            "/app/me", {"name": "Zoe Z", "language": "en", "time_zone": "Asia/Tokyo"}
        )
        assert saved.status_code == 303, saved.text
        wrong = client.post("/app/me", {"name": "Zoe Z", "language": "en", "time_zone": "Tokyo"})
        assert wrong.status_code == 422 and "Choose a time zone from the list" in wrong.text
        forged = client.post(
            "/app/me", {"name": "X", "language": "en", "time_zone": "UTC"}, csrf=False
        )
        assert forged.status_code == 403
    stored = backend.admin("GET", f"/users/{user.id}").json()
    assert (stored["name"], stored["timeZone"]) == ("Zoe Z", "Asia/Tokyo")
