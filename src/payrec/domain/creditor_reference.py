"""ISO 11649 structured creditor references (``RF…``) derived from a case's id.

A case id is ``case-`` and 20 hex digits; its reference is ``RF`` + two mod-97 check digits
+ those 20 digits upper-cased (the standard allows 21 characters after the check digits),
so the reference needs no column and leads back to the case without a lookup table.
Check digits come from ``python-stdnum`` (``stdnum.iso11649``), never hand rules.
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

__all__ = ["case_id_for", "find_references", "for_case", "is_valid", "printed"]

_CASE_ID = re.compile(r"case-([0-9a-f]{20})")
# an RF in free text: "RF" + 2 digits + up to 21 alphanumerics, maybe spaced in groups of four
_IN_TEXT = re.compile(r"\bRF\s?\d{2}(?:\s?[0-9A-Z]){1,21}\b", re.IGNORECASE)


def for_case(case_id: str) -> str | None:
    """The case's reference in electronic form (``RF…``, no spaces); None for an id that is
    not ``case-`` + 20 hex digits (none is written so, but an old import might be)."""
    found = _CASE_ID.fullmatch(case_id)
    if found is None:
        return None
    body = found.group(1).upper()
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def printed(reference: str) -> str:
    """The reference as printed on paper: groups of four (``RF18 5390 0754 7034``)."""
    return str(iso11649.format(reference))


def is_valid(reference: str) -> bool:
    """True for a well-formed ISO 11649 reference whose check digits are right."""
    try:
        iso11649.validate(reference)
    except ValidationError:
        return False
    return True


def case_id_for(reference: str) -> str | None:
    """The case a valid reference names, or None (bad check digits, or not one of ours)."""
    if not is_valid(reference):
        return None
    body = str(iso11649.compact(reference))[4:].lower()
    return f"case-{body}" if re.fullmatch(r"[0-9a-f]{20}", body) else None


def find_references(text: str) -> list[str]:
    """Every valid RF reference in free remittance text, compact and upper-cased, in order.

    Spaced groups are joined; a candidate whose check digits fail is skipped, and so is the
    longest-match's tail when a shorter prefix is the valid one (text run on after it).
    """
    found: list[str] = []
    for match in _IN_TEXT.finditer(text):
        compact = re.sub(r"\s", "", match.group(0)).upper()
        for end in range(len(compact), 4, -1):  # longest valid prefix wins
            if is_valid(compact[:end]):
                if compact[:end] not in found:
                    found.append(compact[:end])
                break
    return found
