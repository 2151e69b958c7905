"""Evaluation sets: the development corpus and invoices-intl split by layout family.

The held-out families are never looked at while developing rules (README of invoices-intl:
split by layout family, and fnfe-mpe 2022/2026 are one lineage, so both stay on one side).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
DEV_CORPUS = SHARED / "invoices"
INTL_CORPUS = SHARED / "invoices-intl"

# one family per language at least where the language has more than one family
INTL_HELDOUT_FAMILIES = frozenset(
    {
        "fnfe-mpe:2018",
        "fnfe-mpe:2020",
        "fnfe-mpe:2023-uc1",
        "securibox:pacano",
        "brazilfiscalreport:danfse",
        "f72x:sunat-representacion-impresa",
        "efactuur-pdf-nl:ubl",
        "ksef-fop:fa2",
    }
)


@dataclass(slots=True)
class EvalSet:
    name: str
    corpus: Path
    docs: list[dict[str, Any]]


def load_manifest(corpus: Path) -> list[dict[str, Any]]:
    lines = (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def eval_sets(
    dev: Path = DEV_CORPUS, intl: Path = INTL_CORPUS, generated: Path | None = None
) -> list[EvalSet]:
    out = [EvalSet("dev", dev.resolve(), load_manifest(dev))]
    if generated is not None and (generated / "manifest.jsonl").exists():
        from .generated import HELDOUT_LAYOUTS

        docs = load_manifest(generated)
        held = [d for d in docs if d["family"].removeprefix("gen:") in HELDOUT_LAYOUTS]
        rest = [d for d in docs if d["family"].removeprefix("gen:") not in HELDOUT_LAYOUTS]
        out.append(EvalSet("gen-dev", generated.resolve(), rest))
        out.append(EvalSet("gen-heldout", generated.resolve(), held))
    if (intl / "manifest.jsonl").exists():
        docs = load_manifest(intl)
        held = [d for d in docs if d["family"] in INTL_HELDOUT_FAMILIES]
        rest = [d for d in docs if d["family"] not in INTL_HELDOUT_FAMILIES]
        out.append(EvalSet("intl-dev", intl.resolve(), rest))
        out.append(EvalSet("intl-heldout", intl.resolve(), held))
    return out
