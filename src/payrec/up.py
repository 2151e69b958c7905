"""`payrec up`: backend and workers in one command on embedded SQLite, with a live view."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx

logger = logging.getLogger("payrec.up")


def _say(text: str) -> None:
    print(text, flush=True)


def _ensure_keys(database_url: str, data_dir: Path) -> dict[str, str]:
    """Demo credentials, created once and kept (0600) in the data directory."""
    from payrec.server.actor import Actor
    from payrec.server.auth.service import create_client
    from payrec.server.db import Database

    path = data_dir / "demo-keys.json"
    if path.exists():
        keys: dict[str, str] = json.loads(path.read_text())
        return keys
    db = Database(database_url, pool_size=1)
    keys = {}
    try:
        with db.write() as session:
            for label, role in (("admin", "ADMIN"), ("worker", "AUTOMATION_SERVICE")):
                _client, creds = create_client(
                    session, name=f"payrec-up-{label}", roles=[role], actor=Actor(name="payrec up")
                )
                keys[label] = creds.api_key
    finally:
        db.dispose()
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    return keys


DEMO_USERS = (("admin", "ADMIN", "Demo Admin"), ("agent", "AGENT", "Demo Agent"))


def _ensure_demo_users(database_url: str, data_dir: Path) -> dict[str, dict[str, str]]:
    """The demo's people (an admin and a collector), created once; their sign-in kept (0600)."""
    from payrec.server.actor import Actor
    from payrec.server.db import Database
    from payrec.server.users import repository as user_rows
    from payrec.server.users import service as users
    from payrec.server.users.passwords import generate_password

    path = data_dir / "demo-users.json"
    if path.exists():
        known: dict[str, dict[str, str]] = json.loads(path.read_text())
        return known
    db = Database(database_url, pool_size=1)
    people: dict[str, dict[str, str]] = {}
    try:
        with db.write() as session:
            for label, role, name in DEMO_USERS:
                email = f"{label}@demo.payrec.dev"
                password = generate_password()
                found = user_rows.by_email(session, email)
                if found is None:
                    users.create(
                        session,
                        email=email,
                        role=role,
                        name=name,
                        password=password,
                        actor=Actor(name="payrec up"),
                    )
                else:  # a data directory that lost its file: give the account a new password
                    users.update(
                        session, found.id, password=password, actor=Actor(name="payrec up")
                    )
                people[label] = {"email": email, "password": password}
    finally:
        db.dispose()
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(people, handle)
    return people


class OutboxWatcher(threading.Thread):
    """Prints each message that lands in the file outbox."""

    def __init__(self, outbox: Path, stop: threading.Event) -> None:
        super().__init__(name="payrec-outbox", daemon=True)
        self.outbox = outbox
        self.stop = stop
        self.seen: set[str] = set(p.name for p in outbox.glob("*")) if outbox.exists() else set()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            if not self.outbox.exists():
                continue
            for path in sorted(self.outbox.glob("*"), key=lambda p: p.stat().st_mtime):
                if path.name in self.seen or path.name.startswith("."):
                    continue
                self.seen.add(path.name)
                _say(f"  outbox  {_describe(path)}")


class FailureWatcher(threading.Thread):
    """Prints each reminder that failed (the outbox shows only what was sent)."""

    def __init__(self, base_url: str, admin_key: str, stop: threading.Event) -> None:
        super().__init__(name="payrec-failures", daemon=True)
        self.url = base_url.rstrip("/") + "/api/v1/audit-events"
        self.headers = {"Authorization": f"Bearer {admin_key}", "X-Service-Name": "payrec-up"}
        self.stop = stop
        self.seen: set[str] | None = None  # failures from before the first poll are not news

    def poll(self) -> list[str]:
        """Lines for the failures not shown yet (newest last)."""
        response = httpx.get(
            self.url,
            params={"action": "reminder.failed", "limit": 100},
            headers=self.headers,
            timeout=10,
        )
        response.raise_for_status()
        events = list(reversed(response.json().get("events", [])))
        fresh = [e for e in events if self.seen is not None and e["id"] not in self.seen]
        self.seen = (self.seen or set()) | {e["id"] for e in events}
        return [_failure_line(e) for e in fresh]

    def run(self) -> None:
        while True:
            try:
                for line in self.poll():
                    _say(line)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                logger.debug("failure watch skipped: %s", exc)
            if self.stop.wait(2.0):
                return


def _failure_line(event: dict[str, object]) -> str:
    after = event.get("after")
    error = after.get("error") if isinstance(after, dict) else None
    case = event.get("recoveryCaseId")
    return f"  FAILED  reminder for case {case}: {error or 'no reason given'}"


def _describe(path: Path) -> str:
    try:
        if path.suffix == ".eml":
            import email
            import email.policy

            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            return f"email to {message['To']}: {message['Subject']}"
        data = json.loads(path.read_text())
        return f"SMS to {data.get('to')}: {str(data.get('body'))[:60]}"
    except Exception:
        return path.name


def main_up(args: argparse.Namespace) -> int:
    import uvicorn

    from payrec.command_error import CliError
    from payrec.logs import configure_logging
    from payrec.server.app import create_app
    from payrec.server.http_protocol import http_protocol
    from payrec.startup import migrate, settings_from_args

    os.environ.setdefault(
        "PAYREC_RATE_LIMIT", "2000/second"
    )  # the in-process workers are busy callers
    if args.demo and not args.no_demo:  # the demo book's creditor, unless one is configured
        os.environ.setdefault("PAYREC_CREDITOR_NAME", "Demo Supplies Ltd")
    settings = settings_from_args(args)
    configure_logging("WARNING" if settings.log_level.upper() == "INFO" else settings.log_level)
    data_dir = settings.data_dir.resolve()
    migrate(settings.database_url)
    keys = _ensure_keys(settings.database_url, data_dir)
    demo = args.demo and not args.no_demo
    people = _ensure_demo_users(settings.database_url, data_dir) if demo else {}
    base_url = f"http://{settings.host}:{settings.port}"

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            log_config=None,  # configure_logging above: uvicorn's lines go through it
            access_log=False,
            http=http_protocol(),
        )
    )
    server_thread = threading.Thread(target=server.run, name="payrec-backend", daemon=True)
    server_thread.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if not server_thread.is_alive() or time.monotonic() > deadline:
            raise CliError(
                f"the backend could not start on {settings.host}:{settings.port} (port in use?)"
            )
        time.sleep(0.1)

    _say(f"payrec is up: backend {base_url}  (database {settings.database_url})")
    _say(f"  API docs     {base_url}/docs")
    _say(f"  admin key    {keys['admin']}")
    _say(f"  worker key   {keys['worker']}")
    if people:
        _say(f"  app          {base_url}/app/")
        for label, person in people.items():
            _say(f"  sign in      {label}: {person['email']}  password {person['password']}")
    if os.environ.get("PAYREC_SMTP_URL"):
        from payrec.automation.senders import smtp_problem

        problem = smtp_problem()
        _say(f"  email        via SMTP{': ' + problem if problem else ''}")
    else:
        _say(f"  outbox       {data_dir / 'outbox'}   (set PAYREC_SMTP_URL to send real email)")
    if args.demo and not args.no_demo:
        from payrec.demo import load_demo

        counts = load_demo(base_url, keys["admin"])
        if counts["cases"]:
            _say(
                f"  demo book    {counts['customers']} customers, {counts['cases']} cases, "
                f"{counts['payments']} payments loaded"
            )
        else:
            _say("  demo book    already loaded")

    from payrec.automation.runner import Worker, WorkerOptions
    from payrec.automation.senders import channels_from_env
    from payrec.client import AutomationApiClient

    client = AutomationApiClient(base_url, keys["worker"], service_name="payrec-up-worker")
    worker = Worker(
        client,
        channels_from_env(data_dir),
        WorkerOptions(
            poll_interval=max(0.2, args.poll_interval),
            worker_id=f"up:{os.getpid()}",
            data_dir=data_dir,
            scheduler_interval=5.0,
        ),
    )
    stop = threading.Event()
    watcher = OutboxWatcher(data_dir / "outbox", stop)
    failures = FailureWatcher(base_url, keys["admin"], stop)
    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
        failures.poll()  # what failed before this start is not news

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    worker.start()
    watcher.start()
    failures.start()
    _say("  workers      scheduler, reminders, notifications, extraction running; Ctrl-C stops")
    while not stop.wait(0.5):
        if not server_thread.is_alive():
            _say("payrec: the backend stopped")
            break
    _say("stopping…")
    worker.stop()
    server.should_exit = True
    server_thread.join(timeout=15)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)
