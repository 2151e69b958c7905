"""User and session queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
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


def session_with_user(session: Session, token_hash: str) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


def revoke_all(session: Session, user_id: str, now: datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
