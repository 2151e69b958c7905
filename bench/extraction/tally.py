"""Scoring one evaluation set: key fields per source and per language, calibration, lines."""

from __future__ import annotations

import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payrec.extraction import ExtractionError, extract_document

from .scoring import FIELD_MAP, KEY_FIELDS, expected_fields, field_correct, match_lines

BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


class Tally:
    def __init__(self) -> None:
        self.ok: dict[str, int] = defaultdict(int)
        self.n: dict[str, int] = defaultdict(int)

    def add(self, key: str, ok: bool) -> None:
        self.n[key] += 1
        self.ok[key] += int(ok)

    def acc(self, key: str | None = None) -> tuple[float, int, int]:
        ok = sum(self.ok.values()) if key is None else self.ok[key]
        n = sum(self.n.values()) if key is None else self.n[key]
        return (ok / n if n else 0.0), ok, n


def pct(t: tuple[float, int, int]) -> str:
    return f"{t[0]:.3f} ({t[1]}/{t[2]})"


def cpu() -> float:
    """CPU seconds of this process and its finished children (tesseract)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class SetScore:
    name: str
    documents: int = 0
    pages: int = 0
    errors: int = 0
    methods: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    hidden: Tally = field(default_factory=Tally)
    fuzzy: Tally = field(default_factory=Tally)
    due: Tally = field(default_factory=Tally)
    lines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    calib: list[tuple[float, bool]] = field(default_factory=list)
    calib_f: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def all(self) -> Tally:
        return self.by_source["all"]

    def high(self) -> tuple[float, int, int]:
        sel = [ok for c, ok in self.calib if c >= 0.9]
        return (sum(sel) / len(sel) if sel else 0.0), sum(sel), len(sel)

    def summary(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "pages": self.pages,
            "errors": self.errors,
            "methods": dict(self.methods),
            "key_all": self.all.acc()[0],
            "key_by_source": {s: t.acc()[0] for s, t in self.by_source.items()},
            "key_by_lang": {s: t.acc()[0] for s, t in self.by_lang.items()},
            "field": {f: self.all.acc(f)[0] for f in KEY_FIELDS},
            "acc_conf_ge_0_9": self.high()[0],
            "n_conf_ge_0_9": self.high()[2],
        }


def score_set(
    name: str,
    corpus: Path,
    docs: list[dict[str, Any]],
    *,
    read_einvoice: bool = True,
    verbose: bool = False,
) -> SetScore:
    sc = SetScore(name=name, documents=len(docs))
    for d in docs:
        data = (corpus / d["file"]).read_bytes()
        t0, c0 = time.perf_counter(), cpu()
        try:
            res = extract_document(data, filename=d["file"], read_einvoice=read_einvoice)
            out, conf = res.to_json_dict(), res.field_confidence
            sc.pages += max(res.pages, 1)
            sc.methods[res.method] += 1
        except ExtractionError as exc:
            out, conf = {"error": exc.reason}, {}
            sc.errors += 1
        sc.times.append(time.perf_counter() - t0)
        sc.cpu.append(cpu() - c0)
        # the manifest's language, else the one the extractor detected (marked with "~")
        src, lang = d["source"], d.get("lang") or f"~{out.get('customerLanguage', '?')}"
        gt, visible = expected_fields(d), d.get("visible", {})
        for f in KEY_FIELDS:
            if f not in gt:
                continue
            got = out.get(FIELD_MAP[f])
            ok = field_correct(f, gt[f], got)
            if f == "invoice_number" and not ok and gt.get("invoice_number_printed"):
                ok = field_correct(f, gt["invoice_number_printed"], got)
            if visible.get(f, True):
                sc.by_source[src].add(f, ok)
                sc.by_source["all"].add(f, ok)
                sc.by_lang[lang].add(f, ok)
                sc.fuzzy.add(f, ok or field_correct(f, gt[f], got, fuzzy=True))
                if got is not None:
                    c = conf.get(FIELD_MAP[f], 0.0)
                    sc.calib.append((c, ok))
                    sc.calib_f[f].append((c, ok))
                if verbose and not ok:
                    print(
                        f"MISS [{name}] {d['id']} {f}: want {gt[f]!r} got {got!r} "
                        f"conf {conf.get(FIELD_MAP[f])}",
                        file=sys.stderr,
                    )
            else:
                sc.hidden.add(f, ok)
        if "amount_due" in gt:
            sc.due.add(
                "amount_due", field_correct("amount_due", gt["amount_due"], out.get("amountDue"))
            )
        if gt.get("lines"):
            m, ne, ng = match_lines(gt["lines"], out.get("lineItems", []))
            for key in (src, "all"):
                sc.lines[key][0] += m
                sc.lines[key][1] += ne
                sc.lines[key][2] += ng
    return sc


def print_set(sc: SetScore, verbose: bool = False) -> None:
    print(
        f"\n=== {sc.name}: {sc.documents} documents, {sc.pages} pages, "
        f"methods {dict(sc.methods)}, errors {sc.errors}"
    )
    print(f"key-field accuracy (visible fields): {pct(sc.all.acc())}")
    print(f"  fuzzy names: {pct(sc.fuzzy.acc())}; not-visible (separate): {pct(sc.hidden.acc())}")
    print(
        "  per source: "
        + ", ".join(f"{s} {pct(t.acc())}" for s, t in sorted(sc.by_source.items()) if s != "all")
    )
    print(
        "  per language: " + ", ".join(f"{s} {pct(t.acc())}" for s, t in sorted(sc.by_lang.items()))
    )
    print("  per field: " + ", ".join(f"{f} {pct(sc.all.acc(f))}" for f in KEY_FIELDS))
    print(f"  amount_due (not key): {pct(sc.due.acc())}")
    m, ne, ng = sc.lines["all"]
    print(
        f"  line items: precision {m / ng if ng else 0.0:.3f} ({m}/{ng}), "
        f"recall {m / ne if ne else 0.0:.3f} ({m}/{ne})"
    )
    print(
        "  calibration: "
        + "; ".join(
            f"[{lo:.1f},{min(hi, 1.0):.1f}) n={len(s)} acc {sum(s) / len(s) if s else 0.0:.3f}"
            for lo, hi in BUCKETS
            for s in [[ok for c, ok in sc.calib if lo <= c < hi]]
        )
    )
    print(
        f"  conf >= 0.9 right: {pct(sc.high())}; per field: "
        + ", ".join(
            f"{f} {sum(ok for c, ok in v if c >= 0.9)}/{sum(1 for c, _ in v if c >= 0.9)}"
            for f, v in sc.calib_f.items()
        )
    )
    if sc.times:
        total = sum(sc.times)
        print(
            f"  time: {total / len(sc.times):.3f} s/document, max {max(sc.times):.3f} s; "
            f"CPU {sum(sc.cpu) / max(sc.pages, 1):.3f} s/page"
        )
