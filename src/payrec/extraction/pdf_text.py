"""Read a PDF's text layer as positioned words (pdfium, shipped with pdfplumber)."""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .layout import Word

MIN_PAGE_CHARS = 20


def page_words(page: pdfium.PdfPage, page_no: int) -> list[Word]:
    """Words of one page in top-down coordinates (points)."""
    height = page.get_height()
    tp = page.get_textpage()
    try:
        n = tp.count_chars()
        if n <= 0:
            return []
        text = tp.get_text_range(0, n)
        n = min(n, len(text))  # damaged text objects can yield fewer characters
        words: list[Word] = []
        buf: list[str] = []
        box: list[float] = []
        size = 10.0
        base = [0.0]
        ox, oy = ctypes.c_double(), ctypes.c_double()

        def flush() -> None:
            if buf and box:
                # vertical extent from the baseline and font size, not from glyph boxes, so
                # that words with and without descenders line up
                top = height - (base[0] + 0.75 * size)
                bottom = height - (base[0] - 0.2 * size)
                if not top < height - box[1] or not bottom > height - box[3]:
                    top, bottom = height - box[3], height - box[1]
                words.append(Word("".join(buf), box[0], box[2], top, bottom, page_no, size))
            buf.clear()
            box.clear()

        for i, ch in enumerate(text[:n]):
            if ch == " " and buf and box and i + 1 < n and not text[i + 1].isspace() \
                    and pdfium_c.FPDFText_IsGenerated(tp.raw, i) == 1:
                # a space pdfium guessed inside a tightly set word: keep the word whole
                nxt_left = tp.get_charbox(i + 1)[0]
                if 0 <= nxt_left - box[2] < 0.2 * size:
                    continue
            if ch.isspace() or ch == "\ufffe" or ch == "\x00":
                flush()
                continue
            left, bottom, right, top = tp.get_charbox(i)
            if buf and box and left - box[2] > 0.6 * size:
                flush()  # glyphs far apart without a space: separate words
            if not buf:
                fs = pdfium_c.FPDFText_GetFontSize(tp.raw, i)
                size = fs if 3 <= fs <= 200 else max(top - bottom, 4.0) * 1.3
                if pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, ctypes.byref(ox), ctypes.byref(oy)):
                    base[0] = oy.value
                else:
                    base[0] = bottom
            buf.append(ch)
            if box:
                box[0], box[1] = min(box[0], left), min(box[1], bottom)
                box[2], box[3] = max(box[2], right), max(box[3], top)
            else:
                box.extend([left, bottom, right, top])
        flush()
        return words
    finally:
        tp.close()
