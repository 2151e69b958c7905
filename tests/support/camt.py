"""camt.053 / camt.054 documents built for tests and the bench (ISO 20022 shapes)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

NS053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NS054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


@dataclass(frozen=True)
class Credit:
    amount: str
    currency: str = "USD"
    reference: str = ""  # structured CdtrRefInf/Ref
    remittance: str = ""  # Ustrd
    debtor: str = ""
    iban: str = ""
    entry_ref: str = ""  # AcctSvcrRef; "" leaves it out (the entry is then hashed)
    debit: bool = False
    booked: str = "2026-12-01"


def _entry(c: Credit) -> str:
    ref = f"<AcctSvcrRef>{escape(c.entry_ref)}</AcctSvcrRef>" if c.entry_ref else ""
    structured = (
        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
        f"<Ref>{escape(c.reference)}</Ref></CdtrRefInf></Strd>" if c.reference else ""
    )
    ustrd = f"<Ustrd>{escape(c.remittance)}</Ustrd>" if c.remittance else ""
    debtor = f"<Dbtr><Pty><Nm>{escape(c.debtor)}</Nm></Pty></Dbtr>" if c.debtor else ""
    account = f"<DbtrAcct><Id><IBAN>{c.iban}</IBAN></Id></DbtrAcct>" if c.iban else ""
    return (
        f'<Ntry><Amt Ccy="{c.currency}">{c.amount}</Amt>'
        f"<CdtDbtInd>{'DBIT' if c.debit else 'CRDT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{c.booked}</Dt></BookgDt>{ref}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd><NtryDtls><TxDtls>"
        f"<RltdPties>{debtor}{account}</RltdPties>"
        f"<RmtInf>{ustrd}{structured}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def camt053(credits: list[Credit], statement_id: str = "STMT-1", prolog: str = "") -> bytes:
    entries = "".join(_entry(c) for c in credits)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<Document xmlns="{NS053}">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{statement_id}</MsgId>"
        "<CreDtTm>2026-12-02T06:00:00Z</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def camt054(credits: list[Credit], notification_id: str = "NTF-1") -> bytes:
    entries = "".join(_entry(c) for c in credits)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS054}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{notification_id}</MsgId>"
        "<CreDtTm>2026-12-02T06:00:00Z</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{notification_id}</Id>{entries}</Ntfctn>"
        "</BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()
