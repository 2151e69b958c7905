"""Issuer and customer: labelled party blocks, sender lines, legal forms, web domains."""

from __future__ import annotations

import re
from collections import Counter

from .addressee import window_block
from .context import Context, LineInfo
from .dates import fold
from .fields import Candidate
from .footer import has_address_below, legal_footer
from .layout import Segment
from .party_lines import (
    ADDRESS,
    CAPTION,
    CONTACT_LINE,
    HEADING_TAILS,
    LEGAL_FORM,
    NAME_KEY,
    OF_THE,
    PERSON_TITLE,
    POSTCODE,
    SALUTATION,
    SEP,
    TITLE_WORDS,
    TRADE_NAME,
    VAT_LINE,
    clean,
    drop_final_period,
    letters_of,
    name_like,
    web_domains,
)


def _block_below(ctx: Context, info: LineInfo, x0: float, max_lines: int = 7) -> list[LineInfo]:
    """Lines under a label, in the label's column."""
    out: list[LineInfo] = []
    idx = info.line.index + 1
    prev_bottom = info.line.bottom
    while idx < len(ctx.infos) and len(out) < max_lines:
        nxt = ctx.infos[idx]
        idx += 1
        if nxt.line.page != info.line.page:
            break
        if nxt.line.top - prev_bottom > 30:
            break
        words = [w for w in nxt.line.words if w.x1 > x0 - 5 and w.x0 < x0 + 120]
        if not words:
            continue
        if min(w.x0 for w in words) < x0 - 40:
            continue
        out.append(nxt)
        prev_bottom = nxt.line.bottom
    return out


def _column_text(info: LineInfo, x0: float) -> str:
    segs = info.line.segments
    for k, seg in enumerate(segs):
        if seg.x1 > x0 - 5 and seg.x0 < x0 + 150:
            text = seg.text
            if k + 1 < len(segs) and LEGAL_FORM.fullmatch(segs[k + 1].text.strip()):
                text += " " + segs[k + 1].text.strip()  # 'ACME || GMBH' set wide apart
            return text
    return ""


def _labelled(ctx: Context, kind: str) -> list[Candidate]:
    cands: list[Candidate] = []
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind != kind:
                continue
            seg = info.segment_of(hit.start)
            if seg is None:
                continue
            starts = fold(seg.text)[: hit.end - hit.start] == info.ftext[hit.start : hit.end]
            after = info.text_after(hit.end)
            if not starts:
                # mid-segment label only as "Label: Value"
                m = re.match(r"^\s*:\s*(.+)$", after)
                if m and name_like(m.group(1)) and len(m.group(1).split()) <= 6:
                    cands.append(
                        Candidate(
                            clean(m.group(1)), hit.strength * 0.85, info.line.index, "label-inline"
                        )
                    )
                continue
            if len(seg.words) > 6:
                continue
            alone = len(fold(seg.text).strip(" :").split()) == len(
                info.ftext[hit.start : hit.end].split()
            )
            if hit.strength < 0.7 and not after.lstrip().startswith(":") and not alone:
                continue  # weak labels ("To", "Firma") only as "Label:" or as a heading
            seg_rest = " ".join(
                after.split(" ")[
                    : max(0, len(seg.words) - len(info.ftext[hit.start : hit.end].split()))
                ]
            )
            seg_rest = drop_final_period(seg_rest.strip(" :"))
            if seg_rest.lower() in ("address", "adresse", "name", "details", "/", ""):
                seg_rest = ""
            if (
                seg_rest.startswith("/")
                or seg_rest.lower() in HEADING_TAILS
                or TRADE_NAME.match(fold(seg_rest))
            ):
                seg_rest = ""  # "Destinatário / Remetente", "Client address"
            if seg_rest and OF_THE.match(fold(seg_rest)):
                continue  # "Emitente da nota", "Client de la facture": a heading, not a name
            if seg_rest and CONTACT_LINE.search(fold(seg_rest)):
                continue  # "Buyer dep": the customer's department, not its name
            if seg_rest and LEGAL_FORM.fullmatch(seg_rest.strip()):
                continue  # "Lieferant GmbH" is a name, not a label
            if seg_rest and name_like(seg_rest):
                cands.append(
                    Candidate(clean(seg_rest), hit.strength * 0.95, info.line.index, "label-right")
                )
                continue
            if seg_rest and re.search(r"\d", seg_rest):
                continue  # "Buyer line 2": running text, not a heading over a block
            nxt_seg = _next_segment(info, seg)
            if (
                kind == "customer"
                and not seg_rest
                and seg.text.rstrip().endswith(":")
                and nxt_seg is not None
                and nxt_seg.words[0].x0 - seg.words[-1].x1 < 120
                and name_like(nxt_seg.text)
                and len(nxt_seg.words) <= 6
            ):
                # "Sr.(s):        Joao Da Silva": label and value in two cells of one line
                # (a cell far off to the right is another column's block)
                cands.append(
                    Candidate(
                        clean(nxt_seg.text), hit.strength * 0.9, info.line.index, "label-cell"
                    )
                )
                continue
            x0 = seg.x0
            block = _block_below(ctx, info, x0)
            named = None
            for j, b in enumerate(block):
                m = NAME_KEY.match(_column_text(b, x0))  # this column's, not the line's
                if m is None and b.line.text.lstrip().startswith(_column_text(b, x0).strip()):
                    m = NAME_KEY.match(b.line.text)  # "Name:" and its value cells apart
                if m:
                    named = m.group(2)
                    named = _wrapped_above(ctx, b) + named
                    break
                if j == 0 and len(block) > 1 and CAPTION.match(fold(_column_text(b, x0))):
                    # a form: a caption row ("Nome / Razão social") over its value row
                    named = _column_text(block[j + 1], x0).strip()
                    b = block[j + 1]
                    break
                if (
                    j >= 1
                    and POSTCODE.search(b.line.text)
                    and name_like(_column_text(block[0], x0))
                ):
                    break  # name, street, postcode: the block's done; a later "Naam:" is not it
            if named:
                name = clean(named)
                k = block.index(b)
                if k + 1 < len(block):
                    nxt = block[k + 1].line.text.strip()
                    if (
                        LEGAL_FORM.search(nxt)
                        and name_like(nxt)
                        and not re.search(r"\d|:", nxt)
                        and not LEGAL_FORM.search(name)
                    ):
                        name = f"{name} {nxt}"
                cands.append(Candidate(name, hit.strength, info.line.index, "label-name"))
                continue
            salutation = ""
            for k, b in enumerate(block):
                text = _column_text(b, x0)
                full = b.line.text
                if SALUTATION.match(text.strip()):
                    if PERSON_TITLE.match(text.strip()):
                        salutation = text.strip() + " "
                    continue
                # the label's column only: another column's "VAT No: ..." on the same line
                # is not this block's
                own = full if full.startswith(text.strip()) else text
                kv = re.match(r"^[^:]{1,30}:\s*\S", own)
                if (kv and ":" in own[: len(text.rstrip()) + 2]) or re.match(
                    r"^\s*(gln|globale|handelsname|ust|vat|tax|kunden-?n|customer n)", own, re.I
                ):
                    continue  # "Key: value" lines (numbers, ids) inside the party block
                if CONTACT_LINE.search(fold(text)) and not LEGAL_FORM.search(text):
                    continue  # "Service comptabilité", "Contact name, Dept" over the name
                if name_like(clean(text)):
                    name = clean(text)
                    if k + 1 < len(block):
                        nxt = _column_text(block[k + 1], x0).strip()
                        if (
                            LEGAL_FORM.search(nxt)
                            and name_like(nxt)
                            and not re.search(r"\d", nxt)
                            and not LEGAL_FORM.search(name)
                        ):
                            name = f"{name} {nxt}"  # a name wrapped over two lines
                    cands.append(
                        Candidate(
                            salutation + name, hit.strength * 0.9, info.line.index, "label-below"
                        )
                    )
                break
    return cands


def _next_segment(info: LineInfo, seg: Segment) -> Segment | None:
    segs = info.line.segments
    k = next((i for i, sg in enumerate(segs) if sg is seg), None)
    return segs[k + 1] if k is not None and k + 1 < len(segs) else None


def _wrapped_above(ctx: Context, info: LineInfo) -> str:
    """A table cell whose first line sits above its label ('Name:' vertically centred)."""
    if len(info.line.segments) < 2 or info.line.index == 0:
        return ""
    vx = info.line.segments[1].x0
    prev = ctx.infos[info.line.index - 1]
    h = info.line.bottom - info.line.top
    if prev.line.page != info.line.page or info.line.top - prev.line.bottom > 1.2 * h:
        return ""
    if (
        len(prev.line.segments) == 1
        and abs(prev.line.segments[0].x0 - vx) < 4
        and not re.search(r"\d|:", prev.line.text)
    ):
        return prev.line.text.strip() + " "
    return ""


def _addressee(ctx: Context) -> list[Candidate]:
    """An address window starting with a person title ('Herrn', 'Mrs') on page 1."""
    out: list[Candidate] = []
    page_h = ctx.doc.pages[0].height if ctx.doc.pages else 842.0
    for info in ctx.infos:
        if info.line.page > 0 or info.line.top > 0.4 * page_h:
            break
        for seg in info.line.segments:
            if PERSON_TITLE.match(seg.text.strip()):
                for b in _block_below(ctx, info, seg.x0, max_lines=1):
                    text = _column_text(b, seg.x0).strip()
                    if name_like(text):
                        out.append(
                            Candidate(
                                f"{seg.text.strip()} {text}", 0.7, info.line.index, "addressee"
                            )
                        )
    return out


def _sender_line(ctx: Context) -> tuple[list[Candidate], list[Candidate]]:
    """A return-address line ('Name - Street 1 - 12345 City') over the address window."""
    issuers: list[Candidate] = []
    customers: list[Candidate] = []
    for info in ctx.infos:
        if info.line.page > 0 or info.line.top > 0.45 * ctx.doc.pages[0].height:
            break
        for seg in info.line.segments[:1]:
            parts = [p.strip() for p in SEP.split(info.line.text) if p.strip()]
            if len(parts) < 3 or not POSTCODE.search(info.line.text):
                continue
            name = parts[0]
            if not name_like(name):
                continue
            issuers.append(Candidate(name, 0.85, info.line.index, "sender-line"))
            salutation = ""
            for b in _block_below(ctx, info, seg.x0, max_lines=3):
                text = _column_text(b, seg.x0).strip()
                if SALUTATION.match(text):
                    if PERSON_TITLE.match(text):
                        salutation = text + " "
                    continue
                if name_like(text):
                    customers.append(
                        Candidate(salutation + clean(text), 0.75, info.line.index, "window")
                    )
                break
    return issuers, customers


def _company_names(ctx: Context) -> list[Candidate]:
    """Names with a legal form, names matching the web/e-mail domain, header names."""
    cands: list[Candidate] = []
    domains = web_domains(ctx.doc.text)
    counts: Counter[str] = Counter()
    for info in ctx.infos:
        for seg in info.line.segments:
            counts[letters_of(seg.text)] += 1
    page_h = ctx.doc.pages[0].height if ctx.doc.pages else 842.0
    for info in ctx.infos:
        rel = info.line.top / max(page_h, 1)
        for seg in info.line.segments:
            text = seg.text.strip()
            m = LEGAL_FORM.search(text)
            letters = letters_of(text)
            dom = (
                any(
                    d in letters or (letters in d and len(letters) >= 0.6 * len(d)) for d in domains
                )
                if len(letters) >= 3
                else False
            )
            if m:
                name = re.sub(r"\([^)]*\)", " ", text[: m.end()]).strip(" ,")
                name = re.split(r"\s*[:]\s*", name)[-1]
                name = SEP.split(name)[0]
                if not name_like(name) or len(name.split()) > 7:
                    continue
                score = 0.45 + 0.08 * min(counts[letters] - 1, 3)
                if info.line.page == 0 and rel < 0.2:
                    score += 0.1
                if dom:
                    score += 0.2
                name = _two_line_name(ctx, info, seg.x0, name)
                cands.append(Candidate(name, score, info.line.index, "legal-form"))
            elif (
                dom
                and name_like(text)
                and len(text.split()) <= 5
                and info.line.page == 0
                and (rel < 0.25 or rel > 0.75)
            ):
                cands.append(Candidate(text, 0.7, info.line.index, "domain"))
    # a title such as "Acme Corp Invoice" on the first lines
    for info in ctx.infos[:5]:
        m = re.match(
            r"^(.{3,60}?)\s+(invoice|rechnung|facture|factuur|factura)\s*$",
            info.line.segments[0].text if info.line.segments else "",
            re.I,
        )
        if m and name_like(m.group(1)):
            cands.append(Candidate(m.group(1).strip(), 0.6, info.line.index, "title"))
    return cands


def _two_line_name(ctx: Context, info: LineInfo, x0: float, name: str) -> str:
    """Join a name wrapped over two lines at the top of its block."""
    if info.line.index == 0 or name.strip() != _column_text(info, x0).strip():
        return name
    prev = ctx.infos[info.line.index - 1]
    if prev.line.page != info.line.page:
        return name
    gap = info.line.top - prev.line.bottom
    ptxt = _column_text(prev, x0)
    if not (
        -0.3 * (info.line.bottom - info.line.top) <= gap < info.line.bottom - info.line.top
        and ptxt
        and abs(prev.line.segments[0].x0 - x0) < 3
        and name_like(ptxt)
        and not re.search(r"\d", ptxt)
    ):
        return name
    if prev.line.index > 0:
        above = ctx.infos[prev.line.index - 1]
        if (
            above.line.page == prev.line.page
            and prev.line.top - above.line.bottom < 6
            and any(abs(s.x0 - x0) < 3 for s in above.line.segments)
        ):
            return name
    return f"{ptxt.strip()} {name}"


def _first_header_name(ctx: Context) -> list[Candidate]:
    for info in ctx.infos[:4]:
        if info.line.page > 0:
            break
        for seg in info.line.segments[:1]:
            t = seg.text.strip()
            if name_like(t) and not re.search(r"stylesheet|beispiel|copy|kopie", t, re.I):
                return [Candidate(t, 0.3, info.line.index, "header")]
    return []


def _prominent_name(ctx: Context) -> list[Candidate]:
    """The largest-font name in the page header (letterheads print the issuer big)."""
    if not ctx.doc.pages:
        return []
    page = ctx.doc.pages[0]
    sizes = sorted(w.size for ln in page.lines for w in ln.words)
    if not sizes:
        return []
    body = sizes[len(sizes) // 2]
    best: tuple[float, str, int] | None = None
    for ln in page.lines:
        if ln.top > 0.25 * page.height:
            break
        for seg in ln.segments:
            size = max(w.size for w in seg.words)
            text = seg.text.strip()
            if size < 1.3 * body or TITLE_WORDS.match(text) or not name_like(text):
                continue
            if best is None or size > best[0]:
                best = (size, text, ln.index)
    if best is None:
        return []
    score = 0.5 + (0.15 if LEGAL_FORM.search(best[1]) else 0.0)
    return [Candidate(best[1], score, best[2], "prominent")]


def _vat_block(ctx: Context) -> list[Candidate]:
    """An unlabelled address block ending in a VAT-id line is the seller's: its first line,
    above the street and postcode lines, is the name."""
    out: list[Candidate] = []
    for info in ctx.infos:
        for seg in info.line.segments:
            if not VAT_LINE.match(seg.ftext.strip()):
                continue
            idx, x0, lines = info.line.index, seg.words[0].x0, 0
            while idx > 0 and lines < 4:
                idx -= 1
                above = ctx.infos[idx]
                if above.line.page != info.line.page:
                    break
                col = [
                    sg
                    for sg in above.line.segments
                    if abs(sg.words[0].x0 - x0) < 12 or abs(sg.words[-1].x1 - seg.words[-1].x1) < 12
                ]
                if not col:
                    break
                text = col[0].text.strip()
                lines += 1
                if ADDRESS.search(text) or POSTCODE.search(text):
                    continue
                if name_like(text) and lines >= 2:
                    name = _two_line_name(ctx, above, col[0].x0, clean(text))  # "Acme\nLLP"
                    out.append(Candidate(name, 0.6, above.line.index, "vat-block"))
                break
    return out


def parties(ctx: Context) -> tuple[list[Candidate], list[Candidate]]:
    issuers = _labelled(ctx, "issuer")
    customers = _labelled(ctx, "customer")
    s_iss, s_cus = _sender_line(ctx)
    issuers += s_iss
    customers += s_cus
    customers += _addressee(ctx)
    cust_letters = {letters_of(c.value) for c in customers}
    companies = _company_names(ctx)
    issuers += [c for c in companies if letters_of(c.value) not in cust_letters]
    issuers += [c for c in _prominent_name(ctx) if letters_of(c.value) not in cust_letters]
    vat_blocks = _vat_block(ctx)
    issuers += [c for c in vat_blocks if letters_of(c.value) not in cust_letters]
    issuers += [c for c in legal_footer(ctx) if letters_of(c.value) not in cust_letters]
    if not issuers:
        issuers += [c for c in _first_header_name(ctx) if letters_of(c.value) not in cust_letters]
    if not customers:
        # no labelled customer: an address-shaped block in the window that is not the issuer's
        # (a bare legal-form match anywhere on the page is no evidence of the issuer)
        named = [c for c in issuers if c.how not in ("legal-form", "header")]
        iss_letters = {letters_of(c.value) for c in named}
        customers += [c for c in window_block(ctx) if letters_of(c.value) not in iss_letters]
        if not customers and any(c.how == "legal-footer" for c in issuers):
            # the footer names the seller: another company's address block is the buyer's
            footer = {letters_of(c.value) for c in issuers if c.how == "legal-footer"}
            customers += [
                Candidate(c.value, 0.5, c.line, "other-block")
                for c in vat_blocks + [c for c in companies if c.how == "legal-form"]
                if letters_of(c.value) not in footer and has_address_below(ctx, c)
            ]
        cust_letters = {letters_of(c.value) for c in customers}
        issuers = [c for c in issuers if letters_of(c.value) not in cust_letters]
    return issuers, customers


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def customer_email(ctx: Context) -> tuple[str, float] | None:
    """An e-mail address printed in the customer's block."""
    for info in ctx.infos:
        for hit in info.labels:
            if hit.kind != "customer":
                continue
            seg = info.segment_of(hit.start)
            if seg is None:
                continue
            x0 = seg.x0
            m = EMAIL_RE.search(info.text_after(hit.end))
            if m:
                return m.group(0), 0.8
            for b in _block_below(ctx, info, x0, max_lines=6):
                text = " ".join(w.text for w in b.line.words if x0 - 5 < w.xc < x0 + 200)
                m = EMAIL_RE.search(text)
                if m:
                    return m.group(0), 0.8
    return None
