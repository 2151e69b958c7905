"""Issue 20, item 5: templates are refused, quickly and within a small memory, whenever a
render would exhaust the backend — at save (the sample render and the static loop check)
and at every later render (a stored template that never went through the save check)."""

from __future__ import annotations

import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import pytest
from jinja2 import StrictUndefined

from payrec.domain.policy import Channel
from payrec.domain.template_sandbox import LimitExceeded, Sandbox, budget
from payrec.domain.templates import (
    InvoiceItem,
    Template,
    TemplateInvalid,
    build_context,
    render,
    sample_context,
    validate_template,
)

BOMBS = {
    "center": "{{ 'x'|center(300000000) }}",
    "str-method-padding": "{{ 'x'.ljust(300000000) }}",
    "printf-width": "{{ '%300000000d' % 1 }}",
    "format-filter-width": "{{ '%300000000d'|format(1) }}",
    "str-format-width": "{{ '{:>300000000}'.format('x') }}",
    "indent": "{{ 'x'|indent(300000000) }}",
    "batch-fill": "{{ [1]|batch(1000000000, 'x')|list }}",
    "slice": "{{ [1]|slice(1000000000)|list }}",
    "replace-empty": "{{ ('x' * 100000)|replace('', 'yyyyyyyyyy') }}",
    "join-separator": "{{ range(100000)|join('x' * 1000) }}",
    "power-tower": "{{ 9**99**99 }}",
    "nested-powers": "{{ (((9**100)**100)**100)**100 }}",
    "repeat": "{{ 'x' * 100000000 }}",
    "repeat-bytes": "{{ ('x' * 100000).encode() * 100000 }}",
    "many-big-values-in-a-list": "{{ range(100000)|map('center', 199999)|list|length }}",
    "namespace-doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(100) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "macro-doubling": (
        "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}"
        "{{ f('x', 40) }}"
    ),
    "endless-macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "endless-recursive-loop": "{% for x in [1, 2] recursive %}{{ loop([1, 2, 3]) }}{% endfor %}",
    "nested-loops-over-a-list": (
        "{% set r = range(100000)|list %}{% for a in r %}{% for b in r %}{% endfor %}"
        "{% endfor %}"
    ),
    "output-in-discarded-blocks": (
        "{% for a in range(1000) %}{% set x %}{% for b in range(90) %}{{ 'y' * 10000 }}"
        "{% endfor %}{% endset %}{% endfor %}"
    ),
}

BEHIND_A_CONDITION = {
    "nested-ranges": (
        "{% if daysOverdue > 30 %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endif %}"
    ),
    "deep-nesting": (
        "{% if invoiceCount > 1 %}{% for a in invoices %}{% for b in invoices %}"
        "{% for c in invoices %}{% for d in invoices %}{{ d.amount }}{% endfor %}{% endfor %}"
        "{% endfor %}{% endfor %}{% endif %}"
    ),
}


def email(body: str) -> Template:
    return Template(id="t", channel=Channel.EMAIL, language="en", subject="Hi", body_text=body)


@pytest.mark.parametrize("source", list(BOMBS.values()), ids=list(BOMBS))
def test_bombs_are_refused_at_save_quickly_and_in_little_memory(source: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(TemplateInvalid) as info:
            validate_template(email(source))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 10  # 2 s budget; tracemalloc slows a loaded box
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB"
    assert info.value.field == "bodyText"
    assert "sandbox" in info.value.message or "recursion" in info.value.message


@pytest.mark.parametrize(
    "source", list(BEHIND_A_CONDITION.values()), ids=list(BEHIND_A_CONDITION)
)
def test_loops_a_condition_hides_from_the_sample_are_refused_at_save(source: str) -> None:
    with pytest.raises(TemplateInvalid, match="nested"):
        validate_template(email(source))


def _statement_context(invoices: int) -> dict[str, object]:
    today = date(2024, 3, 1)
    others = [
        InvoiceItem(f"INV-{n}", Decimal("10.00"), today - timedelta(days=n), "https://x/p")
        for n in range(invoices - 1)
    ]
    return build_context(
        customer_name="Acme", invoice_number="INV-MAIN", amount_outstanding=Decimal("5.00"),
        currency="USD", due_date=today, today=today, locale="en_US",
        payment_link="https://x/p", others=others,
    )


def test_a_template_passing_save_is_still_bounded_at_the_real_render() -> None:
    """The sample has one invoice; a customer with 500 makes the same loops 500 times the
    work: the render is refused (the worker fails the reminder) instead of running on."""
    template = email(
        "{% for i in invoices %}{% for j in range(1000) %}.{% endfor %}{% endfor %}"
    )
    validate_template(template)
    assert render(template, _statement_context(2)).text.startswith("." * 2000)
    started = time.monotonic()
    with pytest.raises(TemplateInvalid, match="more than 100000 loop iterations"):
        render(template, _statement_context(500))
    assert time.monotonic() - started < 5


def test_the_render_time_is_limited() -> None:
    env = Sandbox(undefined=StrictUndefined)
    compiled = env.from_string("{% for i in range(10) %}{{ i }}{% endfor %}")
    with budget(seconds=10):
        assert compiled.render() == "0123456789"
    with budget(seconds=-1), pytest.raises(LimitExceeded, match="longer than"):
        compiled.render()


def test_template_code_runs_only_inside_a_budget() -> None:
    """Outside `budget()` (compile-time constant folding, a forgotten caller) nothing runs:
    `'x'|center(…)` is not evaluated while compiling either."""
    env = Sandbox(undefined=StrictUndefined)
    compiled = env.from_string("{% for i in range(3) %}{{ i }}{% endfor %}")
    with pytest.raises(LimitExceeded, match="budget"):
        compiled.render()
    tracemalloc.start()
    try:
        env.from_string("{{ 'x'|center(300000000) }}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_the_limits_leave_ordinary_templates_alone() -> None:
    source = (
        "{% set ns = namespace(n=0) %}{% for i in invoices %}{% set ns.n = ns.n + 1 %}"
        "{{ i.invoiceNumber }} {{ i.amount }}{% if not loop.last %}, {% endif %}"
        "{% endfor %}|{{ ns.n }}|{{ invoices|length }}|{{ '%.2f'|format(3.14159) }}|"
        "{{ '{:>6}'.format('x') }}|{{ customerName|center(12) }}|{{ 'a-b'|replace('-', '+') }}|"
        "{{ 2**10 }}|{{ [1, 2]|join(', ') }}|"
        "{{ invoices|map(attribute='invoiceNumber')|join('/') }}"
        "|{% for row in [1, 2, 3]|batch(2) %}{{ row|sum }}{% endfor %}"
    )
    template = email(source)
    validate_template(template)
    text = render(template, sample_context()).text
    assert text.startswith(
        "INV-2024-001 $5,000.00|1|1|3.14|     x| Acme Corp  |a+b|1024|1, 2|INV-2024-001|33"
    )
