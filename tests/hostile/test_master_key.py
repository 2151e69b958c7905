"""Issue 20, item 4: the master key (`PAYREC_SECRET_KEY`) that seals the JWT signing key.

Without it, a key is generated once into the data directory and kept (SQLite or PostgreSQL: one
URL runs a backend). Backends sharing a PostgreSQL database need the same key: one with another
key than the one that sealed the stored signing key (a second host's own generated key
included) refuses to start with the reason, so a cluster never splits silently.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from payrec.server.auth.secretbox import KEY_FILE
from tests.support.backend import LiveBackend, free_port, migrate

UNSET = {"PAYREC_SECRET_KEY": ""}


def _serve(db_url: str, data_dir: Path, secret_key: str | None) -> subprocess.CompletedProcess[str]:
    """`payrec serve` that is expected to refuse to start (it would serve forever otherwise)."""
    env = {k: v for k, v in os.environ.items() if k != "PAYREC_SECRET_KEY"}
    env.update(
        PAYREC_DATABASE_URL=db_url,
        PAYREC_DATA_DIR=str(data_dir),
        PAYREC_PORT=str(free_port()),
        PAYREC_DB_POOL_SIZE="2",
    )
    if secret_key is not None:
        env["PAYREC_SECRET_KEY"] = secret_key
    return subprocess.run(
        [sys.executable, "-m", "payrec", "serve", "--no-migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_postgresql_without_the_master_key_runs_and_a_host_with_its_own_key_is_refused(
    backend_factory: Callable[..., LiveBackend], tmp_path: Path
) -> None:
    first = backend_factory("postgres", env=UNSET)  # one URL: the key is generated
    try:
        assert (first.data_dir / KEY_FILE).exists()
        created = first.admin("POST", "/service-clients", json={"name": "k", "roles": ["AGENT"]})
        assert created.status_code == 201, created.text
        assert first.oauth_token(created.json())
    finally:
        first.stop()
    second_host = tmp_path / "second-host"  # no PAYREC_SECRET_KEY, another data directory
    refused = _serve(first.db_url, second_host, None)
    assert refused.returncode != 0
    assert "cannot be decrypted with this PAYREC_SECRET_KEY" in refused.stdout + refused.stderr


def test_a_short_master_key_is_refused(
    database_url_factory: Callable[[str], str], tmp_path: Path
) -> None:
    url = database_url_factory("postgres")
    migrate(url)
    refused = _serve(url, tmp_path, "too-short")
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "at least 32 characters" in refused.stderr


def test_another_master_key_than_the_sealing_one_refuses_to_start(
    backend_factory: Callable[..., LiveBackend], tmp_path: Path
) -> None:
    first = backend_factory("postgres")  # seals the signing key with the tests' key
    first.stop()
    refused = _serve(first.db_url, tmp_path, "another-master-key-of-forty-characters!!")
    assert refused.returncode != 0
    assert "cannot be decrypted with this PAYREC_SECRET_KEY" in refused.stdout + refused.stderr


def test_sqlite_without_the_master_key_generates_one_into_the_data_dir(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory("sqlite", env=UNSET)
    try:
        key_file = backend.data_dir / KEY_FILE
        assert key_file.exists()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        generated = key_file.read_text()
        created = backend.admin("POST", "/service-clients", json={"name": "k", "roles": ["AGENT"]})
        assert created.status_code == 201, created.text
        token = backend.oauth_token(created.json())
        backend.stop()
        backend.start()  # the same key again: tokens issued before the restart still verify
        assert key_file.read_text() == generated
        again = backend.http.get(
            backend.base_url + "/api/v1/customers",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert again.status_code == 200, again.text
    finally:
        backend.stop()
