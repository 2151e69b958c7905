"""`payrec extract PATH... [--json]`: extract invoice fields from files."""

from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import sys
from pathlib import Path
from typing import Any, TextIO

from .budget import Budget
from .result import FIELD_NAMES, ExtractionError, ExtractionResult
from .sandbox import extract_isolated
from .templates import load_templates

_PROGRESS_MIN_FILES = 5


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = total >= _PROGRESS_MIN_FILES and stream.isatty()

    def update(self, done: int, name: str) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / max(self.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {name[-40:]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


def _human(path: str, result: ExtractionResult) -> str:
    lines = [f"{path}  (method: {result.method}, confidence: {result.confidence:.2f})"]
    for name in FIELD_NAMES:
        if name not in result.fields or name == "lineItems":
            continue
        value = result.to_json_dict()[name]
        conf = result.field_confidence.get(name, 0.0)
        lines.append(f"  {name:<14} {value}  [{conf:.2f}]")
    for item in result.fields.get("lineItems", []):
        desc = item.description.replace("\n", " / ")
        qty = f"{item.quantity} x " if item.quantity is not None else ""
        price = f"{item.unit_price} " if item.unit_price is not None else ""
        lines.append(f"  - {desc[:60]:<60} {qty}{price}= {item.amount}")
    return "\n".join(lines)


def main_extract(argv: list[str]) -> int:
    """Entry point of `payrec extract`; returns the process exit code."""
    ap = argparse.ArgumentParser(prog="payrec extract",
                                 description="Extract invoice fields from PDF/image/XML files.")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument("--json", action="store_true", help="one JSON object per file per line")
    ap.add_argument("--templates", metavar="DIR",
                    help="directory of invoice2data-style issuer templates (optional)")
    args = ap.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files: no warning noise
    if args.templates:
        load_templates(args.templates)  # a broken template stops here, not in every file
    try:
        budget = Budget.from_env()
    except ValueError as exc:
        ap.error(str(exc))
    progress = _Progress(len(args.paths), sys.stderr)
    failures = 0
    for n, path in enumerate(args.paths, 1):
        progress.update(n - 1, path)
        record: dict[str, Any] = {"file": path}
        result: ExtractionResult | None = None
        try:
            data = Path(path).read_bytes()
            mime, _ = mimetypes.guess_type(path)
            result = extract_isolated(
                data, filename=path, mime_type=mime, templates=args.templates, budget=budget
            )
        except ExtractionError as exc:
            record["error"] = exc.reason
        except OSError as exc:
            record["error"] = f"cannot read file: {exc.strerror or exc}"
        if result is None:
            failures += 1
        if args.json:
            if result is not None:
                record.update(result.to_json_dict())
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif result is not None:
            progress.close()
            print(_human(path, result))
        else:
            progress.close()
            print(f"{path}  error: {record['error']}")
        sys.stdout.flush()
    progress.update(len(args.paths), "")
    progress.close()
    return 1 if failures == len(args.paths) else 0
