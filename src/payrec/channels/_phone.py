"""Phone number normalisation to E.164 (no I/O, no country guessing)."""

from __future__ import annotations

import re

from payrec.channels.base import PermanentChannelError

__all__ = ["normalise_phone"]

_SEPARATORS = re.compile(r"[\s\-.()/\u00a0]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_phone(raw: str) -> str:
    """``"+1 (555) 010-0123"`` → ``"+15550100123"``; ``00`` counts as ``+``.

    A number without a country code is refused rather than guessed: the customer record must
    carry E.164. Garbage raises :class:`PermanentChannelError` (retrying cannot fix it).
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.fullmatch(compact):
        shown = _CONTROL.sub("?", raw if len(raw) <= 40 else raw[:37] + "...")
        raise PermanentChannelError(f"invalid phone number {shown!r} (E.164 expected)")
    return compact
