"""python -m payrec.extraction PATH... [--json]"""

import sys

from .cli import main_extract

raise SystemExit(main_extract(sys.argv[1:]))
