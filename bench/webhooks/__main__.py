"""Outbound webhook deliveries/s to a local receiver, beside a bare httpx loop.

N events are put in the outbox with `events.emit` (as the services do, one per case), then
one `payrec worker --services webhooks` delivers them: claim, sign (standardwebhooks), post
to the checked address, report the batch's attempts in one request. The bare loop posts the
same bodies to the same receiver with one `httpx.Client`, one after the other, nothing signed
or recorded.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import (  # noqa: E402
    LiveBackend,
    create_pg_database,
    drop_pg_database,
    start_backend,
)
from tests.support.webhook_receiver import Receiver  # noqa: E402
from tests.support.workers import start_worker  # noqa: E402


def seed(backend: LiveBackend, count: int) -> list[str]:
    from payrec.server.db import Database
    from payrec.server.events.service import emit
    from payrec.server.models import WebhookDelivery

    db = Database(backend.db_url, pool_size=1)
    try:
        with db.write() as session:
            for i in range(count):
                emit(session, "case.updated", {"recoveryCaseId": f"case-bench-{i}", "n": i})
        with db.read() as session:
            return [d.body for d in session.query(WebhookDelivery).all()]
    finally:
        db.dispose()


def run(kind: str, count: int, concurrency: int) -> dict[str, float]:
    receiver = Receiver().start()
    url = create_pg_database("payrec_bench") if kind == "postgres" else ""
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"payrec-bench-wh-{secrets.token_hex(3)}"
    tmp.mkdir(parents=True)
    url = url or f"sqlite:///{tmp / 'bench.db'}"
    env = {"PAYREC_WEBHOOK_ALLOW_PRIVATE": "true"}
    backend = start_backend(url, tmp, env)
    try:
        made = backend.admin(
            "POST",
            "/webhook-endpoints",
            json={"url": receiver.base_url + "/bench", "events": ["case.updated"]},
        )
        assert made.status_code == 201, made.text
        receiver.secrets["/bench"] = made.json()["secret"]
        bodies = seed(backend, count)
        worker = start_worker(
            backend, smtp_url=None, services="webhooks", name="bench", concurrency=concurrency
        )
        try:
            deadline = time.monotonic() + 600
            while len(receiver.of("/bench")) < count and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.terminate()
        seen = receiver.of("/bench")
        assert len({r.webhook_id for r in seen}) == count and all(r.verified for r in seen)
        times = [r.at for r in seen]
        payrec_rate = (count - 1) / (max(times) - min(times))
        receiver.secrets["/bare"] = receiver.secrets["/bench"]
        with httpx.Client() as client:
            started = time.monotonic()
            for body in bodies:
                client.post(receiver.base_url + "/bare", content=body)
            bare_rate = count / (time.monotonic() - started)
    finally:
        backend.stop()
        receiver.stop()
        if kind == "postgres":
            drop_pg_database(url)
    return {
        "payrec_per_second": round(payrec_rate, 1),
        "bare_per_second": round(bare_rate, 1),
        "ratio": round(payrec_rate / bare_rate, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    print("| database | payrec deliveries/s | bare httpx loop/s | ratio |")
    print("|---|---|---|---|")
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        r = run(kind, args.count, args.concurrency)
        print(f"| {kind} | {r['payrec_per_second']} | {r['bare_per_second']} | {r['ratio']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
