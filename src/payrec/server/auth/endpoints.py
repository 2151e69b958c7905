"""`POST /oauth/token` (client credentials) and `/api/v1/service-clients`."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated
from urllib.parse import unquote

from anyio import from_thread
from fastapi import Form, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.auth import service
from payrec.server.auth.dependencies import (
    app_state,
    client_address,
    forget_cached_credentials,
)
from payrec.server.automation_deps import AdminContext
from payrec.server.jsonio import dumps, json_response
from payrec.server.models import ServiceClient
from payrec.server.ratelimit import refuse_if
from payrec.server.routing import api_router
from payrec.server.state import AppState
from payrec.server.types import ApiModel, OutModel

oauth_router = api_router(tags=["auth"])
clients_router = api_router(prefix="/service-clients", tags=["service-clients"])


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="payrec"'
    return Response(
        dumps({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _client_failed(state: AppState, address: str, client_id: str | None) -> Response:
    """401 invalid_client, or 429 once the address or the client id failed too often."""
    refusal = from_thread.run(state.limiter.failed, address, client_id or None)
    refuse_if(refusal, "too many failed authentications")
    return _oauth_error(401, "invalid_client", "client authentication failed")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if sep else None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class OAuthError(BaseModel):
    """RFC 6749 §5.2 error body (the token endpoint answers OAuth2 errors, not problems)."""

    error: str
    error_description: str | None = None


@oauth_router.post(
    "/oauth/token",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthError, "description": "invalid_request, unsupported_grant_type…"},
        401: {"model": OAuthError, "description": "invalid_client"},
    },
)
def issue_token(
    request: Request,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """OAuth2 client-credentials grant (RFC 6749 §4.4): a short-lived JWT."""
    state = app_state(request)
    address = client_address(request)
    refuse_if(from_thread.run(state.limiter.before_verifying, address))
    if grant_type is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        return _client_failed(state, address, client_id)
    with state.db.read() as session:
        client = service.authenticate_client(session, client_id, client_secret)
        if client is None:
            return _client_failed(state, address, client_id)
        roles = list(client.roles)
        if scope:
            requested = {s.removeprefix("ROLE_") for s in scope.split()}
            roles = [r for r in roles if r in requested]
            if not roles:
                return _oauth_error(400, "invalid_scope", "the client holds none of those roles")
        token, ttl = state.tokens.issue(subject=client.id, name=client.name, roles=roles)
    return Response(
        dumps(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": " ".join(roles),
            }
        ),
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


class ServiceClientCreate(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=3)


class ServiceClientUpdate(ApiModel):
    roles: list[str] = Field(min_length=1, max_length=3)


class ServiceClientOut(OutModel):
    id: str
    name: str
    roles: list[str]
    client_id: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ServiceClientCreated(ServiceClientOut):
    api_key: str
    client_secret: str


# shown once: never kept in the idempotency store (a replay answers 409 without them)
SECRET_FIELDS = ("apiKey", "clientSecret")


class ServiceClientList(OutModel):
    service_clients: list[ServiceClientOut]
    total: int


def to_out(client: ServiceClient) -> ServiceClientOut:
    return ServiceClientOut.from_row(
        client, roles=list(client.roles), key_prefix=f"prk_{client.key_lookup}"
    )


@clients_router.post("", status_code=201, response_model=ServiceClientCreated)
def create_service_client(body: ServiceClientCreate, ctx: AdminContext) -> Response:
    def action(session: Session) -> ServiceClientCreated:
        client, creds = service.create_client(
            session, name=body.name, roles=body.roles, actor=ctx.actor
        )
        return ServiceClientCreated(
            **to_out(client).model_dump(), api_key=creds.api_key, client_secret=creds.client_secret
        )

    return ctx.write(action, status_code=201, secret_fields=SECRET_FIELDS)


@clients_router.get("", response_model=ServiceClientList)
def list_service_clients(ctx: AdminContext) -> Response:
    with ctx.read() as session:
        rows = [to_out(c) for c in service.list_clients(session)]
    return json_response(ServiceClientList(service_clients=rows, total=len(rows)))


@clients_router.patch("/{client_id}", response_model=ServiceClientOut)
def update_service_client(client_id: str, body: ServiceClientUpdate, ctx: AdminContext) -> Response:
    """Change a client's roles: its key and its unexpired tokens get them at once."""
    response = ctx.write(
        lambda s: to_out(service.change_roles(s, client_id, body.roles, ctx.actor))
    )
    forget_cached_credentials()
    return response


@clients_router.delete("/{client_id}", response_model=ServiceClientOut)
def revoke_service_client(client_id: str, ctx: AdminContext) -> Response:
    response = ctx.write(lambda s: to_out(service.revoke(s, client_id, ctx.actor)))
    forget_cached_credentials()
    return response
