"""Wire forms of users (`/api/v1/users`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from payrec.server.models import User
from payrec.server.types import ApiModel, OutModel

RoleName = Literal["ADMIN", "AGENT"]
Language = Literal["en", "de", "fr", "es"]


class _UserInput(ApiModel):
    # a password is taken exactly as typed (the sign-in form does not strip it either)
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False
    )


class UserCreate(_UserInput):
    email: str = Field(min_length=3, max_length=320)
    role: RoleName
    name: str | None = Field(default=None, max_length=200)
    language: Language = "en"
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA name (e.g. Europe/Berlin); omitted: UTC",
    )
    password: str | None = Field(
        default=None,
        max_length=256,
        description="omitted: a one-time password is generated and answered once",
    )


class UserUpdate(_UserInput):
    name: str | None = Field(default=None, max_length=200)
    role: RoleName | None = None
    language: Language | None = None
    time_zone: str | None = Field(default=None, max_length=64, description="IANA name")
    password: str | None = Field(default=None, max_length=256)
    disabled: bool | None = Field(
        default=None, description="true ends every session of the user at once"
    )


class UserOut(OutModel):
    id: str
    email: str
    name: str
    role: str
    language: str
    time_zone: str
    disabled: bool
    created_at: datetime
    updated_at: datetime


class UserCreated(UserOut):
    one_time_password: str | None = None


class UserList(OutModel):
    users: list[UserOut]
    total: int


def to_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        language=user.language,
        time_zone=user.time_zone,
        disabled=user.disabled_at is not None,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )
