"""Run every benchmark: `python -m bench [--quick] [--full] [--only NAME,...]`.

Each suite runs as its own subprocess (`python -m bench.<name> --json FILE ...`), so one that
is missing or failing is reported and the others still run. The figures go to
`bench/results/<date>.json`, and a Markdown table of the headline numbers is printed.

Suites: api (API endpoints vs a bare endpoint), reminders (the reminder pipeline vs a bare
smtplib loop and the guide's sample service; claiming throughput), scale (hot query cost at
10k -> 100k -> 1M cases), bank (a 10,000-entry camt.053 matched against 100k open cases),
extraction (corpus scoring), chaos (the slow chaos tests).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent


def _suites(quick: bool, full: bool) -> dict[str, list[str]]:
    """Suite name -> extra arguments (each also gets `--json FILE`)."""
    return {
        "api": ["--quick"] if quick else [],
        "reminders": ["--quick"] if quick else [],
        "scale": ["--full"] if full else [],
        "bank": ["--cases", "10000", "--entries", "1000"] if quick else [],
        "extraction": ["--ocr-sample", "0"] if quick else [],
        "chaos": [],
    }


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "-" * (width - filled) + f"] {done}/{total}"


def _present(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"bench.{name}.__main__") is not None
    except ImportError:  # the package bench.<name> itself is missing
        return False


def _run_suite(name: str, extra: list[str], out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    if name == "chaos":
        command = [
            sys.executable, "-m", "pytest", "-q", "-m", "slow", "-p", "no:cacheprovider",
            str(REPO / "tests" / "chaos"),
        ]  # fmt: skip
    else:
        if not _present(name):
            return {"status": "missing", "detail": f"bench/{name} is not there (yet)"}
        command = [sys.executable, "-m", f"bench.{name}", *extra, "--json", str(out)]
    started = time.monotonic()
    log = out.with_suffix(".log")
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=sink, stderr=sink)
        while process.poll() is None:
            elapsed = time.monotonic() - started
            print(f"\r    {name}: running {elapsed:5.0f}s", end="", file=sys.stderr, flush=True)
            time.sleep(1)
    seconds = round(time.monotonic() - started, 1)
    print(f"\r    {name}: exit {process.returncode} after {seconds}s", file=sys.stderr)
    tail = log.read_text(errors="replace")[-3000:]
    result: dict[str, Any] = {
        "status": "ok" if process.returncode == 0 else "failed",
        "exit_code": process.returncode,
        "seconds": seconds,
        "command": " ".join(["python", "-m", *command[2:]]),
    }
    if out.exists():
        result["figures"] = json.loads(out.read_text())
    elif name == "chaos":
        result["summary"] = tail.strip().splitlines()[-1] if tail.strip() else ""
    if process.returncode != 0:
        result["log_tail"] = tail
    return result


def _headlines(name: str, result: dict[str, Any]) -> list[tuple[str, str]]:
    """(measure, value) rows for the Markdown table, from whatever the suite reported."""
    figures = result.get("figures") or {}
    rows: list[tuple[str, str]] = []
    try:
        if name == "reminders":
            bare = figures["bare"]["per_second"]
            rows.append(("bare smtplib loop, reminders/s", f"{bare}"))
            for run in figures["payrec"]:
                rows.append(
                    (
                        f"payrec, {run['workers']} worker(s), reminders/s",
                        f"{run['per_second']} ({run['ratio_to_bare']:.2f} x bare)",
                    )
                )
            sample = figures["sample"]
            rows.append(
                (
                    "guide's sample ReminderService, reminders/s",
                    f"{sample['per_second']} (payrec {sample['payrec_speedup']} x faster)",
                )
            )
            for claim in figures["claims"]:
                rows.append(
                    (f"claims, {claim['threads']} thread(s), tasks/s", f"{claim['per_second']}")
                )
        elif name == "scale":
            for size, queries in figures["results"].items():
                for query, data in queries.items():
                    seq = ", ".join(data["seq_scans"]) or "no seq scan"
                    if int(size) < 100_000:
                        seq = "small table: seq scan allowed"
                    rows.append((f"{query} @ {int(size):,} cases, ms", f"{data['ms']} ({seq})"))
        elif name == "api":
            for kind in ("sqlite", "postgres"):
                for endpoint, data in (figures.get(kind) or {}).items():
                    rows.append(
                        (
                            f"{kind} {endpoint}, requests/s",
                            f"{data['payrec_rps']} ({data['ratio']:.2f} x bare)",
                        )
                    )
        elif name == "bank":
            rows.append(("camt.053 entries matched and recorded/s",
                         f"{figures['payrec_entries_per_s']:.0f} (bare lookups "
                         f"{figures['bare_lookup_entries_per_s']:.0f}/s, share "
                         f"{figures['lookup_share']:.2f})"))
        elif name == "extraction":
            for key, value in figures.items():
                if isinstance(value, (int, float, str)):
                    rows.append((key, str(value)))
        elif name == "chaos":
            rows.append(("slow chaos tests", str(result.get("summary", ""))))
    except (KeyError, TypeError, ValueError) as exc:
        rows.append(("(figures not understood)", f"{type(exc).__name__}: {exc}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    parser.add_argument("--full", action="store_true", help="the 1M-case scale run too")
    parser.add_argument("--only", default="", help="comma-separated suites to run")
    parser.add_argument("--skip", default="", help="comma-separated suites to skip")
    args = parser.parse_args(argv)
    suites = _suites(args.quick, args.full)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    chosen = [n for n in suites if (not only or n in only) and n not in skip]
    stamp = datetime.now(UTC)
    report: dict[str, Any] = {
        "date": stamp.isoformat(timespec="seconds"),
        "quick": args.quick,
        "full": args.full,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "suites": {},
    }
    with tempfile.TemporaryDirectory(prefix="payrec-bench-") as tmp:
        for index, name in enumerate(chosen):
            print(f"{_bar(index, len(chosen))} {name}", file=sys.stderr, flush=True)
            report["suites"][name] = _run_suite(name, suites[name], Path(tmp) / f"{name}.json")
        print(f"{_bar(len(chosen), len(chosen))} done", file=sys.stderr)
    results = ROOT / "results"
    results.mkdir(exist_ok=True)
    path = results / f"{stamp:%Y-%m-%d}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n## Benchmarks, {stamp:%Y-%m-%d %H:%M} UTC ({os.cpu_count()} CPUs)\n")
    print("| suite | measure | value |")
    print("|---|---|---|")
    for name, result in report["suites"].items():
        if result["status"] == "missing":
            print(f"| {name} | - | missing: {result['detail']} |")
            continue
        rows = _headlines(name, result) or [("status", result["status"])]
        for measure, value in rows:
            print(f"| {name} | {measure} | {value} |")
        if result["status"] != "ok":
            print(f"| {name} | status | {result['status']} (exit {result['exit_code']}) |")
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0 if all(r["status"] != "failed" for r in report["suites"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
