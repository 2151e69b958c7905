"""Start the real backend process on a free port, against a real database."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.lifetime import tied_to_this_process

# The master key of every test backend (`PAYREC_SECRET_KEY`): backends sharing a database must
# share it; a test passes `{"PAYREC_SECRET_KEY": ""}` to start one without.
TEST_SECRET_KEY = "payrec-tests-master-key-" + "k" * 16
PG_ADMIN_URL = os.environ.get("PAYREC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    predicate: Any, *, timeout: float = 15.0, interval: float = 0.05, message: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}: {last!r}")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def create_pg_database(prefix: str = "payrec_test") -> str:
    import psycopg

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def clone_pg_database(template_url: str, prefix: str = "payrec_test") -> str:
    """A new PostgreSQL database copied from `template_url` (`CREATE DATABASE ... TEMPLATE`:
    a file copy, ~0.1 s, where running every migration again takes seconds). Nobody may be
    connected to the template while it is copied."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    template = template_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def clone_sqlite_database(template_url: str, path: Path) -> str:
    """A new SQLite database file at `path` copied from `template_url` (SQLite's online backup,
    so a write-ahead log not yet checkpointed is copied too)."""
    import sqlite3

    source = sqlite3.connect(template_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return f"sqlite:///{path}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_key(db_url: str, name: str, role: str) -> str:
    [key] = make_keys(db_url, [(name, role)])
    return key


def make_keys(db_url: str, clients: list[tuple[str, str]]) -> list[str]:
    """API keys of new clients `(name, roles)`, made in one transaction on one connection."""
    from payrec.server.actor import Actor
    from payrec.server.auth.service import create_client
    from payrec.server.db import Database

    db = Database(db_url, pool_size=1)
    keys: list[str] = []
    try:
        with db.write() as session:
            for name, role in clients:
                _client, creds = create_client(
                    session, name=name, roles=role.split(","), actor=Actor(name="tests")
                )
                keys.append(creds.api_key)
        return keys
    finally:
        db.dispose()


def migrate(db_url: str) -> None:
    from payrec.server.migrate import upgrade

    upgrade(db_url)


@dataclass
class LiveBackend:
    """A running `payrec serve` process and the credentials to talk to it."""

    db_url: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    admin_key: str = ""
    automation_key: str = ""
    agent_key: str = ""
    log_path: Path | None = None
    _http: httpx.Client | None = field(default=None, repr=False)

    @property
    def http(self) -> httpx.Client:
        """A shared, thread-safe client (building one per request costs ~40 ms of TLS setup)."""
        if self._http is None:
            self._http = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))
        return self._http

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def automation_url(self) -> str:
        return self.base_url + "/api/v1/automation"

    @property
    def kind(self) -> str:
        return "postgres" if self.db_url.startswith("postgresql") else "sqlite"

    def provision(self, *, migrated: bool = False) -> None:
        """Migrate the database (unless it is `migrated` already) and create the test keys."""
        if not migrated:
            migrate(self.db_url)
        self.admin_key, self.automation_key, self.agent_key = make_keys(
            self.db_url,
            [
                ("test-admin", "ADMIN"),
                ("test-automation", "AUTOMATION_SERVICE"),
                ("test-agent", "AGENT"),
            ],
        )

    def start(self) -> LiveBackend:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "PAYREC_DATABASE_URL": self.db_url,
            "PAYREC_DATA_DIR": str(self.data_dir),
            "PAYREC_PORT": str(self.port),
            "PAYREC_HOST": "127.0.0.1",
            "PAYREC_RATE_LIMIT": "100000/second",
            # Every test calls from 127.0.0.1, many with bad credentials on purpose.
            "PAYREC_ANONYMOUS_RATE_LIMIT": "100000/second",
            "PAYREC_AUTH_FAILURE_LIMIT": "100000/minute",
            # The suite runs dozens of backends on one PostgreSQL: each keeps few connections.
            "PAYREC_DB_POOL_SIZE": "3",
            "LOG_LEVEL": "WARNING",
            "PAYREC_SECRET_KEY": TEST_SECRET_KEY,
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"backend-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            tied_to_this_process([sys.executable, "-m", "payrec", "serve", "--no-migrate"]),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(self._healthy, timeout=90, message=f"backend on {self.port}")
        except AssertionError:
            self.kill()  # a backend that never got healthy is no fixture's to stop: end it here
            raise
        return self

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"backend exited: {self.logs()[-2000:]}")
        try:
            return self.http.get(self.base_url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def logs(self) -> str:
        return (
            self.log_path.read_text(errors="replace")
            if self.log_path and self.log_path.exists()
            else ""
        )

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _call(self, key: str, prefix: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers: dict[str, str] = {"Authorization": f"Bearer {key}", **kw.pop("headers", {})}
        return self.http.request(method, self.base_url + prefix + path, headers=headers, **kw)

    def oauth_token(self, client: Mapping[str, Any], scope: str | None = None) -> str:
        """A JWT for a created service client (`POST /oauth/token`, client credentials)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client["clientId"],
            "client_secret": client["clientSecret"],
        }
        if scope:
            form["scope"] = scope
        response = self.http.post(self.base_url + "/oauth/token", data=form, timeout=10)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Call the management API (`/api/v1`) with the admin key."""
        return self._call(self.admin_key, "/api/v1", method, path, **kw)

    def auto(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Call the automation API (`/api/v1/automation`) with the automation key."""
        return self._call(self.automation_key, "/api/v1/automation", method, path, **kw)

    def new_customer(self, **fields: Any) -> dict[str, Any]:
        body = {
            "name": "Acme Corp",
            "email": "billing@acme.com",
            "phone": "+1-202-555-0123",
            "timezone": "America/New_York",
            "locale": "en_US",
            **fields,
        }
        response = self.admin("POST", "/customers", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def new_case(self, customer_id: str | None = None, **fields: Any) -> dict[str, Any]:
        customer_id = customer_id or self.new_customer()["id"]
        body = {
            "customerId": customer_id,
            "invoiceNumber": f"INV-{secrets.token_hex(3)}",
            "amount": "5000.00",
            "currency": "USD",
            "dueDate": "2024-01-10",
            "priority": "HIGH",
            **fields,
        }
        response = self.admin("POST", "/recovery-cases", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def new_reminder_task(
        self, case_id: str, task_type: str = "REMINDER", **metadata: Any
    ) -> dict[str, Any]:
        """A due task to e-mail the case's customer `reminder-1` (metadata overrides)."""
        body = {
            "type": task_type,
            "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case_id,
            "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1", **metadata},
        }
        response = self.auto("POST", "/tasks", json=body)
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task


def start_backend(
    db_url: str,
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    provision: bool = True,
    keys_from: LiveBackend | None = None,
    migrated: bool = False,
) -> LiveBackend:
    """Start `payrec serve`; `keys_from` shares another backend's credentials (same database);
    `migrated`: the database is at head already (a copy of a migrated template)."""
    backend = LiveBackend(db_url=db_url, data_dir=data_dir, env=dict(env or {}))
    if keys_from is not None:
        backend.admin_key = keys_from.admin_key
        backend.automation_key = keys_from.automation_key
        backend.agent_key = keys_from.agent_key
    elif provision:
        backend.provision(migrated=migrated)
    return backend.start()


def seed_overdue_book(
    db_url: str, count: int, *, timezone: str, days_overdue: int, tag: str
) -> list[dict[str, Any]]:
    """Insert `count` customers with one overdue case each straight into the database.

    For load tests only: the API path is covered elsewhere, and 1,000 POSTs would dominate.
    """
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from payrec.server.db import Database
    from payrec.server.models import Customer, RecoveryCase

    db = Database(db_url, pool_size=1)
    due = date.today() - timedelta(days=days_overdue)
    rows: list[dict[str, Any]] = []
    try:
        with db.write() as session:
            for i in range(count):
                customer = Customer(
                    name=f"Bulk {tag} {i}",
                    email=f"bulk-{tag}-{i}@example.com",
                    timezone=timezone,
                    locale="en_US",
                )
                session.add(customer)
                session.flush()
                case = RecoveryCase(
                    customer_id=customer.id,
                    invoice_number=f"B-{tag}-{i}",
                    amount=Decimal("100.00"),
                    amount_paid=Decimal(0),
                    currency="USD",
                    due_date=due,
                    status="OVERDUE",
                    priority="MEDIUM",
                    priority_rank=1,
                    created_at=datetime.now(UTC),
                )
                session.add(case)
                session.flush()
                rows.append({"id": case.id, "customer": {"email": customer.email}})
    finally:
        db.dispose()
    return rows
