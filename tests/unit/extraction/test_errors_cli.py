"""Unreadable input raises ExtractionError; the CLI reports it and goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from payrec.extraction import ExtractionError, extract_document, load_templates
from payrec.extraction.cli import main_extract


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.pdf", "empty"),
        (b"%PDF-1.7\n1 0 obj <<>> garbage", "broken.pdf", "corrupt"),
        (b"this is not a pdf", "fake.pdf", "not a PDF"),
        (b"\x00\x01\x02binary", "blob.bin", "unsupported"),
        (b"<html><body>hi</body></html>", "page.html", "unsupported XML"),
        (b"\x89PNG\r\n\x1a\nbroken", "scan.png", "unreadable image"),
    ],
)
def test_unreadable_input(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as exc:
        extract_document(data, filename=name)
    assert reason in exc.value.reason


def test_truncated_corpus_pdf(corpus: Path) -> None:
    data = (corpus / "pdf" / "i2d__coolblue1.pdf").read_bytes()
    with pytest.raises(ExtractionError, match="corrupt"):
        extract_document(data[: len(data) // 3] + b"\x00" * 50, filename="cut.pdf")


def test_cli_json_lines(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    good = corpus / "pdf" / "i2d__NetpresseInvoice.pdf"
    einv = corpus / "einvoice" / "zugferd__XML-Rechnung__FX__EN16931_Einfach.pdf"
    rc = main_extract([str(good), str(bad), str(einv), "--json"])
    assert rc == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["file"] for x in lines] == [str(good), str(bad), str(einv)]
    assert lines[0]["invoiceNumber"] == "2022089083"
    assert lines[0]["amount"] == "56.02"  # Decimal as string, never float
    assert lines[0]["method"] == "text"
    assert set(lines[0]) >= {"confidence", "fieldConfidence", "method"}
    assert "error" in lines[1] and "corrupt" in lines[1]["error"]
    assert lines[2]["method"] == "einvoice" and lines[2]["issueDate"] == "2018-03-05"


def test_cli_human_output(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main_extract([str(corpus / "pdf" / "i2d__coolblue1.pdf"), "/nonexistent/x.pdf"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "invoiceNumber" in out and "993548900" in out
    assert "/nonexistent/x.pdf  error: cannot read file" in out


def test_templates_json(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "netpresse.json").write_text(
        json.dumps(
            {
                "issuer": "NETPRESSE",
                "keywords": ["NETPRESSE", "Facture n°"],
                "fields": {
                    "invoice_number": r"Facture n°\s*(\d+)",
                    "amount": r"Total TTC :\s*([\d,]+)",
                },
                "options": {"currency": "EUR", "decimal_separator": ","},
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "other.json").write_text(json.dumps({"issuer": "X", "keywords": ["nomatch"]}))
    templates = load_templates(tmp_path)
    assert len(templates) == 2
    data = (corpus / "pdf" / "i2d__NetpresseInvoice.pdf").read_bytes()
    result = extract_document(data, templates=templates)
    assert result.fields["issuerName"] == "NETPRESSE"
    assert result.field_confidence["issuerName"] >= 0.95
    assert str(result.fields["amount"]) == "56.02"
