"""Everything a running backend holds, built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from payrec.config import Settings
from payrec.server.auth.tokens import TokenService
from payrec.server.db import Database
from payrec.server.ratelimit import RateLimits
from payrec.server.users.throttle import SignInThrottle


@dataclass
class AppState:
    settings: Settings
    db: Database
    tokens: TokenService
    limiter: RateLimits
    signin_throttle: SignInThrottle
