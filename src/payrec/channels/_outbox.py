"""Idempotent, atomic file writes for the file outboxes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from payrec.channels.base import TransientChannelError

__all__ = ["write_once"]


def write_once(directory: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Write ``directory/name`` atomically unless it exists; return (path, written).

    The content goes to a temporary file in the same directory, is fsynced, then renamed with
    ``os.replace``: readers never see a half-written file, and a second delivery of the same
    seed leaves the first file in place. Disk errors are transient (retry later).
    """
    target = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return target, False
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    except OSError as exc:
        raise TransientChannelError(
            f"outbox write failed: {exc.strerror or type(exc).__name__}"
        ) from exc
    return target, True
