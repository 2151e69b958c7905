"""The addressee found by its shape when no label names it: the window block of a letter."""

from __future__ import annotations

from .context import Context
from .fields import Candidate
from .party_lines import ADDRESS, POSTCODE, VAT_LINE, clean, name_like

__all__ = ["window_block"]


def window_block(ctx: Context) -> list[Candidate]:
    """Name, street, postcode and city, stacked in one column in the upper part of page 1,
    with no VAT-id line under it (the seller's block has one)."""
    if not ctx.doc.pages:
        return []
    page_h = ctx.doc.pages[0].height
    infos = [i for i in ctx.infos if i.line.page == 0 and i.line.top < 0.45 * page_h]
    out: list[Candidate] = []
    for k, info in enumerate(infos):
        for seg in info.line.segments:
            name = seg.text.strip()
            if not name_like(name):
                continue
            col = [seg]
            for nxt in infos[k + 1 : k + 5]:
                same = [s for s in nxt.line.segments if abs(s.words[0].x0 - seg.words[0].x0) < 4]
                if not same or nxt.line.top - col[-1].line.bottom > 8:
                    break
                col.append(same[0])
            rest = [c.text for c in col[1:]]
            if (
                not (2 <= len(rest) <= 3)
                or not POSTCODE.search(rest[-1])
                or not ADDRESS.search(rest[0])
            ):
                continue
            if k > 0 and any(
                abs(s.words[0].x0 - seg.words[0].x0) < 4
                and infos[k - 1].line.bottom > info.line.top - 8
                for s in infos[k - 1].line.segments
            ):
                continue  # not the top of its block
            below = infos[k + len(col)] if k + len(col) < len(infos) else None
            if (
                below is not None
                and below.line.top - col[-1].line.bottom <= 8
                and any(
                    VAT_LINE.match(s.ftext.strip()) or ADDRESS.search(s.text)
                    for s in below.line.segments
                    if abs(s.words[0].x0 - seg.words[0].x0) < 4
                )
            ):
                continue  # the block goes on: VAT id, phone, e-mail (a letterhead)
            out.append(Candidate(clean(name), 0.5, info.line.index, "window-block"))
    return out
