"""Child processes of the tests that do not outlive the test process."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

_LAUNCHER = Path(__file__).with_name("die_with_parent.py")


def tied_to_this_process(argv: list[str]) -> list[str]:
    """`argv`, started so that it gets SIGTERM when this process ends (Linux). Only from the
    main thread: the kernel ties the child to the thread that started it, and a helper thread
    may end before the test does."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return argv
    return [sys.executable, str(_LAUNCHER), str(os.getpid()), *argv]
