"""The letter's EPC QR code (GiroCode): what it encodes, and none without an IBAN."""

from __future__ import annotations

from decimal import Decimal

import segno.helpers

from payrec.domain.creditor import SAMPLE_CREDITOR, Creditor
from payrec.server.charges.letters import epc_qr, language_of


def test_epc_payload_carries_the_payee_iban_amount_and_rf_reference() -> None:
    # EPC069-12: BCD / 002 / charset / SCT / BIC / name / IBAN / EUR amount / purpose / RF ref
    data = segno.helpers._make_epc_qr_data(  # the payload segno encodes for epc_qr()
        name=SAMPLE_CREDITOR.name, iban="DE89370400440532013000", amount=Decimal("1052.51"),
        reference="RF18539007547034", bic="COBADEFFXXX",
    )
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    lines = text.split("\n")
    assert lines[:2] == ["BCD", "002"] and lines[2] in ("1", "2") and lines[3] == "SCT"
    assert lines[4:10] == ["COBADEFFXXX", "Example GmbH", "DE89370400440532013000",
                           "EUR1052.51", "", "RF18539007547034"]
    uri = epc_qr(SAMPLE_CREDITOR, Decimal("1052.51"), "RF18539007547034")
    assert uri is not None and uri.startswith("data:image/svg+xml")


def test_no_qr_without_iban_or_amount() -> None:
    assert epc_qr(Creditor(name="X"), Decimal("10.00"), "RF18539007547034") is None
    assert epc_qr(SAMPLE_CREDITOR, Decimal(0), "RF18539007547034") is None


def test_letter_language_follows_the_customer_unless_asked() -> None:
    assert language_of("de_AT") == "de"
    assert language_of("it_IT") == "en"
    assert language_of("de_DE", "fr") == "fr"
