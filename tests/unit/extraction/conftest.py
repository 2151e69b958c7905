"""Shared fixtures: the invoice corpus beside the clone (<clone>/../shared/corpus/invoices)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CORPUS = (Path(__file__).parents[3] / ".." / "shared" / "corpus" / "invoices").resolve()


def _manifest() -> dict[str, dict[str, Any]]:
    path = CORPUS / "manifest.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {Path(r["file"]).name: r for r in rows}


MANIFEST = _manifest()


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"invoice corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> dict[str, dict[str, Any]]:
    return MANIFEST
