"""Extract one document in a child process with its own memory and time limits.

The child (`python -m payrec.extraction.child`) sets RLIMIT_AS to the memory budget (inherited
by the Tesseract processes it starts) and RLIMIT_CPU past the time budget; the parent kills its
whole process group when the wall-clock budget runs out. Whatever happens in the child (a
MemoryError, a crash of pdfium, a kill) comes back here as one ExtractionError with a reason, so
the caller marks the document failed once and goes on with the next one. The result crosses as
JSON, never as a pickle: the child parses hostile input.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .budget import Budget, BudgetExceeded
from .result import ExtractionError, ExtractionResult

log = logging.getLogger(__name__)
CHILD_MODULE = "payrec.extraction.child"
# what the child may see of the environment: no API key, SMTP password or signing secret
_ENV_KEPT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV",
             "LD_LIBRARY_PATH", "TESSDATA_PREFIX", "SYSTEMROOT")
_ENV_PREFIXES = ("LC_", "PYTHON", "PAYREC_TESSERACT", "PAYREC_OCR_", "PAYREC_EXTRACT",
                 "COVERAGE_")
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGTRAP, signal.SIGILL}


def extract_isolated(
    data: bytes,
    *,
    filename: str | None = None,
    mime_type: str | None = None,
    templates: str | Path | None = None,
    budget: Budget | None = None,
) -> ExtractionResult:
    """Like :func:`payrec.extraction.extract_document`, in a child process within `budget`
    (default: from the environment). Raises ExtractionError, BudgetExceeded when over budget."""
    budget = budget or Budget.from_env()
    options = {
        "filename": filename, "mimeType": mime_type,
        "templates": str(templates) if templates is not None else None,
        "budget": budget.to_dict(),
    }
    env = child_env(os.environ)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, json.dumps(options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env=env,
        )
    except OSError as exc:
        raise ExtractionError(f"cannot start the extraction process: {exc}") from exc
    try:
        out, err = proc.communicate(data, timeout=budget.timeout_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise BudgetExceeded(
            f"not done after {budget.timeout_seconds:g} s (PAYREC_EXTRACTION_TIMEOUT_SECONDS)"
        ) from None
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode:
        _kill_group(proc)  # OCR processes left behind by a dying child
    elapsed = time.monotonic() - started
    answer = _answer(out)
    if answer is None:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        log.warning("extraction of %s ended with %s after %.1f s: %s", filename or "document",
                    proc.returncode, elapsed, " | ".join(detail))
        raise _failure(proc.returncode, budget)
    log.debug("extraction of %s took %.1f s", filename or "document", elapsed)
    if answer.get("ok"):
        try:
            return ExtractionResult.from_wire(answer["wire"])
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            # never an exception the worker would retry forever
            raise ExtractionError(f"the extraction process answered malformed data ({exc})") \
                from exc
    reason = str(answer.get("reason") or "unreadable document")
    raise BudgetExceeded(reason) if answer.get("overBudget") else ExtractionError(reason)


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the child: the little it needs to run Python and Tesseract. It parses
    hostile input, so it gets no credential of the worker (API key, SMTP URL, tokens)."""
    kept = {k: v for k, v in environ.items() if k in _ENV_KEPT or k.startswith(_ENV_PREFIXES)}
    return {**kept, "MALLOC_ARENA_MAX": "2", "OMP_THREAD_LIMIT": "1"}


def _answer(out: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def _failure(returncode: int | None, budget: Budget) -> ExtractionError:
    memory = f"{budget.memory_mb} MB, PAYREC_EXTRACTION_MEMORY_MB"
    if returncode is not None and returncode < 0:
        sig = signal.Signals(-returncode)
        if sig == signal.SIGXCPU:
            return BudgetExceeded(f"CPU time past {budget.timeout_seconds:g} s")
        if sig == signal.SIGKILL:
            return BudgetExceeded(f"the extraction process was killed (memory? {memory})")
        if sig in _CRASH_SIGNALS:
            return BudgetExceeded(
                f"the extraction process crashed ({sig.name}), most likely out of memory "
                f"({memory}); or the document is damaged"
            )
        return ExtractionError(f"the extraction process stopped ({sig.name})")
    return ExtractionError(f"the extraction process failed (exit code {returncode})")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
