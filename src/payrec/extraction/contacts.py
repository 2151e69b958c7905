"""The customer's contacts printed in the addressee block: address, phone, VAT id.

The block is found from the customer name already chosen: the lines under it in its column.
"""

from __future__ import annotations

import re

from .context import Context, LineInfo
from .dates import fold

# phone labels in en de fr es it nl pt pl (folded)
_PHONE = re.compile(
    r"(?:tel|tele|phone|telephone|telefon|telefone|telefono|fone|mobile|mobil|cell|portable|"
    r"gsm|tlf|tfno)\.?\s*[:.]?\s*(\+?\(?\d[\d ()./-]{6,}\d)"
)
# VAT ids: a label, or the EU shape (country prefix + 8-12 characters)
_VAT_LABEL = re.compile(
    r"(?:vat(?: no| number| id| reg(?:istration)? no)?|tva(?: intracommunautaire)?|n° tva|"
    r"ust-?id(?:nr)?\.?|ust-?idnr|btw(?:-nummer| nr)?|iva|p\.? ?iva|partita iva|nip|nif|cif|"
    r"nipc|vat-id|mwst-nr)\s*[:.]?\s*"
    r"([a-z]{2}\s?[0-9a-z][0-9a-z .-]{5,16}[0-9a-z]|\d[\d .-]{7,14}\d)"
)
_EU_VAT = re.compile(
    r"\b(AT ?U\d{8}|BE ?0?\d{9,10}|DE ?\d{9}|ES ?[A-Z0-9]\d{7}[A-Z0-9]|"
    r"FR ?[0-9A-Z]{2} ?\d{3} ?\d{3} ?\d{3}|IT ?\d{11}|NL ?\d{9}B\d{2}|PL ?\d{10}|PT ?\d{9}|"
    r"LU ?\d{8})\b"
)
_POSTCODE = re.compile(
    r"(?<![\d])(\d{5}|\d{4} ?[A-Z]{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3}|[A-Z]\d{4}[A-Z]{3}|"
    r"\d{4})(?![\d])\s+\S|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"
)
_STREET = re.compile(
    r"\d|\b(rue|avenue|av\.|bd|boulevard|chemin|calle|c/|avenida|via|viale|piazza|rua|"
    r"travessa|straat|laan|weg|plein|ul\.|ulica|street|st\.|road|rd\.|lane|strasse|str\.|"
    r"platz|gasse)\b",
    re.I,
)
_KEY_VALUE = re.compile(r"^[^:]{1,30}:\s*\S")


def _block(ctx: Context, name: str) -> tuple[LineInfo, float, list[LineInfo]] | None:
    want = fold(name)
    for info in ctx.infos:
        if info.line.page > 0:
            break
        for seg in info.line.segments:
            if want and want in fold(seg.text):
                below = _below(ctx, info, seg.x0)
                return info, seg.x0, below
    return None


def _below(ctx: Context, info: LineInfo, x0: float, max_lines: int = 7) -> list[LineInfo]:
    out: list[LineInfo] = []
    prev_bottom = info.line.bottom
    for nxt in ctx.infos[info.line.index + 1 :]:
        if len(out) >= max_lines or nxt.line.page != info.line.page:
            break
        if nxt.line.top - prev_bottom > 30:
            break
        if any(abs(s.x0 - x0) < 12 for s in nxt.line.segments):
            out.append(nxt)
            prev_bottom = nxt.line.bottom
    return out


def _cell(info: LineInfo, x0: float) -> str:
    for seg in info.line.segments:
        if abs(seg.x0 - x0) < 12:
            return seg.text.strip()
    return ""


def customer_contacts(ctx: Context, name: str | None) -> dict[str, tuple[str, float]]:
    """customerAddress / customerPhone / customerVatId found under the customer's name."""
    out: dict[str, tuple[str, float]] = {}
    if not name:
        return out
    found = _block(ctx, name)
    if found is None:
        return out
    _info, x0, block = found
    cells = [_cell(b, x0) for b in block]
    address: list[str] = []
    for text in cells:
        if not text or "@" in text or _KEY_VALUE.match(text) or _PHONE.search(fold(text)):
            if address:
                break
            continue
        if len(address) < 4 and (_STREET.search(text) or address):
            address.append(text)
            if _POSTCODE.search(text) and len(address) >= 1 and not text[:1].isalpha():
                break
    if address and any(_POSTCODE.search(a) for a in address):
        out["customerAddress"] = (", ".join(address), 0.7)
    for text in cells:
        f = fold(text)
        m = _PHONE.search(f)
        if m and "customerPhone" not in out:
            out["customerPhone"] = (m.group(1).strip(), 0.8)
        v = _VAT_LABEL.search(f)
        if v and "customerVatId" not in out:
            out["customerVatId"] = (re.sub(r"[ .-]", "", v.group(1)).upper(), 0.8)
        elif "customerVatId" not in out and (e := _EU_VAT.search(text.upper())):
            out["customerVatId"] = (re.sub(r"[ .-]", "", e.group(1)), 0.75)
    return out


# credit-note titles (folded): en de fr es it nl pt pl
_CREDIT_TITLE = re.compile(
    r"^(credit note|credit memo|gutschrift|rechnungskorrektur|stornorechnung|avoir|"
    r"facture d'avoir|nota de credito|factura rectificativa|nota di credito|creditnota|"
    r"creditfactuur|nota de credito|faktura korygujaca|korekta)\b"
)
# a German "Gutschrift" is also the self-billed invoice of § 14 UStG (UNTDID 389): an invoice
_SELF_BILLED = re.compile(r"selbst\s?ausgestellt|selbstfakturierung|self.billed|\(389\)")


def is_credit_note(ctx: Context) -> bool:
    """A credit-note title among the first lines of page 1."""
    for info in ctx.infos[:15]:
        if info.line.page > 0:
            break
        for seg in info.line.segments:
            title = fold(seg.text).strip()
            if _CREDIT_TITLE.match(title) and not _SELF_BILLED.search(title):
                return True
    return False
