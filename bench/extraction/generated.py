"""Generated invoices: many layouts and locales rendered from HTML by Chromium, with ground truth.

Deterministic by seed; written to a cache directory at bench time (never committed). Each
document has a layout family; `HELDOUT_LAYOUTS` are kept out of development (their numbers
are reported, rules are never tuned on them).

python -m bench.extraction.generated --out DIR [--per-locale N] [--seed S]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
LAYOUTS = ("classic", "banner", "stacked", "sidebar", "grid")
HELDOUT_LAYOUTS = frozenset({"sidebar", "grid"})
# development-only layouts, one document per locale each, from their own random stream (so
# the documents above stay the same): a header strip of labels over values, a letter with a
# return-address line over the window and the seller in the footer, a right-hand letterhead
# with an unlabelled meta table, and two party boxes side by side, the seller's tax id
# printed above its name, a letter whose number and dates are in running text, and an
# unlabelled addressee in the window beside the seller's letterhead
EXTRA_LAYOUTS = ("strip", "letter", "right", "boxes", "inline", "window")


@dataclass(frozen=True)
class Locale:
    lang: str
    country: str
    currency: str
    symbol: str
    symbol_after: bool
    decimal: str
    thousands: str
    date_fmt: str  # strftime-like with %d %m %Y
    title: str
    number: str
    issued: str
    due: str
    customer: str
    seller: str
    description: str
    qty: str
    price: str
    amount: str
    subtotal: str
    tax: str
    total: str
    tax_rate: int
    vat_label: str
    phone_label: str
    companies: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[str, ...]
    items: tuple[str, ...]


LOCALES: tuple[Locale, ...] = (
    Locale(
        "en",
        "GB",
        "GBP",
        "£",
        False,
        ".",
        ",",
        "%d/%m/%Y",
        "Invoice",
        "Invoice number",
        "Invoice date",
        "Due date",
        "Bill to",
        "From",
        "Description",
        "Qty",
        "Unit price",
        "Amount",
        "Subtotal",
        "VAT",
        "Total due",
        20,
        "VAT No",
        "Tel",
        (
            "Harbour Lane Studio Ltd",
            "Greenfield Supplies Ltd",
            "Northgate Consulting LLP",
            "Bluebell Catering Ltd",
        ),
        ("14 Mill Road", "2 Station Street", "88 Queens Avenue"),
        ("CB1 2AB Cambridge", "LS1 4DY Leeds", "BS1 5TR Bristol"),
        ("Consulting services", "Website maintenance", "Printed brochures", "Delivery"),
    ),
    Locale(
        "de",
        "DE",
        "EUR",
        "€",
        True,
        ",",
        ".",
        "%d.%m.%Y",
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fällig am",
        "Rechnungsempfänger",
        "Absender",
        "Bezeichnung",
        "Menge",
        "Einzelpreis",
        "Betrag",
        "Nettobetrag",
        "MwSt",
        "Gesamtbetrag",
        19,
        "USt-IdNr.",
        "Telefon",
        (
            "Müller Haustechnik GmbH",
            "Bäckerei Schmidt KG",
            "Weber & Söhne OHG",
            "Nordlicht Software GmbH",
        ),
        ("Hauptstraße 12", "Gartenweg 3", "Bahnhofstr. 45"),
        ("10115 Berlin", "80331 München", "50667 Köln"),
        ("Wartung Heizung", "Montage", "Ersatzteile", "Anfahrt"),
    ),
    Locale(
        "fr",
        "FR",
        "EUR",
        "€",
        True,
        ",",
        " ",
        "%d/%m/%Y",
        "Facture",
        "Facture n°",
        "Date de facture",
        "Date d'échéance",
        "Client",
        "Émetteur",
        "Désignation",
        "Qté",
        "Prix unitaire HT",
        "Montant HT",
        "Total HT",
        "TVA",
        "Total TTC",
        20,
        "N° TVA",
        "Tél.",
        (
            "Atelier Lefèvre SARL",
            "Boulangerie Girard",
            "Transports Moreau SAS",
            "Cabinet Roux et Associés",
        ),
        ("12 rue de la République", "5 avenue Jean Jaurès", "27 boulevard Voltaire"),
        ("69002 Lyon", "13001 Marseille", "33000 Bordeaux"),
        ("Prestation de conseil", "Maintenance annuelle", "Fournitures", "Déplacement"),
    ),
    Locale(
        "es",
        "ES",
        "EUR",
        "€",
        True,
        ",",
        ".",
        "%d/%m/%Y",
        "Factura",
        "Nº de factura",
        "Fecha de emisión",
        "Fecha de vencimiento",
        "Cliente",
        "Emisor",
        "Concepto",
        "Cantidad",
        "Precio",
        "Importe",
        "Base imponible",
        "IVA",
        "Total factura",
        21,
        "NIF",
        "Teléfono",
        (
            "Distribuciones Ruiz S.L.",
            "Talleres Navarro S.A.",
            "Frutas Ortega S.L.",
            "Construcciones Vidal S.L.",
        ),
        ("Calle Mayor 15", "Avenida de la Constitución 8", "Calle del Sol 3"),
        ("28013 Madrid", "41001 Sevilla", "46002 Valencia"),
        ("Servicio de mantenimiento", "Material de oficina", "Transporte", "Instalación"),
    ),
    Locale(
        "it",
        "IT",
        "EUR",
        "€",
        True,
        ",",
        ".",
        "%d/%m/%Y",
        "Fattura",
        "Fattura n.",
        "Data documento",
        "Data scadenza",
        "Cliente",
        "Fornitore",
        "Descrizione",
        "Quantità",
        "Prezzo",
        "Importo",
        "Imponibile",
        "IVA",
        "Totale documento",
        22,
        "Partita IVA",
        "Tel.",
        (
            "Rossi Forniture S.r.l.",
            "Bianchi Impianti S.p.A.",
            "Trattoria Da Gino S.r.l.",
            "Studio Ferrari",
        ),
        ("Via Roma 21", "Corso Garibaldi 7", "Piazza Duomo 2"),
        ("20121 Milano", "00184 Roma", "50123 Firenze"),
        ("Consulenza tecnica", "Manutenzione impianto", "Materiale elettrico", "Trasporto"),
    ),
    Locale(
        "nl",
        "NL",
        "EUR",
        "€",
        False,
        ",",
        ".",
        "%d-%m-%Y",
        "Factuur",
        "Factuurnummer",
        "Factuurdatum",
        "Vervaldatum",
        "Klant",
        "Leverancier",
        "Omschrijving",
        "Aantal",
        "Prijs",
        "Bedrag",
        "Subtotaal",
        "BTW",
        "Totaal te betalen",
        21,
        "BTW-nummer",
        "Tel.",
        (
            "Bakkerij de Vries B.V.",
            "Jansen Installatietechniek",
            "Van Dijk Transport B.V.",
            "Studio Bakker",
        ),
        ("Kerkstraat 12", "Stationsweg 4", "Dorpsplein 9"),
        ("1012 AB Amsterdam", "3511 CD Utrecht", "2511 EF Den Haag"),
        ("Advieswerkzaamheden", "Onderhoud", "Materialen", "Voorrijkosten"),
    ),
    Locale(
        "pt",
        "PT",
        "EUR",
        "€",
        True,
        ",",
        ".",
        "%d/%m/%Y",
        "Fatura",
        "Fatura nº",
        "Data de emissão",
        "Data de vencimento",
        "Cliente",
        "Fornecedor",
        "Descrição",
        "Qtd.",
        "Preço unitário",
        "Valor",
        "Subtotal",
        "IVA",
        "Total a pagar",
        23,
        "NIF",
        "Telefone",
        (
            "Padaria Estrela Lda",
            "Gráfica Lisboa Lda",
            "Transportes Costa S.A.",
            "Oficina Ferreira Lda",
        ),
        ("Rua Augusta 100", "Avenida da Liberdade 45", "Rua de Santa Catarina 12"),
        ("1100-053 Lisboa", "4000-442 Porto", "3000-123 Coimbra"),
        ("Serviços de consultoria", "Manutenção", "Material de escritório", "Transporte"),
    ),
    Locale(
        "pl",
        "PL",
        "PLN",
        "zł",
        True,
        ",",
        " ",
        "%d.%m.%Y",
        "Faktura VAT",
        "Faktura nr",
        "Data wystawienia",
        "Termin płatności",
        "Nabywca",
        "Sprzedawca",
        "Nazwa",
        "Ilość",
        "Cena netto",
        "Wartość netto",
        "Razem netto",
        "Kwota VAT",
        "Razem brutto",
        23,
        "NIP",
        "Tel.",
        (
            "Zielony Ogród Sp. z o.o.",
            "Piekarnia Kowalscy s.c.",
            "Transport Nowak Sp. j.",
            "Biuro Wiśniewski",
        ),
        ("ul. Marszałkowska 10", "ul. Długa 5", "ul. Piotrkowska 33"),
        ("00-001 Warszawa", "31-001 Kraków", "90-001 Łódź"),
        ("Usługa serwisowa", "Materiały biurowe", "Transport", "Montaż"),
    ),
)


def _money(value: Decimal, loc: Locale, symbol: bool = True) -> str:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, frac = f"{abs(q):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ("-" if q < 0 else "") + loc.thousands.join(groups) + loc.decimal + frac
    if not symbol:
        return text
    return f"{text} {loc.symbol}" if loc.symbol_after else f"{loc.symbol} {text}"


def _date(d: date, loc: Locale) -> str:
    return (
        loc.date_fmt.replace("%d", f"{d.day:02d}")
        .replace("%m", f"{d.month:02d}")
        .replace("%Y", str(d.year))
    )


def _phone(rng: random.Random) -> str:
    cc, area, rest = rng.randint(30, 49), rng.randint(100, 999), rng.randint(100000, 999999)
    return f"+{cc} {area} {rest}"


def _invoice(rng: random.Random, loc: Locale, layout: str, k: int) -> dict[str, Any]:
    seller, customer = rng.sample(loc.companies, 2)
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))
    due = issued + timedelta(days=rng.choice((14, 30, 45, 60)))
    n_items = rng.randint(1, 4)
    lines = []
    for desc in rng.sample(loc.items, n_items):
        qty = rng.randint(1, 12)
        price = Decimal(rng.randrange(500, 250000)) / 100
        lines.append({"description": desc, "qty": qty, "price": price, "amount": price * qty})
    net = sum((x["amount"] for x in lines), Decimal(0))
    tax = (net * loc.tax_rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    total = net + tax
    number = rng.choice(("{y}-{n:04d}", "INV{y}{n:05d}", "{n:05d}/{y}", "F-{y}-{n:03d}"))
    number = number.format(y=issued.year, n=rng.randint(1, 9999))
    vat_prefix = loc.country if loc.country != "GB" else "GB"
    return {
        "loc": loc,
        "layout": layout,
        "id": f"gen/{loc.lang}-{layout}-{k:03d}",
        "seller": seller,
        "seller_address": (rng.choice(loc.streets), rng.choice(loc.cities)),
        "seller_vat": f"{vat_prefix}{rng.randint(10**8, 10**9 - 1)}",
        "customer": customer,
        "customer_address": (rng.choice(loc.streets), rng.choice(loc.cities)),
        "customer_phone": _phone(rng),
        "number": number,
        "issued": issued,
        "due": due,
        "lines": lines,
        "net": net,
        "tax": tax,
        "total": total,
    }


_CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;font-size:10.5pt;margin:36px;color:#222}
table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left}
.items{width:100%;margin-top:24px}.items th{border-bottom:1px solid #444}
.r{text-align:right}.totals{margin-left:auto;margin-top:12px}.big{font-size:15pt;font-weight:bold}
.side{float:left;width:30%;background:#f3f3f3;padding:10px}.main{margin-left:36%}
.grid{display:grid;grid-template-columns:1fr 1fr 1fr;gap:6px 24px;margin:12px 0}
.strip{margin-top:12px;border:1px solid #888}.strip th,.strip td{border:1px solid #888}"""


def _html(inv: dict[str, Any]) -> str:
    loc: Locale = inv["loc"]
    e = html.escape
    seller = (
        f"<div><b>{e(inv['seller'])}</b><br>{e(inv['seller_address'][0])}<br>"
        f"{e(inv['seller_address'][1])}<br>{e(loc.vat_label)}: {e(inv['seller_vat'])}</div>"
    )
    customer = (
        f"<div><b>{e(loc.customer)}:</b><br>{e(inv['customer'])}<br>"
        f"{e(inv['customer_address'][0])}<br>{e(inv['customer_address'][1])}<br>"
        f"{e(loc.phone_label)}: {e(inv['customer_phone'])}</div>"
    )
    meta_rows = (
        (loc.number, inv["number"]),
        (loc.issued, _date(inv["issued"], loc)),
        (loc.due, _date(inv["due"], loc)),
    )
    meta = (
        "<table>"
        + "".join(f"<tr><td>{e(k)}:</td><td>{e(v)}</td></tr>" for k, v in meta_rows)
        + "</table>"
    )
    rows = "".join(
        f"<tr><td>{e(x['description'])}</td><td class=r>{x['qty']}</td>"
        f"<td class=r>{_money(x['price'], loc, False)}</td>"
        f"<td class=r>{_money(x['amount'], loc, False)}</td></tr>"
        for x in inv["lines"]
    )
    items = (
        f"<table class=items><tr><th>{e(loc.description)}</th><th class=r>{e(loc.qty)}</th>"
        f"<th class=r>{e(loc.price)}</th><th class=r>{e(loc.amount)}</th></tr>{rows}</table>"
    )
    totals = (
        f"<table class=totals><tr><td>{e(loc.subtotal)}</td><td class=r>"
        f"{_money(inv['net'], loc)}</td></tr><tr><td>{e(loc.tax)} {loc.tax_rate}%</td>"
        f"<td class=r>{_money(inv['tax'], loc)}</td></tr><tr><td><b>{e(loc.total)}</b></td>"
        f"<td class=r><b>{_money(inv['total'], loc)}</b></td></tr></table>"
    )
    title = f"<div class=big>{e(loc.title)}</div>"
    layout = inv["layout"]
    if layout == "classic":
        body = (
            f"<table style='width:100%'><tr><td>{seller}</td><td class=r>{title}{meta}</td>"
            f"</tr></table><br>{customer}{items}{totals}"
        )
    elif layout == "banner":
        body = (
            f"{title}<table style='width:100%'><tr><td>{customer}</td><td>{meta}</td></tr>"
            f"</table>{items}{totals}<hr>{seller}"
        )
    elif layout == "stacked":
        body = f"{seller}<br>{title}{meta}<br>{customer}{items}{totals}"
    elif layout == "sidebar":
        body = (
            f"<div class=side>{seller}<br>{meta}</div><div class=main>{title}{customer}"
            f"{items}{totals}</div>"
        )
    elif layout == "strip":
        heads = "".join(f"<th>{e(k)}</th>" for k, _ in meta_rows)
        vals = "".join(f"<td>{e(v)}</td>" for _, v in meta_rows)
        body = (
            f"{title}<br>{seller}<br>{customer}<table class=strip><tr>{heads}</tr><tr>{vals}</tr>"
            f"</table>{items}{totals}"
        )
    elif layout == "letter":
        street, city = inv["seller_address"]
        sender = f"<div style='font-size:7pt'>{e(inv['seller'])} · {e(street)} · {e(city)}</div>"
        addressee = (
            f"<div>{e(inv['customer'])}<br>{e(inv['customer_address'][0])}<br>"
            f"{e(inv['customer_address'][1])}</div>"
        )
        body = (
            f"<table style='width:100%'><tr><td>{sender}{addressee}</td><td class=r>{meta}</td>"
            f"</tr></table><br>{title}{items}{totals}<hr>{seller}"
        )
    elif layout == "right":
        plain = (
            "<table>"
            + "".join(f"<tr><td class=r>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in meta_rows)
            + "</table>"
        )
        body = (
            f"<table style='width:100%'><tr><td>{title}{customer}</td><td class=r>{seller}</td>"
            f"</tr></table><br>{plain}{items}{totals}"
        )
    elif layout == "boxes":
        street, city = inv["seller_address"]
        box = "vertical-align:top;border:1px solid #888;padding:6px;width:50%"
        seller_box = (
            f"<b>{e(loc.seller)}</b><br>{e(loc.vat_label)}: {e(inv['seller_vat'])}<br>"
            f"{e(inv['seller'])}<br>{e(street)}<br>{e(city)}"
        )
        body = (
            f"<table style='width:100%'><tr><td></td><td class=r>{title}</td></tr></table>"
            f"{meta}<table style='width:100%;margin-top:10px'><tr>"
            f"<td style='{box}'>{seller_box}</td><td style='{box}'>{customer}</td></tr></table>"
            f"{items}{totals}"
        )
    elif layout == "inline":
        number, issued, due = (v for _, v in meta_rows)
        body = (
            f"{seller}<br>{customer}<br>{title}<p>{e(loc.number)} {e(number)}, "
            f"{e(loc.issued).lower()} {e(issued)}</p>{items}{totals}"
            f"<p>{e(loc.due)} {e(due)}.</p>"
        )
    elif layout == "window":
        addressee = (
            f"<div>{e(inv['customer'])}<br>{e(inv['customer_address'][0])}<br>"
            f"{e(inv['customer_address'][1])}</div>"
        )
        body = (
            f"<table style='width:100%'><tr><td style='vertical-align:bottom'>{addressee}</td>"
            f"<td class=r>{seller}</td></tr></table><br>{title}{meta}{items}{totals}"
        )
    else:  # grid: labels over values
        heads = "".join(f"<div><b>{e(k)}</b></div>" for k, _ in meta_rows)
        vals = "".join(f"<div>{e(v)}</div>" for _, v in meta_rows)
        body = (
            f"<table style='width:100%'><tr><td>{title}</td><td class=r>{seller}</td></tr>"
            f"</table><div class=grid>{heads}{vals}</div>{customer}{items}{totals}"
        )
    return (
        f"<!doctype html><html lang={loc.lang}><meta charset=utf-8><style>{_CSS}</style>"
        f"<body>{body}</body></html>"
    )


def _render(html_text: str, out: Path, work: Path) -> None:
    src = work / (out.stem + ".html")
    src.write_text(html_text, encoding="utf-8")
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={work / 'profile'}",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def generate(out: Path, per_locale: int = 5, seed: int = 19) -> Path:
    """Render the set into `out` (skipped when its manifest for this seed exists)."""
    manifest = out / "manifest.jsonl"
    stamp = out / f"seed-{seed}-{per_locale}-extra{len(EXTRA_LAYOUTS)}"
    if manifest.exists() and stamp.exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    (out / "pdf").mkdir(parents=True)
    rng = random.Random(seed)
    extra = random.Random(seed * 1000 + 1)
    plan = [(rng, loc, LAYOUTS[k % len(LAYOUTS)], k) for loc in LOCALES for k in range(per_locale)]
    plan += [(extra, loc, layout, 0) for layout in EXTRA_LAYOUTS for loc in LOCALES]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for stream, loc, layout, k in plan:
            inv = _invoice(stream, loc, layout, k)
            name = inv["id"].replace("/", "__") + ".pdf"
            _render(_html(inv), out / "pdf" / name, Path(tmp))
            rows.append(
                {
                    "id": inv["id"],
                    "file": f"pdf/{name}",
                    "source": "generated",
                    "family": f"gen:{layout}",
                    "lang": loc.lang,
                    "country": loc.country,
                    "gt": {
                        "invoice_number": inv["number"],
                        "date": inv["issued"].isoformat(),
                        "date_due": inv["due"].isoformat(),
                        "amount": float(inv["total"]),
                        "amount_due": float(inv["total"]),
                        "currency": loc.currency,
                        "issuer": inv["seller"],
                        "customer": inv["customer"],
                        "lines": [
                            {"description": x["description"], "amount": float(x["amount"])}
                            for x in inv["lines"]
                        ],
                    },
                }
            )
    manifest.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    stamp.touch()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extraction.generated")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-locale", type=int, default=5)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args(argv)
    generate(args.out, args.per_locale, args.seed)
    print(args.out / "manifest.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
