"""Templates: shipped defaults in four languages, opt-out rule, sandbox, strict undefined."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from payrec.domain.default_templates import (
    DEFAULT_TEMPLATE_IDS,
    LANGUAGES,
    default_opt_out_line,
    default_templates,
)
from payrec.domain.policy import DEFAULT_POLICY, Channel
from payrec.domain.templates import (
    Template,
    TemplateInvalid,
    build_context,
    choose_template,
    payment_link,
    render,
    sample_context,
    template_from_dict,
    template_to_dict,
    validate_template,
)

SHIPPED = default_templates()


def test_every_id_in_every_language() -> None:
    pairs = {(t.id, t.language) for t in SHIPPED}
    assert pairs == {(i, lang) for i in DEFAULT_TEMPLATE_IDS for lang in LANGUAGES}
    assert len(SHIPPED) == len(pairs)


def test_default_policy_templates_are_shipped_with_matching_channel() -> None:
    by_id = {t.id: t.channel for t in SHIPPED}
    for step in DEFAULT_POLICY.steps:
        assert by_id[step.template_id] == step.channel


@pytest.mark.parametrize("template", SHIPPED, ids=lambda t: f"{t.id}-{t.language}")
def test_shipped_template_renders(template: Template) -> None:
    validate_template(template)
    ctx = sample_context(template.language, template.channel)
    msg = render(template, ctx)
    who = "Example GmbH" if template.channel is Channel.SMS else "Acme Corp"
    assert who in (msg.subject or "") + msg.text
    assert "INV-2024-001" in msg.text
    assert ctx["amount"] in msg.text
    assert "https://pay.example.com/case-456" in msg.text
    assert "{{" not in msg.text and "{{" not in (msg.subject or "")
    if template.channel in (Channel.EMAIL, Channel.SMS):
        assert ctx["optOut"] in msg.text
    if template.channel is Channel.EMAIL:
        assert msg.subject and "\n" not in msg.subject
        assert msg.html is not None and 'href="https://pay.example.com/case-456"' in msg.html
        assert f'lang="{template.language}"' in msg.html
    else:
        assert msg.html is None


def test_localised_amount_and_date() -> None:
    de = build_context(
        customer_name="Müller GmbH",
        invoice_number="R-1",
        amount_outstanding=Decimal("1234.5"),
        currency="EUR",
        due_date=date(2024, 1, 10),
        today=date(2024, 1, 24),
        locale="de_DE",
        payment_link="https://pay.example.com/c",
    )
    assert de["amount"] == "1.234,50\xa0€"
    assert de["amountRaw"] == "1234.50"
    assert de["dueDate"] == "10. Januar 2024"
    assert de["daysOverdue"] == 14 and de["daysUntilDue"] == 0
    assert de["optOut"] == default_opt_out_line("de", Channel.EMAIL)
    early = build_context(
        customer_name="A",
        invoice_number="1",
        amount_outstanding=Decimal("5"),
        currency="JPY",
        due_date=date(2024, 1, 10),
        today=date(2024, 1, 7),
        locale="ja_JP",
        payment_link="x",
        opt_out_line="custom opt-out",
    )
    assert early["daysOverdue"] == 0 and early["daysUntilDue"] == 3
    assert early["optOut"] == "custom opt-out"


def email(text: str, html: str | None = None, subject: str = "Hi {{ customerName }}") -> Template:
    return Template("t", Channel.EMAIL, "en", subject, text, html)


def test_opt_out_appended_when_missing() -> None:
    ctx = sample_context()
    msg = render(email("Pay {{ amount }}", "<html><body><p>Pay</p></body></html>"), ctx)
    assert msg.text.endswith("\n\n" + ctx["optOut"])
    assert msg.html is not None
    assert msg.html.index("unsubscribe") < msg.html.index("</body>")
    sms = render(
        Template("s", Channel.SMS, "en", None, "Pay {{ amount }}"),
        sample_context("en", Channel.SMS),
    )
    assert sms.text == "Pay $5,000.00 Reply STOP to opt out."


def test_opt_out_not_duplicated() -> None:
    ctx = sample_context()
    msg = render(email("Pay.\n{{ optOut }}", "<p>{{ optOut }}</p>"), ctx)
    assert msg.text.count(ctx["optOut"]) == 1
    assert msg.html is not None and msg.html.count("unsubscribe") == 1


def test_opt_out_required_for_contacts_but_not_calls() -> None:
    ctx = {**sample_context(), "optOut": ""}
    with pytest.raises(TemplateInvalid, match="opt-out"):
        render(email("Pay"), ctx)
    call = Template("c", Channel.CALL, "en", "Call", "Call {{ customerName }}")
    assert render(call, ctx).text == "Call Acme Corp"


def test_html_is_autoescaped_text_is_not() -> None:
    ctx = {**sample_context(), "customerName": "<b>Tom & Jerry</b>"}
    msg = render(email("Dear {{ customerName }}", "<p>Dear {{ customerName }}</p>"), ctx)
    assert "Dear <b>Tom & Jerry</b>" in msg.text
    assert msg.html is not None and "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in msg.html


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customerName.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ customerName.upper.__self__ }}",
    ],
)
def test_sandbox_blocks_attribute_access(source: str) -> None:
    with pytest.raises(TemplateInvalid):
        validate_template(email(source))


def test_sandbox_is_immutable_and_bounded() -> None:
    with pytest.raises(TemplateInvalid, match="sandbox"):
        validate_template(email("{% set l = [1] %}{{ l.append(2) }}"))
    with pytest.raises(TemplateInvalid, match="sandbox"):
        validate_template(email("{{ 'x' * 100000000 }}"))
    with pytest.raises(TemplateInvalid):
        validate_template(email("{{ 9 ** 99999999 }}"))


def test_strict_undefined_fails_loudly_with_location() -> None:
    with pytest.raises(TemplateInvalid) as info:
        validate_template(email("Hello\n{{ customerNam }}"))
    assert info.value.field == "bodyText"
    assert "customerNam" in str(info.value) and "undefined" in str(info.value)
    with pytest.raises(TemplateInvalid, match="subject"):
        validate_template(email("ok", subject="{{ invoiceNo }}"))
    with pytest.raises(TemplateInvalid, match="bodyHtml"):
        validate_template(email("ok", "<p>{{ paymentLnk }}</p>"))


def test_syntax_error_reported() -> None:
    with pytest.raises(TemplateInvalid, match=r"bodyText: line 2"):
        validate_template(email("ok\n{% if %}"))


def test_validate_structure() -> None:
    with pytest.raises(TemplateInvalid, match="subject"):
        validate_template(email("ok", subject=""))
    with pytest.raises(TemplateInvalid, match="HTML"):
        validate_template(Template("s", Channel.SMS, "en", None, "x", "<p>x</p>"))
    with pytest.raises(TemplateInvalid, match="bodyText"):
        validate_template(email("  "))


@pytest.mark.parametrize(
    ("locale", "language"),
    [("de_DE", "de"), ("de-AT", "de"), ("fr_CA", "fr"), ("es", "es"), ("en_GB", "en"),
     ("pt_BR", "en"), ("", "en"), (None, "en"), ("xx_YY", "en")],
)  # fmt: skip
def test_choose_template_language(locale: str | None, language: str) -> None:
    assert choose_template(SHIPPED, "reminder-1", locale).language == language


def test_choose_template_unknown_id() -> None:
    with pytest.raises(LookupError):
        choose_template(SHIPPED, "nope", "en")


def test_payment_link() -> None:
    tpl = "https://pay.example.com/{caseId}"
    assert payment_link(tpl, "case-123", "INV 1") == "https://pay.example.com/case-123"
    assert (
        payment_link("https://p.example/{caseId}?inv={invoiceNumber}", "c/1", "INV 1&2")
        == "https://p.example/c%2F1?inv=INV%201%262"
    )
    with pytest.raises(ValueError, match="unknown placeholder"):
        payment_link("https://p.example/{caseId.__class__}", "c", "i")


def test_template_dict_round_trip() -> None:
    for t in SHIPPED:
        assert template_from_dict(template_to_dict(t)) == t
    bad: dict[str, Any] = {"id": "x", "channel": "FAX", "language": "en", "bodyText": "x"}
    with pytest.raises(TemplateInvalid, match="channel"):
        template_from_dict(bad)
