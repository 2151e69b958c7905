"""Keep the leases of in-flight tasks alive while they are being worked on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from payrec.client import (
    ApiError,
    ApiStatusError,
    ConflictError,
    HeartbeatsResult,
    NotFoundError,
    Task,
)

logger = logging.getLogger("payrec.worker")

MAX_PER_REQUEST = 500  # the backend's limit for one `POST /tasks/heartbeat`


class HeartbeatApi(Protocol):
    def heartbeat_tasks(
        self, leases: Mapping[str, str], *, lease_seconds: int | None = None
    ) -> HeartbeatsResult: ...

    def heartbeat(
        self, task_id: str, lease_token: str, *, lease_seconds: int | None = None
    ) -> Task: ...


@dataclass
class _Lease:
    token: str
    deadline: float  # time.monotonic() by which the backend may give the task to another worker
    ending: bool = False  # its holder is completing or releasing it: gone soon, not "lost"


class LeaseKeeper:
    """Renews every held lease at a third of its length, all in one request per round, and
    tells a sender whether its lease will last long enough to send.

    A lease's local deadline is counted from before the request that got or renewed it, so it
    never outlives the backend's.
    """

    def __init__(self, client: HeartbeatApi, lease_seconds: int, *, start: bool = True) -> None:
        self._client = client
        self._batched = True  # False once the backend turned out to predate the batch call
        self._lease_seconds = lease_seconds
        self._held: dict[str, _Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payrec-leases", daemon=True)
        if start:
            self._thread.start()

    def hold(self, task_id: str, lease_token: str, *, since: float | None = None) -> None:
        """Keep `task_id`'s lease alive; `since` is `time.monotonic()` before it was claimed."""
        deadline = (since if since is not None else time.monotonic()) + self._lease_seconds
        with self._lock:
            lease = self._held.get(task_id)
            if lease is not None and lease.token == lease_token:
                return  # held already: its deadline stands (a later one would be a guess)
            self._held[task_id] = _Lease(lease_token, deadline)  # a new claim: a new lease

    def release(self, task_id: str) -> None:
        with self._lock:
            self._held.pop(task_id, None)

    def ending(self, task_id: str) -> None:
        """The holder is about to complete or release the task: renewals go on until it is
        released, but the backend answering it gone is then expected, not a lost lease."""
        with self._lock:
            lease = self._held.get(task_id)
            if lease is not None:
                lease.ending = True

    def remaining(self, task_id: str) -> float:
        """Seconds the lease surely lasts (0 if lost or not held)."""
        with self._lock:
            lease = self._held.get(task_id)
            return 0.0 if lease is None else max(0.0, lease.deadline - time.monotonic())

    def ensure(
        self, task_id: str, seconds: float, *, confirmed_within: float | None = None
    ) -> bool:
        """Is the lease surely held for `seconds` more (and, with `confirmed_within`, did the
        backend confirm it that recently)? Renews it now if not; False when it is lost or
        cannot be confirmed (the sender must then not act on the task).

        A recent confirmation matters before contacting a customer: a payment, an opt-out or
        a paused case cancels the task, and the cancelled lease is how the worker learns it.
        """
        left = self.remaining(task_id)
        fresh = confirmed_within is None or self._lease_seconds - left <= confirmed_within
        if left >= seconds and fresh:
            return True
        with self._lock:
            lease = self._held.get(task_id)
        if lease is None:
            return False
        self._renew_round({task_id: lease.token})
        return self.remaining(task_id) >= seconds

    def renew_now(self) -> None:
        """One renewal round for every held lease (the background thread's work)."""
        with self._lock:
            held = {task_id: lease.token for task_id, lease in self._held.items()}
        items = list(held.items())
        for start in range(0, len(items), MAX_PER_REQUEST):
            self._renew_round(dict(items[start : start + MAX_PER_REQUEST]))

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = max(1.0, self._lease_seconds / 3)
        while not self._stop.wait(interval):
            self.renew_now()

    def _renew(self, leases: dict[str, str]) -> Mapping[str, Any]:
        """One `POST /tasks/heartbeat`; a task at a time from a backend that predates it
        (rolling upgrades: workers may be upgraded before the backends)."""
        if self._batched:
            try:
                return self._client.heartbeat_tasks(leases, lease_seconds=self._lease_seconds)
            except ApiStatusError as exc:
                if exc.status_code not in (404, 405):
                    raise
                logger.info("the backend has no batched heartbeat: one request per lease")
                self._batched = False
        renewed, lost = [], []
        for task_id, token in leases.items():
            try:
                self._client.heartbeat(task_id, token, lease_seconds=self._lease_seconds)
            except (ConflictError, NotFoundError):
                lost.append({"id": task_id})
            else:
                renewed.append({"id": task_id})
        return {"renewed": renewed, "lost": lost}

    def _renew_round(self, leases: dict[str, str]) -> None:
        if not leases:
            return
        sent = time.monotonic()
        try:
            answer = self._renew(leases)
        except ApiError as exc:
            logger.warning("heartbeat of %d leases failed: %s", len(leases), type(exc).__name__)
            return
        renewed = {str(item["id"]) for item in answer.get("renewed") or ()}
        lost = {str(item["id"]) for item in answer.get("lost") or ()} - renewed
        unexpected = set()
        with self._lock:
            for task_id, token in leases.items():
                lease = self._held.get(task_id)
                # Only the lease we beat for: the task may have been released and claimed
                # again (a new token) while the request was in flight.
                if lease is None or lease.token != token:
                    continue
                if task_id in renewed:
                    lease.deadline = max(lease.deadline, sent + self._lease_seconds)
                elif task_id in lost:
                    del self._held[task_id]  # a lost lease is no longer held
                    if not lease.ending:
                        unexpected.add(task_id)
        for task_id in sorted(unexpected):
            logger.warning("lease of %s was lost", task_id)
