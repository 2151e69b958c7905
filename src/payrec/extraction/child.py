"""The extraction child process: `python -m payrec.extraction.child OPTIONS_JSON < document`.

Started by :func:`payrec.extraction.sandbox.extract_isolated`; sets its own limits first, then
extracts the document read from stdin and writes one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
import math
import resource
import sys
from typing import Any

from .api import extract_document
from .budget import Budget, BudgetExceeded
from .result import ExtractionError


def limit_resources(budget: Budget) -> None:
    """Address space = the memory budget; CPU time a little past the wall-clock budget."""
    memory = budget.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(budget.timeout_seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def run(options: dict[str, Any], data: bytes) -> dict[str, Any]:
    budget = Budget.from_dict(options["budget"])
    try:
        result = extract_document(
            data, filename=options.get("filename"), mime_type=options.get("mimeType"),
            templates=options.get("templates"), budget=budget,
        )
    except BudgetExceeded as exc:
        return {"ok": False, "overBudget": True, "reason": exc.what}
    except ExtractionError as exc:
        return {"ok": False, "reason": exc.reason}
    except MemoryError:
        return {"ok": False, "overBudget": True,
                "reason": f"out of memory ({budget.memory_mb} MB, PAYREC_EXTRACTION_MEMORY_MB)"}
    except RecursionError:
        return {"ok": False, "reason": "unreadable document (nested too deeply)"}
    return {"ok": True, "wire": result.to_wire()}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files: no warning noise
    options = json.loads(argv[0])
    limit_resources(Budget.from_dict(options["budget"]))
    data = sys.stdin.buffer.read()
    answer = run(options, data)
    del data
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
