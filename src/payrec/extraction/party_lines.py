"""What the lines of a party block look like: legal forms, salutations, addresses, postcodes,
VAT-id lines, captions and contact lines, in every language the extractor reads."""

from __future__ import annotations

import re

from .dates import fold
from .labels import find_labels

LEGAL_FORM = re.compile(
    r"(?<![\w])(G[mM][bB][hH](?:\s*&\s*Co\.?(?:\s*KG)?)?|AG|KG|KGaA|UG|OHG|GbR|e\.\s?K\.|e\.\s?V\.|a\.\s?G\.|"
    r"B\.\s?V\.|N\.\s?V\.|BV|NV|VOF|SAS|SARL|S\.A\.S\.|S\.A\.R\.L\.|S\.A\.|SA|S\.L\.|SL|"
    r"S\.L\.U\.|Ltd\.?|Limited|Inc\.?|LLC|LLP|PLC|Corp\.?|Co\.|Pvt\.?\s*Ltd\.?|"
    r"Sp\.\s?z\s?o\.\s?o\.|S\.p\.A\.|S\.r\.l\.|SpA|Srl|AB|AS|A/S|ApS|Oy|SE|"
    r"Ltda\.?|EIRELI|S\.A\.C\.|SAC|S\.R\.L\.|SRL|S\.C\.|s\.c\.|Sp\.\s?j\.|Sp\.\s?k\.|"
    r"Lda\.?|Unipessoal|S\.N\.C\.|SNC|EURL|SCI)(?![\w])"
)
SALUTATION = re.compile(
    r"^(herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|m\.|mme|mlle|dhr\.?|mevr\.?|sr\.?|sra\.?|"
    r"attn:?|z\.\s?hd\.?|t\.a\.v\.?|a l'attention de|pan|pani)\s*$",
    re.I,
)
PERSON_TITLE = re.compile(r"^(herrn?|frau|mr\.?|mrs\.?|ms\.?|mme|mlle|dhr\.?|mevr\.?)\s*$", re.I)
ATTN = re.compile(r"^(attn|attention|z\.\s?hd\.?|c/o|t\.a\.v\.?)\s*[:.]?\s*", re.I)
ADDRESS = re.compile(
    r"(\b\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\d+\s*[a-z]?\s*$|^\d+[\s,]|"
    r"strasse|straße|str\.|weg\b|allee|platz|street|st\.|avenue|ave\b|road|rd\.|rue\b|"
    r"laan\b|straat|calle|avenida|ul\.|postfach|p\.?o\.? box|cedex|@|www\.|https?:|"
    r"tel\b|tel\.|fax|phone|telefon)",
    re.I,
)
NOT_NAME = re.compile(
    r"(\d{3,}|:\s*\S|:$|^\W*$|\b(invoice|rechnung|facture|factuur|factura|faktura|seite|page|"
    r"datum|date|nummer|number|total|summe|betrag|amount|iban|bic|ust|vat|steuer|"
    r"bemerkungen?|hinweis|notes?|remarks?|w[äa]hrung|currency|betreff|subject|"
    r"copyright|stylesheet|version)\b)",
    re.I,
)

SEP = re.compile(r"\s+[-\u2013•●·|]\s+|\s*[•●·|]\s*")
# postcodes: de fr es it (5 digits), nl be pt-short (4), pl 00-950, pt 1000-001, nl 1012 AB, uk
POSTCODE = re.compile(
    r"\b\d{4,5}\b|\b\d{2}-\d{3}\b|\b\d{4}-\d{3}\b|\b\d{4}\s?[A-Z]{2}\b|"
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"
)
POSTCODE_FIRST = re.compile(r"^\s*(\d{4}\s?[A-Z]{2}|\d{2}-\d{3}|\d{4}-\d{3})\b")
# the seller's VAT-id line closes its address block (folded): en de fr es it nl pt pl
VAT_LINE = re.compile(
    r"^(vat|vat no|vat number|vat id|ust-?id(?:nr)?\.?|ust\.?-?idnr\.?|umsatzsteuer-id|tva|"
    r"n° tva|no tva|numero de tva|nif|cif|iva|partita iva|p\. ?iva|btw|btw-nummer|btw nr|"
    r"nipc|nif/nipc|nip)\s*[:.]?\s*[a-z]{0,2}\s?\d"
)


def is_label(text: str) -> bool:
    f = fold(text).strip(" :")
    return any(h.end - h.start >= 0.8 * len(f) for h in find_labels(f))


def name_like(text: str) -> bool:
    t = text.strip()
    if is_label(t):
        return False
    if len(re.sub(r"[^A-Za-zÀ-ÿ]", "", t)) < 2 or len(t) > 80 or POSTCODE_FIRST.match(t):
        return False  # "1012 AB Amsterdam": its "AB" is not a legal form
    if ADDRESS.search(t) and not LEGAL_FORM.search(t):
        return False
    return not NOT_NAME.search(t) or bool(LEGAL_FORM.search(t) and not re.search(r":\s*\S", t))


# a form's caption over the party's name (folded): pt es fr nl pl it en de
CAPTION = re.compile(
    r"^\s*(nome|razao social|nome\s*/\s*razao social|nome empresarial|"
    r"nome\s*/\s*nome empresarial|nombre|razon social|denominacion|"
    r"nombre\s*/\s*razon social|raison sociale|nom\s*/\s*raison sociale|naam|bedrijfsnaam|"
    r"nazwa|nazwa firmy|ragione sociale|denominazione|company name|name|firmenname)\s*:?\s*$"
)
# a label's tail that makes it a heading ("Emitente da NFS-e", "Datos del emisor de la
# factura", "Seller of the goods"): a genitive article, never how a party's name starts (folded)
OF_THE = re.compile(r"^(da|do|das|dos|de la|de l'|del|du|des|della|dello|degli|of the|of)\s")
# "Name: ACME" inside a party block: en fr nl es pl de
NAME_KEY = re.compile(r"^\s*(name|nom|naam|nombre|nazwa|firma)\s*:\s*(.+)$", re.I)
HEADING_TAILS = ("remetente", "address", "adresse", "adres", "direccion", "endereco", "details")
# a party's trade-name caption ("Seller trade name"): the legal name is the block below it
TRADE_NAME = re.compile(
    r"^(trade name|nom commercial|handelsname|nombre comercial|nome comercial|"
    r"nome commerciale|handelsnaam|nazwa handlowa)$"
)
# a contact person's or department's line inside a party block, not the party's name (folded)
CONTACT_LINE = re.compile(
    r"\b(contact|contacto|contatto|dep|dept|department|departement|departamento|dipartimento|"
    r"abteilung|afdeling|dzial|accounts payable|buchhaltung|comptabilite|contabilidad|"
    r"contabilita|contabilidade|boekhouding|ksiegowosc)\b"
)


def clean(text: str) -> str:
    t = ATTN.sub("", text.strip())
    return t.strip(" ,;:-")


def drop_final_period(text: str) -> str:
    """A sentence's final period off, but not a legal form's ("ACME S.A.", "Foo Inc.")."""
    t = text.rstrip(" .")
    if not text.rstrip().endswith("."):
        return t
    ends = [m for m in LEGAL_FORM.finditer(t + ".") if m.end() == len(t) + 1]
    return t + "." if any(m.group().endswith(".") for m in ends) else t


TITLE_WORDS = re.compile(
    r"^(invoice|tax invoice|rechnung|facture|factuur|factura|faktura|fattura|receipt|quittung|"
    r"credit note|gutschrift|avoir|nota|bill|statement|copy|kopie|original|page|seite)\b",
    re.I,
)


def web_domains(text: str) -> set[str]:
    out: set[str] = set()
    for m in re.finditer(
        r"(?:@|www\.|https?://)([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.[a-z]{2,6}\b", text.lower()
    ):
        base = m.group(1).split(".")[-1].replace("-", "")
        if len(base) >= 3 and base not in (
            "gmail",
            "yahoo",
            "hotmail",
            "outlook",
            "example",
            "localhost",
            "gmx",
            "web",
            "mail",
        ):
            out.add(base)
    return out


def letters_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))
