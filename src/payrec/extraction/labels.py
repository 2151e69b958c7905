"""Label vocabularies, one table per language (vocab/<lang>.json: en de fr es it nl pt pl).

Each table maps a kind to its labels, accent-folded and lower-case, with a strength (0..1):
how sure a value next to the label is the field. Kinds starting with "x_" are look-alikes
that must NOT be taken for the field (e.g. an order date next to "date"); the longest
matching label wins, so they shadow generic labels. A label shared by several languages
("total", "iban") is in each of their tables; every table is read on every page, because
pages mix languages (an English "Invoice" over a German body).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from .dates import fold

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")
# the order kinds are compiled in: for one label text under two kinds the first wins
KINDS = (
    "invoice_number", "x_number", "issue_date", "due_date", "x_date", "total", "amount_due",
    "subtotal", "tax", "x_amount", "currency", "issuer", "customer", "x_party",
)


@cache
def vocabulary(language: str) -> dict[str, dict[str, float]]:
    """One language's table: kind -> {label: strength}."""
    raw = files(__package__).joinpath("vocab", f"{language}.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, float]] = json.loads(raw)["labels"]
    unknown = set(table) - set(KINDS)
    if unknown:
        raise ValueError(f"vocab/{language}.json: unknown kinds {sorted(unknown)}")
    return table


def _merged() -> dict[str, dict[str, float]]:
    """All languages' labels per kind; a label in several tables keeps its highest strength."""
    out: dict[str, dict[str, float]] = {k: {} for k in KINDS}
    for lang in LANGUAGES:
        for kind, labels in vocabulary(lang).items():
            for label, strength in labels.items():
                out[kind][label] = max(out[kind].get(label, 0.0), float(strength))
    return out


@dataclass(frozen=True, slots=True)
class LabelHit:
    kind: str
    label: str
    strength: float
    start: int  # in folded text
    end: int


@cache
def _compiled() -> list[tuple[re.Pattern[str], str, str, float]]:
    out: list[tuple[re.Pattern[str], str, str, float]] = []
    for kind, entries in _merged().items():
        for label, strength in entries.items():
            lab = fold(label)
            pat = re.escape(lab).replace(r"\ ", r"\s*")
            left = r"(?<![a-z0-9_\-])" if lab[0].isalnum() else ""
            right = r"(?![a-z_]|-[a-z])" if lab[-1].isalnum() else ""
            out.append((re.compile(left + pat + right), kind, lab, float(strength)))
    for regex, kind, strength in _PATTERNS:
        out.append((re.compile(regex), kind, regex, strength))
    out.sort(key=lambda t: 30 if t[2].startswith("(?") else len(t[2]), reverse=True)
    return out


# Compound words: German "...rechnung Nr.", "Mietrechnung", "Gutschriftsnummer", etc.
_PATTERNS: list[tuple[str, str, float]] = [
    (r"(?<![a-z])[a-z]{3,}(?:rechnung|gutschrift|faktura|factuur|facture)\s*"
     r"(?:nr\.?|nummer|no\.?|#)(?![a-z])", "invoice_number", 0.95),
    (r"(?<![a-z])[a-z]{3,}rechnung(?![a-z])", "invoice_number", 0.7),
]


def find_labels(ftext: str, kinds: frozenset[str] | None = None) -> list[LabelHit]:
    """Non-overlapping label occurrences in folded text, longest labels first."""
    hits: list[LabelHit] = []
    taken: list[tuple[int, int]] = []
    for pat, kind, lab, strength in _compiled():
        for m in pat.finditer(ftext):
            s, e = m.start(), m.end()
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            if kinds is None or kind in kinds:
                hits.append(LabelHit(kind, lab, strength, s, e))
    hits.sort(key=lambda h: h.start)
    return hits
