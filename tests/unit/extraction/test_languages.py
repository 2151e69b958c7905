"""One synthetic page per language (fr, es, it, nl, pt, pl): number, total, dates, customer.

Text fixtures written from each language's usual invoice wording, not copied from the corpus.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payrec.extraction import ExtractionResult
from payrec.extraction.assemble import assemble
from payrec.extraction.context import analyse
from payrec.extraction.layout import Word, make_document


def _page(lines: list[list[tuple[float, str]]]) -> ExtractionResult:
    """A one-page document from (x, text) cells per line, 14 pt apart."""
    words: list[Word] = []
    for n, cells in enumerate(lines):
        top = 60.0 + 14 * n
        for x, text in cells:
            cx = x
            for token in text.split():
                w = 5.0 * len(token)
                words.append(Word(token, cx, cx + w, top, top + 10, 0, 10.0))
                cx += w + 3
    doc = make_document([(595.0, 842.0, words)])
    return assemble(analyse(doc), ExtractionResult(method="text"))


def test_french_page_vat_id_and_siret_are_not_the_number() -> None:
    r = _page(
        [
            [(40, "Atelier Dupont SARL"), (330, "Facture FA-2017-0010")],
            [(40, "SIRET : 123 456 789 00012"), (330, "Date : 13/11/2017")],
            [(40, "N° TVA : FR11999999998")],
            [(330, "Client :")],
            [(330, "Boulangerie Martin")],
            [(330, "4 rue des Lilas, 69001 Lyon")],
            [(40, "Désignation"), (380, "TVA"), (470, "Montant HT")],
            [(40, "Réparation four"), (380, "20 %"), (470, "559,29")],
            [(380, "Total HT"), (470, "559,29 €")],
            [(380, "TVA 20 %"), (470, "111,86 €")],
            [(380, "Total TTC"), (470, "671,15 €")],
            [(40, "Date d'échéance : 13/12/2017"), (380, "Net à payer"), (470, "671,15 €")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "FA-2017-0010"
    assert f["issueDate"] == date(2017, 11, 13)
    assert f["dueDate"] == date(2017, 12, 13)
    assert f["amount"] == Decimal("671.15")
    assert f["customerName"] == "Boulangerie Martin"


def test_french_table_total_ttc_is_not_the_deposit_row() -> None:
    r = _page(
        [
            [(40, "Facture n° : F-0042"), (330, "Date : 31/01/2022")],
            [(300, "Total HT"), (380, "Total TVA"), (470, "Total TTC")],
            [(300, "100,00"), (380, "20,00"), (470, "120,00")],
            [(380, "Acompte :"), (470, "20,00")],
            [(40, "Date d'échéance : 02/03/2022"), (380, "Net à payer"), (470, "100,00 EUR")],
        ]
    )
    assert r.fields["amount"] == Decimal("120.00")
    assert r.fields["amountDue"] == Decimal("100.00")


def test_spanish_page() -> None:
    r = _page(
        [
            [(40, "Distribuciones Gómez S.L."), (330, "Factura nº: 2023/117")],
            [(40, "NIF: B12345678"), (330, "Fecha de emisión: 05/04/2023")],
            [(40, "Teléfono: 912 345 678"), (330, "Vencimiento: 05/05/2023")],
            [(40, "Cliente:")],
            [(40, "Hostal La Plaza S.L.")],
            [(380, "Base imponible"), (470, "200,00 €")],
            [(380, "IVA 21%"), (470, "42,00 €")],
            [(380, "Total factura"), (470, "242,00 €")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "2023/117"
    assert f["issueDate"] == date(2023, 4, 5)
    assert f["dueDate"] == date(2023, 5, 5)
    assert f["amount"] == Decimal("242.00")
    assert f["customerName"] == "Hostal La Plaza S.L."


def test_italian_page() -> None:
    r = _page(
        [
            [(40, "Rossi Forniture S.r.l."), (330, "Fattura n. 58/2024")],
            [(40, "Partita IVA: IT01234567890"), (330, "Data documento: 07/03/2024")],
            [(330, "Data scadenza: 06/04/2024")],
            [(40, "Cliente:")],
            [(40, "Bar Centrale di Bianchi Luca")],
            [(380, "Imponibile"), (470, "1.000,00")],
            [(380, "IVA 22%"), (470, "220,00")],
            [(380, "Totale documento"), (470, "1.220,00 €")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "58/2024"
    assert f["issueDate"] == date(2024, 3, 7)
    assert f["dueDate"] == date(2024, 4, 6)
    assert f["amount"] == Decimal("1220.00")
    assert f["customerName"] == "Bar Centrale di Bianchi Luca"


def test_dutch_page() -> None:
    r = _page(
        [
            [(40, "Bakkerij de Vries B.V."), (330, "Factuurnummer: 2024-0193")],
            [(40, "KvK: 12345678"), (330, "Factuurdatum: 02-09-2024")],
            [(40, "BTW-nummer: NL123456789B01"), (330, "Vervaldatum: 02-10-2024")],
            [(40, "Klant:")],
            [(40, "Café Het Hoekje")],
            [(380, "Subtotaal"), (470, "€ 400,00")],
            [(380, "BTW 21%"), (470, "€ 84,00")],
            [(380, "Totaal te betalen"), (470, "€ 484,00")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "2024-0193"
    assert f["issueDate"] == date(2024, 9, 2)
    assert f["dueDate"] == date(2024, 10, 2)
    assert f["amount"] == Decimal("484.00")
    assert f["customerName"] == "Café Het Hoekje"


def test_portuguese_page() -> None:
    r = _page(
        [
            [(40, "Gráfica Paulista Ltda"), (330, "Fatura nº 000123")],
            [(40, "CNPJ: 12.345.678/0001-90"), (330, "Data de emissão: 15/08/2024")],
            [(40, "Telefone: (11) 3333-4444"), (330, "Data de vencimento: 14/09/2024")],
            [(40, "Cliente:")],
            [(40, "Padaria Estrela Ltda")],
            [(380, "Subtotal"), (470, "R$ 1.500,00")],
            [(380, "Impostos"), (470, "R$ 0,00")],
            [(380, "Valor total"), (470, "R$ 1.500,00")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "000123"
    assert f["issueDate"] == date(2024, 8, 15)
    assert f["dueDate"] == date(2024, 9, 14)
    assert f["amount"] == Decimal("1500.00")
    assert f["customerName"] == "Padaria Estrela Ltda"


def test_polish_page_nip_is_not_the_number() -> None:
    r = _page(
        [
            [(40, "Faktura VAT nr FV/2024/03/17")],
            [(40, "NIP: 525-000-00-00"), (330, "Data wystawienia: 04.03.2024")],
            [(330, "Termin płatności: 18.03.2024")],
            [(40, "Sprzedawca:"), (330, "Nabywca:")],
            [(40, "Zielony Ogród Sp. z o.o."), (330, "Piekarnia Kowalscy s.c.")],
            [(380, "Razem netto"), (470, "2 000,00 zł")],
            [(380, "Kwota VAT"), (470, "460,00 zł")],
            [(380, "Razem brutto"), (470, "2 460,00 zł")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "FV/2024/03/17"
    assert f["issueDate"] == date(2024, 3, 4)
    assert f["dueDate"] == date(2024, 3, 18)
    assert f["amount"] == Decimal("2460.00")
    assert f["customerName"] == "Piekarnia Kowalscy s.c."


def test_portuguese_form_caption_over_the_customer_name() -> None:
    r = _page(
        [
            [(40, "DANFE"), (330, "Nº 000.000.123")],
            [(40, "DESTINATÁRIO / REMETENTE")],
            [(40, "NOME / RAZÃO SOCIAL"), (330, "CNPJ / CPF"), (450, "DATA DA EMISSÃO")],
            [(40, "Mercearia Boa Vista Ltda"), (330, "12.345.678/0001-90"), (450, "02/01/2024")],
            [(380, "VALOR TOTAL DA NOTA"), (470, "1.234,56")],
        ]
    )
    assert r.fields["customerName"] == "Mercearia Boa Vista Ltda"
    assert r.fields["issueDate"] == date(2024, 1, 2)
    assert r.fields["amount"] == Decimal("1234.56")
    assert r.fields.get("currency") != "ESP"


def test_header_cell_total_over_its_value_and_currency_from_tax_ids() -> None:
    r = _page(
        [
            [(40, "NF-e Nº 000.000.555"), (330, "CNPJ 12.345.678/0001-90")],
            [(40, "DATA DA EMISSÃO: 03/05/2024")],
            [
                (40, "VALOR DO FRETE"),
                (170, "DESCONTO"),
                (300, "VALOR DO IPI"),
                (430, "VALOR TOTAL DA NOTA"),
            ],
            [(40, "0,00"), (170, "0,00"), (300, "0,00"), (430, "2.345,67")],
        ]
    )
    assert r.fields["amount"] == Decimal("2345.67")
    assert r.fields["currency"] == "BRL"
    assert r.field_confidence["currency"] < 0.9


def test_spanish_dollar_invoice_reads_dates_day_first() -> None:
    r = _page(
        [
            [(40, "Factura Nº 001-123"), (330, "Fecha de emisión: 03/04/2024")],
            [(40, "Cliente:"), (330, "Vencimiento: 05/06/2024")],
            [(40, "Comercial Andina S.A.")],
            [(380, "Importe total"), (470, "US$ 500.00")],
        ]
    )
    assert r.fields["issueDate"] == date(2024, 4, 3)
    assert r.fields["dueDate"] == date(2024, 6, 5)


def test_brazilian_fiscal_form_number_grid_total_and_receipt_stub() -> None:
    """A DANFE: the number is "Nº 000.000.046" over "SÉRIE 1"; the grid's last cell holds the
    total right-aligned at its edge; the stub's "VALOR TOTAL: ... DESTINATARIO: rua, 830" ends
    the total's value at the next label, so the street number is not the total."""
    r = _page(
        [
            [(10, "EMISSÃO: 16/01/2025 VALOR TOTAL: 3.267,60 DESTINATARIO: Igor ME - Rua X, 830")],
            [(40, "Empresa Lucro Presumido Ltda"), (300, "DANFE")],
            [(300, "Nº 000.000.046")],
            [(300, "SÉRIE 1")],
            [(40, "DATA DA EMISSÃO"), (300, "16/01/2025")],
            [(40, "VALOR DO FRETE"), (150, "DESCONTO"), (260, "VALOR DO IPI"),
             (420, "VALOR TOTAL DA NOTA")],
            [(70, "0,00"), (180, "0,00"), (290, "0,00"), (540, "3.267,60")],
            [(40, "TRANSPORTADOR / VOLUMES TRANSPORTADOS")],
        ]
    )
    assert r.fields["invoiceNumber"] == "000.000.046"
    assert str(r.fields["amount"]) == "3267.60"


def test_spanish_bill_to_ship_to_and_balance_owed() -> None:
    """"Cobrar a" is the customer, "Envíe a" the delivery address; "Saldo adeudado" is the
    amount due, not the tax total above it."""
    r = _page(
        [
            [(40, "FACTURA INV/2024/00005"), (380, "FECHA 05/07/2024")],
            [(40, "COBRAR A"), (260, "ENVÍE A")],
            [(40, "Anita Oliver"), (260, "Almacén Central")],
            [(40, "Calle Mayor 4"), (260, "Polígono Sur 9")],
            [(40, "28013 Madrid"), (260, "28021 Madrid")],
            [(330, "TOTAL PARCIAL"), (470, "1419.00")],
            [(330, "TOTAL IMPUESTOS"), (470, "302.00")],
            [(330, "Saldo adeudado"), (470, "1721.00")],
        ]
    )
    assert r.fields["customerName"] == "Anita Oliver"
    assert str(r.fields["amountDue"]) == "1721.00"


def test_argentine_customer_in_the_cell_after_its_label() -> None:
    r = _page(
        [
            [(40, "Empresa de Prueba"), (330, "Factura Nº: 4000-12345678")],
            [(40, "Sr.(s):"), (110, "Joao Da Silva")],
            [(40, "Dirección: Rua 76 km 34.5")],
            [(330, "Total:"), (470, "$ 121,00")],
        ]
    )
    assert r.fields["customerName"] == "Joao Da Silva"


def test_portuguese_first_instalment_is_the_due_date() -> None:
    """Under "FATURA / DUPLICATAS" each row is an instalment: number, due date, amount."""
    r = _page(
        [
            [(40, "Empresa Lucro Presumido Ltda"), (300, "DATA DA EMISSÃO: 02/05/2024")],
            [(40, "FATURA / DUPLICATAS")],
            [(40, "NÚMERO"), (160, "VALOR ORIGINAL"), (440, "VALOR LÍQUIDO")],
            [(40, "11556"), (270, "2.867,20"), (540, "2.867,20")],
            [(40, "001 30/05/2024 1.433,60"), (200, "002 16/06/2024 1.433,60")],
            [(300, "VALOR TOTAL DA NOTA: 2.867,20")],
        ]
    )
    assert r.fields["dueDate"].isoformat() == "2024-05-30"
    assert r.fields["issueDate"].isoformat() == "2024-05-02"


def test_dutch_customer_block_ends_at_its_postcode() -> None:
    """"Afnemer" over name, street, postcode: a "Naam:" further down (the contact under
    "Betreft") is not the customer."""
    r = _page(
        [
            [(40, "Leverancier"), (300, "Factuurnummer: 1234567F")],
            [(40, "Staffing Company U"), (300, "Factuurdatum: 01-11-2011")],
            [(40, "Dorpsstraat 33")],
            [(40, "1234 AB, Aadorp")],
            [(40, "Afnemer")],
            [(40, "Bedrijf A")],
            [(40, "Postbus 9876")],
            [(40, "5678 ZZ, Ter Zand")],
            [(40, "Betreft")],
            [(40, "Naam: Piet Pietersen")],
            [(300, "Totaal te betalen:"), (470, "381,80")],
        ]
    )
    assert r.fields["customerName"] == "Bedrijf A"
    assert r.fields["issuerName"] == "Staffing Company U"
