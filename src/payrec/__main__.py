"""`python -m payrec` is the `payrec` command."""

import sys

from payrec.cli import main

sys.exit(main())
