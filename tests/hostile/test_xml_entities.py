"""Issue 20, item 8: XML is parsed by defusedxml whatever its encoding.

The byte-level `<!ENTITY` guard it replaces missed UTF-16, where the declaration is not those
bytes: an internal entity was expanded into `customerName`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import pypdf
import pytest

from payrec.extraction import ExtractionError, extract_document
from tests.hostile.documents import cii_invoice, settled, upload
from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker

SECRET = "PWNED-BY-ENTITY"
ENTITY_PROLOG = (
    '<?xml version="1.0" encoding="{enc}"?>\n' f'<!DOCTYPE x [<!ENTITY who "{SECRET}">]>\n'
)
LAUGHS = "".join(
    f'<!ENTITY l{n} "{f"&l{n - 1};" * 10 if n else "lol"}">' for n in range(10)
)
ENCODINGS = ("utf-8", "utf-16", "utf-16-le", "utf-16-be")


def _hostile(encoding: str, prolog: str = ENTITY_PROLOG, buyer: str = "&who;") -> bytes:
    label = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    xml = cii_invoice(number="ENT-1", buyer=buyer, prolog=prolog.format(enc=label))
    return xml.encode(encoding)  # "utf-16" writes a BOM; -le / -be do not


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_internal_entity_is_refused_in_every_encoding(encoding: str) -> None:
    with pytest.raises(ExtractionError) as refused:
        extract_document(_hostile(encoding), filename="invoice.xml", mime_type="application/xml")
    assert "XML refused" in refused.value.reason
    assert SECRET not in refused.value.reason


@pytest.mark.parametrize("encoding", ("utf-8", "utf-16"))
def test_billion_laughs_is_refused_at_once(encoding: str) -> None:
    prolog = '<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE x [' + LAUGHS + "]>\n"
    started = time.monotonic()
    with pytest.raises(ExtractionError, match="XML refused"):
        extract_document(_hostile(encoding, prolog, buyer="&l9;"), filename="lol.xml")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_plain_invoice_reads_in_every_encoding(encoding: str) -> None:
    label = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    xml = cii_invoice(number="ENC-1", buyer="Kunden AG Mitte",
                      prolog=f'<?xml version="1.0" encoding="{label}"?>\n')
    result = extract_document(xml.encode(encoding), filename="invoice.xml")
    assert result.method == "einvoice"
    assert result.fields["customerName"] == "Kunden AG Mitte"
    assert result.fields["invoiceNumber"] == "ENC-1"


def _pdf_with_attachment(xml: bytes) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_attachment("factur-x.xml", xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ("utf-8", "utf-16"))
def test_an_embedded_hostile_e_invoice_is_never_expanded(encoding: str) -> None:
    """A Factur-X attachment with an entity is skipped (the pages are read instead)."""
    with pytest.raises(ExtractionError) as failed:  # a blank page: nothing else to read
        extract_document(_pdf_with_attachment(_hostile(encoding)), filename="fx.pdf")
    assert SECRET not in failed.value.reason


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def extracting(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    backend = backend_factory(request.param)
    worker: WorkerProcess = start_worker(
        backend, smtp_url=None, services="extraction", name="xml"
    )
    yield backend
    worker.terminate()
    backend.stop()


@pytest.mark.parametrize("encoding", ("utf-8", "utf-16"))
def test_uploaded_entity_xml_fails_with_the_reason(
    extracting: LiveBackend, encoding: str
) -> None:
    doc = upload(extracting, _hostile(encoding), f"entity-{encoding}.xml", "application/xml")
    done = wait_until(lambda: settled(extracting, doc["id"]), timeout=60, message="extraction")
    assert done["status"] == "FAILED", done
    assert "XML refused" in done["failureReason"]
    customers = extracting.admin("GET", "/customers", params={"limit": 200}).json()
    assert SECRET not in str(customers)
    # the same invoice without the entity, in the same encoding, opens its case
    label = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    plain = cii_invoice(number=f"PLAIN-{encoding}", buyer=f"Plain Buyer {encoding}",
                        prolog=f'<?xml version="1.0" encoding="{label}"?>\n').encode(encoding)
    good = upload(extracting, plain, f"plain-{encoding}.xml", "application/xml")
    opened = wait_until(lambda: settled(extracting, good["id"]), timeout=60, message="extraction")
    assert opened["status"] == "EXTRACTED", opened
