"""The shipped default templates and opt-out lines, read from ``default_templates.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from babel import Locale

from payrec.domain.i18n import pick_language
from payrec.domain.policy import Channel
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
)
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
"""The languages every shipped template comes in."""
OPT_OUT_LANGUAGES: tuple[str, ...] = (*LANGUAGES, "nl", "it", "pt")
"""The languages with a shipped opt-out line (custom templates may be in any of them)."""


@lru_cache(maxsize=1)
def _data() -> Mapping[str, Any]:
    raw = resources.files(__package__).joinpath("default_templates.json").read_text("utf-8")
    data: Mapping[str, Any] = json.loads(raw)
    return data


@lru_cache(maxsize=1)
def default_templates() -> tuple[Template, ...]:
    """Every shipped template (each id in each of LANGUAGES)."""
    return tuple(template_from_dict(item) for item in _data()["templates"])


def default_opt_out_line(locale: str | Locale | None, channel: Channel = Channel.EMAIL) -> str:
    """The shipped opt-out sentence for the locale's (or language's) language, English
    when none is shipped for it."""
    lines: Mapping[str, Mapping[str, str]] = _data()["optOut"]
    language = pick_language(locale, lines)
    per_channel = lines[language]
    return per_channel.get(str(channel), per_channel["EMAIL"])
