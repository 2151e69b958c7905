"""`/api/v1/users`: ADMIN only (people sign in to the app; service clients use API keys)."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy.orm import Session

from payrec.server.automation_deps import AdminContext
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router
from payrec.server.users import service
from payrec.server.users.passwords import generate_password
from payrec.server.users.schemas import (
    UserCreate,
    UserCreated,
    UserList,
    UserOut,
    UserUpdate,
    to_out,
)

router = api_router(prefix="/users", tags=["users"])


@router.post("", status_code=201, response_model=UserCreated)
def create_user(body: UserCreate, ctx: AdminContext) -> Response:
    """Create a user; without `password`, a one-time password is answered (once)."""
    generated = generate_password() if body.password is None else None

    def action(session: Session) -> UserCreated:
        user = service.create(
            session,
            email=body.email,
            role=body.role,
            name=body.name,
            language=body.language,
            time_zone=body.time_zone,
            password=body.password if body.password is not None else str(generated),
            actor=ctx.actor,
            one_time=generated is not None,
        )
        return UserCreated(**to_out(user).model_dump(), one_time_password=generated)

    return ctx.write(action, status_code=201)


@router.get("", response_model=UserList)
def list_users(ctx: AdminContext) -> Response:
    with ctx.read() as session:
        rows = [to_out(u) for u in service.list_all(session)]
    return json_response(UserList(users=rows, total=len(rows)))


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: str, ctx: AdminContext) -> Response:
    with ctx.read() as session:
        return json_response(to_out(service.get(session, user_id)))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: str, body: UserUpdate, ctx: AdminContext) -> Response:
    """Change a user; a new password or `disabled: true` signs the user out everywhere."""
    return ctx.write(
        lambda s: to_out(
            service.update(
                s,
                user_id,
                actor=ctx.actor,
                name=body.name,
                role=body.role,
                language=body.language,
                time_zone=body.time_zone,
                password=body.password,
                disabled=body.disabled,
            )
        )
    )


@router.post("/{user_id}/sessions/revoke", response_model=UserOut)
def revoke_user_sessions(user_id: str, ctx: AdminContext) -> Response:
    """Sign the user out everywhere (every app session ends; the account stays)."""
    return ctx.write(lambda s: to_out(service.revoke_sessions(s, user_id, actor=ctx.actor)))
