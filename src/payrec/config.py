"""Settings from the environment (contract §1); nothing is read at import time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from limits import parse as parse_limit
from pydantic import AliasChoices, AliasGenerator, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from payrec.domain.creditor import Creditor


def _env_names(name: str) -> AliasChoices:
    return AliasChoices(f"PAYREC_{name.upper()}", name)


class Settings(BaseSettings):
    """Every knob of the backend and the workers, read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        populate_by_name=True,
        use_attribute_docstrings=True,
        # Each setting is read from PAYREC_<NAME> (or its own name), unless it says otherwise.
        alias_generator=AliasGenerator(validation_alias=_env_names),
    )

    database_url: str = "sqlite:///./payrec-data/payrec.db"
    data_dir: Path = Path("./payrec-data")
    host: str = "127.0.0.1"
    port: int = 8080
    rate_limit: str = "100/second"
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    public_url: str | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    jwt_issuer: str = "payrec"
    jwt_audience: str = "payrec-api"
    jwt_ttl_seconds: int = 900
    jwks_url: str | None = None
    jwks_issuer: str | None = None
    jwks_audience: str | None = None
    auto_apply_confidence: Decimal = Decimal("0.9")
    idempotency_ttl_hours: int = 48
    import_file_retention_hours: float = Field(
        default=48,
        ge=0,
        description="how long a finished import's file (a validation's, to run it) is kept",
    )
    sweep_seconds: float = Field(default=5.0, gt=0, le=3600)
    """how often the backend returns expired leases, settles due promises and ended pauses,
    carries on stalled imports and drops expired files and idempotency keys"""
    default_max_attempts: int = Field(
        default=5, validation_alias=AliasChoices("PAYREC_TASK_MAX_ATTEMPTS", "default_max_attempts")
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    payment_link_template: str = ""
    """an outside payment page ({caseId}); empty: the customer page's link"""
    portal_link_days: int = Field(default=60, ge=1, le=3650)
    """how long a customer-page link in a reminder stays valid"""
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = None
    """Stripe's API address (tests point it at a local stand-in)"""
    sms_auth_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "PAYREC_SMS_AUTH_TOKEN", "TWILIO_AUTH_TOKEN", "sms_auth_token"
        ),
    )

    secret_key: SecretStr | None = None
    """encrypts the JWT signing key at rest (docs/configuration.md)"""

    redis_url: str | None = None
    redis_prefix: str = "payrec"
    """namespace of this deployment's keys in Redis (rate limits)"""
    auth_failure_limit: str = "10/minute"
    """failed authentications allowed per client address and per key prefix"""
    anonymous_rate_limit: str = "20/second"
    """requests per client address before its credential is checked"""
    signin_account_limit: str = "5 per 15 minutes"
    """failed sign-ins to the app allowed per account (then 429 until it ages)"""
    signin_address_limit: str = "30 per 15 minutes"
    """failed sign-ins to the app allowed per client address"""
    creditor_name: str = ""
    creditor_address: str = ""
    """postal address, several lines (a literal \\n also breaks a line)"""
    creditor_email: str = ""
    creditor_phone: str = ""
    creditor_signature: str = ""
    creditor_iban: str = ""
    creditor_bic: str = ""
    team_language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    """language of the collections team's manual tasks (CALL/LETTER)"""

    webhook_allow_private: bool = False
    """admit webhook endpoints on loopback, private and link-local addresses"""
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    """first retry delay of a webhook delivery; doubles per attempt (max 6 h)"""
    webhook_max_attempts: int = Field(default=16, ge=1)
    """attempts before a webhook delivery is FAILED (16 span about 30 hours)"""

    @field_validator("creditor_address", "creditor_signature")
    @classmethod
    def _lines(cls, value: str) -> str:
        return value.replace("\\n", "\n").strip()

    @field_validator("creditor_iban", "creditor_bic")
    @classmethod
    def _check_bank(cls, value: str, info: ValidationInfo) -> str:
        """IBAN formatted in groups of four, BIC compact; a bad one stops the start."""
        if not value.strip():
            return ""
        is_iban = info.field_name == "creditor_iban"
        try:
            return str(IBAN(value).formatted) if is_iban else str(BIC(value).compact)
        except SchwiftyException as exc:
            name = "PAYREC_CREDITOR_IBAN" if is_iban else "PAYREC_CREDITOR_BIC"
            raise ValueError(f"{name} is not valid: {exc}") from exc

    @field_validator("rate_limit", "auth_failure_limit", "anonymous_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("signin_account_limit", "signin_address_limit")
    @classmethod
    def _check_signin_limit(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError as exc:
            raise ValueError(f"a limit such as '5 per 15 minutes', got {value!r}") from exc
        return value

    @property
    def creditor(self) -> Creditor:
        """Who the reminders come from, as templates see it (``creditor.*``)."""
        return Creditor(
            name=self.creditor_name.strip(),
            address=self.creditor_address,
            email=self.creditor_email.strip(),
            phone=self.creditor_phone.strip(),
            signature=self.creditor_signature,
            iban=self.creditor_iban,
            bic=self.creditor_bic,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def parse_rate_limit(value: str) -> tuple[int, int]:
    """Parse `N/second` or `N/minute` into (requests, window seconds)."""
    try:
        count_text, unit = value.strip().split("/", 1)
        count = int(count_text)
    except ValueError as exc:
        raise ValueError(f"rate limit must look like '100/second', got {value!r}") from exc
    windows = {"second": 1, "s": 1, "minute": 60, "m": 60, "hour": 3600, "h": 3600}
    if count <= 0 or unit.strip().lower() not in windows:
        raise ValueError(f"rate limit must look like '100/second' or '600/minute', got {value!r}")
    return count, windows[unit.strip().lower()]


def load_settings(**overrides: object) -> Settings:
    """Read the settings now (CLI flags passed as overrides win over the environment)."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]
