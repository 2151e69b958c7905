"""Signing in to the app: sessions in a cookie, wrong passwords, throttling, revocation, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, create_user


def test_sign_in_with_the_right_password_opens_the_worklist(backend: LiveBackend) -> None:
    user = create_user(backend, "AGENT", name="Paula Collector")
    with AppClient(backend) as app:
        answer = app.sign_in(user.email.upper(), user.password)  # e-mail in any case
        assert answer.status_code == 303 and answer.headers["location"] == "/app/"
        cookie = answer.headers["set-cookie"].lower()
        assert "payrec_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http without an https public URL
        page = app.get("/app/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Worklist</h1>" in page.text and "Paula Collector" in page.text
        assert '<label for="q">Search</label>' in page.text and ">Sign out</button>" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_wrong_password_is_refused_without_a_session(backend: LiveBackend) -> None:
    user = create_user(backend, "AGENT")
    with AppClient(backend) as app:
        for email, password in (
            (user.email, user.password + "x"),
            ("nobody@example.com", "x" * 12),
        ):
            answer = app.sign_in(email, password)
            assert answer.status_code == 401, answer.text
            assert "Wrong email or password." in answer.text
            assert "payrec_session" not in answer.headers.get("set-cookie", "")
        assert app.get("/app/").status_code == 303


def test_pages_need_a_session_and_root_redirects_to_the_app(backend: LiveBackend) -> None:
    with AppClient(backend) as app:
        assert app.get("/").headers["location"] == "/app/"
        answer = app.get("/app/cases/case-nope?x=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/app/sign-in?next=/app/cases/case-nope%3Fx%3D1"
        htmx = app.get("/app/", headers={"HX-Request": "true"})
        assert htmx.headers["hx-redirect"].startswith("/app/sign-in")
        # a sign-in never sends anyone to another site
        user = create_user(backend, "AGENT")
        app.get("/app/sign-in")
        away = app.post(
            "/app/sign-in",
            {"email": user.email, "password": user.password, "next": "//evil.example/"},
        )
        assert away.headers["location"] == "/app/"


def test_post_without_csrf_token_is_refused_with_a_plain_page(backend: LiveBackend) -> None:
    user = create_user(backend, "AGENT")
    with AppClient(backend) as app:
        app.get("/app/sign-in")
        refused = app.post(
            "/app/sign-in", {"email": user.email, "password": user.password}, csrf=False
        )
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(
            "text/html"
        )
        assert "not sent from this app" in refused.text
        app.signed_in_as(user)
        for form in ({}, {"csrf_token": "forged"}):
            answer = app.post("/app/sign-out", form, csrf=False)
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"].startswith("text/html")
        # a header token only counts on an htmx request
        token = app.csrf_token or ""
        plain = app.http.post("/app/sign-out", headers={"X-CSRF-Token": token})
        assert plain.status_code == 403
        assert app.get("/app/").status_code == 200  # still signed in: nothing happened
        htmx = app.http.post("/app/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == "/app/sign-in"


def test_sign_out_and_revoked_sessions_are_signed_out(backend: LiveBackend) -> None:
    user = create_user(backend, "AGENT")
    with AppClient(backend) as first, AppClient(backend) as second, AppClient(backend) as third:
        first.signed_in_as(user)
        stolen = first.http.cookies.get("payrec_session")
        out = first.sign_out()
        assert out.status_code == 303 and out.headers["location"] == "/app/sign-in"
        assert first.get("/app/").status_code == 303
        # the cookie's value, replayed after signing out, opens nothing
        replay = AppClient(backend)
        replay.http.cookies.set("payrec_session", stolen or "", path="/app")
        assert replay.get("/app/").status_code == 303
        replay.close()
        second.signed_in_as(user)
        changed = backend.admin("PATCH", f"/users/{user.id}", json={"password": "a new password!"})
        assert changed.status_code == 200, changed.text
        assert second.get("/app/").status_code == 303  # a new password ends every session
        assert third.sign_in(user.email, user.password).status_code == 401
        third.signed_in_as(user.__class__(**{**user.__dict__, "password": "a new password!"}))
        disabled = backend.admin("PATCH", f"/users/{user.id}", json={"disabled": True})
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert third.get("/app/").status_code == 303
        assert third.sign_in(user.email, "a new password!").status_code == 401
    events = backend.admin("GET", "/audit-events", params={"entityId": user.id}).json()["events"]
    actions = [e["action"] for e in events]
    assert "user.signed_in" in actions and "user.signed_out" in actions
    assert actions.count("user.updated") == 2


def _attempt(app: AppClient, email: str, password: str) -> httpx.Response:
    """A sign-in over plain http to a backend that marks its cookies Secure (https public
    URL): the client will not send them back by itself, so the test hands the form's cookie
    over as a header."""
    form = app.get("/app/sign-in")
    assert "secure" in form.headers["set-cookie"].lower()
    token = app.csrf_token or ""
    return app.http.post(
        "/app/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        headers={"Cookie": f"payrec_signin={token}"},
    )


def test_failed_sign_ins_are_throttled_per_account_and_per_address(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory(
        "sqlite",
        env={
            "PAYREC_SIGNIN_ACCOUNT_LIMIT": "3 per minute",
            "PAYREC_SIGNIN_ADDRESS_LIMIT": "5 per minute",
            "PAYREC_PUBLIC_URL": "https://payrec.example",
        },
    )
    try:
        target, other, third = (create_user(backend, "AGENT") for _ in range(3))
        with AppClient(backend) as app:
            for _ in range(3):
                assert _attempt(app, target.email, "wrong password").status_code == 401
            blocked = _attempt(app, target.email, target.password)  # even the right one, now
            assert blocked.status_code == 429, blocked.text
            assert 1 <= int(blocked.headers["retry-after"]) <= 60
            assert "Too many failed sign-ins" in blocked.text
            ok = _attempt(app, other.email, other.password)  # another account from here: fine
            assert ok.status_code == 303, ok.text
            assert "secure" in ok.headers["set-cookie"].lower()  # behind an https public URL
            for _ in range(2):
                assert _attempt(app, other.email, "wrong password").status_code == 401
            assert _attempt(app, third.email, third.password).status_code == 429  # the address
    finally:
        backend.stop()


def test_one_time_password_is_changed_at_the_first_sign_in(backend: LiveBackend) -> None:
    email = f"otp-{secrets.token_hex(3)}@example.com"
    created = backend.admin("POST", "/users", json={"email": email, "role": "AGENT"})
    assert created.status_code == 201, created.text
    one_time = created.json()["oneTimePassword"]
    with AppClient(backend) as app, AppClient(backend) as other:
        for client in (app, other):
            assert client.sign_in(email, one_time).status_code == 303
            answer = client.get("/app/")
            assert answer.status_code == 303 and answer.headers["location"] == "/app/password"
        assert app.get("/app/cases/case-any").headers["location"] == "/app/password"
        form = app.get("/app/password")
        assert form.status_code == 200 and "<h1>Change password</h1>" in form.text
        assert "one-time password" in form.text
        new = "my very own password"
        for fields, message in (
            ({"current_password": one_time, "new_password": new, "repeat_password": "x"}, "differ"),
            ({"current_password": "wrong", "new_password": new, "repeat_password": new}, "Wrong"),
            (
                {"current_password": one_time, "new_password": "short", "repeat_password": "short"},
                "10 to",
            ),
        ):
            refused = app.post("/app/password", fields)
            assert refused.status_code == 422 and message in refused.text, refused.text
        assert (
            app.post(
                "/app/password", {"new_password": new, "repeat_password": new}, csrf=False
            ).status_code
            == 403
        )
        changed = app.post(
            "/app/password",
            {"current_password": one_time, "new_password": new, "repeat_password": new},
        )
        assert changed.status_code == 303 and changed.headers["location"] == "/app/"
        assert "<h1>Worklist</h1>" in app.get("/app/").text  # this browser goes on, signed in anew
        assert other.get("/app/password").status_code == 303  # every other session ended
        assert other.sign_in(email, one_time).status_code == 401
        assert other.sign_in(email, new).status_code == 303
