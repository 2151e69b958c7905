"""The request scope: one unit of work per request, idempotent POSTs, the acting caller."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from payrec.server.actor import Actor
from payrec.server.auth.dependencies import app_state
from payrec.server.auth.roles import Principal
from payrec.server.errors import Conflict, Invalid
from payrec.server.jsonio import dumps
from payrec.server.models import IdempotencyRecord
from payrec.server.state import AppState

MAX_KEY_LENGTH = 255


def request_id_of(request: Request) -> str:
    rid: str | None = getattr(request.state, "request_id", None)
    return rid or uuid.uuid4().hex


@dataclass
class RequestContext:
    request: Request
    state: AppState
    principal: Principal
    body: bytes

    @property
    def actor(self) -> Actor:
        return Actor(
            name=self.principal.name,
            subject=self.principal.subject,
            service_name=self.request.headers.get("x-service-name"),
            request_id=request_id_of(self.request),
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.state.db.read() as session:
            yield session

    def write(
        self,
        action: Callable[[Session], Any],
        *,
        status_code: int = 200,
        secret_fields: tuple[str, ...] = (),
    ) -> Response:
        """Run `action` in one transaction and answer its result as JSON.

        A POST with an `Idempotency-Key` is recorded in the same transaction as its effect, so
        a retry replays the first answer and never repeats the effect. An answer that reveals
        a secret once (`secret_fields` of its JSON) is stored without them and not replayed:
        a retry gets 409 `idempotency-secret-not-replayable` with the rest of the answer.
        """
        key = self.request.headers.get("idempotency-key")
        if self.request.method == "POST" and key is not None:
            return self._write_idempotent(action, status_code, key, secret_fields)
        with self.state.db.write() as session:
            result = action(session)
        return _as_response(result, status_code)

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.request.method.encode())
        digest.update(self.request.url.path.encode())
        digest.update(b"\0")
        digest.update(self.body)
        return digest.hexdigest()

    def _write_idempotent(
        self,
        action: Callable[[Session], Any],
        status_code: int,
        key: str,
        secret_fields: tuple[str, ...],
    ) -> Response:
        """Claim the key, run the action and record its answer in ONE transaction.

        The claim lives only as long as that transaction: a backend killed mid-request leaves
        nothing behind (its transaction rolls back with its connection), so a retry through
        another backend runs the request once instead of meeting a stale "in flight" lock.
        On PostgreSQL a transaction-scoped advisory lock on the key answers a concurrent
        duplicate with 409 at once; SQLite serialises writers, so a duplicate waits and replays.
        """
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise Invalid(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                field="Idempotency-Key",
            )
        caller = idempotency_scope(self.principal)
        fingerprint = self._fingerprint()
        with self.state.db.write() as session:
            _lock_key(session, caller, key)
            now = datetime.now(UTC)
            record = session.get(IdempotencyRecord, (caller, key), with_for_update=True)
            if record is not None and record.expires_at > now:
                if record.fingerprint != fingerprint:
                    raise Invalid(
                        "this Idempotency-Key was already used with a different request",
                        field="Idempotency-Key",
                        code="idempotency-key-reused",
                    )
                if record.state == "WITHHELD":
                    raise _withheld(record)
                return _replay(record)
            result = action(session)
            response = _as_response(result, status_code)
            if record is None:
                record = IdempotencyRecord(caller=caller, key=key)
                session.add(record)
            stored = _without(bytes(response.body), secret_fields)
            record.fingerprint = fingerprint
            record.state = "DONE" if stored is None else "WITHHELD"
            record.expires_at = _expiry(self.state)
            record.response_status = response.status_code
            record.response_body = bytes(response.body) if stored is None else stored
            record.response_headers = {"content-type": response.media_type or ""}
        return response


def idempotency_scope(principal: Principal) -> str:
    """Whose `Idempotency-Key`s these are: the issuer and the full subject, hashed (64 hex).

    Two subjects that share a prefix, or one subject name at two issuers (this service and an
    external identity provider), never share stored answers.
    """
    return hashlib.sha256(json.dumps([principal.issuer, principal.subject]).encode()).hexdigest()


def _without(body: bytes, fields: tuple[str, ...]) -> bytes | None:
    """The JSON body without the secret `fields`, or None when there is nothing to withhold."""
    if not fields:
        return None
    data = json.loads(body)
    kept = {k: v for k, v in data.items() if k not in fields} if isinstance(data, dict) else None
    return dumps(kept)


def _withheld(record: IdempotencyRecord) -> Conflict:
    return Conflict(
        "the first answer to this Idempotency-Key revealed a secret, which is shown only once "
        "and not kept; `resource` is the rest of that answer (revoke it if the secret was lost)",
        code="idempotency-secret-not-replayable",
        extra={"resource": json.loads(record.response_body or b"null")},
    )


def _in_flight() -> Conflict:
    return Conflict(
        "a request with this Idempotency-Key is still in progress",
        code="idempotency-in-flight",
        headers={"Retry-After": "1"},
    )


def _lock_key(session: Session, caller: str, key: str) -> None:
    """PostgreSQL: hold the key for this transaction, or 409 if a live request holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"idempotency\0{caller}\0{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id}):
        raise _in_flight()


def _expiry(state: AppState) -> datetime:
    return datetime.now(UTC) + timedelta(hours=state.settings.idempotency_ttl_hours)


def _replay(record: IdempotencyRecord) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    media = (record.response_headers or {}).get("content-type") or "application/json"
    return Response(
        record.response_body or b"",
        status_code=record.response_status or 200,
        headers=headers,
        media_type=media,
    )


def _as_response(result: Any, status_code: int) -> Response:
    if isinstance(result, Response):
        return result
    return Response(dumps(result), status_code=status_code, media_type="application/json")


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def _body_of(request: Request) -> bytes:
    """The bytes that identify the request for idempotency.

    A form body was already consumed by the form parser, so it is fingerprinted from the
    parsed fields (and each file's content hash) instead.
    """
    if not request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return await request.body()
    digest = hashlib.sha256()
    for name, value in (await request.form()).multi_items():
        digest.update(name.encode() + b"\0")
        if isinstance(value, UploadFile):
            data = await value.read()
            await value.seek(0)
            digest.update((value.filename or "").encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
        else:
            digest.update(value.encode())
        digest.update(b"\0")
    return digest.hexdigest().encode()


def context_dependency(
    auth: Any,
) -> Any:
    """A dependency giving a RequestContext for callers admitted by `auth`."""

    async def dependency(request: Request, principal: Principal = auth) -> RequestContext:
        body = await _body_of(request)
        return RequestContext(
            request=request, state=app_state(request), principal=principal, body=body
        )

    return Depends(dependency)
