"""Multilingual label dictionaries (en, de, fr, nl, es, pl, it), accent-folded and lower-case.

Each label maps to a kind and a strength (0..1): how sure a value next to it is the field.
Kinds starting with "x_" are look-alikes that must NOT be taken for the field (e.g. an order
date next to "date"); the longest matching label wins, so they shadow generic labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .dates import fold

_L: dict[str, list[tuple[str, float]]] = {
    "invoice_number": [
        ("invoice number", 1.0), ("invoice no", 1.0), ("invoice nr", 1.0), ("invoice #", 1.0),
        ("invoice num", 1.0), ("inv. no", 0.95), ("inv. #", 0.95), ("invoice ref", 0.9),
        ("rg.-nr", 0.95), ("rg-nr", 0.95), ("re.-nr", 0.95), ("rech.-nr", 0.95),
        ("fact. n°", 0.95), ("fact. no", 0.95), ("no de factura", 1.0), ("no factura", 1.0),
        ("n. factura", 0.95), ("num factura", 1.0), ("factura no.", 1.0),
        ("invoice id", 0.95), ("invoice", 0.8), ("inv no", 0.95),
        ("inv #", 0.95), ("bill no", 0.9), ("bill number", 0.9), ("receipt number", 0.9),
        ("receipt no", 0.9), ("credit note number", 1.0), ("credit note no", 1.0),
        ("credit note", 0.75), ("document number", 0.85), ("document no", 0.85),
        ("booking id", 0.6), ("tax invoice", 0.8),
        ("rechnungsnummer", 1.0), ("rechnungsnr", 1.0), ("rechnungs-nr", 1.0),
        ("rechnung nr", 1.0), ("rechnung-nr", 1.0), ("rechnung #", 1.0), ("re-nr", 0.95),
        ("rechnung", 0.75), ("handelsrechnung", 0.85), ("belegnummer", 0.95), ("beleg-nr", 0.95),
        ("gutschriftsnummer", 1.0), ("gutschrift nr", 1.0), ("gutschrift", 0.75),
        ("rechnungskorrektur", 0.8), ("beitragsrechnung", 0.7), ("kostenrechnung", 0.75),
        ("numero de facture", 1.0), ("n° de facture", 1.0), ("no de facture", 1.0),
        ("facture n°", 1.0), ("facture no", 1.0), ("facture numero", 1.0), ("facture", 0.75),
        ("avoir n°", 1.0), ("numero facture", 1.0),
        ("factuurnummer", 1.0), ("factuur nummer", 1.0), ("factuurnr", 1.0), ("factuur nr", 1.0),
        ("factuur", 0.75), ("creditnota", 0.75),
        ("numero de factura", 1.0), ("num. factura", 1.0), ("n° factura", 1.0),
        ("nº factura", 1.0), ("factura n", 0.95), ("factura no", 1.0), ("factura", 0.75),
        ("factura numero", 1.0),
        ("numer faktury", 1.0), ("nr faktury", 1.0), ("faktura vat nr", 1.0),
        ("faktura nr", 1.0), ("faktura vat", 0.8), ("faktura", 0.75),
        ("numero fattura", 1.0), ("fattura n", 1.0), ("fattura", 0.75),
        ("numero documento", 0.9), ("fattura numero", 1.0), ("fattura nr", 1.0),
        ("numero da nota", 1.0), ("numero da nfs-e", 1.0), ("numero da nf-e", 1.0),
        ("numero da fatura", 1.0), ("fatura n", 0.95), ("fatura no", 1.0), ("fatura nr", 1.0),
        ("fatura", 0.7), ("nota fiscal n", 0.9),
        ("numero de serie", 0.6), ("factuur no", 1.0), ("nota de credito n", 1.0),
        ("nota de credito", 0.75), ("faktura korygujaca nr", 1.0), ("faktura korygujaca", 0.75),
    ],
    "x_number": [  # other references that look like invoice numbers
        ("n° tva", 1), ("tva intracommunautaire", 1), ("siret", 1), ("siren", 1), ("rcs", 1),
        ("iban", 1), ("bic", 1), ("swift", 1), ("btw-nummer", 1), ("btw nr", 1), ("kvk", 1),
        ("nif", 1), ("cif", 1), ("ruc", 1), ("cuit", 1), ("cnpj", 1), ("cpf", 1), ("nip", 1),
        ("regon", 1), ("krs", 1), ("partita iva", 1), ("p. iva", 1), ("codice fiscale", 1),
        ("inscricao estadual", 1), ("inscricao municipal", 1), ("chave de acesso", 1),
        ("telephone", 1), ("tel", 1), ("phone", 1), ("fax", 1), ("telefono", 1), ("telefone", 1),
        ("fone", 1), ("telefon", 1), ("gln", 1),
        ("customer number", 1), ("customer no", 1), ("customer id", 1), ("account number", 1),
        ("order number", 1), ("order no", 1), ("order id", 1), ("po number", 1), ("vat number", 1),
        ("kundennummer", 1), ("kundennr", 1), ("kunden-nr", 1), ("auftragsnummer", 1),
        ("bestellnummer", 1), ("steuernummer", 1), ("lieferscheinnr", 1), ("ust-id", 1),
        ("numero de client", 1), ("n° client", 1), ("numero de commande", 1),
        ("n° de facture associee", 1), ("facture associee", 1), ("facture d'origine", 1),
        ("factura rectificada", 1), ("factura original", 1), ("fattura di riferimento", 1),
        ("klantnummer", 1), ("ordernummer", 1), ("numero de pedido", 1), ("numer klienta", 1),
        ("rechnung gemass", 1), ("invoice summary", 1), ("invoice period", 1),
        ("facturation", 1), ("rechnungsnummer an", 1), ("invoice for", 1), ("invoices/bill", 1),
    ],
    "issue_date": [
        ("invoice date", 1.0), ("date of invoice", 1.0), ("date of issue", 1.0),
        ("issue date", 1.0), ("issued on", 0.95), ("billing date", 0.9), ("date issued", 1.0),
        ("date", 0.75), ("dated", 0.8), ("rechnungsdatum", 1.0), ("belegdatum", 0.95),
        ("ausstellungsdatum", 1.0), ("datum", 0.75), ("beleg-datum", 0.95),
        ("re-datum", 1.0), ("issued at", 0.9), ("issued", 0.75), ("invoice dated", 1.0),
        ("rechnungs-datum", 1.0), ("vom", 0.6),
        ("date de facture", 1.0), ("date de facturation", 1.0), ("date d'emission", 1.0),
        ("date facture", 1.0), ("du", 0.55), ("le", 0.4), ("fait le", 0.8),
        ("factuurdatum", 1.0), ("factuur datum", 1.0), ("datum factuur", 1.0),
        ("fecha de factura", 1.0), ("fecha factura", 1.0), ("fecha de emision", 1.0),
        ("fecha", 0.75), ("data wystawienia", 1.0), ("data faktury", 1.0), ("data", 0.6),
        ("data fattura", 1.0), ("tax point", 0.9),
        ("data documento", 0.95), ("data di emissione", 1.0), ("data emissione", 1.0),
        ("data de emissao", 1.0), ("data da emissao", 1.0), ("data emissao", 1.0),
        ("emissao", 0.8), ("fecha emision", 1.0), ("fecha de expedicion", 1.0),
        ("date d'emission de la facture", 1.0), ("date de l'avoir", 1.0),
    ],
    "due_date": [
        ("due date", 1.0), ("payment due", 1.0), ("due on", 0.9), ("due by", 1.0),
        ("pay by", 0.95), ("remit until", 1.0), ("pay until", 1.0), ("payable until", 1.0),
        ("payment until", 1.0), ("please pay before", 1.0), ("payable by", 1.0), ("payment date",
        0.8), ("date due", 1.0),
        ("faelligkeit", 0.95), ("falligkeit", 0.95), ("falligkeitsdatum", 1.0), ("fallig am", 1.0),
        ("fallig bis", 1.0), ("zahlbar bis", 1.0), ("zahlungsziel", 0.95), ("netto bis", 0.95),
        ("zahlbar bis zum", 1.0), ("bis zum", 0.7), ("zahlungstermin", 0.95),
        ("date d'echeance", 1.0), ("echeance", 0.95), ("date limite de paiement", 1.0),
        ("a regler avant le", 1.0), ("a payer avant le", 1.0), ("payable le", 0.9),
        ("vervaldatum", 1.0), ("vervaldag", 1.0), ("uiterste betaaldatum", 1.0),
        ("te betalen voor", 1.0), ("betalen voor", 0.95),
        ("fecha de vencimiento", 1.0), ("vencimiento", 0.95), ("fecha limite de pago", 1.0),
        ("termin platnosci", 1.0), ("termin zaplaty", 1.0), ("data platnosci", 0.9),
        ("scadenza", 0.95), ("data di scadenza", 1.0),
        ("data de vencimento", 1.0), ("vencimento", 0.95), ("data scadenza", 1.0),
        ("termin platnosci:", 1.0), ("betaaldatum", 0.9),
    ],
    "x_date": [
        ("order date", 1), ("delivery date", 1), ("date of delivery", 1), ("ship date", 1),
        ("shipping date", 1),
        ("service date", 1), ("period", 1), ("billing period", 1), ("date of supply", 1),
        ("leistungsdatum", 1), ("liefer- und leistungsdatum", 1), ("lieferdatum", 1),
        ("bestelldatum", 1), ("auftragsdatum", 1), ("leistungszeitraum", 1), ("bestellung vom", 1),
        ("orderdatum", 1), ("leverdatum", 1), ("date de commande", 1), ("date de livraison", 1),
        ("fecha de pedido", 1), ("data sprzedazy", 1), ("data dostawy", 1), ("check in", 1),
        ("check out", 1), ("version", 1), ("stylesheet-version", 1), ("zugferd-version", 1),
        ("codelisten-version", 1), ("prelevement a partir du", 1), ("order date:", 1),
        ("zeitraum vom", 1), ("skonto innerhalb", 1), ("geburtsdatum", 1),
        # a referenced (corrected) invoice's date, service periods: fr es pt it nl pl
        ("date de facture associee", 1), ("date de la facture d'origine", 1),
        ("date de debut", 1), ("date de fin", 1), ("periode", 1), ("fecha de inicio", 1),
        ("fecha de fin", 1), ("periodo", 1), ("data de inicio", 1), ("data de saida", 1),
        ("data de entrada", 1), ("data di inizio", 1), ("begindatum", 1), ("einddatum", 1),
        ("periode van", 1), ("data rozpoczecia", 1), ("okres", 1),
    ],
    "total": [
        ("grand total", 1.0), ("total amount", 0.95), ("invoice total", 1.0),
        ("total for this invoice", 1.0), ("total invoice amount", 1.0), ("total incl", 0.95),
        ("total including", 0.95), ("total (incl", 0.95), ("total inc", 0.9),
        ("amount total", 0.9), ("total", 0.8), ("totalamount", 0.9),
        ("gesamtbetrag", 0.95), ("bruttosumme", 1.0), ("bruttobetrag", 0.95),
        ("rechnungsbetrag", 1.0), ("rechnungsbeitrag", 0.95), ("rechnungssumme brutto", 1.0),
        ("rechnungssumme", 0.85), ("summe inkl", 1.0), ("summe brutto", 1.0), ("endbetrag", 1.0),
        ("endsumme", 1.0), ("gesamtsumme", 0.95), ("gesamt", 0.7), ("summe", 0.7),
        ("brutto", 0.8), ("total ttc", 1.0), ("montant ttc", 1.0), ("total facture", 0.9),
        ("montant total", 0.95), ("total a payer", 1.0),
        ("totaal", 0.85), ("totaalbedrag", 1.0), ("factuur totaal", 1.0), ("totaal incl", 1.0),
        ("te betalen", 0.9), ("total factura", 1.0), ("importe total", 1.0),
        ("total a pagar", 1.0), ("razem", 0.8), ("razem do zaplaty", 1.0),
        ("wartosc brutto", 0.95), ("suma", 0.7), ("totale", 0.85), ("totale fattura", 1.0),
        ("totale documento", 1.0),
        ("valor total da nota", 1.0), ("valor total da nfs-e", 1.0), ("valor total", 0.85),
        ("total da nota", 1.0), ("importe total de la venta", 1.0), ("totale da pagare", 1.0),
        ("totaal te betalen", 1.0), ("razem brutto", 1.0), ("wartosc faktury", 1.0),
    ],
    "amount_due": [
        ("amount due", 1.0), ("balance due", 1.0), ("total due", 1.0), ("amount payable", 1.0),
        ("please pay", 0.9), ("due payable", 1.0), ("payable amount", 1.0), ("balance", 0.7),
        ("total amount due", 1.0),
        ("zahlbetrag", 1.0), ("zu zahlen", 1.0), ("zu zahlender betrag", 1.0),
        ("offener betrag", 0.95), ("restbetrag", 0.9), ("noch zu zahlen", 1.0),
        ("somme a payer", 1.0), ("montant a payer", 1.0), ("net a payer", 1.0),
        ("reste a payer", 1.0), ("a payer", 0.9), ("solde", 0.8),
        ("te betalen", 1.0), ("nog te betalen", 1.0), ("openstaand bedrag", 1.0),
        ("importe a pagar", 1.0), ("total a pagar", 1.0), ("do zaplaty", 1.0),
        ("pozostalo do zaplaty", 1.0), ("da pagare", 1.0),
        ("netto a pagare", 1.0), ("valor liquido", 1.0), ("valor a pagar", 1.0),
        ("solde a payer", 1.0), ("saldo", 0.7),
    ],
    "subtotal": [
        ("subtotal", 1.0), ("sub total", 1.0), ("sub-total", 1.0), ("net total", 1.0),
        ("total net", 1.0), ("net amount", 0.9), ("total excl", 1.0), ("total ex", 0.9),
        ("total before tax", 1.0), ("totalbeforetax", 1.0), ("amount before tax", 1.0),
        ("zwischensumme", 1.0), ("summe netto", 1.0), ("nettobetrag", 1.0), ("netto", 0.8),
        ("rechnungssumme netto", 1.0), ("rechnungssumme ohne ust", 1.0), ("positionssumme", 0.9),
        ("warenwert", 0.8), ("gesamtbeitrag", 0.8), ("nettosumme", 1.0), ("summe netto:", 1.0),
        ("total ht", 1.0), ("montant ht", 1.0), ("sous-total", 1.0), ("sous total", 1.0),
        ("total hors taxe", 1.0), ("subtotaal", 1.0), ("exclusief btw", 1.0),
        ("totaal excl", 1.0), ("base imponible", 1.0), ("razem netto", 1.0),
        ("wartosc netto", 1.0), ("imponibile", 1.0), ("subtotale", 1.0),
    ],
    "tax": [
        ("tax", 0.8), ("vat", 0.8), ("sales tax", 0.9), ("total tax", 1.0), ("tax amount", 1.0),
        ("gst", 0.8), ("mwst", 0.9), ("ust", 0.8), ("umsatzsteuer", 0.9), ("steuerbetrag", 1.0),
        ("zuzugl. ust", 1.0), ("versicherungsteuer", 0.9), ("tva", 0.9), ("montant tva", 1.0),
        ("total tva", 1.0), ("btw", 0.9), ("iva", 0.9), ("cuota iva", 1.0), ("vat amount", 1.0),
        ("podatek vat", 1.0), ("kwota vat", 1.0), ("imposta", 0.9),
    ],
    "x_amount": [
        ("total tax", 1), ("tax total", 1), ("vat total", 1), ("total vat", 1), ("gst total", 1),
        ("total tva", 1), ("totaal btw", 1),
        ("gesamtbetrag der zuschlage", 1), ("gesamtbetrag der abschlage", 1),
        ("erhaltene anzahlungen", 1), ("total credits", 1), ("total discount", 1),
        ("total paid", 1), ("amount paid", 1), ("ubertrag", 1), ("uebertrag", 1),
        ("carried forward", 1), ("brought forward", 1), ("a reporter", 1), ("report", 1),
        ("transport", 1), ("previous balance", 1), ("vorheriger saldo", 1),
        ("total weight", 1), ("total qty", 1),
        ("total quantity", 1), ("total items", 1), ("steuerbasisbetrag", 1), ("rabatt", 1),
        ("skonto", 1), ("anzahlung", 1), ("total hours", 1), ("totaal btw", 1),
        ("paid through", 1), ("payment received", 1), ("prepaid", 1), ("bereits bezahlt", 1),
        ("deja paye", 1), ("al betaald", 1),
        # deposits already paid: fr es pt it nl pl
        ("acompte", 1), ("acomptes", 1), ("anticipo", 1), ("adiantamento", 1), ("acconto", 1),
        ("aanbetaling", 1), ("vooruitbetaling", 1), ("zaliczka", 1),
    ],
    "currency": [
        ("currency", 1.0), ("wahrung", 1.0), ("rechnungswahrung", 1.0), ("devise", 1.0),
        ("valuta", 1.0), ("moneda", 1.0), ("divisa", 1.0), ("waluta", 1.0),
        ("betrage in", 1.0), ("amounts in", 1.0), ("all charges and prices are in", 1.0),
    ],
    "issuer": [
        ("seller", 1.0), ("sold by", 1.0), ("vendor", 0.95), ("supplier", 0.95), ("from", 0.7),
        ("issued by", 1.0), ("bill from", 1.0), ("service provider", 0.9),
        ("verkaufer", 1.0), ("lieferant", 0.8), ("rechnungsersteller", 1.0), ("rechnungssteller",
        1.0),
        ("leistungserbringer", 0.95), ("absender", 0.9), ("auftragnehmer", 0.9),
        ("vendeur", 1.0), ("fournisseur", 1.0), ("emetteur", 1.0), ("prestataire", 0.9),
        ("verkoper", 1.0), ("leverancier", 1.0), ("afzender", 0.9),
        ("vendedor", 1.0), ("proveedor", 1.0), ("emisor", 1.0),
        ("sprzedawca", 1.0), ("wystawca", 1.0), ("fornitore", 1.0), ("cedente", 0.9),
        ("prestador do servico", 1.0), ("prestador", 0.9), ("emitente", 1.0),
        ("crediteur", 0.9), ("cedente/prestatore", 1.0),
        ("titulaire du compte", 0.8), ("account holder", 0.7), ("kontoinhaber", 0.5),
        ("payee", 0.7), ("beneficiary", 0.7), ("begunstigde", 0.7),
    ],
    "customer": [
        ("bill to", 1.0), ("billed to", 1.0), ("invoice to", 1.0), ("invoiced to", 1.0),
        ("sold to", 0.95), ("customer", 0.85), ("client", 0.85), ("buyer", 1.0),
        ("billing address", 0.95), ("recipient", 0.85), ("guest name", 0.8),
        ("kaufer", 1.0), ("kaufer/leistungsempfanger", 1.0), ("rechnungsempfanger", 1.0),
        ("leistungsempfanger", 0.95), ("kunde", 0.85), ("auftraggeber", 0.9),
        ("rechnungsadresse", 0.95), ("empfanger", 0.85),
        ("facture a", 1.0), ("facturer a", 1.0), ("adresse du client", 1.0),
        ("adresse client", 1.0), ("adresse de facturation", 0.95),
        ("destinataire", 0.9), ("acheteur", 1.0),
        ("factuuradres", 0.95), ("klant", 0.85), ("afnemer", 0.9), ("koper", 0.95),
        ("facturar a", 1.0), ("cliente", 0.85), ("comprador", 1.0), ("direccion de facturacion",
        0.95),
        ("nabywca", 1.0), ("odbiorca", 0.9), ("platnik", 0.9), ("committente", 0.9),
        ("cessionario", 0.9), ("tomador do servico", 1.0), ("tomador", 0.9),
        ("destinatario", 0.9), ("debiteur", 0.9), ("cessionario/committente", 1.0),
        ("senor(es)", 0.9), ("senores", 0.9), ("adquirente", 0.9), ("firma", 0.5), ("to", 0.6),
        ("aan", 0.6), ("para", 0.5), ("dla", 0.5),
    ],
    "x_party": [
        ("ship to", 1), ("shipping address", 1), ("delivery address", 1), ("lieferadresse", 1),
        ("lieferanschrift", 1), ("afleveradres", 1), ("adresse de livraison", 1),
        ("direccion de envio", 1), ("customer care", 1), ("customer service", 1),
        ("kundennummer", 1), ("kunden-nr", 1), ("customer number", 1), ("customer no", 1),
        ("customer id", 1), ("client id", 1), ("numero de client", 1), ("klantnummer", 1),
        ("kundenstrasse", 1), ("customer ref", 1), ("service clients", 1), ("service abonne", 1),
        ("client services", 1), ("vendor number", 1), ("supplier number", 1),
    ],
}


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
    for kind, entries in _L.items():
        for label, strength in entries:
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
