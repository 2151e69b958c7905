"""camt.053 / camt.054 and CSV statements read into entries; hostile XML refused."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from payrec.bankfiles import MAX_STATEMENT_BYTES, BankFileError, read
from tests.support.camt import Credit, camt053, camt054


def test_camt053_credits_and_debits() -> None:
    data = camt053([
        Credit("120.50", "EUR", reference="RF18539007547034", debtor="Acme Corp",
               iban="DE44 5001 0517 5407 3249 31", entry_ref="BANK-1"),
        Credit("9.99", "EUR", remittance="card fee", debit=True, entry_ref="BANK-2"),
    ])
    first, second = read(data, "stmt.xml")
    assert first.credit and first.amount == Decimal("120.50") and first.currency == "EUR"
    assert first.structured_reference == "RF18539007547034"
    assert first.reference == "BANK-1" and first.debtor_name == "Acme Corp"
    assert first.debtor_iban == "DE44500105175407324931"
    assert first.booked_on is not None and first.booked_on.isoformat() == "2026-12-01"
    assert not second.credit and second.remittance == "card fee"


def test_camt054_reads_alike_and_unreferenced_entries_hash_stably() -> None:
    data = camt054([Credit("10.00", remittance="INV-7")])
    (entry,) = read(data)
    assert entry.reference.startswith("sha256:")
    assert read(data)[0].reference == entry.reference


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE Document [<!ENTITY who "PWNED">]>',
        '<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/x.dtd">',
        "<!DOCTYPE Document [" + "".join(
            f'<!ENTITY l{n} "{f"&l{n - 1};" * 10 if n else "lol"}">' for n in range(10)
        ) + "]>",
    ],
)
def test_dtds_and_entities_are_refused_at_once(prolog: str) -> None:
    started = time.monotonic()
    with pytest.raises(BankFileError, match="XML refused"):
        read(camt053([Credit("1.00", remittance="&who;")], prolog=prolog))
    assert time.monotonic() - started < 2


def test_malformed_oversize_and_foreign_xml_are_refused() -> None:
    with pytest.raises(BankFileError, match="malformed XML"):
        read(b"<Document><BkToCstmrStmt>", "x.xml")
    with pytest.raises(BankFileError, match="at most"):
        read(b"<" + b" " * MAX_STATEMENT_BYTES)
    with pytest.raises(BankFileError, match="camt"):
        read(b"<Document><Invoice/></Document>")
    with pytest.raises(BankFileError, match="amount"):
        read(camt053([Credit("12,00")]))


def test_csv_with_the_documented_columns() -> None:
    data = (
        b"Booking date;Amount;Currency;Remittance;Payer;Payer IBAN;Reference\n"
        b"2026-12-01;1.234,50;EUR;Invoice INV-9;Acme Corp;DE44 5001;TX-1\n"
        b"2026-12-01;-5,00;EUR;fee;;;TX-2\n"
    )
    credit, debit = read(data, "export.csv")
    assert credit.amount == Decimal("1234.50") and credit.credit and credit.reference == "TX-1"
    assert credit.debtor_name == "Acme Corp" and credit.debtor_iban == "DE445001"
    assert not debit.credit and debit.amount == Decimal("5.00")


def test_csv_errors_name_the_line() -> None:
    with pytest.raises(BankFileError, match="lacks the column"):
        read(b"date,value\n2026-12-01,5\n")
    with pytest.raises(BankFileError, match="line 2"):
        read(b"amount,currency\nabc,EUR\n")


def test_identical_entries_without_a_bank_reference_stay_apart() -> None:
    twice = [Credit("10.00", remittance="INV-7"), Credit("10.00", remittance="INV-7")]
    first, second = read(camt053(twice))
    assert first.reference != second.reference
    assert [e.reference for e in read(camt053(twice))] == [first.reference, second.reference]
    rows = read(b"amount,currency,purpose\n5.00,EUR,x\n5.00,EUR,x\n")
    assert rows[0].reference != rows[1].reference
