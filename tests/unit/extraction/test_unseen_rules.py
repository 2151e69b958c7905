"""Rule classes that failed on unseen layouts (issue 19), each on its own synthetic page.

The texts are written for the rule (document titles, party captions, legal forms, labels),
not copied from any corpus document.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payrec.extraction import ExtractionResult
from payrec.extraction.assemble import assemble
from payrec.extraction.context import analyse
from payrec.extraction.layout import Word, make_document

from .test_languages import _page


def test_legal_form_keeps_its_final_period() -> None:
    r = _page(
        [
            [(40, "Distribuidora Andina"), (330, "FACTURA ELECTRÓNICA")],
            [(330, "N° E001-00000042")],
            [(40, "SEÑOR(ES) : TRANSPORTES DEL SUR S.A."), (330, "FECHA DE EMISIÓN : 03-02-2021")],
            [(40, "Descripción"), (470, "Importe")],
            [(40, "Flete Lima - Arequipa"), (470, "500.00")],
            [(380, "IMPORTE TOTAL"), (470, "590.00")],
        ]
    )
    assert r.fields["customerName"] == "TRANSPORTES DEL SUR S.A."


def test_sales_receipt_and_debit_note_titles_carry_the_number() -> None:
    for title in ("BOLETA DE VENTA ELECTRÓNICA", "NOTA DE DÉBITO ELECTRÓNICA"):
        r = _page(
            [
                [(330, "R.U.C. 20999999991")],
                [(330, title)],
                [(330, "N° K002-00001234")],
                [(40, "Calle Los Olivos 12"), (330, "FECHA DE EMISIÓN : 03-02-2021")],
                [(40, "Descripción"), (470, "Importe")],
                [(40, "Servicio técnico"), (470, "100.00")],
                [(380, "IMPORTE TOTAL"), (470, "118.00")],
            ]
        )
        assert r.fields["invoiceNumber"] == "K002-00001234", title


def test_party_heading_with_a_name_caption_row() -> None:
    """A form: "Emitente do documento" over a party block whose name sits under a
    "Nome / Nome Empresarial" caption; the heading's tail is not the issuer's name."""
    r = _page(
        [
            [(40, "NÚMERO DA NOTA"), (250, "DATA DE EMISSÃO")],
            [(40, "4711"), (250, "15/03/2025")],
            [(40, "EMITENTE DA NOTA"), (250, "SITUAÇÃO")],
            [(40, "PRESTADOR / FORNECEDOR"), (250, "CNPJ / CPF"), (420, "Telefone")],
            [(40, "Nome / Nome Empresarial"), (250, "Município / UF")],
            [(40, "Oficina Ribeiro Reparos Ltda"), (250, "Recife / PE")],
            [(40, "Endereço"), (250, "E-mail")],
            [(40, "Rua das Flores, 10"), (250, "contato@ribeiro.com.br")],
            [(40, "TOMADOR / ADQUIRENTE"), (250, "CNPJ / CPF")],
            [(40, "Nome / Nome Empresarial"), (250, "Município / UF")],
            [(40, "Padaria Boa Massa ME"), (250, "Olinda / PE")],
            [(40, "VALOR TOTAL DA NOTA"), (250, "R$ 1.250,00")],
        ]
    )
    assert r.fields["issuerName"] == "Oficina Ribeiro Reparos Ltda"
    assert r.fields["customerName"] == "Padaria Boa Massa ME"


def test_french_settlement_deadline_is_the_due_date() -> None:
    """ "Date limite de règlement" is a due date, not the issue date; the bare date under
    the title is the issue date."""
    r = _page(
        [
            [(400, "FACTURE")],
            [(400, "14/03/2024")],
            [(400, "nº 2024-118")],
            [(40, "Garage des Lilas")],
            [(40, "8 rue Pasteur, 44000 Nantes")],
            [(330, "Transports Morel SAS")],
            [(330, "2 quai Nord, 44100 Nantes")],
            [(40, "Description"), (470, "Total HT")],
            [(40, "Vidange"), (470, "100,00 €")],
            [(380, "Montant Total TTC"), (470, "120,00 €")],
            [(40, "Conditions de règlement : 30 jours net")],
            [(40, "Date limite de règlement : 13/04/2024")],
        ]
    )
    assert r.fields["dueDate"] == date(2024, 4, 13)
    assert r.fields["issueDate"] == date(2024, 3, 14)
    assert r.fields["amount"] == Decimal("120.00")


def test_polish_two_party_columns_with_name_keys() -> None:
    """Seller and buyer side by side, each "Nazwa: ..." on one shared line; a slash-numbered
    invoice number under its label is not a date; a total glued to its currency code."""
    r = _page(
        [
            [(40, "System faktur"), (450, "Numer faktury")],
            [(450, "7/05/2024")],
            [(40, "Sprzedawca"), (300, "Nabywca")],
            [(40, "NIP: 5260000000"), (300, "NIP: 7010000000")],
            [(40, "Nazwa: Piekarnia Zlota S.A."), (300, "Nazwa: P.H.U. Anna Nowak")],
            [(40, "ul. Lipowa 3, 30-001 Kraków"), (300, "ul. Brzozowa 8, 00-950 Warszawa")],
            [(40, "Data wystawienia: 2024-05-20")],
            [(40, "Nazwa towaru"), (470, "Wartość")],
            [(40, "Chleb żytni"), (470, "1 000,00")],
            [(300, "Kwota należności ogółem: 1 230,00PLN")],
            [(40, "Termin płatności: 2024-06-03")],
        ]
    )
    f = r.fields
    assert f["customerName"] == "P.H.U. Anna Nowak"
    assert f["issuerName"] == "Piekarnia Zlota S.A."
    assert f["invoiceNumber"] == "7/05/2024"
    assert f["issueDate"] == date(2024, 5, 20)
    assert f["amount"] == Decimal("1230.00")


def test_header_caption_wrapped_over_two_lines_heads_the_total() -> None:
    """ "IMPORTE" over "TOTAL" (one caption set on two lines) heads the grand total's column
    of a summary row; the line items' bare "TOTAL" column does not."""
    r = _page(
        [
            [(330, "FACTURA ELECTRÓNICA")],
            [(330, "N° E001-00000077")],
            [(40, "SEÑOR(ES) : TALLERES UNIDOS S.A.C."), (330, "FECHA DE EMISIÓN : 10-08-2022")],
            [(40, "CANT."), (100, "DESCRIPCIÓN"), (400, "P. UNIT."), (480, "TOTAL")],
            [(40, "1"), (100, "Llanta radial"), (400, "100.00"), (480, "100.00")],
            [(40, "2"), (100, "Aro de acero"), (400, "100.00"), (480, "200.00")],
            [(40, "OP."), (160, "OP."), (480, "IMPORTE")],
            [(300, "DESCUENTOS"), (390, "I.G.V.")],
            [(40, "GRAVADAS"), (160, "EXONERADAS"), (480, "TOTAL")],
            [(40, "254.24"), (300, "0.00"), (390, "45.76"), (480, "300.00")],
        ]
    )
    assert r.fields["amount"] == Decimal("300.00")


def test_issue_date_after_a_legal_clause_on_its_label() -> None:
    """ "Data wystawienia, z zastrzeżeniem art. 12 ust. 3: <date>": the clause's "ust." (a
    tax label elsewhere) does not cut the label from its date."""
    r = _page(
        [
            [(40, "Faktura"), (450, "Numer faktury")],
            [(450, "3/02/2024")],
            [(40, "Sprzedawca"), (300, "Nabywca")],
            [(40, "Nazwa: Tartak Dębowy Sp. z o.o."), (300, "Nazwa: Stolarnia Kowal")],
            [(40, "Data wystawienia, zgodnie z art. 12 ust. 3 ustawy: 2024-02-09")],
            [(40, "Nazwa towaru"), (470, "Wartość")],
            [(40, "Deska sosnowa 1.5 m"), (470, "400,00")],
            [(300, "Razem do zapłaty: 492,00 PLN")],
        ]
    )
    assert r.fields["issueDate"] == date(2024, 2, 9)


def test_legal_footer_names_the_issuer_and_the_other_block_is_the_customer() -> None:
    """No party labels: the footer's company line (capital, SIRET, RCS) names the issuer, so
    the address block carrying its own VAT id is the customer's, not the seller's."""
    lines: list[list[tuple[float, str]]] = [
        [(400, "FACTURE")],
        [(400, "05/06/2024")],
        [(400, "nº 2024-0311")],
        [(40, "Auberge du Vieux Moulin")],
        [(40, "4 chemin du Moulin")],
        [(40, "21000 Dijon")],
        [(330, "Cabinet Lefort SARL")],
        [(330, "18 boulevard Carnot")],
        [(330, "21000 Dijon")],
        [(330, "France")],
        [(330, "TVA : FR55123456789")],
        [(40, "Description"), (470, "Total HT")],
        [(40, "Repas d'affaires"), (470, "150,00 €")],
        [(380, "Montant Total TTC"), (470, "165,00 €")],
    ]
    lines += [[]] * 30
    lines += [
        [(150, "Auberge du Vieux Moulin")],
        [(100, "4 chemin du Moulin - 21000 Dijon - Tel: 03 80 00 00 00")],
        [(60, "SASU au capital de 8000€ - SIRET 98765432100011 - R.C.S Dijon 987 654 321")],
    ]
    r = _page(lines)
    assert r.fields["issuerName"] == "Auberge du Vieux Moulin"
    assert r.fields["customerName"] == "Cabinet Lefort SARL"


def test_number_and_dates_wrapped_in_a_narrow_cell_are_joined() -> None:
    """A sidebar cell too narrow for its value breaks it after a hyphen ("2023-" over "0457",
    "09-11-" over "2023"): the two parts are one value."""
    r = _page(
        [
            [(40, "Drukkerij Smit"), (250, "Factuur")],
            [(40, "Marktplein 3"), (250, "Klant:")],
            [(40, "3511 AB Utrecht"), (250, "Hoveniers De Groen B.V.")],
            [(40, "Factuurnummer:"), (150, "2023-")],
            [(150, "0457"), (250, "Omschrijving"), (470, "Bedrag")],
            [(40, "Factuurdatum:"), (150, "09-11-"), (250, "Drukwerk"), (470, "500,00")],
            [(150, "2023")],
            [(40, "Vervaldatum:"), (150, "23-11-")],
            [(150, "2023")],
            [(370, "Totaal te betalen"), (470, "€ 605,00")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "2023-0457"
    assert f["issueDate"] == date(2023, 11, 9)
    assert f["dueDate"] == date(2023, 11, 23)


def test_caption_wrapped_in_a_narrow_cell_keeps_its_value() -> None:
    """ "Termin" over "zapłaty:" (a sidebar caption on two lines, the value beside the first
    part) is the due-date label."""
    r = _page(
        [
            [(40, "Ogrodnik Zieliński"), (250, "Faktura")],
            [(40, "ul. Leśna 5"), (250, "Nabywca:")],
            [(40, "60-001 Poznań"), (250, "Kwiaciarnia Róża Sp. z o.o.")],
            [(40, "Faktura nr:"), (150, "FV/0042/2024")],
            [(40, "Data"), (150, "04.03.2024"), (250, "Nazwa"), (470, "Wartość")],
            [(40, "wystawienia:"), (250, "Sadzonki"), (470, "800,00")],
            [(40, "Termin"), (150, "18.03.2024")],
            [(40, "zapłaty:")],
            [(370, "Razem brutto"), (470, "984,00 zł")],
        ]
    )
    f = r.fields
    assert f["issueDate"] == date(2024, 3, 4)
    assert f["dueDate"] == date(2024, 3, 18)


def test_legal_form_on_the_name_lines_second_line_under_a_tall_title() -> None:
    """ "Northwind Analytics" over "LLP", the first line made taller by the big "Invoice"
    beside it (the two line boxes overlap): the seller's name is both lines."""

    def row(top: float, cells: list[tuple[float, str]], size: float = 10.0) -> list[Word]:
        out: list[Word] = []
        for x, text in cells:
            for token in text.split():
                out.append(Word(token, x, x + 5.0 * len(token), top, top + size, 0, size))
                x += 5.0 * len(token) + 3
        return out

    words = [
        *row(60, [(40, "Northwind Analytics")]),
        Word("Invoice", 300, 380, 54, 77, 0, 22.0),
        *row(75, [(40, "LLP"), (300, "Bill to:")]),
        *row(89, [(40, "7 Mill Road"), (300, "Orchard Bakery Ltd")]),
        *row(103, [(40, "OX1 2JD Oxford"), (300, "3 High Street")]),
        *row(117, [(40, "VAT No: GB123456789"), (300, "BA1 1AA Bath")]),
        *row(140, [(40, "Invoice number: NW-0193")]),
        *row(154, [(40, "Description"), (470, "Amount")]),
        *row(168, [(40, "Data audit"), (470, "900.00")]),
        *row(182, [(380, "Total due"), (470, "£ 1,080.00")]),
    ]
    r = assemble(analyse(make_document([(595.0, 842.0, words)])), ExtractionResult(method="text"))
    assert r.fields["issuerName"] == "Northwind Analytics LLP"
    assert r.fields["customerName"] == "Orchard Bakery Ltd"
