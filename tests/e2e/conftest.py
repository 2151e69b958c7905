"""End-to-end stacks: a real backend, real worker processes and a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.backend import LiveBackend
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker


@dataclass
class Stack:
    backend: LiveBackend
    smtp: SmtpSink
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_worker(self, name: str = "w", **kw: object) -> WorkerProcess:
        worker = start_worker(self.backend, smtp_url=self.smtp.url, name=name, **kw)  # type: ignore[arg-type]
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.terminate()
        self.workers.clear()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[Stack]:
    smtp = SmtpSink().start()
    stack = Stack(backend_factory(request.param), smtp)
    yield stack
    stack.stop_workers()
    smtp.stop()


@pytest.fixture
def running(stack: Stack) -> Iterator[Stack]:
    """The stack with one worker process running the scheduler, reminders and notifications."""
    stack.start_worker("main")
    yield stack
    stack.stop_workers()
