"""``PAYREC_SMTP_URL`` parsing: ``smtp[s]://user:pass@host:port?starttls=true&verify=false``."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["SmtpConfig", "parse_smtp_url"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KNOWN_PARAMS = {"starttls", "verify", "cafile", "ca_file", "local_hostname"}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    verify: bool
    cafile: str | None
    username: str | None
    password: str | None = field(repr=False)
    local_hostname: str | None = None

    @property
    def uses_tls(self) -> bool:
        return self.implicit_tls or self.starttls

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cafile)
        if not self.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def describe(self) -> str:
        """``smtps://host:port`` — for logs; never shows credentials."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        suffix = "?starttls=true" if self.starttls else ""
        return f"{scheme}://{self.host}:{self.port}{suffix}"


def _flag(params: dict[str, list[str]], name: str, default: bool) -> bool:
    values = params.get(name)
    if not values:
        return default
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"SMTP URL parameter {name} must be true or false")


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse an SMTP URL; a ``ValueError`` message never repeats the URL (it holds a password).

    Default ports: 465 for ``smtps``, 587 with ``starttls=true``, else 25. ``verify=false``
    disables certificate checks (self-signed test servers only); ``cafile=/path`` trusts a CA.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError("PAYREC_SMTP_URL must start with smtp:// or smtps://")
    try:
        port_value = parts.port
    except ValueError:
        raise ValueError("PAYREC_SMTP_URL has an invalid port") from None
    host = parts.hostname
    if not host:
        raise ValueError("PAYREC_SMTP_URL has no host")
    params = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(params) - _KNOWN_PARAMS
    if unknown:
        raise ValueError(f"PAYREC_SMTP_URL has unknown parameters: {', '.join(sorted(unknown))}")
    implicit_tls = scheme == "smtps"
    starttls = _flag(params, "starttls", False)
    if implicit_tls and starttls:
        raise ValueError("PAYREC_SMTP_URL: smtps:// already uses TLS; drop starttls=true")
    cafile_values = params.get("cafile") or params.get("ca_file")
    local_values = params.get("local_hostname")
    port = port_value or (465 if implicit_tls else 587 if starttls else 25)
    return SmtpConfig(
        host=host,
        port=port,
        implicit_tls=implicit_tls,
        starttls=starttls,
        verify=_flag(params, "verify", True),
        cafile=cafile_values[-1] if cafile_values else None,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        local_hostname=local_values[-1] if local_values else None,
    )
