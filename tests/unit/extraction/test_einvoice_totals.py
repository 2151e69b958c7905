"""UBL and CII without some optional totals still give the total from what they carry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payrec.extraction.einvoice import parse_einvoice_xml

_UBL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>F-1</cbc:ID><cbc:IssueDate>2024-03-01</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal>{totals}</cac:LegalMonetaryTotal>
</Invoice>"""

_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocument><ram:ID>F-2</ram:ID><ram:IssueDateTime>
  <udt:DateTimeString format="102">20240301</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>
  <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
  <ram:SpecifiedTradeSettlementHeaderMonetarySummation>{totals}
  </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
 </ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"""


@pytest.mark.parametrize(
    ("totals", "amount", "due"),
    [
        (
            "<cbc:TaxExclusiveAmount>100.00</cbc:TaxExclusiveAmount>"
            "<cbc:PayableAmount>121.00</cbc:PayableAmount>",
            "121.00",
            "121.00",
        ),
        (
            "<cbc:PayableAmount>101.00</cbc:PayableAmount>"
            "<cbc:PrepaidAmount>20.00</cbc:PrepaidAmount>",
            "121.00",
            "101.00",
        ),
        ("<cbc:LineExtensionAmount>100.00</cbc:LineExtensionAmount>", "121.00", "121.00"),
        ("<cbc:PayableAmount>121.00</cbc:PayableAmount>", "121.00", "121.00"),
    ],
)
def test_ubl_without_tax_inclusive_amount(totals: str, amount: str, due: str) -> None:
    r = parse_einvoice_xml(_UBL.format(totals=totals).encode())
    assert r is not None
    assert r.fields["amount"] == Decimal(amount)
    assert r.fields["amountDue"] == Decimal(due)
    assert 0.9 <= r.field_confidence["amount"] < 1.0  # derived, not stated


def test_ubl_with_tax_inclusive_amount_is_exact() -> None:
    r = parse_einvoice_xml(
        _UBL.format(totals="<cbc:TaxInclusiveAmount>121.00</cbc:TaxInclusiveAmount>").encode()
    )
    assert r is not None
    assert r.fields["amount"] == Decimal("121.00")
    assert r.field_confidence["amount"] == 1.0


@pytest.mark.parametrize(
    ("totals", "amount"),
    [
        ("<ram:DuePayableAmount>119.00</ram:DuePayableAmount>", "119.00"),
        (
            "<ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>"
            '<ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>',
            "119.00",
        ),
        (
            "<ram:LineTotalAmount>110.00</ram:LineTotalAmount>"
            "<ram:AllowanceTotalAmount>10.00</ram:AllowanceTotalAmount>"
            '<ram:TaxTotalAmount currencyID="USD">25.00</ram:TaxTotalAmount>'
            '<ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>',
            "119.00",
        ),
    ],
)
def test_cii_without_grand_total(totals: str, amount: str) -> None:
    r = parse_einvoice_xml(_CII.format(totals=totals).encode())
    assert r is not None
    assert r.fields["amount"] == Decimal(amount)
    assert r.field_confidence["amount"] < 1.0


def test_credit_note_xml_is_typed_with_negative_amounts() -> None:
    """A CII TypeCode 381 or a UBL CreditNote states positive totals (EN 16931): payrec reads
    them as a credit note owed to the customer."""
    totals = "<ram:GrandTotalAmount>121.00</ram:GrandTotalAmount>"
    cii = _CII.format(totals=totals).replace(
        "<ram:ID>F-2</ram:ID>", "<ram:ID>F-2</ram:ID><ram:TypeCode>381</ram:TypeCode>"
    )
    ubl = (
        _UBL.format(totals='<cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>')
        .replace("<Invoice ", "<CreditNote ")
        .replace("</Invoice>", "</CreditNote>")
        .replace(":Invoice-2", ":CreditNote-2")
    )
    invoice = parse_einvoice_xml(_CII.format(totals=totals).encode())
    assert invoice is not None and invoice.fields["documentType"] == "INVOICE"
    assert invoice.fields["amount"] == Decimal("121.00")
    for xml in (cii, ubl):
        r = parse_einvoice_xml(xml.encode())
        assert r is not None
        assert r.fields["documentType"] == "CREDIT_NOTE"
        assert r.fields["amountDue"] == Decimal("-121.00")
