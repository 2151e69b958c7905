"""The request scope: one unit of work per request, idempotent POSTs, the acting caller."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.actor import Actor
from payrec.server.auth.dependencies import app_state
from payrec.server.auth.roles import Principal
from payrec.server.errors import Conflict, Invalid
from payrec.server.jsonio import dumps
from payrec.server.models import IdempotencyRecord
from payrec.server.state import AppState

IN_FLIGHT_LOCK = timedelta(seconds=60)
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

    def write(self, action: Callable[[Session], Any], *, status_code: int = 200) -> Response:
        """Run `action` in one transaction and answer its result as JSON.

        A POST with an `Idempotency-Key` is recorded in the same transaction as its effect, so
        a retry replays the first answer and never repeats the effect.
        """
        key = self.request.headers.get("idempotency-key")
        if self.request.method == "POST" and key is not None:
            return self._write_idempotent(action, status_code, key)
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
        self, action: Callable[[Session], Any], status_code: int, key: str
    ) -> Response:
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise Invalid(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                field="Idempotency-Key",
            )
        caller = self.principal.subject[:40]
        fingerprint = self._fingerprint()
        replay = self._reserve(caller, key, fingerprint)
        if replay is not None:
            return replay
        try:
            with self.state.db.write() as session:
                result = action(session)
                response = _as_response(result, status_code)
                record = session.get(IdempotencyRecord, (caller, key))
                if record is None:  # swept meanwhile; keep the answer anyway
                    record = IdempotencyRecord(
                        caller=caller,
                        key=key,
                        fingerprint=fingerprint,
                        state="RUNNING",
                        expires_at=_expiry(self.state),
                    )
                    session.add(record)
                record.state = "DONE"
                record.locked_until = None
                record.response_status = response.status_code
                record.response_body = bytes(response.body)
                record.response_headers = {"content-type": response.media_type or ""}
            return response
        except BaseException:
            self._release(caller, key)
            raise

    def _reserve(self, caller: str, key: str, fingerprint: str) -> Response | None:
        """Claim the key, or answer from it: a replay, 409 in flight, 422 reused."""
        now = datetime.now(UTC)
        try:
            with self.state.db.write() as session:
                record = session.get(IdempotencyRecord, (caller, key), with_for_update=True)
                if record is not None and record.expires_at > now:
                    if record.fingerprint != fingerprint:
                        raise Invalid(
                            "this Idempotency-Key was already used with a different request",
                            field="Idempotency-Key",
                            code="idempotency-key-reused",
                        )
                    if record.state == "DONE":
                        return _replay(record)
                    if record.locked_until is not None and record.locked_until > now:
                        raise Conflict(
                            "a request with this Idempotency-Key is still in progress",
                            code="idempotency-in-flight",
                            headers={"Retry-After": "1"},
                        )
                if record is None:
                    session.add(
                        IdempotencyRecord(
                            caller=caller,
                            key=key,
                            fingerprint=fingerprint,
                            state="RUNNING",
                            locked_until=now + IN_FLIGHT_LOCK,
                            expires_at=_expiry(self.state),
                        )
                    )
                else:
                    record.fingerprint = fingerprint
                    record.state = "RUNNING"
                    record.locked_until = now + IN_FLIGHT_LOCK
                    record.expires_at = _expiry(self.state)
        except IntegrityError as exc:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress",
                code="idempotency-in-flight",
                headers={"Retry-After": "1"},
            ) from exc
        return None

    def _release(self, caller: str, key: str) -> None:
        try:
            with self.state.db.write() as session:
                record = session.get(IdempotencyRecord, (caller, key))
                if record is not None and record.state == "RUNNING":
                    session.delete(record)
        except Exception:  # noqa: S110 - the lock expires by itself
            pass


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


def context_dependency(
    auth: Any,
) -> Any:
    """A dependency giving a RequestContext for callers admitted by `auth`."""

    async def dependency(request: Request, principal: Principal = auth) -> RequestContext:
        body = await request.body()
        return RequestContext(
            request=request, state=app_state(request), principal=principal, body=body
        )

    return Depends(dependency)
