"""The collectors' workspace from a test's side: users, a signed-in HTTP client that keeps its
cookies and CSRF token, direct database touches the app has no button for yet, and a real
Chromium (Playwright, `/usr/bin/chromium`) with screenshots.

Browser fixtures are re-exported by `tests/browser/conftest.py`; reuse them from there.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import update

from payrec.server.db import Database
from payrec.server.models import Promise, RecoveryCase, Task
from tests.support.backend import LiveBackend

CHROMIUM = Path(os.environ.get("PAYREC_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class AppUser:
    id: str
    email: str
    password: str
    name: str
    role: str


def create_user(
    backend: LiveBackend, role: str = "AGENT", *, language: str = "en", name: str | None = None
) -> AppUser:
    """A new user made by the admin in the API, with a password of the test's own."""
    tag = secrets.token_hex(4)
    email = f"{role.lower()}-{tag}@example.com"
    password = f"pw-{secrets.token_urlsafe(12)}"
    name = name or f"{role.title()} {tag}"
    answer = backend.admin(
        "POST",
        "/users",
        json={
            "email": email,
            "role": role,
            "name": name,
            "language": language,
            "password": password,
        },
    )
    assert answer.status_code == 201, answer.text
    return AppUser(answer.json()["id"], email, password, name, role)


class AppClient:
    """A browser without a browser: follows the app's forms, keeps cookies and the CSRF token."""

    def __init__(self, backend: LiveBackend, *, headers: dict[str, str] | None = None) -> None:
        self.backend = backend
        self.http = httpx.Client(
            base_url=backend.base_url, timeout=30, follow_redirects=False, headers=headers
        )
        self.csrf_token: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _remember_token(self, response: httpx.Response) -> httpx.Response:
        found = (
            _TOKEN.search(response.text)
            if "html" in response.headers.get("content-type", "")
            else None
        )
        if found:
            self.csrf_token = found.group(1)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self._remember_token(self.http.get(path, **kw))

    def post(
        self, path: str, data: dict[str, str], *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        body = {**data, "csrf_token": self.csrf_token or ""} if csrf else data
        return self._remember_token(self.http.post(path, data=body, **kw))

    def sign_in(self, email: str, password: str, next_url: str = "/app/") -> httpx.Response:
        form = self.get("/app/sign-in")
        assert form.status_code == 200, form.text
        return self.post("/app/sign-in", {"email": email, "password": password, "next": next_url})

    def signed_in_as(self, user: AppUser) -> AppClient:
        answer = self.sign_in(user.email, user.password)
        assert answer.status_code == 303 and answer.headers["location"] == "/app/", answer.text
        page = self.get("/app/")
        assert page.status_code == 200, page.text
        return self

    def sign_out(self) -> httpx.Response:
        return self.post("/app/sign-out", {})


def assign(db_url: str, case_id: str, user_id: str | None) -> None:
    """Set who a case is assigned to (the Assign action is another item of issue 14)."""
    db = Database(db_url, pool_size=1)
    try:
        with db.write() as session:
            session.execute(
                update(RecoveryCase)
                .where(RecoveryCase.id == case_id)
                .values(assignee_user_id=user_id)
                .execution_options(synchronize_session=False)
            )
    finally:
        db.dispose()


def time_passes(db_url: str, case_id: str) -> None:
    """Move the case's pause end and pending promise into the past (what waiting days
    would do); the backend's periodic check then finds them due."""
    db = Database(db_url, pool_size=1)
    past = datetime.now(UTC) - timedelta(seconds=1)
    try:
        with db.write() as session:
            case = session.get(RecoveryCase, case_id)
            assert case is not None
            for promise in session.query(Promise).filter_by(recovery_case_id=case_id).all():
                if promise.status == "PENDING":
                    if case.paused_until == promise.breaks_at:
                        case.paused_until = past
                    promise.breaks_at = past
            if case.paused_until is not None and case.paused_until > past:
                case.paused_until = past
    finally:
        db.dispose()


def completed_step(db_url: str, case_id: str, policy_id: str, index: int) -> None:
    """Record that a policy step was carried out on a case (as the reminder worker would)."""
    db = Database(db_url, pool_size=1)
    now = datetime.now(UTC)
    try:
        with db.write() as session:
            session.add(
                Task(
                    type="REMINDER",
                    status="COMPLETED",
                    scheduled_at=now,
                    completed_at=now,
                    recovery_case_id=case_id,
                    dedupe_key=f"{policy_id}#{index}:{index * 7}:EMAIL",
                    meta={"stepIndex": index, "policyId": policy_id},
                )
            )
    finally:
        db.dispose()


# --- a real browser -------------------------------------------------------------------------


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if IN_CI:
        pytest.fail(
            f"{CHROMIUM} is required in CI (CI=true): scripts/install-system-deps installs it"
        )
    pytest.skip(f"{CHROMIUM} not installed: browser tests skipped")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (Debian's, never a downloaded build). Not per
    session: Playwright's sync API keeps an event loop running while it is open, and later
    tests in the same worker that call asyncio.run() would fail."""
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and its page, English."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """`screenshots(page, "worklist")` saves a full-page PNG under `PAYREC_SCREENSHOT_DIR`
    (one folder per test) or the test's tmp dir; answers the file's path."""
    root = (
        Path(os.environ["PAYREC_SCREENSHOT_DIR"])
        if os.environ.get("PAYREC_SCREENSHOT_DIR")
        else tmp_path
    )
    folder = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page: Any, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def browser_sign_in(page: Any, backend: LiveBackend, user: AppUser) -> None:
    page.goto(backend.base_url + "/app/")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Worklist", level=1).wait_for()
