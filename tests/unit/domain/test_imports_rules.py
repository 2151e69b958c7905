"""Import rules (issue 16): encodings and delimiters detected, amounts and dates read exactly in
the file's locale, column aliases in en/de/fr/es, every refused row with its reason."""

from __future__ import annotations

import codecs
import io
from datetime import date
from decimal import Decimal

import pytest

from payrec.domain.imports.columns import header_key, resolve
from payrec.domain.imports.files import detect
from payrec.domain.imports.reader import Mapping, RowsError, plan, read_rows
from payrec.domain.imports.values import BadValue, FileLocale, parse_amount, parse_date

COMMA = FileLocale(decimal=",", day_first=True)
DOT = FileLocale(decimal=".", day_first=False)


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("1.234,56", COMMA, "1234.56"),
        ("1 234,56", COMMA, "1234.56"),
        ("€ 12,00", COMMA, "12.00"),
        ("1,234.56", DOT, "1234.56"),
        ("1234.5", DOT, "1234.5"),
        ("(5.00)", DOT, "-5.00"),
        (1234.56, DOT, "1234.56"),
        (7, DOT, "7"),
    ],
)
def test_amounts_read_exactly(raw: object, locale: FileLocale, expected: str) -> None:
    value = parse_amount(raw, locale)
    assert isinstance(value, Decimal) and value == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "1.23.4,5", "1,234.56", "12,34,5"])
def test_amounts_that_do_not_fit_the_locale_are_refused(raw: str) -> None:
    with pytest.raises(BadValue):
        parse_amount(raw, COMMA)


def test_dates_in_the_files_order() -> None:
    assert parse_date("31/12/2026", COMMA) == date(2026, 12, 31)
    assert parse_date("31.12.26", COMMA) == date(2026, 12, 31)
    assert parse_date("12/31/2026", DOT) == date(2026, 12, 31)
    assert parse_date("2026-12-31", DOT) == date(2026, 12, 31)
    with pytest.raises(BadValue, match="day/month"):
        parse_date("12/31/2026", COMMA)
    with pytest.raises(BadValue):
        parse_date("soon", COMMA)


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        (b"a,b\n1,2\n", "utf-8", ","),
        (codecs.BOM_UTF8 + b"a;b\n1;2\n", "utf-8-sig", ";"),
        ("Fälligkeit;b\n1;2\n".encode("cp1252"), "cp1252", ";"),
        ("a\tb\n1\t2\n".encode("utf-16"), "utf-16", "\t"),
    ],
)
def test_encoding_and_delimiter_detected(data: bytes, encoding: str, delimiter: str) -> None:
    fmt = detect(io.BytesIO(data))
    assert (fmt.encoding, fmt.delimiter) == (encoding, delimiter)


def test_aliases_in_four_languages_and_a_mapping() -> None:
    assert header_key("N° facture") == "n facture" and header_key("Fälligkeit") == "falligkeit"
    de = resolve(["Kundennr", "Kunde", "Rechnungsnummer", "Fälligkeit", "Betrag", "Währung"])
    fr = resolve(["Nom", "N° facture", "Échéance", "Montant TTC", "Devise"])
    es = resolve(["Cliente", "Número de factura", "Vencimiento", "Importe", "Moneda"])
    for found in (de, fr, es):
        assert {"customer_name", "invoice_number", "due_date", "amount", "currency"} <= set(found)
    assert resolve(["Summe"], {"Summe": "amount"}) == {"amount": 0}


def test_locale_decided_by_the_files_values_and_bad_rows_reported() -> None:
    data = (
        b"name,invoice,due date,amount,currency\n"
        b"A,1,05/04/2026,10.5,EUR\n"
        b"B,2,13/04/2026,3,EUR\n"  # 13 can only be a day: the file is day first
        b"C,3,04/31/2026,3,EUR\n"
        b",4,05/04/2026,3,EUR\n"
    )
    the_plan = plan(data, "x.csv", Mapping({}))
    assert the_plan.locale == FileLocale(decimal=".", day_first=True)
    rows = list(read_rows(data, the_plan))
    assert rows[0][1].due_date == date(2026, 4, 5)  # type: ignore[union-attr]
    assert [(line, r) for line, r in rows if isinstance(r, str)] == [
        (4, "date '04/31/2026' is not a valid date (day/month order)"),
        (5, "customer_name is empty"),
    ]


def test_a_file_cut_off_mid_row_and_one_without_columns() -> None:
    data = b"name,invoice,due date,amount,currency\nA,1,2026-12-31,10,EUR\nB,2,2026-12"
    rows = list(read_rows(data, plan(data, "x.csv", Mapping({}))))
    assert isinstance(rows[1][1], str) and "mid-row" in rows[1][1] and rows[1][0] == 3
    with pytest.raises(RowsError, match="no column for"):
        plan(b"foo,bar\n1,2\n", "x.csv", Mapping({}))
