"""The newcomer path: `payrec up --demo` shows its work within a minute; bad setup is one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.support.backend import free_port, wait_until


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYREC_", "JAVA_API"))}
    return {**env, **extra}


def test_up_demo_shows_backend_keys_and_reminders_in_the_outbox(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "payrec", "up", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        wait_until(
            lambda: any("outbox  email to" in line for line in lines),
            timeout=60,
            message="a reminder in the outbox",
        )
        text = "".join(lines)
        assert f"backend http://127.0.0.1:{port}" in text
        assert f"http://127.0.0.1:{port}/docs" in text
        assert "admin key    prk_" in text and "worker key   prk_" in text
        assert "demo book    6 customers, 42 cases" in text
        assert f"app          http://127.0.0.1:{port}/app/" in text
        found = re.findall(r"sign in      (admin|agent): (\S+)  password (\S+)", text)
        people = {label: (email, password) for label, email, password in found}
        assert set(people) == {"admin", "agent"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as browser:
            form = browser.get("/app/sign-in").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            email, password = people["agent"]
            signed_in = browser.post(
                "/app/sign-in",
                data={"email": email, "password": password, "csrf_token": token.group(1)},
            )
            assert signed_in.status_code == 303, signed_in.text
            assert "<h1>Worklist</h1>" in browser.get("/app/").text
        assert "Traceback" not in text
        assert list((tmp_path / "payrec-data" / "outbox").glob("*.eml"))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        reader.join(timeout=5)


def test_worker_names_an_unreachable_smtp_server_in_one_line(tmp_path: Path) -> None:
    env = _clean_env(
        PAYREC_API_KEY="prk_0000000000000000_notarealkey",
        PAYREC_API_BASE_URL=f"http://127.0.0.1:{free_port()}",
        PAYREC_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "payrec", "worker", "--services", "reminders"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stderr.readline()  # type: ignore[union-attr]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert first.startswith("payrec: cannot reach the SMTP server at 127.0.0.1:")
    assert "reminders will wait and retry" in first
