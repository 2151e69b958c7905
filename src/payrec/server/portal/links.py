"""Customer-page links: a random 256-bit token, the link's whole secret (no id in the
clear), stored server-side bound to the customer and the case it was sent for.

A tampered token matches no row; an expired or revoked row answers the same plain page.
A render reuses the case's link while more than half its life is left (so the claim's
rendering and a re-render agree), else issues a new one; revoking a case's links is one
update.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from payrec.server.errors import DomainError
from payrec.server.models import PortalLink, RecoveryCase
from payrec.server.portal import repository

_CONFIG = "payrec.portal"
PAGE_PATH = "/c/"


@dataclass(frozen=True)
class PortalConfig:
    public_url: str
    link_days: int = 60


class LinkInvalid(DomainError, status=404, code="link-invalid", title="Not found"):
    """A customer link that is unknown, expired or revoked (404)."""


def configure(session_info: dict[str, Any], config: PortalConfig) -> None:
    session_info[_CONFIG] = config


def config_of(session: Session) -> PortalConfig:
    config = session.info.get(_CONFIG)
    return config if isinstance(config, PortalConfig) else PortalConfig("http://localhost:8080")


def page_url(session: Session, token: str) -> str:
    return f"{config_of(session).public_url.rstrip('/')}{PAGE_PATH}{token}"


def unsubscribe_url(session: Session, token: str) -> str:
    return page_url(session, token) + "/unsubscribe"


def issue(session: Session, case: RecoveryCase, now: datetime | None = None) -> str:
    """The case's link for its customer (a young one reused, else a new one); its token."""
    moment = now or datetime.now(UTC)
    days = config_of(session).link_days
    young = repository.young_link(session, case.id, moment + timedelta(days=days / 2))
    if young is not None:
        return young.token
    token = secrets.token_urlsafe(32)
    session.add(
        PortalLink(
            token=token,
            customer_id=case.customer_id,
            recovery_case_id=case.id,
            created_at=moment,
            expires_at=moment + timedelta(days=days),
        )
    )
    session.flush()
    return token


def resolve(session: Session, token: str, now: datetime | None = None) -> PortalLink:
    """The live link of `token`; 404 alike for unknown, tampered, expired and revoked."""
    if not token or len(token) > 100:
        raise LinkInvalid("this link is not valid")
    row = repository.link(session, token)
    moment = now or datetime.now(UTC)
    if row is None or row.revoked_at is not None or row.expires_at <= moment:
        raise LinkInvalid("this link is not valid")
    return row


def revoke_case(session: Session, case_id: str) -> int:
    return repository.revoke_case_links(session, case_id, datetime.now(UTC))


def csrf_token(token: str) -> str:
    """The forms' CSRF token, bound to the link (a page elsewhere cannot know it)."""
    return hmac.new(token.encode(), b"payrec-portal-csrf", hashlib.sha256).hexdigest()


def csrf_ok(token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(token), str(presented))
