"""The loop every service runs in: poll, work, idle politely, back off when the backend is away."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from payrec.client import ApiConnectionError, CircuitOpenError, ServerError

logger = logging.getLogger("payrec.worker")

MAX_AWAY_WAIT = 30.0


@dataclass
class LoopStats:
    iterations: int = 0
    items: int = 0
    errors: int = 0


class ServiceLoop:
    """Runs `step()` until `stop` is set; `step` returns how many items it handled."""

    def __init__(
        self,
        name: str,
        step: Callable[[], int],
        stop: threading.Event,
        *,
        poll_interval: float,
        pause_after_work: bool = False,
    ) -> None:
        self.name = name
        self._step = step
        self._stop = stop
        self._poll = poll_interval
        self._pause_after_work = pause_after_work
        self.stats = LoopStats()
        self._thread = threading.Thread(target=self.run, name=f"payrec-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def run(self) -> None:
        away = 0.0
        while not self._stop.is_set():
            self.stats.iterations += 1
            try:
                handled = self._step()
                away = 0.0
            except (CircuitOpenError, ApiConnectionError, ServerError) as exc:
                # The backend is away: wait, doubling up to MAX_AWAY_WAIT, without spinning.
                away = min(MAX_AWAY_WAIT, max(self._poll, away * 2 or self._poll))
                self.stats.errors += 1
                logger.warning(
                    "%s: backend unavailable (%s); retrying in %.1fs",
                    self.name,
                    type(exc).__name__,
                    away,
                )
                self._stop.wait(away)
                continue
            except Exception:
                self.stats.errors += 1
                logger.exception("%s: unexpected error", self.name)
                self._stop.wait(self._poll)
                continue
            self.stats.items += handled
            if handled == 0 or self._pause_after_work:
                self._stop.wait(self._poll)
