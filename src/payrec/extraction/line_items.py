"""Line items: find the table header row, map its columns, read item rows below it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .context import Context, LineInfo
from .dates import fold
from .layout import Word
from .result import LineItem

_COLS: dict[str, tuple[str, ...]] = {
    "desc": ("description", "item", "items", "article", "product", "service", "details",
             "artikel", "beschreibung", "bezeichnung", "artikelbezeichnung", "produkt",
             "leistung", "artikelbeschreibung",
             "material/beschreibung", "designation", "libelle", "omschrijving", "descripcion",
             "concepto", "producto", "opis", "nazwa", "descrizione", "title"),
    "qty": ("qty", "quantity", "menge", "anzahl", "quantite", "qte", "nombre", "aantal",
            "hoeveelheid", "cantidad", "cant", "ilosc", "quantita", "hours", "stunden", "units"),
    "price": ("unit price", "price", "rate", "einzelpreis", "preis", "nettopreis", "vk-preis",
              "stuckpreis", "preis/einheit", "prix unitaire", "p.u.", "p.u. ht", "prix", "prijs",
              "prijs per stuk", "stukprijs", "precio", "precio unitario", "cena", "cena netto",
              "prezzo", "unit cost"),
    "amount": ("amount", "total", "line total", "betrag", "positionsbetrag", "gesamtbetrag",
               "summe", "gesamt", "gesamtpreis",
               "nettobetrag", "zeilenbetrag", "nettowert", "gesamtwert", "entgelt",
               "positionsbetrag", "montant", "montant ht",
               "bedrag", "totaal", "prijs incl. btw", "importe", "total linea", "wartosc",
               "kwota", "importo", "net amount", "positions-", "betrag netto", "netto"),
}
_STOP = re.compile(r"^(sub\s*total|subtotal|zwischensumme|summe|total|gesamt|netto|brutto|"
                   r"rechnungssumme|sous-total|totaal|subtotaal|exclusief|base imponible|razem|"
                   r"belegsummen|umsatzsteuer|steuer|tax|vat|mwst|tva|btw|iva|zahlungs|payment|"
                   r"bitte|please|amount due|balance)\b", re.I)


@dataclass(slots=True)
class Column:
    kind: str
    x0: float
    x1: float


def _header_columns(info: LineInfo) -> list[Column] | None:
    cols: list[Column] = []
    used: set[int] = set()
    words = info.line.words
    for i, _w in enumerate(words):
        if i in used:
            continue
        for span in (3, 2, 1):
            if i + span > len(words):
                continue
            chunk = fold(" ".join(x.text for x in words[i:i + span])).strip(":.")
            kind = next((k for k, names in _COLS.items() if chunk in names), None)
            if kind:
                cols.append(Column(kind, words[i].x0, words[i + span - 1].x1))
                used.update(range(i, i + span))
                break
    kinds = {c.kind for c in cols}
    if "amount" not in kinds and "price" not in kinds:
        return None
    if len(kinds) < 2 or ("desc" not in kinds and len(kinds) < 3):
        return None
    return cols


def _amount_col(cols: list[Column]) -> Column:
    amounts = [c for c in cols if c.kind == "amount"]
    return amounts[-1] if amounts else max(cols, key=lambda c: c.x1)


def _is_num_word(w: Word) -> bool:
    return bool(re.fullmatch(r"[-+(]?[\d.,' ]+\)?[%€$£]?|[€$£]|[A-Z]{3}|x|@", w.text))


def _desc_words(info: LineInfo, cols: list[Column], amount_x0: float) -> list[Word]:
    """Words of the description column (between the neighbouring header columns)."""
    desc = next((c for c in cols if c.kind == "desc"), None)
    if desc is None:
        left, right = 0.0, min(c.x0 for c in cols if c.kind in ("qty", "price", "amount")) - 2
    else:
        lefts = [c.x1 for c in cols if c.x1 <= desc.x0 + 1 and c.kind != "desc"]
        rights = [c.x0 for c in cols if c.x0 >= desc.x1 - 1 and c.kind != "desc"]
        left = max(lefts) + 2 if lefts else 0.0
        right = min(rights) - 2 if rights else amount_x0
    words = [w for w in info.line.words if w.x0 >= left - 1 and w.xc < right]
    if not any(re.search(r"[A-Za-zÀ-ÿ]{2}", w.text) for w in words):
        return []
    return words


def _value_in_col(info: LineInfo, col: Column, tol: float = 35) -> Decimal | None:
    best: tuple[float, Decimal] | None = None
    for n in info.amounts():
        i = info.word_at(n.start)
        j = info.word_at(max(n.end - 1, n.start))
        if i >= len(info.line.words):
            continue
        w0, w1 = info.line.words[i], info.line.words[min(j, len(info.line.words) - 1)]
        x0, x1 = w0.x0, w1.x1
        if x1 < col.x0 - tol or x0 > col.x1 + tol:
            continue
        dist = min(abs(x1 - col.x1), abs((x0 + x1) / 2 - (col.x0 + col.x1) / 2))
        if best is None or dist < best[0]:
            best = (dist, n.value)
    return best[1] if best else None


def _row_start(info: LineInfo, cols: list[Column], qty: Column | None,
               price: Column | None) -> bool:
    """A row that opens a new item: a position number at the left, or a quantity/price."""
    desc = next((c for c in cols if c.kind == "desc"), None)
    first = info.line.words[0]
    if desc is not None and re.fullmatch(r"\d{1,3}\.?", first.text) and first.x1 < desc.x0 + 5:
        return True
    return any(c is not None and _value_in_col(info, c, 15) is not None for c in (qty, price))


def _row_amount(info: LineInfo, cols: list[Column], amount_col: Column) -> Decimal | None:
    if amount_col.kind == "amount":
        return _value_in_col(info, amount_col)
    # no amount header: the rightmost amount right of every header column
    right_edge = max(c.x1 for c in cols) - 5
    best: Decimal | None = None
    for n in info.amounts():
        w = info.line.words[min(info.word_at(n.start), len(info.line.words) - 1)]
        if w.x0 > right_edge:
            best = n.value
    return best


_LEAD_NUM = re.compile(r"^(?:\d{1,4}(?:[.,]\d+)?\.?\s+)+")
_TRAIL_NUM = re.compile(r"(?:\s+\d+(?:[.,]\d+)?\s?%)+$")


def _clean_desc(text: str) -> str:
    t = _LEAD_NUM.sub("", text.strip())
    t = _TRAIL_NUM.sub("", t)
    return t.strip()


def _merge_header(infos: list[LineInfo], i: int, cols: list[Column]) -> tuple[list[Column], int]:
    """Headers printed over two or three lines: add columns found on the lines below.
    Returns the columns and the index of the first line after the header."""
    kinds = {c.kind for c in cols}
    last = i
    head_h = infos[i].line.bottom - infos[i].line.top
    for k in range(i + 1, min(i + 5, len(infos))):
        info = infos[k]
        if info.line.page != infos[i].line.page or info.amounts() or \
                info.line.top - infos[k - 1].line.bottom > 1.2 * head_h:
            break
        if re.search(r"\d", info.line.text) or len(info.line.text) > 40:
            break
        last = k
        for w in info.line.words:
            f = fold(w.text).strip(":.-")
            kind = next((kk for kk, names in _COLS.items() if f in names), None)
            if kind in ("amount", "desc") and kind not in kinds:
                cols.append(Column(kind, w.x0, w.x1))
                kinds.add(kind)
    return cols, last + 1


def line_items(ctx: Context) -> list[LineItem]:
    items: list[LineItem] = []
    infos = ctx.infos
    i = 0
    while i < len(infos):
        cols = _header_columns(infos[i])
        if cols is None:
            i += 1
            continue
        cols, first_row = _merge_header(infos, i, cols)
        amount_col = _amount_col(cols)
        qty_col = next((c for c in cols if c.kind == "qty"), None)
        price_col = next((c for c in cols if c.kind == "price"), None)
        page = infos[i].line.page
        j = first_row
        pending_desc: list[str] = []
        current: LineItem | None = None
        cont = 0
        seen_row_on_page = True
        while j < len(infos):
            info = infos[j]
            if info.line.page != page:
                if not items:
                    break
                # the table may go on over the next page (without a header)
                page = info.line.page
                pending_desc, current, seen_row_on_page = [], None, False
            text = info.line.text.strip()
            if _STOP.match(text) or _STOP.match(
                    " ".join(w.text for w in info.line.words if w.x1 < amount_col.x0 - 5)):
                if not info.amounts():
                    j += 1
                    continue
                if re.match(r"^(sub\s*total|subtotal|zwischensumme)", text, re.I):
                    j += 1
                    current = None
                    continue
                break
            if _header_columns(info) is not None or sum(
                    h.kind in ("total", "subtotal", "tax", "amount_due") for h in info.labels) >= 3:
                break  # another table, or the totals block
            if seen_row_on_page and current is not None and j > 0 and \
                    info.line.top - infos[j - 1].line.bottom > 80:
                break  # a wide vertical gap ends the table
            amount = _row_amount(info, cols, amount_col)
            if not seen_row_on_page and amount is None:
                j += 1
                continue
            desc = _clean_desc(" ".join(w.text for w in _desc_words(info, cols, amount_col.x0)))
            if amount is not None:
                seen_row_on_page = True
                if not desc and pending_desc:
                    desc = " ".join(pending_desc)
                current = LineItem(desc, amount,
                                   _value_in_col(info, qty_col, 20) if qty_col else None,
                                   _value_in_col(info, price_col, 25) if price_col else None)
                items.append(current)
                pending_desc = []
                cont = 0
            elif desc and _row_start(info, cols, qty_col, price_col):
                pending_desc = [desc]
                current = None
            elif desc:
                if current is not None and not current.description:
                    current.description = desc
                elif current is not None and cont < 3:
                    current.description += "\n" + desc
                    cont += 1
                else:
                    pending_desc.append(desc)
            j += 1
        i = j
    return _filter(items)


_ALLOWANCE = re.compile(r"^(abzgl\.?|zzgl\.?|abschlag|zuschlag|less|plus)\b", re.I)


def _filter(items: list[LineItem]) -> list[LineItem]:
    """Drop rows that are not items: document-level allowances/charges ('abzgl. 10 %'),
    and integers among amounts printed with decimals (a stray quantity or code)."""
    kept = [it for it in items if it.description and not _ALLOWANCE.match(it.description)]
    exps = [int(it.amount.as_tuple().exponent) for it in kept]
    if exps and sum(e < 0 for e in exps) > len(exps) / 2:
        kept = [it for it in kept if int(it.amount.as_tuple().exponent) < 0]
    return kept
