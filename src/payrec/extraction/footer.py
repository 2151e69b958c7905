"""The issuer named by its legal footer: the company line over the share capital and
registration numbers that the seller must print (SIRET, RCS, HRB, KvK, KRS, ...)."""

from __future__ import annotations

import re

from .context import Context
from .dates import fold
from .fields import Candidate
from .party_lines import ADDRESS, POSTCODE, SEP, clean, name_like

__all__ = ["has_address_below", "legal_footer"]

# a legal mention (folded): fr de nl es it pt pl en
LEGAL_ID = re.compile(
    r"\b(au capital (?:social )?de|capital social|siret|siren|r\.?\s?c\.?\s?s\.?|"
    r"handelsregister|hrb|hra|amtsgericht|registergericht|kvk|kamer van koophandel|"
    r"registro mercantil|partita iva|cnpj|nipc|krs|regon|"
    r"company (?:registration|reg\.?) (?:no|number)|registered in)\b"
)


def legal_footer(ctx: Context) -> list[Candidate]:
    """A line in the page's bottom quarter with two legal mentions: the name heading that
    footer block (the line's own first part, or a name line up to two lines above)."""
    out: list[Candidate] = []
    for info in ctx.infos:
        page = ctx.doc.pages[info.line.page]
        if info.line.top < 0.75 * page.height:
            continue
        if len({m.group(1) for m in LEGAL_ID.finditer(info.ftext)}) < 2:
            continue
        first = SEP.split(info.line.text.strip())[0].strip()
        m = LEGAL_ID.search(fold(first))
        first = first[: m.start()].strip(" ,") if m else first  # "ACME SAS au capital de"
        if len(first.split()) >= 2 and name_like(first):  # not a bare "SASU au capital"
            out.append(Candidate(clean(first), 0.7, info.line.index, "legal-footer"))
            continue
        for above in reversed(ctx.infos[max(0, info.line.index - 2) : info.line.index]):
            if above.line.page != info.line.page or info.line.top - above.line.bottom > 30:
                break
            text = above.line.text.strip()
            if ADDRESS.search(text):
                continue
            if name_like(text) and len(text.split()) <= 7:
                out.append(Candidate(clean(text), 0.7, above.line.index, "legal-footer"))
            break
    return out


def has_address_below(ctx: Context, cand: Candidate) -> bool:
    """The candidate's name line heads an address: a postcode and a city within three lines
    under it, in its column ("Your details" over id numbers does not)."""
    info = ctx.infos[cand.line]
    seg = next((s for s in info.line.segments if clean(s.text) == cand.value), None)
    if seg is None:
        return False
    for below in ctx.infos[cand.line + 1 : cand.line + 4]:
        for s in below.line.segments:
            m = POSTCODE.search(s.text)
            if abs(s.words[0].x0 - seg.words[0].x0) < 12 and m and re.match(
                r"\s+[^\W\d]{3,}", s.text[m.end() :]
            ):
                return True
    return False
