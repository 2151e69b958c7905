"""Start real `payrec worker` processes against a live backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support.backend import LiveBackend
from tests.support.lifetime import tied_to_this_process

ZONES = [
    "Pacific/Auckland",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Berlin",
    "Europe/London",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
]


def zone_where_hour_in(start: int, end: int) -> str:
    """An IANA zone whose local hour is now in [start, end)."""
    now = datetime.now(UTC)
    for name in ZONES:
        if start <= now.astimezone(ZoneInfo(name)).hour < end:
            return name
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}" if offset else "UTC"
        if start <= now.astimezone(ZoneInfo(name)).hour < end:
            return name
    raise AssertionError("no zone found")


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def terminate(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_worker(
    backend: LiveBackend,
    *,
    smtp_url: str | None,
    services: str = "scheduler,reminders,notifications",
    concurrency: int = 4,
    extra_env: dict[str, str] | None = None,
    name: str = "w",
    scheduler_interval: str = "1",
) -> WorkerProcess:
    log = backend.data_dir / f"worker-{name}-{os.getpid()}-{datetime.now(UTC).timestamp()}.log"
    env = {
        **os.environ,
        "PAYREC_API_BASE_URL": backend.base_url,
        "PAYREC_API_KEY": backend.automation_key,
        "PAYREC_DATA_DIR": str(backend.data_dir),
        "PAYREC_RETRY_BASE_SECONDS": "0.2",
        "PAYREC_LEASE_SECONDS": "6",
        "RETRY_DELAY": "0.1",
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    if smtp_url:
        env["PAYREC_SMTP_URL"] = smtp_url
    process = subprocess.Popen(
        tied_to_this_process(
            [
                sys.executable,
                "-m",
                "payrec",
                "worker",
                "--services",
                services,
                "--poll-interval",
                "0.2",
                "--concurrency",
                str(concurrency),
                "--worker-id",
                name,
                "--scheduler-interval",
                scheduler_interval,
            ]
        ),
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return WorkerProcess(process, log)
