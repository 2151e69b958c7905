"""The customer's contacts, the document language and credit notes read from the page."""

from __future__ import annotations

from payrec.extraction.languages import detect_language

from .test_languages import _page


def test_customer_block_address_phone_and_vat_id() -> None:
    r = _page(
        [
            [(40, "Atelier Dupont SARL"), (330, "Facture n° FA-2024-0007")],
            [(40, "12 rue de la Paix"), (330, "Date : 04/03/2024")],
            [(40, "75002 Paris")],
            [(330, "Client :")],
            [(330, "Boulangerie Martin")],
            [(330, "4 rue des Lilas")],
            [(330, "69001 Lyon")],
            [(330, "Tél. : +33 4 78 00 00 00")],
            [(330, "N° TVA : FR12 345678901")],
            [(330, "contact@boulangerie-martin.fr")],
            [(380, "Total TTC"), (470, "120,00 €")],
        ]
    )
    f = r.fields
    assert f["customerName"] == "Boulangerie Martin"
    assert f["customerAddress"] == "4 rue des Lilas, 69001 Lyon"
    assert f["customerPhone"] == "+33 4 78 00 00 00"
    assert f["customerVatId"] == "FR12345678901"
    assert f["customerEmail"] == "contact@boulangerie-martin.fr"
    assert f["customerLanguage"] == "fr"
    assert f["documentType"] == "INVOICE"


def test_credit_note_type_and_printed_negative_total() -> None:
    r = _page(
        [
            [(40, "AVOIR N° AV-2024-002"), (330, "Date : 10/03/2024")],
            [(40, "Facture d'origine : FA-2024-0007")],
            [(380, "Total HT"), (470, "-100,00 €")],
            [(380, "TVA 20 %"), (470, "-20,00 €")],
            [(380, "Total TTC"), (470, "-120,00 €")],
        ]
    )
    assert r.fields["documentType"] == "CREDIT_NOTE"
    assert str(r.fields["amount"]) == "-120.00"


def test_credit_note_printed_positive_is_read_negative() -> None:
    """EN 16931 credit notes (and most printed ones) state positive amounts under the title:
    the money is owed to the customer, so the amounts come back negative."""
    pages = {
        "fr": [[(40, "AVOIR N° AV-2024-003"), (330, "Date : 10/03/2024")],
               [(380, "Total HT"), (470, "100,00 €")], [(380, "TVA 20 %"), (470, "20,00 €")],
               [(380, "Total TTC"), (470, "120,00 €")]],
        "de": [[(40, "Gutschrift Nr. GS-2024-11"), (330, "Datum: 10.03.2024")],
               [(380, "Nettobetrag"), (470, "100,00 €")], [(380, "MwSt. 20 %"), (470, "20,00 €")],
               [(380, "Gesamtbetrag"), (470, "120,00 €")]],
    }
    for lang, lines in pages.items():
        r = _page(lines)
        assert r.fields["documentType"] == "CREDIT_NOTE", lang
        assert str(r.fields["amount"]) == "-120.00", lang
        assert str(r.fields["amountDue"]) == "-120.00", lang


def test_self_billed_gutschrift_is_an_invoice() -> None:
    """A German "Gutschrift (Selbst ausgestellte Rechnung)" is a self-billed invoice (389)."""
    r = _page(
        [
            [(40, "Gutschrift (Selbst ausgestellte Rechnung) Nr. 471102"), (330, "05.03.2018")],
            [(380, "Gesamtbetrag"), (470, "529,87 €")],
        ]
    )
    assert r.fields["documentType"] == "INVOICE"
    assert str(r.fields["amount"]) == "529.87"


def test_language_detection_per_language() -> None:
    pages = {
        "de": "Rechnung Nr. 5 Datum 01.02.2024 Gesamtbetrag 10,00 EUR zahlbar bis 15.02.2024",
        "es": "Factura nº 5 Fecha de emisión 01/02/2024 Cliente Importe total IVA vencimiento",
        "it": "Fattura n. 5 Data documento 01/02/2024 Cliente Totale IVA scadenza imponibile",
        "nl": "Factuur 5 factuurdatum 01-02-2024 klant totaal btw vervaldatum betalen",
        "pt": "Fatura 5 data de emissão 01/02/2024 cliente valor total vencimento pagamento",
        "pl": "Faktura nr 5 data wystawienia 01.02.2024 nabywca sprzedawca razem brutto",
        "en": "Invoice number 5 date 2024-02-01 bill to customer total amount due payment",
    }
    for lang, text in pages.items():
        got = detect_language(text)
        assert got is not None and got[0] == lang, (lang, got)
    assert detect_language("12 34 56") is None


def test_party_blocks_skip_trade_name_captions_contacts_and_the_tax_representative() -> None:
    """The legal name under a "trade name" caption, not the caption; the customer's name, not
    its department line; never the seller's fiscal representative (a third party)."""
    r = _page(
        [
            [(40, "Vendeur nom commercial"), (330, "FACTURE N° : FA-2024-0031")],
            [(40, "Atelier Dupont"), (330, "Date : 31/01/2024")],
            [(40, "35 rue d'ici"), (330, "Client :")],
            [(40, "75018 PARIS, FR"), (330, "Service comptabilité")],
            [(330, "Boulangerie Martin")],
            [(330, "58 rue de la mer")],
            [(330, "06000 NICE, FR")],
            [(40, "Représentant fiscal")],
            [(40, "Cabinet Fiscal Conseil")],
            [(40, "12 avenue Foch, 75016 PARIS")],
            [(380, "Total TTC"), (470, "120,00 €")],
        ]
    )
    assert r.fields["issuerName"] == "Atelier Dupont"
    assert r.fields["customerName"] == "Boulangerie Martin"
    assert r.fields["invoiceNumber"] == "FA-2024-0031"


def test_unlabelled_seller_block_ending_in_a_vat_id_and_postcodes_are_not_names() -> None:
    """No "Seller" label and no legal form: the block that ends in the VAT-id line is the
    seller's; a Dutch postcode's "AB" is not a Swedish legal form."""
    r = _page(
        [
            [(40, "Factuur"), (330, "Studio Bakker")],
            [(40, "Klant:"), (330, "Keizersgracht 12")],
            [(40, "Jansen Installatietechniek"), (330, "1012 AB Amsterdam")],
            [(40, "Damrak 5"), (330, "BTW-nummer: NL123456789B01")],
            [(40, "1012 LG Amsterdam")],
            [(40, "Factuurnummer: 2024-0042")],
            [(380, "Totaal"), (470, "€ 121,00")],
        ]
    )
    assert r.fields["issuerName"] == "Studio Bakker"
    assert r.fields["customerName"] == "Jansen Installatietechniek"


def test_return_address_line_with_a_uk_postcode_over_the_addressee() -> None:
    r = _page(
        [
            [(40, "Greenfield Supplies · 14 Mill Road · LS1 4DY Leeds"), (330, "Invoice number:"),
             (430, "INV-0947")],
            [(40, "Harbour Lane Studio")],
            [(40, "2 Station Street"), (330, "Invoice date:"), (430, "11/05/2025")],
            [(40, "LS1 4DY Leeds")],
            [(380, "Total"), (470, "£ 120.00")],
        ]
    )
    assert r.fields["customerName"] == "Harbour Lane Studio"
    assert r.fields["issuerName"] == "Greenfield Supplies"


def test_customer_box_beside_a_seller_box_that_starts_with_its_vat_id() -> None:
    """Two party boxes side by side: the seller's "VAT No:" line on the left does not make
    the customer's name on the same line (right column) a key/value line."""
    r = _page(
        [
            [(40, "Invoice number: 08421/2024"), (420, "Invoice")],
            [(40, "From"), (312, "Bill to:")],
            [(40, "VAT No: GB191158378"), (312, "Bluebell Catering Ltd")],
            [(40, "Northgate Consulting LLP"), (312, "2 Station Street")],
            [(40, "BS1 5TR Bristol"), (312, "CB1 2AB Cambridge")],
            [(380, "Total"), (470, "£ 120.00")],
        ]
    )
    assert r.fields["customerName"] == "Bluebell Catering Ltd"
    assert r.fields["issuerName"] == "Northgate Consulting LLP"


def test_unlabelled_addressee_in_the_window_beside_the_letterhead() -> None:
    """No customer label: the name/street/postcode block at the top that is not the seller's
    (whose block goes on with its VAT id) is the addressee, and not high-confidence."""
    r = _page(
        [
            [(330, "Atelier Dupont")],
            [(330, "12 rue de la Paix")],
            [(330, "75002 Paris")],
            [(40, "Weber & Söhne OHG"), (330, "N° TVA : FR12345678901")],
            [(40, "Hauptstraße 5")],
            [(40, "10115 Berlin")],
            [],
            [(40, "Facture n° FA-2024-0099"), (330, "Date : 04/03/2024")],
            [(380, "Total TTC"), (470, "120,00 €")],
        ]
    )
    assert r.fields["customerName"] == "Weber & Söhne OHG"
    assert r.fields["issuerName"] == "Atelier Dupont"
    assert r.field_confidence["customerName"] < 0.9
