"""Hostile documents made in the test (no corpus needed) and the upload/poll helpers."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from tests.support.backend import LiveBackend

CII_NS = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def cii_invoice(
    *,
    number: str = "CII-1",
    issue: str = "20260301",
    due: str = "20260331",
    buyer: str = "Kunden AG",
    amount: str = "119.00",
    prolog: str = "",
) -> str:
    """A complete CII (Factur-X / XRechnung) invoice; `prolog` goes before the root."""
    return f"""{prolog}<rsm:CrossIndustryInvoice {CII_NS}>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">{issue}</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{buyer}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime>
          <udt:DateTimeString format="102">{due}</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:GrandTotalAmount>{amount}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{amount}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def upload(
    backend: LiveBackend, data: bytes, name: str, mime: str = "application/pdf"
) -> dict[str, Any]:
    response = backend.admin(
        "POST", "/documents", files={"file": (name, data, mime)}, data={"type": "INVOICE"}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def settled(backend: LiveBackend, doc_id: str) -> dict[str, Any] | None:
    """The document once extraction is over with it (None while it waits)."""
    doc: dict[str, Any] = backend.admin("GET", f"/documents/{doc_id}").json()
    return doc if doc["status"] != "PENDING_EXTRACTION" else None


def pdf_file(contents: list[bytes], *, size: tuple[float, float] = (612, 792),
             image: int = 0, deflate: bool = False) -> bytes:
    """A PDF of one page per content stream (`deflate`: already FlateDecode-compressed), with
    the standard Helvetica as /F1 and, with `image` = N, an NxN grey image as /Im1."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")  # 3
    xobject = b""
    if image:
        objects.append(_stream(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode" % (image, image),
            zlib.compress(bytes(n % 251 for n in range(image * image))),
        ))
        xobject = b" /XObject << /Im1 4 0 R >>"
    kids: list[int] = []
    for content in contents:
        if deflate:
            stream = _stream(b"<< /Filter /FlateDecode", content)
        else:
            stream = _stream(b"<<", content)
        objects.append(stream)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >>%s >> >>"
            % (size[0], size[1], len(objects), xobject)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _stream(head: bytes, data: bytes) -> bytes:
    return head + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_invoice_pdf(lines: list[str]) -> bytes:
    """A one-page invoice with a real text layer, a line of Helvetica each."""
    ops = [b"BT /F1 11 Tf 14 TL 60 740 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(%s) '" % escaped.encode("latin-1"))
    ops.append(b"ET")
    return pdf_file([b"\n".join(ops)])


def pixel_bomb_pdf(pages: int = 30, side_pt: float = 3000, image: int = 1) -> bytes:
    """Pages of side_pt x side_pt points each drawing an image stretched over the page: at a
    fixed 300 dpi each page would be a 12500x12500 bitmap."""
    draw = b"q %g 0 0 %g 0 0 cm /Im1 Do Q" % (side_pt, side_pt)
    return pdf_file([draw] * pages, size=(side_pt, side_pt), image=image)


def deflate_bomb(inflated_mb: int) -> bytes:
    """A zlib stream of `inflated_mb` MiB of spaces, made in well under a second: a block
    after a full flush does not depend on what came before, so one block is repeated."""
    chunk = b" " * (1 << 20)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw.compress(chunk)
    block = raw.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(inflated_mb):
        adler = zlib.adler32(chunk, adler)
    # zlib header, the blocks, an empty final static block, the checksum
    return b"\x78\xda" + block * inflated_mb + b"\x03\x00" + struct.pack(">I", adler)


def content_bomb_pdf(inflated_mb: int = 2048) -> bytes:
    """One page whose deflated content stream (a few MB) inflates to `inflated_mb` MiB."""
    return pdf_file([deflate_bomb(inflated_mb)], deflate=True)


def tiff_bomb(frames: int = 30, side: int = 12000) -> bytes:
    """A multi-page TIFF of `frames` blank bilevel side x side frames sharing one deflated
    strip (30 frames of 12000x12000 take ~20 KB; each would decode to 144 M pixels)."""
    strip = zlib.compress(b"\x00" * ((side + 7) // 8 * side), 9)
    header = 8
    data_at = header
    ifds_at = data_at + len(strip) + (len(strip) & 1)
    tags = 9
    ifd_size = 2 + tags * 12 + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", ifds_at))
    out += strip + b"\x00" * (len(strip) & 1)
    for n in range(frames):
        here = ifds_at + n * ifd_size
        following = here + ifd_size if n + 1 < frames else 0
        entries = [
            (256, 4, side), (257, 4, side), (258, 3, 1), (259, 3, 8), (262, 3, 0),
            (273, 4, data_at), (277, 3, 1), (278, 4, side), (279, 4, len(strip)),
        ]
        out += struct.pack("<H", tags)
        for tag, kind, value in entries:
            packed = struct.pack("<HHI", tag, kind, 1)
            out += packed + (struct.pack("<HH", value, 0) if kind == 3 else
                             struct.pack("<I", value))
        out += struct.pack("<I", following)
    return bytes(out)
