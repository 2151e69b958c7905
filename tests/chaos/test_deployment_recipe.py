"""docs/deployment.md, run literally: 2 backends + a load balancer + 2 workers, one PostgreSQL.

The blocks marked `<!-- recipe:NAME -->` in docs/deployment.md are run as written, through
bash, with one substitution: the environment file path `/etc/payrec/payrec.env` points at a
file this test writes per "host" (the same settings, a port per backend, the load balancer's
address and the key for the workers). Then a handful of reminders must be delivered once each.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.chaos.balancer import RoundRobinBalancer
from tests.chaos.conftest import sent_events, sql
from tests.support.backend import free_port, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import zone_where_hour_in

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
ENV_PATH = "/etc/payrec/payrec.env"


def recipe() -> dict[str, list[str]]:
    """The command lines of each `recipe:NAME` block of the deployment guide."""
    text = DOC.read_text()
    blocks = re.findall(r"<!-- recipe:(\w+) -->\s*```sh\n(.*?)```", text, flags=re.S)
    return {
        name: [line.strip() for line in body.splitlines() if line.strip()] for name, body in blocks
    }


class Host:
    """A machine of the recipe: its environment file and the processes it runs."""

    def __init__(self, root: Path, name: str, settings: dict[str, str]) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True)
        self.env_file = self.dir / "payrec.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = self.dir / "out.log"

    def _script(self, env_block: list[str], command: str) -> str:
        lines = [line.replace(ENV_PATH, str(self.env_file)) for line in env_block]
        return "\n".join([*lines, command])

    def run(self, env_block: list[str], command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", self._script(env_block, command)],
            capture_output=True,
            text=True,
            timeout=120,
            env=_base_env(),
            cwd=self.dir,
        )
        assert done.returncode == 0, f"{command!r} failed: {done.stderr[-2000:]}"
        return done.stdout

    def start(self, env_block: list[str], command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["bash", "-c", self._script(env_block, "exec " + command)],
            env=_base_env(),
            cwd=self.dir,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _base_env() -> dict[str, str]:
    """A clean environment with the `payrec` command on PATH (nothing PAYREC_* inherited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYREC_", "JAVA_API"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[Callable[[str, dict[str, str]], Host]]:
    made: list[Host] = []

    def factory(name: str, settings: dict[str, str]) -> Host:
        host = Host(tmp_path, name, settings)
        made.append(host)
        return host

    yield factory
    for host in made:
        host.stop()


def test_the_deployment_recipe_delivers_each_reminder_once(
    database_url_factory: Callable[[str], str],
    hosts: Callable[[str, dict[str, str]], Host],
    smtp: SmtpSink,
    tmp_path: Path,
) -> None:
    steps = recipe()
    assert {"env", "migrate", "keys", "backend", "worker", "check"} <= set(steps), steps
    env = steps["env"]
    db_url = database_url_factory("postgres")
    shared = {
        "PAYREC_DATABASE_URL": db_url,
        "PAYREC_DATA_DIR": str(tmp_path / "shared-data"),
        "PAYREC_SECRET_KEY": "deployment-recipe-master-key-0123456789",
        "PAYREC_HOST": "127.0.0.1",
        "PAYREC_RATE_LIMIT": "10000/second",
        "LOG_LEVEL": "INFO",
    }
    ports = [free_port(), free_port()]

    # 2. migrations, from two hosts at once: the advisory lock makes it safe
    ops = [hosts(f"ops{i}", shared) for i in range(2)]
    racing = [
        subprocess.Popen(
            ["bash", "-c", host._script(env, steps["migrate"][0])],
            env=_base_env(),
            stderr=subprocess.PIPE,
        )
        for host in ops
    ]
    for process in racing:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
    assert len(sql(db_url, "SELECT version_num FROM alembic_version")) == 1

    # 3. credentials
    worker_key, admin_key = (ops[0].run(env, line).strip() for line in steps["keys"])
    assert worker_key.startswith("prk_") and admin_key.startswith("prk_")

    # 4. two backends behind a round-robin load balancer
    backends = [
        hosts(f"api{i}", {**shared, "PAYREC_PORT": str(port)}) for i, port in enumerate(ports)
    ]
    for host in backends:
        host.start(env, steps["backend"][0])
    for port in ports:
        wait_until(
            lambda port=port: (
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            ),
            timeout=30,
            message=f"backend on {port}",
        )
    balancer = RoundRobinBalancer(ports).start()
    try:
        worker_settings = {
            "PAYREC_API_BASE_URL": balancer.url,
            "PAYREC_API_KEY": worker_key,
            "PAYREC_SMTP_URL": smtp.url,
            "PAYREC_DATA_DIR": str(tmp_path / "worker-data"),
            "LOG_LEVEL": "INFO",
        }
        # 6. the checks, through the load balancer
        checker = hosts("check", worker_settings)
        for line in steps["check"]:
            checker.run(env, line)
        assert httpx.get(balancer.url + "/readyz", timeout=5).status_code == 401

        # a handful of overdue cases, through the management API
        admin = httpx.Client(
            base_url=balancer.url + "/api/v1",
            headers={"Authorization": f"Bearer {admin_key}"},
            timeout=30,
        )
        zone = zone_where_hour_in(9, 19)
        emails = set()
        case_ids = set()
        for i in range(6):
            email = f"recipe-{i}@example.com"
            customer = admin.post(
                "/customers",
                json={"name": f"Recipe {i}", "email": email, "timezone": zone, "locale": "en_US"},
            )
            assert customer.status_code == 201, customer.text
            case = admin.post(
                "/recovery-cases",
                json={
                    "customerId": customer.json()["id"],
                    "invoiceNumber": f"R-{i}",
                    "amount": "120.00",
                    "currency": "EUR",
                    "dueDate": (date.today() - timedelta(days=2)).isoformat(),
                },
            )
            assert case.status_code == 201, case.text
            emails.add(email)
            case_ids.add(case.json()["id"])
        admin.close()

        # 5. two workers, pointed at the load balancer
        workers = [hosts(f"worker{i}", worker_settings) for i in range(2)]
        for host in workers:
            host.start(env, steps["worker"][0])
        wait_until(
            lambda: {a for m in smtp.messages for a in m.to} >= emails,
            timeout=60,
            interval=0.05,
            message="every reminder delivered",
        )
        wait_until(
            lambda: sent_events(db_url, case_ids).total() == len(case_ids),
            timeout=20,
            message="every reminder marked sent",
        )
        for host in workers:
            host.stop()
    finally:
        balancer.stop()
    per_address = Counter(a for m in smtp.messages for a in m.to if a in emails)
    assert per_address == Counter({e: 1 for e in emails})
    assert set(sent_events(db_url, case_ids).values()) == {1}
    assert all(balancer.connections[port] > 0 for port in ports), balancer.connections
