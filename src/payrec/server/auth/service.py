"""Service clients: create (secrets shown once), list, revoke, authenticate OAuth2 clients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.auth.credentials import NewCredentials, generate_credentials, secrets_match
from payrec.server.auth.roles import Role
from payrec.server.errors import Invalid, NotFound
from payrec.server.models import ServiceClient

VALID_ROLES = {role.value for role in Role}


def _checked_roles(roles: Sequence[str]) -> list[str]:
    unknown = [r for r in roles if r not in VALID_ROLES]
    if unknown or not roles:
        raise Invalid(f"roles must be among {sorted(VALID_ROLES)}", field="roles")
    return sorted(set(roles))


def create_client(
    session: Session, *, name: str, roles: Sequence[str], actor: Actor
) -> tuple[ServiceClient, NewCredentials]:
    roles = _checked_roles(roles)
    creds = generate_credentials()
    client = ServiceClient(
        name=name,
        roles=roles,
        key_lookup=creds.key_lookup,
        key_hash=creds.key_hash,
        client_id=creds.client_id,
        client_secret_hash=creds.client_secret_hash,
    )
    session.add(client)
    session.flush()
    record_change(
        session,
        actor,
        "service_client.created",
        client,
        after={"name": name, "roles": client.roles, "clientId": client.client_id},
    )
    return client, creds


def list_clients(session: Session) -> Sequence[ServiceClient]:
    return session.scalars(select(ServiceClient).order_by(ServiceClient.created_at)).all()


def change_roles(
    session: Session, client_id: str, roles: Sequence[str], actor: Actor
) -> ServiceClient:
    """New roles for a client; its API key and existing tokens carry them from now on."""
    client = session.get(ServiceClient, client_id)
    if client is None:
        raise NotFound("service client", client_id)
    wanted = _checked_roles(roles)
    if wanted != list(client.roles):
        before = list(client.roles)
        client.roles = wanted
        record_change(
            session,
            actor,
            "service_client.roles_changed",
            client,
            before={"roles": before},
            after={"roles": wanted},
        )
    session.flush()
    return client


def revoke(session: Session, client_id: str, actor: Actor) -> ServiceClient:
    client = session.get(ServiceClient, client_id)
    if client is None:
        raise NotFound("service client", client_id)
    if client.revoked_at is None:
        client.revoked_at = datetime.now(UTC)
        record_change(
            session, actor, "service_client.revoked", client, after={"revokedAt": client.revoked_at}
        )
    session.flush()
    return client


def authenticate_client(
    session: Session, client_id: str, client_secret: str
) -> ServiceClient | None:
    client = session.scalar(select(ServiceClient).where(ServiceClient.client_id == client_id))
    if client is None:
        secrets_match(client_secret, "0" * 64)  # same work whether or not the id exists
        return None
    if not secrets_match(client_secret, client.client_secret_hash) or client.revoked_at is not None:
        return None
    return client
