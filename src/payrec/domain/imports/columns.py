"""The documented column set and its aliases in en/de/fr/es (matched ignoring case, accents,
spaces, `_`, `-` and `.`); a mapping file may name any header for any column."""

from __future__ import annotations

import unicodedata

__all__ = ["COLUMNS", "REQUIRED", "header_key", "resolve"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_external_id": (
        "customer external id", "customer id", "customer number", "customer no", "account",
        "kundennummer", "kunden nr", "kundennr", "kunden id", "debitor", "debitorennummer",
        "numero client", "n client", "id client", "code client", "reference client",
        "numero de cliente", "id cliente", "codigo cliente", "n cliente",
    ),
    "customer_name": (
        "name", "customer", "customer name", "company", "kunde", "kundenname", "firma",
        "nom", "client", "nom client", "raison sociale", "cliente", "nombre", "nombre cliente",
        "razon social",
    ),
    "email": ("email", "e mail", "mail", "email address", "e mail adresse", "courriel",
              "adresse email", "correo", "correo electronico"),
    "phone": ("phone", "telephone", "phone number", "mobile", "telefon", "telefonnummer",
              "handy", "tel", "telephone portable", "telefono", "movil"),
    "country": ("country", "land", "pays", "pais"),
    "language": ("language", "locale", "sprache", "langue", "idioma"),
    "timezone": ("time zone", "timezone", "tz", "zeitzone", "fuseau horaire", "zona horaria"),
    "invoice_number": (
        "invoice number", "invoice", "invoice no", "invoice nr", "rechnungsnummer",
        "rechnung", "rechnungsnr", "belegnummer", "numero de facture", "facture", "n facture",
        "numero facture", "numero de factura", "factura", "n factura", "numero factura",
    ),
    "issue_date": ("issue date", "invoice date", "date", "rechnungsdatum", "belegdatum",
                   "datum", "date de facture", "date facture", "date d emission",
                   "fecha", "fecha de factura", "fecha factura", "fecha de emision"),
    "due_date": ("due date", "due", "payment due", "falligkeit", "falligkeitsdatum",
                 "fallig am", "date d echeance", "echeance", "fecha de vencimiento",
                 "vencimiento"),
    "amount": ("amount", "total", "invoice amount", "gross", "betrag", "rechnungsbetrag",
               "brutto", "summe", "montant", "montant ttc", "total ttc", "importe", "monto",
               "importe total"),
    "currency": ("currency", "ccy", "wahrung", "devise", "monnaie", "moneda", "divisa"),
    "amount_paid": ("amount paid", "paid", "bezahlt", "gezahlt", "zahlung", "montant paye",
                    "paye", "deja paye", "pagado", "importe pagado", "monto pagado"),
    "external_id": ("external id", "invoice external id", "invoice id", "externe id",
                    "externe nummer", "beleg id", "id externe", "identifiant externe",
                    "id externo", "identificador externo"),
    "policy": ("policy", "policy id", "dunning policy", "mahnrichtlinie", "mahnstufe",
               "mahnverfahren", "politique", "politique de relance", "politica",
               "politica de cobro"),
}

REQUIRED = ("invoice_number", "due_date", "amount", "currency")


def header_key(text: str) -> str:
    """`Fälligkeit` → `falligkeit`; `E-Mail` → `e mail`; `N° facture` → `n facture`."""
    raw = text.strip().lstrip("\ufeff").replace("º", " ").replace("°", " ")
    folded = unicodedata.normalize("NFKD", raw)
    plain = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    for ch in "_-./#:()":
        plain = plain.replace(ch, " ")
    return " ".join(plain.split())


_ALIASES = {header_key(a): column for column, names in COLUMNS.items()
            for a in (column.replace("_", " "), *names)}


def resolve(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Column name → cell index; a mapping (file header → column, or column → header)
    wins over the aliases. Unknown headers are ignored."""
    chosen: dict[str, int] = {}
    explicit = {header_key(k): v for k, v in (mapping or {}).items() if v in COLUMNS}
    reverse = {header_key(v): k for k, v in (mapping or {}).items() if k in COLUMNS}
    for index, name in enumerate(header):
        key = header_key(str(name))
        column = explicit.get(key) or reverse.get(key) or _ALIASES.get(key)
        if column and column not in chosen:
            chosen[column] = index
    return chosen
