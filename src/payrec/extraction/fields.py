"""Header fields by label reasoning: invoice number, dates, totals, currency."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from .context import Context, LineInfo
from .currency import count_currencies, currency_in, is_valid_code
from .dates import find_dates, fold, payment_terms_days
from .labels import LabelHit, find_labels
from .numbers import find_numbers


@dataclass(slots=True)
class Candidate:
    value: Any
    score: float
    line: int  # document line index
    how: str


def best(cands: list[Candidate]) -> tuple[Any, float, float] | None:
    """Merge candidates by value: (value, combined score, runner-up score)."""
    if not cands:
        return None
    merged: dict[Any, float] = defaultdict(float)
    tops: dict[Any, float] = defaultdict(float)
    for c in cands:
        key = c.value
        merged[key] = 1 - (1 - merged[key]) * (1 - min(c.score, 0.99) * 0.5)
        tops[key] = max(tops[key], c.score)
    ranked = sorted(merged, key=lambda k: (tops[k] + 0.3 * merged[k]), reverse=True)
    win = ranked[0]
    runner = tops[ranked[1]] if len(ranked) > 1 else 0.0
    return win, tops[win] + 0.3 * merged[win], runner


# ---------------------------------------------------------------- value lookup helpers

def _values_right(ctx: Context, info: LineInfo, hit: LabelHit) -> list[str]:
    """Text right of a label: rest of its segment, else the next segment if not a label."""
    rest = info.text_after(hit.end).strip()
    seg = info.segment_of(hit.start)
    out: list[str] = []
    if seg is not None:
        seg_words = {id(w) for w in seg.words}
        i = info.word_at(hit.end)
        same = [w.text for w in info.line.words[i:] if id(w) in seg_words]
        if same:
            first = info.text_after(hit.end).split(" ")[0] if i < len(info.line.words) else ""
            same[0] = first
            cand = " ".join(same).strip(" :.-#")
            if cand:
                out.append(cand)
        segs = info.line.segments
        idx = next((k for k, s in enumerate(segs) if s is seg), -1)
        for nseg in segs[idx + 1 :] if idx >= 0 else []:
            nxt = nseg.text.strip()
            if re.fullmatch(r"[\W_]*", nxt):
                continue  # a lone ':' between label and value
            out.append(nxt.lstrip(": "))
            break
    elif rest:
        out.append(rest)
    return out


def _hit_overlaps(info: LineInfo, hit: LabelHit, x0: float, x1: float) -> bool:
    words = info.line.words
    a = words[min(info.word_at(hit.start), len(words) - 1)]
    b = words[min(info.word_at(max(hit.end - 1, hit.start)), len(words) - 1)]
    return min(b.x1, x1) - max(a.x0, x0) > 0


def _values_below(ctx: Context, info: LineInfo, hit: LabelHit) -> list[str]:
    """Text under a label: from the first word overlapping the label to the end of its segment."""
    seg = info.segment_of(hit.start)
    if seg is None:
        return []
    i0 = info.word_at(hit.start)
    i1 = max(i0, info.word_at(max(hit.end - 1, hit.start)))
    x0, x1 = info.line.words[i0].x0, info.line.words[min(i1, len(info.line.words) - 1)].x1
    out: list[str] = []
    h = info.line.bottom - info.line.top
    for below in ctx.below(info, x0 - 2, x1 + 2, max_lines=2):
        if below.line.top - info.line.bottom > 1.6 * h + 2:
            break  # too far below to be this label's value
        if any(not h.kind.startswith("x_") and _hit_overlaps(below, h, x0, x1)
               for h in below.labels):
            break  # another row of labels: the value is not under this one
        for s in below.line.segments:
            words = [w for w in s.words if min(w.x1, x1 + 2) - max(w.x0, x0 - 2) > 0]
            if words:
                k = next(i for i, w in enumerate(s.words) if w is words[0])
                out.append(" ".join(w.text for w in s.words[k:]))
                break
    return out


# ---------------------------------------------------------------- invoice number

_NUM_PREFIX = re.compile(
    r"^(?:\s|[:#.\-]|n[°ºo]\.?|no\.?(?=\s|\d|:)|nr\.?|num(?:ero|ber|mer)?\.?|number|nummer|"
    r"nº|id)+", re.IGNORECASE,
)
_BAD_NUMBER = re.compile(r"^\d{1,2}$|^(19|20)\d{2}$")


_NR_AFTER_WORDS = re.compile(
    r"^(?:[^\W\d_]+\.?\s+){0,3}(?:nr\.?|no\.?|n[°º]\.?|#|nummer|number|num\.?)\s*:?\s*(\S+)",
    re.IGNORECASE,
)


def clean_number(text: str, date_shaped: bool = False) -> str | None:
    """The number in a label's value; a date-shaped one ("2/11/2023", Polish numbering) only
    if `date_shaped` (the label names a number outright)."""
    t = re.sub(r"\([^)]*\)", " ", text).strip(" )(")
    m = _NR_AFTER_WORDS.match(t)
    if m:
        t = m.group(1)
    t = _NUM_PREFIX.sub("", t).strip()
    if not t:
        return None
    token = t.split()[0].strip(".,;:()")
    if token.startswith("#"):
        token = token[1:]
    if not re.search(r"\d", token) or len(token) < 3 or len(token) > 40:
        return None
    if _BAD_NUMBER.match(token) or (find_dates(token) and not date_shaped):
        return None
    if re.fullmatch(r"\d{1,3}([.,]\d{3})*[.,]\d{2}", token):
        return None  # an amount
    if not re.fullmatch(r"[\w./\-_]+", token):
        return None
    return token


# a numbered fiscal form: "Nº 000.000.002" over "SÉRIE 1" (Brazil's DANFE, Portugal's, Spain's
# "Nº ... Serie ...")
_FORM_NUMBER = re.compile(r"^n\s?[°ºo]\.?\s*:?\s*(\d[\d./\-]{2,20})$")
_SERIES = re.compile(r"^(serie|series)\b")


def _form_numbers(ctx: Context) -> list[Candidate]:
    out: list[Candidate] = []
    for info in ctx.infos:
        for seg in info.line.segments:
            m = _FORM_NUMBER.match(seg.ftext.strip())
            if not m:
                continue
            x0, x1 = seg.words[0].x0, seg.words[-1].x1
            for below in ctx.below(info, x0 - 10, x1 + 10, max_lines=2):
                if any(_SERIES.match(b.ftext.strip()) and b.words[0].x0 < x1 for b in
                       below.line.segments if b.words[-1].x1 > x0 - 10):
                    out.append(Candidate(m.group(1), 0.9, info.line.index, "form-number"))
                    break
    return out


# a label that names a number outright (folded): "numer faktury", "invoice number", "n° de"
_NUMBER_WORD = re.compile(r"(?<![a-z])(nr|numer|number|nummer|numero|no|n°|nº)(?![a-z])")


def invoice_number(ctx: Context) -> list[Candidate]:
    cands: list[Candidate] = _form_numbers(ctx)
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind != "invoice_number":
                continue
            found = False
            page_h = ctx.doc.pages[info.line.page].height or 842.0
            where = 1.0 if info.line.page == 0 and info.line.top < 0.45 * page_h else 0.9
            # "Numer faktury: 2/11/2023": a number label's date-shaped value, less sure
            named = hit.strength >= 0.95 and bool(_NUMBER_WORD.search(hit.label))
            for k, txt in enumerate(_values_right(ctx, info, hit)):
                num = clean_number(txt, named)
                if num:
                    strength = hit.strength * (0.8 if find_dates(num) else 1.0)
                    if k == 0 and _NR_AFTER_WORDS.match(re.sub(r"\([^)]*\)", " ", txt).strip()):
                        strength = max(strength, 0.95)  # "<invoice word> ... Nr. <value>"
                    cands.append(Candidate(num, strength * (1.0 if k == 0 else 0.95) * where,
                                           info.line.index, "right"))
                    found = True
                    break
            if not found:
                for txt in _values_below(ctx, info, hit):
                    num = clean_number(txt, named)
                    if num:
                        strength = hit.strength * (0.8 if find_dates(num) else 1.0)
                        cands.append(Candidate(num, strength * 0.9 * where, info.line.index,
                                               "below"))
                        break
    return cands


# ---------------------------------------------------------------- dates

def _date_right_or_below(ctx: Context, info: LineInfo, hit: LabelHit) -> tuple[date, str] | None:
    seg = info.segment_of(hit.start)
    for d in info.dates:
        if d.start >= hit.end:
            # must be right after the label (no other label in between)
            # (an amount label between does not own a date: "art. 106 ust. 1: <date>")
            between = [h for h in info.labels
                       if hit.end <= h.start < d.start and h.strength >= 0.65
                       and h.kind not in _AMOUNT_KINDS]
            if between:
                break
            dseg = info.segment_of(d.start)
            if dseg is seg or d.start - hit.end < 40:
                return d.value, "right"
            break
    if hit.strength < 0.6:
        return None
    if not info.ftext[hit.end:].strip(" :") and info.line.index + 1 < len(ctx.infos):
        nxt = ctx.infos[info.line.index + 1]
        if nxt.line.page == info.line.page and nxt.dates and nxt.dates[0].start == 0 \
                and nxt.line.top - info.line.bottom < 20:
            return nxt.dates[0].value, "next-line"
    for txt in _values_below(ctx, info, hit):
        ds = find_dates(txt, ctx.order)
        if ds:
            return ds[0].value, "below"
    return None


_TITLE = re.compile(r"\b(invoice|rechnung|facture|factuur|factura|faktura|fattura|receipt|"
                    r"gutschrift|credit note|beitragsrechnung|quittung|recu|nota)\b")


# an instalment table's heading (folded): pt (Brazil's "Fatura / Duplicatas"), es, it, fr, pl
_INSTALMENTS = re.compile(r"\b(duplicatas?|parcelas|cuotas|vencimientos|rate|echeancier|raty)\b")


def _instalments(ctx: Context) -> list[Candidate]:
    """The first instalment's date ("001 30/05/2024 1.433,60") under an instalment heading:
    the invoice's first due date."""
    for info in ctx.infos:
        if not _INSTALMENTS.search(info.ftext) or info.dates:
            continue
        for below in ctx.infos[info.line.index + 1 : info.line.index + 6]:
            # a row: the instalment's number ("001", "00000488-01/01"), then its date
            tokens = below.ftext.split()
            if len(tokens) >= 2 and re.fullmatch(r"[\d\-/]{1,16}", tokens[0]) and \
                    not find_dates(tokens[0], ctx.order):
                ds = find_dates(tokens[1], ctx.order)
                if ds:
                    return [Candidate(ds[0].value, 0.7, below.line.index, "instalment")]
    return []


def dates(ctx: Context) -> tuple[list[Candidate], list[Candidate], int | None]:
    issue: list[Candidate] = []
    due: list[Candidate] = []
    terms: int | None = None
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind not in ("issue_date", "due_date"):
                continue
            strength = hit.strength
            if strength < 0.65:
                if not any(h.kind == "invoice_number" and h.end <= hit.start
                           for h in info.labels):
                    continue  # "vom"/"du"/"le" only right after an invoice number
                strength = 0.9  # "Rechnung Nr. 123 vom 05.03.2018": a strong pattern
            got = _date_right_or_below(ctx, info, hit)
            if got is None:
                continue
            value, how = got
            factor = 1.0 if how == "right" else 0.9
            target = issue if hit.kind == "issue_date" else due
            target.append(Candidate(value, strength * factor, info.line.index, how))
        if terms is None and re.search(r"\d", info.ftext):
            t = payment_terms_days(info.ftext)
            if t is not None and re.search(
                r"\bnet|netto|zahlbar|zahlungs|payment|terms|payable|\bpay\b|\bdue\b|"
                r"fallig|betaling|betalen|paiement|payer|reglement|echeance|pago|vencimiento|"
                r"platnosc|platnosci|zaplaty", info.ftext):
                terms = t
    if not due:
        due += _instalments(ctx)
    # unlabelled fallback: a date on the document title line, then the first date on page 1
    if not issue:
        for info in ctx.infos:
            if info.line.page > 0:
                break
            usable = [d for d in info.dates
                      if not any(h.kind == "x_date" and h.end <= d.start for h in info.labels)]
            if usable and _TITLE.search(info.ftext):
                issue.append(Candidate(usable[0].value, 0.55, info.line.index, "title"))
                break
    if not issue:
        for info in ctx.infos[:60]:
            if info.line.page > 0:
                break
            if info.dates and not any(h.kind in ("x_date", "due_date") for h in info.labels):
                issue.append(Candidate(info.dates[0].value, 0.35, info.line.index, "first"))
                break
    return issue, due, terms


# ---------------------------------------------------------------- totals

def _amount_on_line(info: LineInfo, hit: LabelHit) -> tuple[Decimal, int] | None:
    """The amount belonging to a label: the last amount of the first label-free chunk after it
    that holds an amount (two label/value pairs can share a line)."""
    nums = info.amounts(hit.end)
    if not nums:
        return None
    bounds = [h.start for h in info.labels if h.start >= hit.end and h.kind in
              ("total", "amount_due", "subtotal", "tax", "x_amount", "issue_date", "due_date",
               "invoice_number", "customer", "issuer", "x_party")]
    edges = [hit.end, *bounds, len(info.ftext) + 1]
    for lo, hi in pairwise(edges):
        chunk = [n for n in nums if lo <= n.start < hi]
        if chunk:
            if lo != hit.end:
                # the first amount follows a later label: it belongs to that label, unless
                # that label is part of this one's phrase ("Summe inkl. USt: 571,04")
                owner = next(h for h in info.labels if h.start == lo)
                between = info.ftext[hit.end:lo]
                if owner.kind in ("total", "amount_due", "subtotal", "tax", "x_amount") and \
                        len(between.strip(" (.:")) > 6:
                    return None
            pick = chunk[-1]
            return pick.value, pick.start
    return None


def _column_below(ctx: Context, info: LineInfo, hit: LabelHit) -> Decimal | None:
    """A summary table: label in a header row, amounts below; the last row is the total."""
    i0 = info.word_at(hit.start)
    i1 = min(info.word_at(max(hit.end - 1, hit.start)), len(info.line.words) - 1)
    x0, x1 = info.line.words[i0].x0 - 15, info.line.words[i1].x1 + 15
    segs = info.line.segments
    k = next((j for j, sg in enumerate(segs) if sg.words[0].x0 <= info.line.words[i0].x0
              <= sg.words[-1].x1), None)
    if k is not None and len(segs) >= 3:
        # a form's header row ("VALOR DO IPI  VALOR TOTAL DA NOTA"): the cell runs to the next
        # caption (the last one to the page's edge); its value may sit right-aligned there
        page_w = ctx.doc.pages[info.line.page].width
        x1 = max(x1, segs[k + 1].words[0].x0 - 3 if k + 1 < len(segs) else page_w)
    last: Decimal | None = None
    last_row = info.line.index
    for below in ctx.below(info, x0, x1, max_lines=5):
        vals = []
        for n in below.amounts():
            w = below.line.words[min(below.word_at(n.start), len(below.line.words) - 1)]
            if w.x1 > x0 and w.x0 < x1:
                vals.append(n.value)
        if not vals:
            break
        if last is not None and any(
            _own_row(x) for x in ctx.infos[last_row + 1 : below.line.index + 1]
        ):
            break  # a row of its own ("Acompte : 10,00", "Déjà payé :"), not the table's
        last, last_row = vals[-1], below.line.index
    return last


def _header_cell(info: LineInfo, hit: LabelHit) -> bool:
    """The label is a whole cell of a header row ("VALOR TOTAL DA NOTA" over its value)."""
    if hit.strength < 0.95:
        return False  # "Gesamt", "Total" also head the line items' amount column
    seg = info.segment_of(hit.start)
    return seg is not None and fold(seg.text).strip(" :") == info.ftext[hit.start : hit.end]


def _stacked_caption(ctx: Context, info: LineInfo, hit: LabelHit) -> float | None:
    """The label ends a caption set on two lines ("IMPORTE" over "TOTAL", other captions
    between): the whole caption's strength when it is a stronger label of the same kind."""
    seg = info.segment_of(hit.start)
    if seg is None or fold(seg.text).strip(" :") != info.ftext[hit.start : hit.end]:
        return None
    h = info.line.bottom - info.line.top
    for above in reversed(ctx.infos[max(0, info.line.index - 2) : info.line.index]):
        if above.line.page != info.line.page or info.line.top - above.line.bottom > 2.5 * h:
            break
        for cell in above.line.segments:
            if min(cell.x1, seg.x1) - max(cell.x0, seg.x0) <= 0:
                continue
            caption = f"{fold(cell.text).strip(' :')} {info.ftext[hit.start : hit.end]}"
            whole = [x for x in find_labels(caption) if x.start == 0 and x.end == len(caption)]
            if whole and whole[0].kind == hit.kind and whole[0].strength > hit.strength:
                return whole[0].strength
    return None


def _own_row(info: LineInfo) -> bool:
    """A line with an amount label or a "Label :" of its own."""
    return any(h.kind in _AMOUNT_KINDS for h in info.labels) or any(
        seg.text.rstrip().endswith(":") for seg in info.line.segments
    )


_AMOUNT_KINDS = ("total", "amount_due", "subtotal", "tax", "x_amount")


@dataclass(slots=True)
class Totals:
    total: list[Candidate]
    due: list[Candidate]
    subtotal: list[Candidate]
    tax: list[Candidate]


def totals(ctx: Context) -> Totals:
    out = Totals([], [], [], [])
    n = len(ctx.infos)
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind not in ("total", "amount_due", "subtotal", "tax"):
                continue
            got = _amount_on_line(info, hit)
            how = "right"
            strength = hit.strength
            if got is None and hit.kind in ("total", "amount_due") and \
                    len(info.line.segments) <= 2:
                for txt in _values_below(ctx, info, hit)[:1]:
                    nums = [x for x in find_numbers(fold(txt), ctx.hint) if not x.percent]
                    if nums and len(txt) < 30:
                        got, how = (nums[-1].value, 0), "below"
            stacked = None
            if got is None and hit.kind in ("total", "amount_due") and \
                    len(info.line.segments) >= 3:
                stacked = _stacked_caption(ctx, info, hit)
            if got is None and hit.kind in ("total", "amount_due") and \
                    len(info.line.segments) >= 3 and (sum(
                        h.kind in ("total", "amount_due", "subtotal", "tax")
                        for h in info.labels) >= 3 or _header_cell(info, hit)
                        or (stacked or 0.0) >= 0.95):
                col = _column_below(ctx, info, hit)
                if col is not None:
                    got, how = (col, 0), "table"
                    strength = max(strength, stacked or 0.0)
            if got is None:
                continue
            value = got[0]
            # later in the document = more likely the summary block
            pos = info.line.index / max(n - 1, 1)
            score = strength * {"right": 1.0, "below": 0.85}.get(how, 0.75) * (0.9 + 0.1 * pos)
            cand = Candidate(value, score, info.line.index, hit.label)
            {"total": out.total, "amount_due": out.due, "subtotal": out.subtotal,
             "tax": out.tax}[hit.kind].append(cand)
    return out


# ---------------------------------------------------------------- currency

# tax identifiers only one country uses, for the currency of a page that prints none
_COUNTRY_IDS = (
    (r"\bcnpj\b|\bcpf\b|\bnf-?e\b|\bdanfe\b", "BRL"),
    (r"\bcuit\b", "ARS"),
    (r"\bnip\b|\bregon\b", "PLN"),
)


def currency(ctx: Context, total_line: int | None) -> tuple[str, float] | None:
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind == "currency":
                code = currency_in(info.text_after(hit.end)[:40].upper())
                if code and is_valid_code(code):
                    return code, 0.97
    if total_line is not None:
        info = ctx.infos[total_line]
        code = currency_in(info.line.text)
        if code:
            return code, (0.9 if code != "USD" or "USD" in info.line.text else 0.85)
    counts = count_currencies(ctx.doc.text)
    if not counts:
        # no currency printed: the country's, when the page carries its tax identifiers
        ftext = fold(ctx.doc.text)
        for pattern, code in _COUNTRY_IDS:
            if re.search(pattern, ftext):
                return code, 0.5
        return None
    ranked = counts.most_common(2)
    code, cnt = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    conf = 0.85 if cnt >= 2 * max(second, 1) else 0.6
    if code == "USD":
        conf -= 0.05
    return code, conf
