"""Users: create, change (a new password or a disabled account ends every session), sign in,
and the server-side sessions a browser holds."""

from __future__ import annotations

import functools
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.audit.subjects import record_change
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import User, UserSession
from payrec.server.users import repository
from payrec.server.users.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    verify_password,
)

USER_ROLES = ("ADMIN", "AGENT")
LANGUAGES = ("en", "de", "fr", "es")
SESSION_HOURS = 12
# a new user's zone when none is given: the workspace has no zone setting of its own (yet)
DEFAULT_TIME_ZONE = "UTC"


@dataclass(frozen=True)
class SignedIn:
    """A valid session and its user, as a page sees them."""

    user_id: str
    name: str
    email: str
    role: str
    language: str
    csrf_token: str
    token_hash: str
    password_change_required: bool = False
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def actor(self) -> Actor:
        return Actor(name=self.email, subject=self.user_id, service_name="payrec-app")


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"not an e-mail address: {exc}", field="email") from exc


def _check_password(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Invalid(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", field="password")


def _check_role(role: str) -> str:
    if role not in USER_ROLES:
        raise Invalid(f"role must be one of {', '.join(USER_ROLES)}", field="role")
    return role


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    return language


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (`zoneinfo`, with `tzdata` as the fallback)."""
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str) -> str:
    """An IANA zone name `zoneinfo` can load (e.g. `Europe/Berlin`), or 422 `time-zone`."""
    if name not in time_zones():
        raise Invalid(
            f"not a time zone: {name!r} (an IANA name, e.g. Europe/Berlin)", field="timeZone"
        )
    zoneinfo.ZoneInfo(name)
    return name


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "language": user.language,
        "timeZone": user.time_zone,
        "disabled": user.disabled_at is not None,
    }


def create(
    session: Session,
    *,
    email: str,
    role: str,
    password: str,
    actor: Actor,
    name: str | None = None,
    language: str = "en",
    time_zone: str | None = None,
    one_time: bool = False,
) -> User:
    """A new user; with `one_time`, the password must be changed at the first sign-in."""
    address = normalise_email(email)
    _check_role(role)
    _check_language(language)
    zone = check_time_zone(time_zone or DEFAULT_TIME_ZONE)
    _check_password(password)
    if repository.by_email(session, address) is not None:
        raise Conflict(f"a user with the e-mail {address} exists", code="user-exists")
    user = User(
        email=address,
        name=(name or "").strip() or address.split("@", 1)[0],
        role=role,
        language=language,
        time_zone=zone,
        password_hash=hash_password(password),
        password_change_required=one_time,
    )
    session.add(user)
    session.flush()
    record_change(session, actor, "user.created", user, after=_snapshot(user))
    return user


def get(session: Session, user_id: str) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def list_all(session: Session) -> Sequence[User]:
    return repository.all_users(session)


@dataclass(frozen=True)
class People:
    """Who may be assigned a case (enabled users, oldest first) and everyone's name."""

    collectors: list[tuple[str, str]]
    names: dict[str, str]


def people(session: Session) -> People:
    rows = repository.directory(session)
    return People([(i, n) for i, n, enabled in rows if enabled], {i: n for i, n, _e in rows})


def names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Display names of the given users (for "assigned to")."""
    wanted = {i for i in user_ids if i}
    return {u.id: u.name for u in repository.by_ids(session, wanted)} if wanted else {}


def update(
    session: Session,
    user_id: str,
    *,
    actor: Actor,
    name: str | None = None,
    role: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
    password: str | None = None,
    disabled: bool | None = None,
) -> User:
    """Change a user; a new password or disabling the account revokes every session."""
    user = get(session, user_id)
    before = _snapshot(user)
    now = datetime.now(UTC)
    if name is not None:
        if not name.strip():
            raise Invalid("a name is required", field="name")
        user.name = name.strip()
    if role is not None:
        user.role = _check_role(role)
    if language is not None:
        user.language = _check_language(language)
    if time_zone is not None:
        user.time_zone = check_time_zone(time_zone)
    revoke = False
    if password is not None:
        _check_password(password)
        user.password_hash = hash_password(password)
        revoke = True
    if disabled is not None and disabled != (user.disabled_at is not None):
        user.disabled_at = now if disabled else None
        revoke = revoke or disabled
    if revoke:
        repository.revoke_all(session, user.id, now)
    after = _snapshot(user)
    if password is not None:
        after["passwordChanged"] = True
    record_change(session, actor, "user.updated", user, before=before, after=after)
    return user


def update_profile(
    session: Session, who: SignedIn, *, name: str, language: str, time_zone: str
) -> User:
    """The signed-in user's own name, language and time zone (the "my profile" page)."""
    return update(
        session, who.user_id, actor=who.actor, name=name, language=language, time_zone=time_zone
    )


def revoke_sessions(session: Session, user_id: str, *, actor: Actor) -> User:
    """Sign a user out everywhere: every live session of theirs ends now."""
    user = get(session, user_id)
    repository.revoke_all(session, user.id, datetime.now(UTC))
    record_change(session, actor, "user.sessions_revoked", user, after={"sessionsRevoked": True})
    return user


def change_own_password(session: Session, who: SignedIn, current: str, new: str) -> User:
    """The signed-in user's own new password: the current one is asked again, and every
    session of the user ends (the caller opens a new one for this browser)."""
    user = get(session, who.user_id)
    if not verify_password(user.password_hash, current):
        raise Invalid("the current password is wrong", field="current_password")
    if new == current:
        raise Invalid("the new password is the current one", field="new_password")
    _check_password(new)
    user.password_hash = hash_password(new)
    user.password_change_required = False
    repository.revoke_all(session, user.id, datetime.now(UTC))
    record_change(session, who.actor, "user.password_changed", user)
    return user


def check_credentials(session: Session, email: str, password: str) -> User | None:
    """The active user these credentials belong to, or None (the same work either way)."""
    try:
        address = normalise_email(email)
    except Invalid:
        address = ""
    user = repository.by_email(session, address) if address else None
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if user.disabled_at is not None:
        return None
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    session: Session, user: User, *, address: str | None, user_agent: str | None
) -> str:
    """Open a session for `user`; answers the cookie's token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    record_change(
        session,
        Actor(name=user.email, subject=user.id, service_name="payrec-app"),
        "user.signed_in",
        user,
    )
    return token


def signed_in(session: Session, token: str) -> SignedIn | None:
    """The session a cookie names, if it is live (not revoked, not expired, user enabled)."""
    found = repository.session_with_user(session, token_hash(token))
    if found is None:
        return None
    if found.revoked_at is not None or found.expires_at <= datetime.now(UTC):
        return None
    if found.disabled_at is not None:
        return None
    return SignedIn(
        user_id=found.user_id,
        name=found.name,
        email=found.email,
        role=found.role,
        language=found.language,
        csrf_token=found.csrf_token,
        token_hash=found.token_hash,
        password_change_required=bool(found.password_change_required),
        time_zone=found.time_zone,
    )


def end_session(session: Session, who: SignedIn) -> None:
    row = session.get(UserSession, who.token_hash)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        record(
            session,
            who.actor,
            action="user.signed_out",
            entity_type="user",
            entity_id=who.user_id,
        )
