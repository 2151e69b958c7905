"""Service credentials and the shared JWT signing key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, UtcDateTime, new_id, utcnow


class ServiceClient(Base):
    """A caller: API key and OAuth2 client credentials, bound to a name and roles."""

    __tablename__ = "service_clients"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("svc"))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    key_lookup: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SigningKey(Base):
    """HMAC key for our own JWTs, shared by every backend process through the database.

    `secret` is a Fernet token sealed with the master key (`PAYREC_SECRET_KEY`), never the key.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
