"""The shipped default templates and opt-out lines, read from ``default_templates.json``."""

from __future__ import annotations

from functools import lru_cache

from payrec.domain.opt_out import default_opt_out_line, shipped_data
from payrec.domain.templates import Template, template_from_dict

__all__ = [
    "DEFAULT_TEMPLATE_IDS",
    "LANGUAGES",
    "OPT_OUT_LANGUAGES",
    "default_opt_out_line",
    "default_templates",
]

DEFAULT_TEMPLATE_IDS: tuple[str, ...] = (
    "reminder-friendly",
    "reminder-1",
    "reminder-2",
    "reminder-3",
    "sms-reminder",
    "call-collector",
    "statement",
    "letter-reminder",
    "promise-broken",
)
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
"""The languages every shipped template comes in."""
OPT_OUT_LANGUAGES: tuple[str, ...] = (*LANGUAGES, "nl", "it", "pt")
"""The languages with a shipped opt-out line (custom templates may be in any of them)."""


@lru_cache(maxsize=1)
def default_templates() -> tuple[Template, ...]:
    """Every shipped template (each id in each of LANGUAGES)."""
    return tuple(template_from_dict(item) for item in shipped_data()["templates"])
