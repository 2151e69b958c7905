"""The backend's master key (`PAYREC_SECRET_KEY`) and the secrets it seals in the database.

The JWT signing key lives in `signing_keys` so that every backend shares it, but only as a
Fernet token (AES-128-CBC + HMAC-SHA256) keyed from the master key: a read of the database
alone yields no key that signs a token. The master key comes from the environment; when none
is set, one is generated once into the data directory and reused (`payrec up`, the demo, a
single `payrec serve` on SQLite or PostgreSQL: one URL is enough to run). Several backends
sharing one PostgreSQL database need the same key: a second host that generated its own cannot
open the signing key the first one sealed and refuses to start with that reason, so a
cluster never splits silently.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from payrec.config import Settings

logger = logging.getLogger("payrec.secrets")

KEY_FILE = "secret.key"
MIN_KEY_LENGTH = 32
_INFO = b"payrec signing keys v1"


class SecretKeyError(Exception):
    """The master key is missing, too weak, or not the one that sealed the stored secrets."""


class SecretBox:
    """Seals and opens short secrets with a key derived (HKDF-SHA256) from the master key."""

    def __init__(self, master_key: str) -> None:
        if len(master_key) < MIN_KEY_LENGTH:
            raise SecretKeyError(
                f"PAYREC_SECRET_KEY must be at least {MIN_KEY_LENGTH} characters "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            master_key.encode("utf-8")
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretKeyError(
                "the stored JWT signing key cannot be decrypted with this PAYREC_SECRET_KEY "
                "(it was sealed with another one): set the key the other backends use"
            ) from exc


def master_key(settings: Settings) -> str:
    """`PAYREC_SECRET_KEY`, or else the key generated into the data directory."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    key = _key_file(settings.data_dir)
    if not settings.is_sqlite:
        logger.warning(
            "PAYREC_SECRET_KEY is not set: using the key in %s; every other backend sharing "
            "this database needs the same key (set PAYREC_SECRET_KEY to it)",
            settings.data_dir / KEY_FILE,
        )
    return key


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(master_key(settings))


def _key_file(data_dir: Path) -> str:
    """Read `data_dir/secret.key`, creating it (0600) first if it does not exist.

    The key is written to a private temporary file and linked into place, so processes
    starting together never read a half-written key: the first link wins, the others read it.
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_KEY_LENGTH:
        raise SecretKeyError(f"{path} does not hold a key: remove it or set PAYREC_SECRET_KEY")
    return key
