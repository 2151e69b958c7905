"""Per-document analysis shared by the field extractors: folded text, labels, numbers, dates."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .dates import DateMatch, DayOrder, day_order_hint, find_dates, fold
from .labels import LabelHit, find_labels
from .languages import DAY_FIRST_LANGUAGES, detect_language
from .layout import Document, Line, Segment
from .numbers import DecimalHint, NumberMatch, decimal_hint, find_numbers


@dataclass(slots=True)
class LineInfo:
    line: Line
    ftext: str
    offsets: list[int]  # folded start offset of each word
    labels: list[LabelHit]
    dates: list[DateMatch]
    numbers: list[NumberMatch]  # outside dates, percentages flagged

    def word_at(self, pos: int) -> int:
        """Index of the word containing folded offset `pos` (or the next word)."""
        for i, off in enumerate(self.offsets):
            end = off + len(fold(self.line.words[i].text))
            if pos < end:
                return i
        return len(self.offsets)

    def text_after(self, pos: int) -> str:
        """Original text after folded offset `pos` (partial first word when safe)."""
        i = self.word_at(pos)
        if i >= len(self.line.words):
            return ""
        w = self.line.words[i].text
        cut = pos - self.offsets[i]
        first = w[cut:] if cut > 0 and len(fold(w)) == len(w) else (w if cut <= 0 else "")
        rest = [first, *(x.text for x in self.line.words[i + 1 :])]
        return " ".join(x for x in rest if x)

    def segment_of(self, pos: int) -> Segment | None:
        i = self.word_at(pos)
        if i >= len(self.line.words):
            return None
        word = self.line.words[i]
        for seg in self.line.segments:
            if any(w is word for w in seg.words):
                return seg
        return None

    def amounts(self, start: int = 0) -> list[NumberMatch]:
        return [n for n in self.numbers if n.start >= start and not n.percent]


@dataclass(slots=True)
class Context:
    doc: Document
    hint: DecimalHint
    order: DayOrder
    infos: list[LineInfo] = field(default_factory=list)

    def info(self, line: Line) -> LineInfo:
        return self.infos[line.index]

    def below(self, info: LineInfo, x0: float, x1: float, max_lines: int = 2) -> list[LineInfo]:
        """Lines just below (same page) having a word horizontally overlapping [x0, x1]."""
        out: list[LineInfo] = []
        ln = info.line
        idx = ln.index + 1
        while idx < len(self.infos) and len(out) < max_lines:
            nxt = self.infos[idx]
            if nxt.line.page != ln.page or nxt.line.top - ln.bottom > 40:
                break
            if any(min(w.x1, x1) - max(w.x0, x0) > 0 for w in nxt.line.words):
                out.append(nxt)
            idx += 1
        return out


def _default_order(text: str) -> DayOrder:
    """Without unambiguous dates: day first in languages that write day first (a Spanish
    or Portuguese page in dollars too), month first on other dollar invoices."""
    lang = detect_language(text)
    if lang is not None and lang[0] in DAY_FIRST_LANGUAGES:
        return "dmy"
    dollars = "$" in text or "USD" in text
    others = any(s in text for s in ("€", "EUR", "£", "GBP", "CHF", "zł", "PLN", "CAD", "AUD"))
    return "mdy" if dollars and not others else None


def _segment_numbers(ln: Line, offsets: list[int], ftext: str, hint: DecimalHint,
                     dates: list[DateMatch]) -> list[NumberMatch]:
    """Numbers found segment by segment, so that columns are never glued together."""
    out: list[NumberMatch] = []
    k = 0
    for seg in ln.segments:
        start = offsets[k]
        k += len(seg.words)
        end = offsets[k] - 1 if k < len(offsets) else len(ftext)
        for n in find_numbers(ftext[start:end], hint):
            shifted = replace(n, start=n.start + start, end=n.end + start)
            if not any(d.start <= shifted.start < d.end for d in dates):
                out.append(shifted)
    return out


def analyse(doc: Document) -> Context:
    texts = [ln.text for ln in doc.lines]
    order = day_order_hint(texts) or _default_order(doc.text)
    ctx = Context(doc=doc, hint=decimal_hint(texts), order=order)
    for ln in doc.lines:
        offsets: list[int] = []
        parts: list[str] = []
        pos = 0
        for w in ln.words:
            f = fold(w.text)
            offsets.append(pos)
            parts.append(f)
            pos += len(f) + 1
        ftext = " ".join(parts)
        dates = find_dates(ftext, ctx.order)
        nums = _segment_numbers(ln, offsets, ftext, ctx.hint, dates)
        ctx.infos.append(LineInfo(ln, ftext, offsets, find_labels(ftext), dates, nums))
    return ctx
