"""Templates: shipped defaults merged with stored ones, save-time validation, rendering."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date
from markupsafe import escape

from payrec.domain.default_templates import default_opt_out_line
from payrec.domain.money import format_money
from payrec.domain.policy import Channel
from tests.support.backend import LiveBackend

EMAIL_BODY: dict[str, Any] = {
    "channel": "EMAIL",
    "subject": "Invoice {{ invoiceNumber }}",
    "bodyText": "Hello {{ customerName }}, {{ amount }} is {{ daysOverdue }} days late. "
    "Pay: {{ paymentLink }}",
    "bodyHtml": "<p>Hello {{ customerName }}, {{ amount }}</p>",
}


def _tid(prefix: str = "tpl") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _field_error(response: Any) -> str:
    assert response.status_code == 422, response.text
    field: str = response.json()["errors"][0]["field"]
    return field


def test_shipped_templates_are_visible_in_four_languages(backend: LiveBackend) -> None:
    listed = backend.admin("GET", "/templates", params={"templateId": "reminder-1"})
    assert listed.status_code == 200
    templates = listed.json()["templates"]
    assert {t["language"] for t in templates} >= {"en", "de", "fr", "es"}
    assert all(t["shipped"] and t["channel"] == "EMAIL" for t in templates)
    german = backend.admin("GET", "/templates/reminder-1/de").json()
    assert german["subject"].startswith("Zahlungserinnerung")
    assert german["overridesShipped"] is False
    assert backend.admin("GET", "/templates/reminder-1/xx").status_code == 404


def test_create_replace_conflict_and_delete(backend: LiveBackend) -> None:
    tid = _tid()
    created = backend.admin(
        "POST", "/templates", json={"templateId": tid, "language": "en", **EMAIL_BODY}
    )
    assert created.status_code == 201, created.text
    assert created.json()["shipped"] is False and created.json()["templateId"] == tid
    again = backend.admin(
        "POST", "/templates", json={"templateId": tid, "language": "en", **EMAIL_BODY}
    )
    assert again.status_code == 409

    changed = {**EMAIL_BODY, "subject": "Rechnung {{ invoiceNumber }}"}
    put = backend.admin("PUT", f"/templates/{tid}/en", json=changed)
    assert put.status_code == 200 and put.json()["subject"] == "Rechnung {{ invoiceNumber }}"
    assert backend.admin("PUT", f"/templates/{tid}/en", json=changed).json() == put.json()
    german = backend.admin("PUT", f"/templates/{tid}/de", json=changed)  # PUT creates too
    assert german.status_code == 200

    sms = {"channel": "SMS", "bodyText": "{{ amount }} due"}
    assert _field_error(backend.admin("PUT", f"/templates/{tid}/fr", json=sms)) == "channel"
    wrong_path = backend.admin("PUT", f"/templates/{tid}/en", json={**changed, "templateId": "x"})
    assert _field_error(wrong_path) == "templateId"

    assert backend.admin("DELETE", f"/templates/{tid}/de").status_code == 204
    assert backend.admin("GET", f"/templates/{tid}/de").status_code == 404
    assert backend.admin("DELETE", f"/templates/{tid}/de").status_code == 404


def test_stored_template_overrides_the_shipped_one_until_deleted(backend: LiveBackend) -> None:
    shipped = backend.admin("GET", "/templates/reminder-friendly/es").json()
    edit = {k: shipped[k] for k in ("channel", "subject", "bodyText", "bodyHtml")}
    edit["subject"] = "Aviso amistoso: {{ invoiceNumber }}"
    try:
        put = backend.admin("PUT", "/templates/reminder-friendly/es", json=edit)
        assert put.status_code == 200, put.text
        assert put.json()["shipped"] is True and put.json()["overridesShipped"] is True
        worker = backend.auto("GET", "/templates/reminder-friendly", params={"language": "es"})
        assert worker.json()["subject"] == "Aviso amistoso: {{ invoiceNumber }}"
    finally:
        assert backend.admin("DELETE", "/templates/reminder-friendly/es").status_code == 204
    restored = backend.admin("GET", "/templates/reminder-friendly/es").json()
    assert restored == shipped


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bodyText": "{{ ''.__class__ }}"}, "bodyText"),
        ({"bodyText": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, "bodyText"),
        ({"bodyHtml": "{{ customerName.__init__.__globals__ }}"}, "bodyHtml"),
        ({"subject": "{{ config.items() }}"}, "subject"),
        ({"bodyText": "{% for i in range(10**9) %}x{% endfor %}"}, "bodyText"),
        ({"bodyText": "{{ 'x' * 100000000 }}"}, "bodyText"),
        ({"bodyText": "Hello {{ customerName"}, "bodyText"),
        ({"bodyText": "Hello\u0000 {{ customerName }}"}, "bodyText"),
        ({"bodyText": "Hello {{ customer_name }}"}, "bodyText"),
        ({"subject": None}, "subject"),
        ({"channel": "SMS", "subject": None}, "bodyHtml"),
        ({"channel": "FAX"}, "channel"),
        ({"language": "english"}, "language"),
        ({"templateId": "../etc"}, "templateId"),
    ],
)
def test_invalid_templates_are_refused_at_save_time(
    backend: LiveBackend, changes: dict[str, Any], field: str
) -> None:
    tid = _tid("bad")
    body = {"templateId": tid, "language": "en", **EMAIL_BODY, **changes}
    assert _field_error(backend.admin("POST", "/templates", json=body)) == field
    assert backend.admin("GET", f"/templates/{tid}/en").status_code == 404


def test_worker_lookup_falls_back_to_english(backend: LiveBackend) -> None:
    for asked, got in (("de", "de"), ("de_AT", "de"), ("fr", "fr"), ("ja", "en"), (None, "en")):
        params = {"language": asked} if asked else {}
        answer = backend.auto("GET", "/templates/reminder-2", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.json()["language"] == got
    assert backend.auto("GET", "/templates/no-such-template").status_code == 404


CUSTOMERS = {
    "de": {"locale": "de_DE", "timezone": "Europe/Berlin", "phone": "+49 30 1234567"},
    "fr": {"locale": "fr_FR", "timezone": "Europe/Paris", "phone": "+33 1 23 45 67 89"},
    "es": {"locale": "es_ES", "timezone": "Europe/Madrid", "phone": "+34 612 345 678"},
}


def _case_for(backend: LiveBackend, language: str, **customer: Any) -> tuple[dict[str, Any], date]:
    due = datetime.now(UTC).date() - timedelta(days=10)
    person = backend.new_customer(
        name="Müller & <Söhne>",
        email=f"{language}@example.com",
        **{**CUSTOMERS[language], **customer},
    )
    case = backend.new_case(person["id"], amount="1234.50", currency="EUR", dueDate=due.isoformat())
    return case, due


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_render_email_in_the_customers_language(backend: LiveBackend, language: str) -> None:
    case, due = _case_for(backend, language)
    locale = CUSTOMERS[language]["locale"]
    answer = backend.auto(
        "POST",
        f"/recovery-cases/{case['id']}/render",
        json={"templateId": "reminder-1", "channel": "EMAIL"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    amount = format_money(Decimal("1234.50"), "EUR", locale)
    assert (body["language"], body["locale"], body["recipient"]) == (
        language,
        locale,
        f"{language}@example.com",
    )
    assert body["optedOut"] is False
    assert case["invoiceNumber"] in body["subject"]
    assert amount in body["text"] and amount in body["html"]
    assert format_date(due, format="long", locale=locale) in body["text"]
    assert "/c/" in body["paymentLink"] and body["paymentLink"] in body["text"]  # the page
    opt_out = default_opt_out_line(locale, Channel.EMAIL, body["paymentLink"])
    assert opt_out in body["text"]
    assert "Müller & <Söhne>" in body["text"]
    assert "Müller &amp; &lt;Söhne&gt;" in body["html"]  # HTML is escaped, text is not
    if language == "de":
        assert "1.234,50\xa0€" in body["text"]


def test_render_sms_and_refusals(backend: LiveBackend) -> None:
    case, _due = _case_for(backend, "es")
    path = f"/recovery-cases/{case['id']}/render"
    sms = backend.auto("POST", path, json={"templateId": "sms-reminder", "channel": "SMS"})
    assert sms.status_code == 200, sms.text
    body = sms.json()
    assert body["recipient"] == "+34612345678" and body["html"] is None and body["subject"] is None
    assert body["text"].endswith("Responda STOP para darse de baja.")
    assert format_money(Decimal("1234.50"), "EUR", "es_ES") in body["text"]

    forced = backend.auto("POST", path, json={"templateId": "sms-reminder", "language": "fr"})
    assert forced.json()["language"] == "fr" and forced.json()["channel"] == "SMS"
    mismatch = backend.auto("POST", path, json={"templateId": "reminder-1", "channel": "SMS"})
    assert _field_error(mismatch) == "channel"
    unknown = backend.auto("POST", path, json={"templateId": "nope", "channel": "EMAIL"})
    assert unknown.status_code == 404
    missing = backend.auto(
        "POST", "/recovery-cases/case-nope/render", json={"templateId": "reminder-1"}
    )
    assert missing.status_code == 404
    as_admin = backend.admin("POST", "/automation" + path, json={"templateId": "reminder-1"})
    assert as_admin.status_code == 403


def test_render_custom_template_with_days_overdue_and_fallback(backend: LiveBackend) -> None:
    tid = _tid("late")
    created = backend.admin(
        "POST", "/templates", json={"templateId": tid, "language": "en", **EMAIL_BODY}
    )
    assert created.status_code == 201, created.text
    case, _due = _case_for(backend, "de", timezone="UTC", locale="pt_BR")
    answer = backend.auto("POST", f"/recovery-cases/{case['id']}/render", json={"templateId": tid})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["language"] == "en" and body["locale"] == "pt_BR"  # English text, local money
    assert format_money(Decimal("1234.50"), "EUR", "pt_BR") in body["text"]
    assert "is 10 days late" in body["text"]
    # appended when absent, in the template's language (the Portuguese line would be shipped)
    line = default_opt_out_line("en", Channel.EMAIL, body["paymentLink"])
    assert line in body["text"] and str(escape(line)) in body["html"]


def test_payment_link_placeholders(backend_factory: Callable[..., LiveBackend]) -> None:
    custom = backend_factory(
        "sqlite",
        env={"PAYREC_PAYMENT_LINK_TEMPLATE": "https://pay.example.com/{invoiceNumber}?c={caseId}"},
    )
    case = custom.new_case(invoiceNumber="INV 7/8")
    body = custom.auto(
        "POST", f"/recovery-cases/{case['id']}/render", json={"templateId": "reminder-1"}
    ).json()
    assert body["paymentLink"] == f"https://pay.example.com/INV%207%2F8?c={case['id']}"
    assert body["paymentLink"] in body["text"]
