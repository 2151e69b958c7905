"""`payrec worker`: run the automation services until SIGTERM, then stop cleanly."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from payrec.automation.loop import ServiceLoop
from payrec.automation.senders import Channels, channels_from_env, smtp_problem
from payrec.client import AutomationApiClient, CircuitBreaker

logger = logging.getLogger("payrec.worker")
SERVICES = ("scheduler", "reminders", "notifications", "extraction", "webhooks")


@dataclass
class WorkerOptions:
    services: tuple[str, ...] = SERVICES
    concurrency: int = 4
    poll_interval: float = 2.0
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    data_dir: Path | None = None
    lease_seconds: int = 60
    scheduler_interval: float = 30.0


class Worker:
    """The services of one worker process, each in its own loop, sharing one API client."""

    def __init__(
        self, client: AutomationApiClient, channels: Channels, options: WorkerOptions
    ) -> None:
        self.client = client
        self.channels = channels
        self.options = options
        self.stop_event = threading.Event()
        self.loops: list[ServiceLoop] = []
        self._closers: list[Callable[[], None]] = []
        for name in options.services:
            step = self._build(name)
            # One scheduler pass covers the whole open book, so passes are spaced out.
            scheduling = name == "scheduler"
            interval = options.scheduler_interval if scheduling else options.poll_interval
            self.loops.append(
                ServiceLoop(
                    name, step, self.stop_event, poll_interval=interval, pause_after_work=scheduling
                )
            )

    def _build(self, name: str) -> Callable[[], int]:
        if name == "scheduler":
            from payrec.automation.scheduler import Scheduler

            return Scheduler(self.client, collections_email=self.channels.collections_email).step
        if name == "reminders":
            from payrec.automation.reminders import ReminderSender

            sender = ReminderSender(
                self.client,
                self.channels,
                worker_id=self.options.worker_id,
                concurrency=self.options.concurrency,
                lease_seconds=self.options.lease_seconds,
            )
            self._closers.append(sender.close)
            return sender.step
        if name == "notifications":
            from payrec.automation.notifications import NotificationDispatcher

            return NotificationDispatcher(
                self.client,
                self.channels,
                worker_id=self.options.worker_id,
                lease_seconds=self.options.lease_seconds,
            ).step
        if name == "extraction":
            from payrec.automation.extraction_service import ExtractionService

            return ExtractionService(self.client).step
        if name == "webhooks":
            from payrec.automation.webhooks import WebhookDeliverer

            deliverer = WebhookDeliverer(
                self.client,
                worker_id=self.options.worker_id,
                concurrency=self.options.concurrency,
                lease_seconds=self.options.lease_seconds,
            )
            self._closers.append(deliverer.close)
            return deliverer.step
        raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}")

    def start(self) -> None:
        for loop in self.loops:
            loop.start()
        logger.info(
            "worker %s running: %s", self.options.worker_id, ", ".join(self.options.services)
        )

    def stop(self) -> None:
        """Stop claiming; in-flight batches finish (their leases cover them), then close."""
        self.stop_event.set()
        for loop in self.loops:
            loop.join(timeout=60)
        for close in self._closers:
            close()
        self.channels.close()
        self.client.close()
        logger.info("worker %s stopped", self.options.worker_id)

    def wait(self) -> None:
        while not self.stop_event.wait(0.5):
            pass


def parse_services(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SERVICES]
    if unknown or not names:
        named = ", ".join(unknown) or "(none)"
        raise ValueError(f"unknown service(s) {named}; choose from {', '.join(SERVICES)}")
    return names


def main_worker(args: argparse.Namespace) -> int:
    from payrec.logs import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    if not (os.environ.get("PAYREC_API_KEY") or os.environ.get("JAVA_API_KEY")):
        print(
            "payrec: set PAYREC_API_KEY (an AUTOMATION_SERVICE key from `payrec keys create`)",
            file=sys.stderr,
        )
        return 2
    try:
        services = parse_services(args.services)
    except ValueError as exc:
        print(f"payrec: {exc}", file=sys.stderr)
        return 2
    options = WorkerOptions(
        services=services,
        concurrency=max(1, args.concurrency),
        poll_interval=max(0.05, args.poll_interval),
        worker_id=args.worker_id or f"{socket.gethostname()}:{os.getpid()}",
        data_dir=Path(args.data_dir) if args.data_dir else None,
        # the backend accepts leases of 5 s to an hour
        lease_seconds=min(3600, max(5, int(os.environ.get("PAYREC_LEASE_SECONDS", "60")))),
        scheduler_interval=max(0.05, args.scheduler_interval),
    )
    problem = smtp_problem()
    if problem:
        print(f"payrec: {problem}", file=sys.stderr)
    client = AutomationApiClient.from_env(
        service_name="payrec-worker",
        circuit_breaker=CircuitBreaker(failure_threshold=5, reset_timeout=10.0),
    )
    worker = Worker(client, channels_from_env(options.data_dir), options)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %s: stopping after in-flight work", signum)
        worker.stop_event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    worker.wait()
    worker.stop()
    return 0
