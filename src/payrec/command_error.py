"""The error a `payrec` command ends with: one clear line, not a traceback."""

from __future__ import annotations


class CliError(Exception):
    """A problem worth one clear line, not a traceback."""
