"""Which case a bank credit pays: the rules, in order, without the database.

1. an RF creditor reference (the structured ``CdtrRefInf/Ref`` first, then anywhere in the
   remittance text) naming an open case in the entry's currency;
2. an invoice number found among the remittance text's words, naming exactly one open case;
3. the exact amount, for a customer (found by the debtor's name) with exactly one open case
   outstanding that amount.

Anything else (no candidate, several, a closed case, a foreign currency) is unsure: a person
decides from the suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from payrec.domain.creditor_reference import case_id_for, find_references

__all__ = ["Candidate", "Decision", "decide", "invoice_tokens", "referenced_case_ids"]

_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z/_.#-]*[0-9A-Za-z]|[0-9A-Za-z]")
MAX_TOKENS = 40


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open case as the rules see it."""

    case_id: str
    currency: str
    outstanding: Decimal
    open: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    case_id: str | None  # None: unsure, goes to the unmatched list
    matched_by: str | None  # "reference" | "invoice" | "amount"
    reason: str


def referenced_case_ids(structured: str, remittance: str) -> list[str]:
    """The cases named by valid RF references, the structured one first."""
    ids: list[str] = []
    for ref in find_references(structured) + find_references(remittance):
        case_id = case_id_for(ref)
        if case_id is not None and case_id not in ids:
            ids.append(case_id)
    return ids


def invoice_tokens(remittance: str) -> list[str]:
    """Words of the remittance text that could be invoice numbers (as written and
    upper-cased), at most MAX_TOKENS of them."""
    tokens: list[str] = []
    for word in _WORD.findall(remittance):
        for variant in (word, word.upper()):
            if variant not in tokens and len(variant) <= 100:
                tokens.append(variant)
    return tokens[:MAX_TOKENS]


def _fits(c: Candidate, currency: str) -> bool:
    return c.open and c.currency == currency


def decide(
    amount: Decimal,
    currency: str,
    by_reference: Sequence[Candidate],
    by_invoice: Sequence[Candidate],
    by_amount: Sequence[Candidate],
) -> Decision:
    """The case the credit pays, or why none is sure.

    ``by_amount`` are the open cases of the customer the debtor name found (any amount).
    """
    if by_reference:
        fit = [c for c in by_reference if _fits(c, currency)]
        if len(fit) == 1:
            return Decision(fit[0].case_id, "reference", "RF creditor reference")
        if not fit:
            return Decision(None, None, "the RF reference names no open case in " + currency)
        return Decision(None, None, "several RF references name different open cases")
    invoices = {c.case_id: c for c in by_invoice if _fits(c, currency)}
    if len(invoices) == 1:
        return Decision(next(iter(invoices)), "invoice", "invoice number in the remittance")
    if len(invoices) > 1:
        return Decision(None, None, "the remittance names several open invoices")
    exact = [c for c in by_amount if _fits(c, currency) and c.outstanding == amount]
    if len(exact) == 1:
        return Decision(exact[0].case_id, "amount", "exact amount of the payer's one open case")
    if len(exact) > 1:
        return Decision(None, None, "the payer has several open cases of that amount")
    return Decision(None, None, "no reference, invoice number or exact amount matched")
