"""What `payrec serve`, `payrec db upgrade` and `payrec up` share: settings from the command
line and the environment, the schema upgrade, and the one-line error they end with."""

from __future__ import annotations

import argparse

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from payrec.command_error import CliError
from payrec.config import Settings, load_settings
from payrec.server.migrate import upgrade


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The settings from the environment with the command line's `--host`, `--port`,
    `--database-url` and `--data-dir` over them."""
    try:
        return load_settings(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            database_url=getattr(args, "database_url", None),
            data_dir=getattr(args, "data_dir", None),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"invalid configuration: {first.get('loc')}: {first.get('msg')}") from exc


def migrate(url: str) -> None:
    """Upgrade the schema at `url` to the latest revision; a clear `CliError` when the
    database cannot be reached or the URL is not one payrec understands."""
    try:
        upgrade(url)
    except OperationalError as exc:
        raise CliError(
            f"cannot reach the database at {redact_url(url)}: {_first_line(exc.orig)}"
        ) from exc
    except Exception as exc:
        if "NoSuchModuleError" in type(exc).__name__ or "ArgumentError" in type(exc).__name__:
            raise CliError(f"not a database URL payrec understands: {redact_url(url)}") from exc
        raise


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def redact_url(url: str) -> str:
    """`url` with its password hidden, fit for a message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
