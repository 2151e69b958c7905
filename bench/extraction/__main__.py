"""Score payrec.extraction on every evaluation set (see bench/README.md).

python -m bench.extraction [--corpus DIR] [--intl DIR] [--sets dev,intl-dev,...]
                           [--generated DIR] [--gen-per-locale N] [--gen-seed S]
                           [--no-einvoice] [--ocr-sample N] [--json FILE] [--verbose]

Every set is scored twice: the normal path (an e-invoice XML embedded in a PDF is read) and
the page path (`read_einvoice=False`: the visible text/layout only). invoices-intl PDFs carry
no XML (their README: it was stripped), so there both paths read the page.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from payrec.extraction import ExtractionError, extract_document

from .generated import generate
from .scoring import FIELD_MAP, field_correct
from .splits import DEV_CORPUS, INTL_CORPUS, eval_sets
from .tally import Tally, cpu, pct, print_set, score_set


def _ocr_sample(corpus: Path, docs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Render single-page documents to 300 dpi PNG and extract them through OCR."""
    import pypdfium2 as pdfium

    from payrec.extraction.ocr import ocr_available

    if not ocr_available():
        return {"skipped": "tesseract not installed"}
    tally, times, cpus = Tally(), [], []

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
        c0 = cpu()
        try:
            res = extract_document(buf.getvalue(), filename="page.png").to_json_dict()
        except ExtractionError:
            res = {}
        times.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
        for f in ("invoice_number", "amount", "date"):
            if f in d["gt"] and d.get("visible", {}).get(f, True):
                tally.add(f, field_correct(f, d["gt"][f], res.get(FIELD_MAP[f])))
    return {
        "pages": len(picked),
        "s_per_page": sum(times) / max(len(times), 1),
        "cpu_s_per_page": sum(cpus) / max(len(cpus), 1),
        "max_s": max(times, default=0.0),
        "accuracy": tally.acc(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extraction")
    ap.add_argument("--corpus", type=Path, default=DEV_CORPUS, help="development corpus")
    ap.add_argument("--intl", type=Path, default=INTL_CORPUS, help="invoices-intl corpus")
    ap.add_argument(
        "--sets", default="dev,intl-dev,intl-heldout,gen-dev,gen-heldout", help="sets to score"
    )
    ap.add_argument(
        "--generated",
        type=Path,
        default=Path(tempfile.gettempdir()) / "payrec-bench-generated",
        help="where generated invoices are rendered (bench.extraction.generated; cached by seed)",
    )
    ap.add_argument("--gen-per-locale", type=int, default=5, help="0 = no generated set")
    ap.add_argument("--gen-seed", type=int, default=19)
    ap.add_argument(
        "--no-einvoice",
        action="store_true",
        help="score the page path only (never read an embedded e-invoice XML)",
    )
    ap.add_argument("--ocr-sample", type=int, default=6, help="pages to OCR (0 = skip)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every miss")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args(argv)
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
    report: dict[str, Any] = {}
    headline: list[str] = []
    gen_dir = None
    if args.gen_per_locale and wanted & {"gen-dev", "gen-heldout"}:
        gen_dir = generate(args.generated, args.gen_per_locale, args.gen_seed)
    for es in eval_sets(args.corpus, args.intl, gen_dir):
        if es.name not in wanted:
            continue
        modes = [False] if args.no_einvoice else [True, False]
        for read in modes:
            label = es.name if read else f"{es.name} (page only, no XML)"
            sc = score_set(label, es.corpus, es.docs, read_einvoice=read, verbose=args.verbose)
            print_set(sc, verbose=args.verbose)
            report[label] = sc.summary()
            langs = ", ".join(f"{k} {t.acc()[0]:.3f}" for k, t in sorted(sc.by_lang.items()))
            headline.append(
                f"  {label:36s} key {pct(sc.all.acc())}  conf>=0.9 right {pct(sc.high())}"
                f"  [{langs}]"
            )
        if es.name == "dev" and args.ocr_sample:
            ocr = _ocr_sample(es.corpus, es.docs, args.ocr_sample)
            report["ocr"] = ocr
            if "skipped" in ocr:
                print(f"\nOCR sample: skipped ({ocr['skipped']})")
            else:
                print(
                    f"\nOCR sample (one-page documents at 300 dpi, PNG): {ocr['pages']} pages, "
                    f"{ocr['s_per_page']:.2f} s/page wall (max {ocr['max_s']:.2f}), "
                    f"{ocr['cpu_s_per_page']:.2f} s/page CPU, "
                    f"number/total/date accuracy {pct(ocr['accuracy'])}"
                )
    print("\nsummary:")
    print("\n".join(headline))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
