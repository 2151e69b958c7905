"""Issue 17 item 8: the creditor's name, address, contact, signature and bank details are
settings shown to every template as `creditor.*` (nothing hard-coded), and the opt-out line
is in the template's language for every language with a shipped line."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from markupsafe import escape
from pydantic import ValidationError

from payrec.config import load_settings
from payrec.domain.default_templates import OPT_OUT_LANGUAGES, default_opt_out_line
from payrec.domain.policy import Channel
from tests.support.backend import LiveBackend

CREDITOR_ENV = {
    "PAYREC_CREDITOR_NAME": "Müller & Söhne Maschinenbau GmbH",
    "PAYREC_CREDITOR_ADDRESS": "Industriestraße 7\\n70565 Stuttgart\\nDeutschland",
    "PAYREC_CREDITOR_EMAIL": "forderungen@mueller.example",
    "PAYREC_CREDITOR_PHONE": "+49 711 123456",
    "PAYREC_CREDITOR_SIGNATURE": "Anna Schmidt\nForderungsmanagement",
    "PAYREC_CREDITOR_IBAN": "de89370400440532013000",
    "PAYREC_CREDITOR_BIC": "COBADEFFXXX",
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def creditor_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    backend = backend_factory(request.param, env=CREDITOR_ENV)
    yield backend
    backend.stop()


def _render(backend: LiveBackend, case_id: str, **body: str) -> dict[str, str]:
    answer = backend.auto("POST", f"/recovery-cases/{case_id}/render", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, str] = answer.json()
    return result


def test_shipped_templates_sign_with_the_configured_creditor(
    creditor_backend: LiveBackend,
) -> None:
    customer = creditor_backend.new_customer(locale="de_DE", timezone="Europe/Berlin")
    case = creditor_backend.new_case(customer["id"], currency="EUR")
    for template in ("reminder-1", "reminder-2", "reminder-3", "statement"):
        body = _render(creditor_backend, case["id"], templateId=template)
        assert "Accounts Receivable" not in body["text"]
        assert "Anna Schmidt\nForderungsmanagement" in body["text"], template
        assert "Anna Schmidt<br>Forderungsmanagement" in body["html"], template
    statement = _render(creditor_backend, case["id"], templateId="statement")
    assert "IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX" in statement["text"]
    sms = _render(creditor_backend, case["id"], templateId="sms-reminder")
    assert sms["text"].startswith("Müller & Söhne Maschinenbau GmbH:")
    letter = _render(creditor_backend, case["id"], templateId="letter-reminder")
    assert letter["text"].startswith(
        "Müller & Söhne Maschinenbau GmbH\nIndustriestraße 7\n70565 Stuttgart\nDeutschland\n"
        "+49 711 123456\nforderungen@mueller.example\n"
    )
    assert letter["language"] == "de" and "Mahnung" in letter["text"]


def test_a_custom_template_shows_every_creditor_field(creditor_backend: LiveBackend) -> None:
    tid = f"creditor-{secrets.token_hex(4)}"
    fields = ("name", "email", "phone", "iban", "bic")
    text = " | ".join(f"{{{{ creditor.{name} }}}}" for name in fields)
    created = creditor_backend.admin(
        "POST",
        "/templates",
        json={
            "templateId": tid,
            "language": "en",
            "channel": "EMAIL",
            "subject": "From {{ creditor.name }}",
            "bodyText": text + "\n{{ creditor.addressLines | join(', ') }}",
        },
    )
    assert created.status_code == 201, created.text
    case = creditor_backend.new_case()
    body = _render(creditor_backend, case["id"], templateId=tid)
    assert body["subject"] == "From Müller & Söhne Maschinenbau GmbH"
    assert body["text"].startswith(
        "Müller & Söhne Maschinenbau GmbH | forderungen@mueller.example | +49 711 123456 | "
        "DE89 3704 0044 0532 0130 00 | COBADEFFXXX\n"
        "Industriestraße 7, 70565 Stuttgart, Deutschland"
    )


@pytest.mark.parametrize("language", ["nl", "it", "pt", "de"])
def test_custom_templates_get_the_opt_out_line_of_their_language(
    creditor_backend: LiveBackend, language: str
) -> None:
    """Before the fix a Dutch, Italian or Portuguese template ended in the English line."""
    tid = f"custom-{language}-{secrets.token_hex(3)}"
    for channel, extra in (("EMAIL", {"subject": "Factuur {{ invoiceNumber }}"}), ("SMS", {})):
        created = creditor_backend.admin(
            "POST",
            "/templates",
            json={
                "templateId": f"{tid}-{channel.lower()}",
                "language": language,
                "channel": channel,
                "bodyText": "{{ customerName }}: {{ amount }} {{ paymentLink }}",
                **({"bodyHtml": "<p>{{ amount }}</p>"} if channel == "EMAIL" else {}),
                **extra,
            },
        )
        assert created.status_code == 201, created.text
    customer = creditor_backend.new_customer(locale=f"{language}_{language.upper()}")
    case = creditor_backend.new_case(customer["id"], currency="EUR")
    email = _render(creditor_backend, case["id"], templateId=f"{tid}-email")
    line = default_opt_out_line(language, Channel.EMAIL, email["paymentLink"])
    assert line != default_opt_out_line("en", Channel.EMAIL, email["paymentLink"])
    assert email["text"].endswith(line) and str(escape(line)) in email["html"]
    sms = _render(creditor_backend, case["id"], templateId=f"{tid}-sms")
    assert sms["text"].endswith(default_opt_out_line(language, Channel.SMS))
    # an English customer sent the template anyway reads the template's language throughout
    english = creditor_backend.new_case(creditor_backend.new_customer(locale="en_GB")["id"])
    forced = _render(creditor_backend, english["id"], templateId=f"{tid}-email", language=language)
    assert forced["text"].endswith(
        default_opt_out_line(language, Channel.EMAIL, forced["paymentLink"])
    )


def test_every_opt_out_language_has_both_lines() -> None:
    assert set(OPT_OUT_LANGUAGES) == {"en", "de", "fr", "es", "nl", "it", "pt"}
    english = {channel: default_opt_out_line("en", channel) for channel in Channel}
    for language in OPT_OUT_LANGUAGES[1:]:
        for channel in (Channel.EMAIL, Channel.SMS):
            assert default_opt_out_line(language, channel) != english[channel]
        page_line = default_opt_out_line(language, Channel.EMAIL, "https://x.test/c/t")
        assert page_line.endswith("https://x.test/c/t") and page_line != english[Channel.EMAIL]


@pytest.mark.parametrize(
    ("name", "value"),
    [("PAYREC_CREDITOR_IBAN", "DE89370400440532013001"), ("PAYREC_CREDITOR_BIC", "NOTABIC")],
)
def test_a_bad_iban_or_bic_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        load_settings()
