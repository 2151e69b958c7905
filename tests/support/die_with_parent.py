"""Run a command that ends with the test process that started it.

`python die_with_parent.py PARENT_PID ARGV...` asks Linux to send SIGTERM when its parent
ends (``PR_SET_PDEATHSIG``, kept across ``execv``), then becomes ARGV. A test run killed
outright (SIGKILL, a CI timeout) so leaves no backend or worker behind holding ports and
PostgreSQL connections.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

if __name__ == "__main__":
    parent, argv = int(sys.argv[1]), sys.argv[2:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        sys.exit(1)
    os.execv(argv[0], argv)  # noqa: S606 - becomes the given command, as exec does
