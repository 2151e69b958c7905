"""Hostile documents made in the test (no corpus needed) and the upload/poll helpers."""

from __future__ import annotations

from typing import Any

from tests.support.backend import LiveBackend

CII_NS = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def cii_invoice(
    *,
    number: str = "CII-1",
    issue: str = "20260301",
    due: str = "20260331",
    buyer: str = "Kunden AG",
    amount: str = "119.00",
    prolog: str = "",
) -> str:
    """A complete CII (Factur-X / XRechnung) invoice; `prolog` goes before the root."""
    return f"""{prolog}<rsm:CrossIndustryInvoice {CII_NS}>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">{issue}</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{buyer}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime>
          <udt:DateTimeString format="102">{due}</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:GrandTotalAmount>{amount}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{amount}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def upload(
    backend: LiveBackend, data: bytes, name: str, mime: str = "application/pdf"
) -> dict[str, Any]:
    response = backend.admin(
        "POST", "/documents", files={"file": (name, data, mime)}, data={"type": "INVOICE"}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def settled(backend: LiveBackend, doc_id: str) -> dict[str, Any] | None:
    """The document once extraction is over with it (None while it waits)."""
    doc: dict[str, Any] = backend.admin("GET", f"/documents/{doc_id}").json()
    return doc if doc["status"] != "PENDING_EXTRACTION" else None
