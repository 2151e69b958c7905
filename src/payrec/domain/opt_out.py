"""The shipped opt-out sentences (``optOut`` in ``default_templates.json``), per language and
channel. Rendering needs them for every template, so they sit below both the template rules
(`domain.templates`) and the shipped templates (`domain.default_templates`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from babel import Locale

from payrec.domain.i18n import pick_language
from payrec.domain.policy import Channel


@lru_cache(maxsize=1)
def shipped_data() -> Mapping[str, Any]:
    """``default_templates.json`` as read from the package."""
    raw = resources.files(__package__).joinpath("default_templates.json").read_text("utf-8")
    data: Mapping[str, Any] = json.loads(raw)
    return data


def default_opt_out_line(
    locale: str | Locale | None, channel: Channel = Channel.EMAIL, link: str | None = None
) -> str:
    """The shipped opt-out sentence for the locale's (or language's) language, English
    when none is shipped for it; with the customer page's `link`, the e-mail sentence points
    there (``optOutPage``)."""
    if link and channel is Channel.EMAIL:
        pages: Mapping[str, str] = shipped_data()["optOutPage"]
        return pages[pick_language(locale, pages)].replace("{link}", link)
    lines: Mapping[str, Mapping[str, str]] = shipped_data()["optOut"]
    language = pick_language(locale, lines)
    per_channel = lines[language]
    return per_channel.get(str(channel), per_channel["EMAIL"])
