"""A realistic sample book for `payrec up --demo`, loaded through the management API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ZONES = [
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Africa/Johannesburg",
    "Pacific/Auckland",
]
PEOPLE = [
    ("Müller Maschinenbau GmbH", "de_DE", "EUR"),
    ("Boulangerie Dupont SARL", "fr_FR", "EUR"),
    ("Ferretería Gómez S.L.", "es_ES", "EUR"),
    ("Acme Corp", "en_US", "USD"),
    ("Northwind Traders Ltd", "en_GB", "GBP"),
    ("Sakura Trading KK", "ja_JP", "JPY"),
]
# (days past due, amount, paid, status change)
STAGES: list[tuple[int, str, str | None, str | None]] = [
    (-3, "1200.00", None, None),
    (2, "5000.00", None, None),
    (9, "780.50", None, None),
    (16, "15400.00", "4000.00", None),
    (31, "2300.00", None, None),
    (45, "990.00", None, "DISPUTED"),
    (20, "640.00", "640.00", None),
]


def _daytime_zones(now: datetime) -> list[str]:
    """Zones where it is working hours now, so the demo's reminders go out within a minute."""
    good = [z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour < 19]
    return good or ["UTC"]


def load_demo(base_url: str, admin_key: str) -> dict[str, int]:
    """Create customers and cases at every stage; returns counts. Safe to call once per book."""
    headers = {"Authorization": f"Bearer {admin_key}", "X-Service-Name": "payrec-demo"}
    now = datetime.now(UTC)
    zones = _daytime_zones(now)
    created = {"customers": 0, "cases": 0, "payments": 0}
    with httpx.Client(
        base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=30
    ) as api:
        existing = api.get("/recovery-cases", params={"limit": 1}).json()
        if existing.get("total", 0) > 0:
            return created
        for index, (name, locale, currency) in enumerate(PEOPLE):
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
            customer = _post(
                api,
                "/customers",
                {
                    "name": name,
                    "email": f"ap@{slug}.example",
                    "phone": f"+1-202-555-01{index:02d}",
                    "timezone": zones[index % len(zones)],
                    "locale": locale,
                },
            )
            created["customers"] += 1
            for stage, (days_past, amount, paid, status) in enumerate(STAGES):
                if currency == "JPY":  # no minor units: whole yen
                    amount = str((Decimal(amount) * 100).quantize(Decimal(1)))
                    paid = str((Decimal(paid) * 100).quantize(Decimal(1))) if paid else None
                case = _post(
                    api,
                    "/recovery-cases",
                    {
                        "customerId": customer["id"],
                        "invoiceNumber": f"INV-{now:%Y}-{index + 1:02d}{stage + 1:02d}",
                        "amount": amount,
                        "currency": currency,
                        "dueDate": (date.today() - timedelta(days=days_past)).isoformat(),
                        "priority": "LOW" if days_past < 7 else "MEDIUM",
                    },
                )
                created["cases"] += 1
                if paid:
                    _post(
                        api,
                        f"/recovery-cases/{case['id']}/payments",
                        {
                            "amount": paid,
                            "currency": currency,
                            "reference": f"BANK-{case['id'][-6:]}",
                        },
                    )
                    created["payments"] += 1
                if status:
                    api.patch(
                        f"/recovery-cases/{case['id']}",
                        json={"status": status, "notes": "Customer disputes the delivery date"},
                    ).raise_for_status()
    return created


def _post(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
