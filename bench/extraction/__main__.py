"""Score payrec.extraction on the invoice corpus.

python -m bench.extraction [--corpus DIR] [--ocr-sample N] [--no-einvoice] [--verbose]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from payrec.extraction import ExtractionError, extract_document

from .scoring import FIELD_MAP, KEY_FIELDS, field_correct, match_lines

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "invoices"
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


def _pct(t: tuple[float, int, int]) -> str:
    return f"{t[0]:.3f} ({t[1]}/{t[2]})"


def _cpu() -> float:
    """CPU seconds of this process and its finished children (tesseract)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _ocr_sample(corpus: Path, docs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Render single-page documents to 300 dpi PNG and extract them through OCR."""
    import pypdfium2 as pdfium

    from payrec.extraction.ocr import ocr_available

    if not ocr_available():
        return {"skipped": "tesseract not installed"}
    tally, times, cpu = Tally(), [], []

    def one_page(d: dict[str, Any]) -> bool:
        pdf = pdfium.PdfDocument(str(corpus / d["file"]))
        try:
            return len(pdf) == 1
        finally:
            pdf.close()

    docs = [d for d in docs if one_page(d)]  # the whole invoice is on the rendered page
    picked = [d for d in docs if d["source"] == "i2d"][: max(1, n // 2)]
    seen = {d["family"] for d in picked}
    for d in docs:
        if len(picked) >= n:
            break
        if d["family"] not in seen:
            picked.append(d)
            seen.add(d["family"])
    for d in picked:
        pdf = pdfium.PdfDocument(str(corpus / d["file"]))
        img = pdf[0].render(scale=300 / 72).to_pil()
        buf = io.BytesIO()
        img.save(buf, format="PNG", dpi=(300, 300))
        pdf.close()
        t0 = time.perf_counter()
        c0 = _cpu()
        try:
            res = extract_document(buf.getvalue(), filename="page.png").to_json_dict()
        except ExtractionError:
            res = {}
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
        for f in ("invoice_number", "amount", "date"):
            if f in d["gt"] and d.get("visible", {}).get(f, True):
                tally.add(f, field_correct(f, d["gt"][f], res.get(FIELD_MAP[f])))
    return {
        "pages": len(picked),
        "s_per_page": sum(times) / max(len(times), 1),
        "cpu_s_per_page": sum(cpu) / max(len(cpu), 1),
        "max_s": max(times, default=0.0),
        "accuracy": tally.acc(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extraction")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--ocr-sample", type=int, default=6, help="pages to OCR (0 = skip)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every miss")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    docs = [json.loads(x) for x in (corpus / "manifest.jsonl").read_text().splitlines() if x]

    main_t: dict[str, Tally] = defaultdict(Tally)  # per source, visible fields
    hidden_t: dict[str, Tally] = defaultdict(Tally)
    fuzzy_t: dict[str, Tally] = defaultdict(Tally)
    due_t = Tally()
    lines: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    calib: list[tuple[float, bool]] = []
    calib_f: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    times: list[float] = []
    cpu_main: list[float] = []
    pages = 0
    methods: dict[str, int] = defaultdict(int)
    errors = 0
    for d in docs:
        data = (corpus / d["file"]).read_bytes()
        t0 = time.perf_counter()
        c0 = _cpu()
        try:
            res = extract_document(data, filename=d["file"])
            out, conf = res.to_json_dict(), res.field_confidence
            pages += max(res.pages, 1)
            methods[res.method] += 1
        except ExtractionError as exc:
            out, conf = {"error": exc.reason}, {}
            errors += 1
        times.append(time.perf_counter() - t0)
        cpu_main.append(_cpu() - c0)
        src = d["source"]
        gt, visible = d["gt"], d.get("visible", {})
        for f in KEY_FIELDS:
            if f not in gt:
                continue
            got = out.get(FIELD_MAP[f])
            ok = field_correct(f, gt[f], got)
            if visible.get(f, True):
                main_t[src].add(f, ok)
                main_t["all"].add(f, ok)
                fuzzy_t["all"].add(f, field_correct(f, gt[f], got, fuzzy=True))
                if got is not None:
                    calib.append((conf.get(FIELD_MAP[f], 0.0), ok))
                    calib_f[f].append((conf.get(FIELD_MAP[f], 0.0), ok))
            else:
                hidden_t["all"].add(f, ok)
            if args.verbose and not ok and visible.get(f, True):
                print(
                    f"MISS {d['id']} {f}: want {gt[f]!r} got {got!r} conf {conf.get(FIELD_MAP[f])}",
                    file=sys.stderr,
                )
        if "amount_due" in gt:
            due_t.add(
                "amount_due", field_correct("amount_due", gt["amount_due"], out.get("amountDue"))
            )
        if gt.get("lines"):
            m, ne, ng = match_lines(gt["lines"], out.get("lineItems", []))
            for key in (src, "all"):
                lines[key][0] += m
                lines[key][1] += ne
                lines[key][2] += ng
            if args.verbose and (m < ne or ng > m):
                print(f"LINES {d['id']}: {m}/{ne} matched, {ng} extracted", file=sys.stderr)

    report: dict[str, Any] = {
        "documents": len(docs),
        "pages": pages,
        "errors": errors,
        "methods": dict(methods),
    }
    print(f"corpus: {corpus}  documents: {len(docs)}  pages: {pages}  methods: {dict(methods)}")
    print("\nkey-field accuracy (visible fields):")
    for src in ("i2d", "zugferd", "all"):
        print(f"  {src:8s} {_pct(main_t[src].acc())}")
        report[f"key_{src}"] = main_t[src].acc()[0]
    print(f"  fuzzy names (all): {_pct(fuzzy_t['all'].acc())}")
    print(f"  not-visible fields (all, separate): {_pct(hidden_t['all'].acc())}")
    print("\nper field (visible):            all             i2d             zugferd")
    for f in KEY_FIELDS:
        row = "  ".join(f"{_pct(main_t[s].acc(f)):15s}" for s in ("all", "i2d", "zugferd"))
        print(f"  {f:16s} {row}")
        report[f"field_{f}"] = main_t["all"].acc(f)[0]
    print(f"  {'amount_due':16s} {_pct(due_t.acc())}")
    print("\nline items:")
    for key in ("i2d", "zugferd", "all"):
        m, ne, ng = lines[key]
        p, r = (m / ng if ng else 0.0), (m / ne if ne else 0.0)
        print(f"  {key:8s} precision {p:.3f} ({m}/{ng})  recall {r:.3f} ({m}/{ne})")
        report[f"lines_{key}"] = {"precision": p, "recall": r}
    total_t = sum(times)
    print(
        f"\ntime: {total_t / len(docs):.3f} s/document, {total_t / max(pages, 1):.3f} s/page, "
        f"max {max(times):.3f} s; CPU {sum(cpu_main) / max(pages, 1):.3f} s/page"
    )
    report["s_per_doc"], report["s_per_page"] = total_t / len(docs), total_t / max(pages, 1)
    report["cpu_s_per_page"] = sum(cpu_main) / max(pages, 1)
    print("\nconfidence calibration (visible key fields that were extracted):")
    for lo, hi in BUCKETS:
        sel = [ok for c, ok in calib if lo <= c < hi]
        acc = sum(sel) / len(sel) if sel else 0.0
        print(f"  conf [{lo:.1f}, {min(hi, 1.0):.1f}]  n={len(sel):4d}  accuracy {acc:.3f}")
    print(
        "  per field, confidence >= 0.9:",
        ", ".join(
            f"{f} {sum(ok for c, ok in v if c >= 0.9)}/{sum(1 for c, _ in v if c >= 0.9)}"
            for f, v in calib_f.items()
        ),
    )
    if args.verbose:
        for f, v in calib_f.items():
            cells = []
            for lo, hi in BUCKETS:
                sel = [ok for c, ok in v if lo <= c < hi]
                cells.append(f"[{lo:.1f}: {sum(sel)}/{len(sel)}]")
            print(f"  {f:16s} " + " ".join(cells))
    high = [ok for c, ok in calib if c >= 0.9]
    report["acc_conf_ge_0_9"] = sum(high) / len(high) if high else None
    report["n_conf_ge_0_9"] = len(high)
    if args.ocr_sample:
        ocr = _ocr_sample(corpus, docs, args.ocr_sample)
        report["ocr"] = ocr
        if "skipped" in ocr:
            print(f"\nOCR sample: skipped ({ocr['skipped']})")
        else:
            print(
                f"\nOCR sample (one-page documents at 300 dpi, PNG): {ocr['pages']} pages, "
                f"{ocr['s_per_page']:.2f} s/page wall (max {ocr['max_s']:.2f}), "
                f"{ocr['cpu_s_per_page']:.2f} s/page CPU, "
                f"number/total/date accuracy {_pct(ocr['accuracy'])}"
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
