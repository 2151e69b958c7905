"""Positioned words, grouped into lines and into segments (runs of words separated by wide gaps)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dates import fold


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    page: int
    size: float = 10.0  # font size (or line height) in points

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class Segment:
    words: list[Word]
    line: Line

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def ftext(self) -> str:
        return fold(self.text)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass(slots=True)
class Line:
    words: list[Word]
    page: int
    index: int = 0  # position in the document's line list
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def ftext(self) -> str:
        return fold(self.text)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass(slots=True)
class Page:
    number: int
    width: float
    height: float
    lines: list[Line]


@dataclass(slots=True)
class Document:
    pages: list[Page]

    @property
    def lines(self) -> list[Line]:
        return [ln for p in self.pages for ln in p.lines]

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


def build_lines(words: list[Word], page: int) -> list[Line]:
    """Group words into visual lines (by vertical overlap), then split lines into segments."""
    words = sorted(words, key=lambda w: (w.yc, w.x0))
    rows: list[list[Word]] = []
    for w in words:
        h = max(w.bottom - w.top, 1.0)
        placed = False
        for row in reversed(rows[-4:]):
            ref = row[0]
            rh = max(ref.bottom - ref.top, 1.0)
            if abs(ref.yc - w.yc) <= 0.45 * min(h, rh) + 0.5:
                row.append(w)
                placed = True
                break
        if not placed:
            rows.append([w])
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        line = Line(words=row, page=page)
        line.segments = _segments(line)
        lines.append(line)
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return _join_wrapped_captions(_join_wrapped_values(lines))


_WRAPPED = re.compile(r"^[\w.\-/]*\d[\w.\-/]*[\-/]$")  # "2024-", "16-01-", "FV/2024/"
_CONTINUED = re.compile(r"^\d[\w\-/]*$")


def _join_wrapped_values(lines: list[Line]) -> list[Line]:
    """A number or date broken in a narrow cell after a hyphen or slash ("2024-" over "8385",
    the next word starting at the same x right under it) is one word again."""
    for i, line in enumerate(lines):
        for seg in line.segments:
            frag = seg.words[-1]
            if not _WRAPPED.match(frag.text):
                continue
            h = max(frag.bottom - frag.top, 1.0)
            for nxt in lines[i + 1 : i + 3]:
                if nxt.top - frag.top > 1.6 * h:
                    break
                cont = next(
                    (s.words[0] for s in nxt.segments
                     if abs(s.words[0].x0 - frag.x0) < 3 and _CONTINUED.match(s.words[0].text)),
                    None,
                )
                if cont is None:
                    continue
                seg.words[-1] = line.words[line.words.index(frag)] = Word(
                    frag.text + cont.text, frag.x0, max(frag.x1, cont.x1), frag.top,
                    frag.bottom, frag.page, frag.size,
                )
                nxt.words.remove(cont)
                nxt.segments = _segments(nxt) if nxt.words else []
                break
    return [ln for ln in lines if ln.words]


def _join_wrapped_captions(lines: list[Line]) -> list[Line]:
    """A caption broken over two lines in a narrow cell ("Due" over "date:", its value right of
    the first part, nothing right of the second) is one caption again."""
    for i, line in enumerate(lines[:-1]):
        nxt = lines[i + 1]
        for k, seg in enumerate(line.segments[:-1]):
            val, last = line.segments[k + 1], seg.words[-1]
            h = max(last.bottom - last.top, 1.0)
            if seg.text.endswith(":") or re.search(r"\d", seg.text) or \
                    not re.search(r"\d", val.text) or nxt.top - line.top > 1.6 * h:
                continue
            cont = next((s for s in nxt.segments if abs(s.x0 - seg.x0) < 3), None)
            if cont is None or not cont.text.endswith(":") or re.search(r"\d", cont.text) or \
                    len(cont.words) > 2 or cont.x1 >= val.x0 or \
                    any(s is not cont and s.x0 < val.x1 and s.x1 > seg.x1 for s in nxt.segments):
                continue
            seg.words[-1] = line.words[line.words.index(last)] = Word(
                f"{last.text} {cont.text}", last.x0, max(last.x1, cont.x1), last.top,
                last.bottom, last.page, last.size,
            )
            for w in cont.words:
                nxt.words.remove(w)
            nxt.segments = _segments(nxt) if nxt.words else []
            break
    return [ln for ln in lines if ln.words]


def _segments(line: Line) -> list[Segment]:
    segs: list[Segment] = []
    cur: list[Word] = []
    for w in line.words:
        if cur:
            gap = w.x0 - cur[-1].x1
            size = max(min(w.size, cur[-1].size), 4.0)
            if gap > 0.9 * size:
                segs.append(Segment(cur, line))
                cur = []
        cur.append(w)
    if cur:
        segs.append(Segment(cur, line))
    return segs


def make_document(pages: list[tuple[float, float, list[Word]]]) -> Document:
    out: list[Page] = []
    idx = 0
    for n, (width, height, words) in enumerate(pages):
        lines = build_lines(words, n)
        for ln in lines:
            ln.index = idx
            idx += 1
        out.append(Page(number=n, width=width, height=height, lines=lines))
    return Document(pages=out)
