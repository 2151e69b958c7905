"""Embedded e-invoices: Factur-X / ZUGFeRD 1+2 / XRechnung (CII), and UBL XML."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

import defusedxml
import defusedxml.ElementTree as SafeET
import pypdf

from .result import ExtractionError, ExtractionResult, LineItem

_XML_NAME = re.compile(r"(factur-x|zugferd|xrechnung|invoice|order-x).*\.xml$|\.xml$", re.I)
_MAX_XML = 20 * 1024 * 1024


def embedded_xml_files(reader: pypdf.PdfReader) -> list[tuple[str, bytes]]:
    """Embedded files that look like invoice XML, best names first."""
    found: list[tuple[str, bytes]] = []
    try:
        attachments = reader.attachments
        for name, blobs in attachments.items():
            if not _XML_NAME.search(name):
                continue
            for blob in blobs:
                if len(blob) <= _MAX_XML:
                    found.append((name, blob))
    except Exception:
        return []
    found.sort(key=lambda nb: 0 if re.search(r"factur-x|zugferd|xrechnung", nb[0], re.I) else 1)
    return found


class ForbiddenXml(ExtractionError):
    """XML with a DTD, entity declarations or external references: refused, never expanded."""


def _safe_parse(data: bytes) -> ET.Element | None:
    """The XML's root, parsed by defusedxml whatever its encoding (UTF-16 too): a document
    type declaration or an entity raises ForbiddenXml; malformed XML gives None."""
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise ForbiddenXml(
            f"XML refused: {type(exc).__name__} (document type declarations and entities "
            "are not accepted in invoices)"
        ) from exc
    except ET.ParseError:
        return None
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> Iterator[ET.Element]:
    for c in el:
        if _local(c.tag) == name:
            yield c


def _find(el: ET.Element | None, path: str) -> ET.Element | None:
    """Namespace-agnostic path lookup: 'A/B/C' by local names; '//X' searches descendants."""
    if el is None:
        return None
    if path.startswith("//"):
        name = path[2:]
        for d in el.iter():
            if _local(d.tag) == name:
                return d
        return None
    cur: ET.Element | None = el
    for part in path.split("/"):
        if cur is None:
            return None
        cur = next(_children(cur, part), None)
    return cur


def _text(el: ET.Element | None, path: str) -> str | None:
    found = _find(el, path)
    if found is None or found.text is None:
        return None
    t = " ".join(found.text.split())
    return t or None


def _dec(el: ET.Element | None, path: str) -> Decimal | None:
    t = _text(el, path)
    if t is None:
        return None
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _cii_date(el: ET.Element | None, path: str) -> date | None:
    t = _text(el, path)
    if t is None:
        return None
    digits = re.sub(r"\D", "", t)
    try:
        if len(digits) >= 8:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return None


def _iso_date(t: str | None) -> date | None:
    if not t:
        return None
    try:
        return date.fromisoformat(t[:10])
    except ValueError:
        return None


# UNTDID 1001 credit notes: commercial credit note, factored credit note
CREDIT_TYPE_CODES = frozenset({"381", "396"})


def parse_einvoice_xml(data: bytes) -> ExtractionResult | None:
    """Parse CII (ZUGFeRD 1/2, Factur-X, XRechnung-CII) or UBL invoice XML."""
    root = _safe_parse(data)
    if root is None:
        return None
    kind = _local(root.tag)
    if kind in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return _parse_cii(root, kind == "CrossIndustryDocument")
    if kind in ("Invoice", "CreditNote"):
        return _parse_ubl(root)
    return None


def _amount_in(el: ET.Element | None, name: str, currency: str | None) -> Decimal | None:
    """An amount element in the document's currency (CII/UBL may repeat the tax total in the
    accounting currency)."""
    for c in _children(el, name) if el is not None else []:
        if currency is None or (c.get("currencyID") or currency).upper() == currency.upper():
            try:
                return Decimal((c.text or "").strip())
            except ArithmeticError:
                return None
    return None


def _set_totals(
    r: ExtractionResult,
    *,
    grand: Decimal | None,
    net: Decimal | None,
    lines: Decimal | None,
    tax: Decimal | None,
    payable: Decimal | None,
    prepaid: Decimal | None,
) -> None:
    """The grand total from what the XML carries: the stated total, else net + tax, else
    what is payable plus what was prepaid, else line totals (+ charges - allowances) + tax,
    else the payable amount. A derived total is marked by a slightly lower confidence."""
    derived: Decimal | None = None
    if grand is None:
        if net is not None and tax is not None:
            derived = net + tax
        elif payable is not None and prepaid is not None:
            derived = payable + prepaid
        elif lines is not None and tax is not None:
            derived = lines + tax
        elif payable is not None:
            derived = payable
        elif net is not None and tax is None:
            derived = net
    if grand is not None:
        r.set("amount", grand, 1.0)
    elif derived is not None:
        r.set("amount", derived, 0.95)
        r.warnings.append("e-invoice total derived from the amounts it carries")
    if payable is not None:
        r.set("amountDue", payable, 1.0)
    elif "amount" in r.fields:
        due = r.fields["amount"] - (prepaid or 0)
        r.set("amountDue", due, r.field_confidence["amount"] * 0.95)


def _parse_cii(root: ET.Element, v1: bool) -> ExtractionResult:
    r = ExtractionResult(method="einvoice")
    doc = _find(root, "HeaderExchangedDocument" if v1 else "ExchangedDocument")
    trade = _find(root, "SpecifiedSupplyChainTradeTransaction") or _find(
        root, "SupplyChainTradeTransaction"
    )
    agreement = _find(trade, "ApplicableSupplyChainTradeAgreement" if v1 else
                      "ApplicableHeaderTradeAgreement")
    settlement = _find(trade, "ApplicableSupplyChainTradeSettlement" if v1 else
                       "ApplicableHeaderTradeSettlement")
    r.set("invoiceNumber", _text(doc, "ID"), 1.0)
    r.set("issueDate", _cii_date(doc, "IssueDateTime/DateTimeString"), 1.0)
    terms = _find(settlement, "SpecifiedTradePaymentTerms")
    r.set("dueDate", _cii_date(terms, "DueDateDateTime/DateTimeString"), 1.0)
    summ = _find(settlement, "SpecifiedTradeSettlementMonetarySummation" if v1 else
                 "SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = _text(settlement, "InvoiceCurrencyCode")
    if currency is None:
        grand = _find(summ, "GrandTotalAmount")
        currency = grand.get("currencyID") if grand is not None else None
    tax = _amount_in(summ, "TaxTotalAmount", currency)
    lines = _net_of_lines(summ, "LineTotalAmount")
    _set_totals(
        r,
        grand=_dec(summ, "GrandTotalAmount"),
        net=_dec(summ, "TaxBasisTotalAmount"),
        lines=lines,
        tax=tax,
        payable=_dec(summ, "DuePayableAmount"),
        prepaid=_dec(summ, "TotalPrepaidAmount"),
    )
    r.set("currency", currency.upper() if currency else None, 1.0)
    seller, buyer = _find(agreement, "SellerTradeParty"), _find(agreement, "BuyerTradeParty")
    r.set("issuerName", _text(seller, "Name"), 1.0)
    r.set("customerName", _text(buyer, "Name"), 1.0)
    email = (_text(buyer, "URIUniversalCommunication/URIID")
             or _text(buyer, "DefinedTradeContact/EmailURIUniversalCommunication/URIID"))
    if email and "@" in email:
        r.set("customerEmail", email, 1.0)
    items: list[LineItem] = []
    for li in (trade if trade is not None else root).iter():
        if _local(li.tag) != "IncludedSupplyChainTradeLineItem":
            continue
        name = _text(li, "SpecifiedTradeProduct/Name") or ""
        if v1:
            qty = _dec(li, "SpecifiedSupplyChainTradeDelivery/BilledQuantity")
            price = _dec(li, "SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/"
                             "ChargeAmount")
            amount = _dec(li, "SpecifiedSupplyChainTradeSettlement/"
                              "SpecifiedTradeSettlementMonetarySummation/LineTotalAmount")
        else:
            qty = _dec(li, "SpecifiedLineTradeDelivery/BilledQuantity")
            price = _dec(li, "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount")
            amount = _dec(li, "SpecifiedLineTradeSettlement/"
                              "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount")
        if amount is not None and not (amount == 0 and not qty):
            items.append(LineItem(name, amount, qty, price))
    r.set("lineItems", items, 1.0)
    r.mark_document_type(_text(doc, "TypeCode") in CREDIT_TYPE_CODES, 1.0)
    return r


def _net_of_lines(summary: ET.Element | None, lines_tag: str) -> Decimal | None:
    """The lines' total with the document-level charges added and allowances taken off (the
    net before tax, as CII and UBL both state it), or None when the lines' total is absent."""
    lines = _dec(summary, lines_tag)
    if lines is None:
        return None
    return lines + (_dec(summary, "ChargeTotalAmount") or 0) - (
        _dec(summary, "AllowanceTotalAmount") or 0
    )


def _parse_ubl(root: ET.Element) -> ExtractionResult:
    r = ExtractionResult(method="einvoice")
    r.set("invoiceNumber", _text(root, "ID"), 1.0)
    r.set("issueDate", _iso_date(_text(root, "IssueDate")), 1.0)
    r.set("dueDate", _iso_date(_text(root, "DueDate") or
                               _text(root, "PaymentMeans/PaymentDueDate")), 1.0)
    total = _find(root, "LegalMonetaryTotal")
    currency = _text(root, "DocumentCurrencyCode")
    tax = next(
        (v for t in _children(root, "TaxTotal") if (v := _amount_in(t, "TaxAmount", currency))),
        None,
    )
    lines = _net_of_lines(total, "LineExtensionAmount")
    _set_totals(
        r,
        grand=_dec(total, "TaxInclusiveAmount"),
        net=_dec(total, "TaxExclusiveAmount"),
        lines=lines,
        tax=tax,
        payable=_dec(total, "PayableAmount"),
        prepaid=_dec(total, "PrepaidAmount"),
    )
    r.set("currency", currency, 1.0)
    for field, path in (("issuerName", "AccountingSupplierParty/Party"),
                        ("customerName", "AccountingCustomerParty/Party")):
        party = _find(root, path)
        r.set(field, _text(party, "PartyLegalEntity/RegistrationName") or
              _text(party, "PartyName/Name"), 1.0)
    buyer = _find(root, "AccountingCustomerParty/Party")
    email = _text(buyer, "Contact/ElectronicMail")
    if email:
        r.set("customerEmail", email, 1.0)
    items: list[LineItem] = []
    for li in root:
        if _local(li.tag) not in ("InvoiceLine", "CreditNoteLine"):
            continue
        amount = _dec(li, "LineExtensionAmount")
        if amount is None:
            continue
        qty = _dec(li, "InvoicedQuantity") or _dec(li, "CreditedQuantity")
        items.append(LineItem(_text(li, "Item/Name") or "", amount, qty,
                              _dec(li, "Price/PriceAmount")))
    r.set("lineItems", items, 1.0)
    credit = _local(root.tag) == "CreditNote" or _text(root, "InvoiceTypeCode") in CREDIT_TYPE_CODES
    r.mark_document_type(credit, 1.0)
    return r


def read_embedded_einvoice(data: bytes) -> ExtractionResult | None:
    """The embedded e-invoice of a PDF, if any (None when absent or unreadable)."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
    except Exception:
        return None
    for _name, blob in embedded_xml_files(reader):
        try:
            result = parse_einvoice_xml(blob)
        except ForbiddenXml:
            continue  # a hostile attachment: read the pages instead
        if result is not None and result.fields:
            return result
    return None
