"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), any version.

Parsed by defusedxml with DTDs forbidden: a document type declaration, an entity or an
external reference refuses the whole file (nothing is expanded, nothing fetched). Elements
are found by local name, so camt.053.001.02 … .001.13 and camt.054 read alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

import defusedxml
import defusedxml.ElementTree as SafeET

from payrec.bankfiles.entries import BankFileError, StatementEntry, content_reference

__all__ = ["read"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _text(el: ET.Element | None, *path: str) -> str:
    found = _child(el, *path)
    return (found.text or "").strip() if found is not None else ""


def _all(el: ET.Element, name: str) -> Iterator[ET.Element]:
    for d in el.iter():
        if _local(d.tag) == name:
            yield d


def _parse(data: bytes) -> ET.Element:
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise BankFileError(
            f"XML refused: {type(exc).__name__} (document type declarations and entities "
            "are not accepted in bank statements)"
        ) from exc
    except ET.ParseError as exc:
        raise BankFileError(f"malformed XML: {exc}") from exc
    return root


def read(data: bytes) -> list[StatementEntry]:
    root = _parse(data)
    kind = _local(root.tag)
    body = next(iter(root), None)
    if kind != "Document" or body is None or _local(body.tag) not in (
        "BkToCstmrStmt",
        "BkToCstmrDbtCdtNtfctn",
    ):
        raise BankFileError("not a camt.053 or camt.054 document (BkToCstmrStmt or "
                            "BkToCstmrDbtCdtNtfctn expected)")
    entries: list[StatementEntry] = []
    seen: dict[str, int] = {}  # identical entries without a bank reference: 1st, 2nd…
    for ntry in _all(body, "Ntry"):
        for entry in _entry(ntry):
            if entry.reference.startswith("sha256:"):
                seen[entry.reference] = seen.get(entry.reference, 0) + 1
                if seen[entry.reference] > 1:
                    entry = replace(entry, reference=content_reference(
                        entry.reference, seen[entry.reference]))
            entries.append(entry)
    return entries


def _amount(el: ET.Element | None) -> tuple[Decimal, str]:
    if el is None or not (el.text or "").strip():
        raise BankFileError("an entry has no amount (Ntry/Amt)")
    currency = (el.get("Ccy") or "").strip().upper()
    try:
        amount = Decimal((el.text or "").strip())
    except InvalidOperation as exc:
        raise BankFileError(f"an entry's amount is not a number: {el.text!r}") from exc
    if not amount.is_finite() or amount < 0 or len(currency) != 3:
        raise BankFileError(f"an entry's amount or currency is invalid: {el.text!r} {currency!r}")
    return amount, currency


def _booked(ntry: ET.Element) -> date | None:
    raw = _text(ntry, "BookgDt", "Dt") or _text(ntry, "BookgDt", "DtTm")[:10]
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError as exc:
        raise BankFileError(f"an entry's booking date is invalid: {raw!r}") from exc


def _entry(ntry: ET.Element) -> Iterator[StatementEntry]:
    """The entry, or one per transaction when a batched entry lists several (TxDtls)."""
    amount, currency = _amount(_child(ntry, "Amt"))
    credit = _text(ntry, "CdtDbtInd") == "CRDT"
    if _text(ntry, "RvslInd").lower() == "true":
        credit = False  # a reversal of a debit is not money paid in
    booked = _booked(ntry)
    own = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    details_or_none: list[ET.Element | None] = list(_all(ntry, "TxDtls")) or [None]
    for n, tx in enumerate(details_or_none):
        tx_amount, tx_currency = amount, currency
        if tx is not None and len(details_or_none) > 1:
            tx_amt = _child(tx, "Amt")
            if tx_amt is None:
                tx_amt = _child(tx, "AmtDtls", "TxAmt", "Amt")
            tx_amount, tx_currency = _amount(tx_amt)
        rmt = _child(tx, "RmtInf") if tx is not None else None
        structured = ""
        lines: list[str] = []
        if rmt is not None:
            structured = next((r.text.strip() for r in _all(rmt, "Ref") if r.text), "")
            lines = [u.text.strip() for u in _all(rmt, "Ustrd") if u.text and u.text.strip()]
        info = _text(ntry, "AddtlNtryInf")
        if info:
            lines.append(info)
        parties = _child(tx, "RltdPties") if tx is not None else None
        debtor_name = _text(parties, "Dbtr", "Nm") or _text(parties, "Dbtr", "Pty", "Nm")
        debtor_iban = _text(parties, "DbtrAcct", "Id", "IBAN")
        tx_ref = _text(_child(tx, "Refs"), "AcctSvcrRef") if tx is not None else ""
        remittance = " ".join(lines)
        if tx_ref:
            reference = tx_ref
        elif own:
            reference = own if len(details_or_none) == 1 else f"{own}/{n + 1}"
        else:
            reference = content_reference(
                booked, credit, tx_amount, tx_currency, structured, remittance, debtor_iban, n
            )
        yield StatementEntry(
            reference=reference[:200],
            credit=credit,
            amount=tx_amount,
            currency=tx_currency,
            booked_on=booked,
            structured_reference=structured[:200],
            remittance=remittance[:2000],
            debtor_name=debtor_name[:200],
            debtor_iban=debtor_iban.replace(" ", "").upper()[:40],
        )
