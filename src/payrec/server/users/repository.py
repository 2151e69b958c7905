"""User and session queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from payrec.server.models import User, UserSession


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def get(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def by_ids(session: Session, user_ids: Collection[str]) -> Sequence[User]:
    return session.scalars(select(User).where(User.id.in_(user_ids))).all()


def all_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.created_at, User.id)).all()


# Built once, and read as plain columns (no ORM objects): every page asks it first.
_SESSION_WITH_USER = (
    select(
        UserSession.token_hash,
        UserSession.csrf_token,
        UserSession.expires_at,
        UserSession.revoked_at,
        User.id.label("user_id"),
        User.name,
        User.email,
        User.role,
        User.language,
        User.time_zone,
        User.password_change_required,
        User.disabled_at,
    )
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def session_with_user(session: Session, token_hash: str) -> Any:
    """The session's and its user's columns a page needs (a Core row), or None."""
    return session.connection().execute(_SESSION_WITH_USER, {"token_hash": token_hash}).first()


def revoke_all(session: Session, user_id: str, now: datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


_DIRECTORY = select(User.id, User.name, User.disabled_at.is_(None).label("enabled")).order_by(
    User.created_at, User.id
)


def directory(session: Session) -> Sequence[tuple[str, str, bool]]:
    """Every user's (id, name, enabled), in the order they were made (a Core select: no
    ORM objects, no password hashes)."""
    return [(i, n, bool(e)) for i, n, e in session.connection().execute(_DIRECTORY)]
