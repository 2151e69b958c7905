"""Opt-out wire shapes."""

from __future__ import annotations

from typing import Literal

from payrec.server.types import ApiModel, OutModel

OptOutChannel = Literal["EMAIL", "SMS"]


class OptOutRequest(ApiModel):
    channel: OptOutChannel
    opted_out: bool = True


class OptOutResult(OutModel):
    customer_id: str
    channel: OptOutChannel
    opted_out: bool
    changed: bool
    cancelled: dict[str, int]
