"""Keep the leases of in-flight tasks alive while they are being worked on."""

from __future__ import annotations

import logging
import threading

from payrec.client import ApiError, AutomationApiClient, ConflictError

logger = logging.getLogger("payrec.worker")


class LeaseKeeper:
    """Heartbeats every held lease at a third of its length; forgets leases that were lost."""

    def __init__(self, client: AutomationApiClient, lease_seconds: int) -> None:
        self._client = client
        self._lease_seconds = lease_seconds
        self._held: dict[str, str] = {}
        self._lost: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payrec-leases", daemon=True)
        self._thread.start()

    def hold(self, task_id: str, lease_token: str) -> None:
        with self._lock:
            self._held[task_id] = lease_token
            self._lost.discard(task_id)  # a new claim of a task lost earlier: a new lease

    def release(self, task_id: str) -> None:
        with self._lock:
            self._held.pop(task_id, None)

    def lost(self, task_id: str) -> bool:
        with self._lock:
            return task_id in self._lost

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = max(1.0, self._lease_seconds / 3)
        while not self._stop.wait(interval):
            with self._lock:
                held = list(self._held.items())
            for task_id, token in held:
                try:
                    self._client.heartbeat(task_id, token, lease_seconds=self._lease_seconds)
                except ConflictError:
                    with self._lock:
                        # Only the lease we beat for: the task may have been released and
                        # claimed again (a new token) since the snapshot above.
                        if self._held.get(task_id) != token:
                            continue
                        self._held.pop(task_id, None)
                        self._lost.add(task_id)
                    logger.warning("lease of %s was lost", task_id)
                except ApiError as exc:
                    logger.warning("heartbeat of %s failed: %s", task_id, type(exc).__name__)
