"""Roles and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    AUTOMATION_SERVICE = "AUTOMATION_SERVICE"
    ADMIN = "ADMIN"
    AGENT = "AGENT"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a stored service client or an external identity."""

    subject: str
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    via: str = "api_key"  # api_key | jwt | external_jwt
    issuer: str = ""  # "" for this service's own clients; "jwks:<iss>" for an external one

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)
