"""The creditor: who the reminders come from (name, address, contact, bank details)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SAMPLE_CREDITOR", "Creditor"]


@dataclass(frozen=True, slots=True)
class Creditor:
    """The company owed, as templates see it (``creditor.*``).

    ``address`` may span lines; ``signature`` defaults to the name. Empty fields are "".
    """

    name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    signature: str = ""
    iban: str = ""
    bic: str = ""

    def context(self) -> dict[str, Any]:
        """The template fields: every setting plus ``addressLines`` and ``signatureLines``."""
        signature = self.signature or self.name
        return {
            "name": self.name,
            "address": self.address,
            "addressLines": [line for line in self.address.splitlines() if line.strip()],
            "email": self.email,
            "phone": self.phone,
            "signature": signature,
            "signatureLines": [line for line in signature.splitlines() if line.strip()],
            "iban": self.iban,
            "bic": self.bic,
        }


SAMPLE_CREDITOR = Creditor(
    name="Example GmbH",
    address="Beispielstraße 1\n10115 Berlin\nGermany",
    email="ar@example.com",
    phone="+49 30 1234567",
    signature="Jane Doe\nAccounts, Example GmbH",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
)
