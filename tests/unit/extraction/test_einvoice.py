"""The e-invoice path: embedded Factur-X/ZUGFeRD XML gives exact values (confidence 1.0)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payrec.extraction import ExtractionError, extract_document
from payrec.extraction.einvoice import parse_einvoice_xml

from .conftest import CORPUS, MANIFEST

EINVOICES = sorted(p.name for p in (CORPUS / "einvoice").glob("*.pdf")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("name", EINVOICES)
def test_embedded_einvoice_matches_ground_truth(corpus: Path, name: str) -> None:
    gt: dict[str, Any] = MANIFEST[name]["gt"]
    result = extract_document((corpus / "einvoice" / name).read_bytes(), filename=name)
    f = result.fields
    assert result.method == "einvoice"
    assert f["invoiceNumber"] == gt["invoice_number"]
    assert f["amount"] == Decimal(str(gt["amount"])).quantize(Decimal("0.01"))
    assert isinstance(f["amount"], Decimal)
    assert f["currency"] == gt["currency"]
    assert f["issueDate"] == date.fromisoformat(gt["date"])
    if "date_due" in gt:
        assert f["dueDate"] == date.fromisoformat(gt["date_due"])
    if "amount_due" in gt:
        assert f["amountDue"] == Decimal(str(gt["amount_due"])).quantize(Decimal("0.01"))
    assert f["issuerName"] == gt["issuer"]
    assert f["customerName"] == gt["customer"]
    want = [(li["description"], Decimal(str(li["amount"]))) for li in gt["lines"]]
    got = [(li.description, li.amount) for li in f["lineItems"]]
    assert [(d.split()[0], a) for d, a in got] == [(d.split()[0], a) for d, a in want]
    assert result.field_confidence["amount"] == 1.0
    assert result.confidence > 0.9
    js = result.to_json_dict()
    assert js["amount"] == str(f["amount"]) and js["issueDate"] == gt["date"]


def test_zugferd1_cross_industry_document() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
 <rsm:HeaderExchangedDocument><ram:ID>RE-1</ram:ID>
  <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString>
  </ram:IssueDateTime></rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ram:ApplicableSupplyChainTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Kunden AG</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableSupplyChainTradeAgreement>
  <ram:ApplicableSupplyChainTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
    <udt:DateTimeString format="102">20130404</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementMonetarySummation>
    <ram:GrandTotalAmount currencyID="EUR">529.87</ram:GrandTotalAmount>
    <ram:DuePayableAmount currencyID="EUR">529.87</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementMonetarySummation>
  </ram:ApplicableSupplyChainTradeSettlement>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20</ram:BilledQuantity>
   </ram:SpecifiedSupplyChainTradeDelivery>
   <ram:SpecifiedSupplyChainTradeSettlement><ram:SpecifiedTradeSettlementMonetarySummation>
    <ram:LineTotalAmount>198.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
   </ram:SpecifiedSupplyChainTradeSettlement>
   <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
  </ram:IncludedSupplyChainTradeLineItem>
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>""".encode()
    r = parse_einvoice_xml(xml)
    assert r is not None
    assert r.fields["invoiceNumber"] == "RE-1"
    assert r.fields["issueDate"] == date(2013, 3, 5)
    assert r.fields["dueDate"] == date(2013, 4, 4)
    assert r.fields["amount"] == Decimal("529.87")
    assert r.fields["lineItems"][0].quantity == Decimal("20")
    # a bare XML upload goes through the same path
    assert extract_document(xml, filename="x.xml").fields["customerName"] == "Kunden AG"


def test_xml_with_entities_is_refused() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="x"><a>&e;</a></rsm:CrossIndustryInvoice>"""
    with pytest.raises(ExtractionError, match="XML refused"):  # refused with a reason
        parse_einvoice_xml(evil)


def test_incomplete_embedded_xml_is_completed_from_the_page(corpus: Path) -> None:
    import io

    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(corpus / "pdf" / "i2d__NetpresseInvoice.pdf"))
    xml = (
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
        b'CrossIndustryInvoice:100" xmlns:ram="urn:ram"><rsm:ExchangedDocument>'
        b"<ram:ID>XML-42</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"
    )
    writer.add_attachment("factur-x.xml", xml)
    buf = io.BytesIO()
    writer.write(buf)
    result = extract_document(buf.getvalue(), filename="mixed.pdf")
    assert result.method == "einvoice"
    assert result.fields["invoiceNumber"] == "XML-42"  # exact value from the XML
    assert result.field_confidence["invoiceNumber"] == 1.0
    assert result.fields["amount"] == Decimal("56.02")  # filled from the text layer
    assert result.field_confidence["amount"] < 1.0
