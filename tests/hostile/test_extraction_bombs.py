"""Issue 20, item 1: a small hostile document must not take extraction down or block its queue.

The bombs are made here in the shapes of the issue (huge pages drawing a tiny image; a TIFF of
huge frames; a few MB of deflated content inflating to gigabytes), uploaded to the real backend
with the real extraction worker running: each ends FAILED once, with its reason, in bounded
time and memory, and a good invoice uploaded after them is extracted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from payrec.extraction import Budget, BudgetExceeded, extract_isolated
from tests.hostile.documents import (
    content_bomb_pdf,
    pixel_bomb_pdf,
    settled,
    text_invoice_pdf,
    tiff_bomb,
    upload,
)
from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker

# small budgets keep the test fast; the defaults bound the same bombs, only later
BUDGET_ENV = {
    "PAYREC_EXTRACTION_MAX_PAGE_PIXELS": "2000000",
    "PAYREC_EXTRACTION_MAX_PIXELS": "5000000",
    "PAYREC_EXTRACTION_TIMEOUT_SECONDS": "30",
    "PAYREC_EXTRACTION_MEMORY_MB": "1024",
}
PER_DOCUMENT_S = 60
WORKER_PEAK_MB = 400
GOOD_INVOICE = [
    "ACME Supplies Ltd", "INVOICE", "Invoice Number: INV-20417", "Invoice Date: 2026-03-02",
    "Due Date: 2026-04-01", "Bill To: Kunden AG", "Description  Amount", "Widgets  119.00",
    "Total Due: EUR 119.00",
]


@pytest.fixture(scope="module")
def extracting(
    backend_factory: Callable[..., LiveBackend],
) -> Iterator[tuple[LiveBackend, WorkerProcess]]:
    # the generated invoice names its issuer plainly (confidence ~0.8): let it open its case
    backend = backend_factory("sqlite", env={"PAYREC_AUTO_APPLY_CONFIDENCE": "0.5"})
    worker = start_worker(
        backend, smtp_url=None, services="extraction", name="bombs", extra_env=BUDGET_ENV
    )
    yield backend, worker
    worker.terminate()
    backend.stop()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def test_bombs_fail_once_within_bounds_and_a_good_invoice_after_them_is_extracted(
    extracting: tuple[LiveBackend, WorkerProcess],
) -> None:
    backend, worker = extracting
    bombs = {
        # 30 pages of 3000x3000 pt, each drawing a 1x1 image (7.3 GB at a fixed 300 dpi)
        "tiny-image.pdf": (pixel_bomb_pdf(), "application/pdf", "no readable text"),
        # the same with a 100x100 image: worth OCR, so rendered until the pixel budget ends
        "stretched.pdf": (pixel_bomb_pdf(image=100), "application/pdf",
                          "over the extraction budget: page 3"),
        # 30 frames of 12000x12000 in ~20 KB
        "frames.tiff": (tiff_bomb(), "image/tiff",
                        "over the extraction budget: image frame 1 is 12000x12000"),
        # ~2 MB of deflated content inflating to 2 GiB
        "content.pdf": (content_bomb_pdf(2048), "application/pdf",
                        "over the extraction budget: page content decompresses"),
    }
    started = time.monotonic()
    uploaded = {name: upload(backend, data, name, mime)["id"]
                for name, (data, mime, _r) in bombs.items()}
    good = upload(backend, text_invoice_pdf(GOOD_INVOICE), "good.pdf")["id"]
    done: dict[str, float] = {}
    pending = dict(uploaded, good=good)

    def all_settled() -> bool:
        for name, doc_id in list(pending.items()):
            if settled(backend, doc_id) is not None:
                done[name] = time.monotonic() - started
                del pending[name]
        return not pending

    wait_until(
        all_settled, timeout=PER_DOCUMENT_S * (len(bombs) + 1), interval=0.2,
        message=f"extraction of {pending}; worker log:\n{worker.logs()[-3000:]}",
    )
    order = sorted(done.values())
    gaps = [b - a for a, b in zip([0.0, *order], order, strict=False)]
    assert max(gaps) < PER_DOCUMENT_S, done
    for name, (_data, _mime, reason) in bombs.items():
        doc = backend.admin("GET", f"/documents/{uploaded[name]}").json()
        assert doc["status"] == "FAILED", (name, doc)
        assert reason in doc["failureReason"], (name, doc["failureReason"])
        # reported once: no retry of a failed document, one report in the worker's log
        assert worker.logs().count(f"document {uploaded[name]}: extraction failed") == 1
    pending_now = backend.auto("GET", "/documents/pending-extraction").json()["documents"]
    assert not {d["id"] for d in pending_now} & set(uploaded.values())
    extracted = backend.admin("GET", f"/documents/{good}").json()
    assert extracted["status"] == "EXTRACTED", extracted
    case = backend.admin("GET", f"/recovery-cases/{extracted['metadata']['recoveryCaseId']}")
    assert case.json()["invoiceNumber"] == "INV-20417"
    assert case.json()["amount"] == 119.0 and case.json()["dueDate"] == "2026-04-01"
    # the worker itself never held a bomb: its peak memory stays that of a small process
    assert worker.process.poll() is None
    assert _peak_rss_mb(worker.process.pid) < WORKER_PEAK_MB


def test_a_child_over_its_memory_budget_is_reported_as_over_budget() -> None:
    """With the content cap out of the way, pdfium inflates the stream itself and meets the
    process's address-space limit: the caller gets the reason, not a MemoryError or a crash."""
    budget = Budget(content_mb=100_000, memory_mb=400, timeout_seconds=60)
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as exc:
        extract_isolated(content_bomb_pdf(1024), filename="content.pdf", budget=budget)
    assert time.monotonic() - started < PER_DOCUMENT_S
    assert "400 MB" in exc.value.reason and "PAYREC_EXTRACTION_MEMORY_MB" in exc.value.reason


def test_a_child_over_its_time_budget_is_killed() -> None:
    budget = Budget(timeout_seconds=2)
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"not done after 2 s"):
        extract_isolated(pixel_bomb_pdf(image=100), filename="slow.pdf", budget=budget)
    assert time.monotonic() - started < 15
