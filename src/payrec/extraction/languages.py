"""Document language from its words: a small vocabulary per language (folded, lower-case).

Words are chosen to be frequent on invoices and rare in the other languages; the language
with the most distinct hits wins when it clearly leads.
"""

from __future__ import annotations

import re
from collections import Counter

from .dates import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


VOCABULARY: dict[str, frozenset[str]] = {
    "en": _words(
        "invoice the and total amount due date bill to customer payment please thank you "
        "subtotal tax number of for"
    ),
    "de": _words(
        "rechnung und der die das betrag datum kunde zahlbar bis gesamtbetrag netto mwst "
        "ust rechnungsnummer bitte vielen dank zahlung summe"
    ),
    "fr": _words(
        "facture le la les des du montant date client total ttc ht tva echeance paiement "
        "reglement net payer merci avoir"
    ),
    "es": _words(
        "factura el la los del importe fecha cliente total iva vencimiento pago emision "
        "gracias senor senores forma"
    ),
    "it": _words(
        "fattura il la dei della importo data cliente totale iva scadenza pagamento "
        "imponibile documento grazie"
    ),
    "nl": _words(
        "factuur de het een bedrag datum klant totaal btw vervaldatum betaling betalen "
        "factuurnummer bedankt van"
    ),
    "pt": _words(
        "fatura nota fiscal valor data cliente total emissao vencimento pagamento "
        "destinatario servicos do da obrigado"
    ),
    "pl": _words(
        "faktura data wystawienia nabywca sprzedawca razem netto brutto kwota zaplaty "
        "termin platnosci wartosc podatek"
    ),
}
# a language's usual country, for date conventions and a new customer's locale
LOCALE = {
    "en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT",
    "nl": "nl_NL", "pt": "pt_PT", "pl": "pl_PL",
}
# languages whose numeric dates put the day first (en: by currency and the page's dates)
DAY_FIRST_LANGUAGES = frozenset({"de", "fr", "es", "it", "nl", "pt", "pl"})
_WORD = re.compile(r"[a-z]{2,}")


def detect_language(text: str) -> tuple[str, float] | None:
    """(language, confidence) or None when no language clearly leads."""
    words = set(_WORD.findall(fold(text)))
    hits = Counter({lang: len(words & vocab) for lang, vocab in VOCABULARY.items()})
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < 3:
        return None
    (best, n), second = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0)
    if n < second + 2:
        return None
    return best, (0.9 if n >= 2 * max(second, 1) else 0.7)
