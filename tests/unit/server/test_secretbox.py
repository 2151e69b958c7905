"""The master key and the seal of the JWT signing key (`server/auth/secretbox.py`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from payrec.config import load_settings
from payrec.server.auth.secretbox import KEY_FILE, SecretBox, SecretKeyError, master_key

KEY = "unit-test-master-key-" + "m" * 20


def test_a_sealed_secret_opens_only_with_its_master_key() -> None:
    sealed = SecretBox(KEY).seal("the-signing-key")
    assert "the-signing-key" not in sealed
    assert SecretBox(KEY).open(sealed) == "the-signing-key"
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        SecretBox(KEY + "x").open(sealed)
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        SecretBox(KEY).open("PLAINTEXT-FROM-AN-OLD-DATABASE")


def test_a_short_master_key_is_refused() -> None:
    with pytest.raises(SecretKeyError, match="at least 32 characters"):
        SecretBox("short")


def test_sqlite_without_a_key_generates_one_private_file_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYREC_SECRET_KEY", raising=False)
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", data_dir=tmp_path)
    first = master_key(settings)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert master_key(settings) == first and len(first) >= 32
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no draft left behind


def test_postgresql_without_a_key_generates_one_and_warns_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("PAYREC_SECRET_KEY", raising=False)
    settings = load_settings(database_url="postgresql://db.internal/payrec", data_dir=tmp_path)
    with caplog.at_level("WARNING", logger="payrec.secrets"):
        key = master_key(settings)
    assert key == (tmp_path / KEY_FILE).read_text().strip()
    assert "every other backend sharing this database needs the same key" in caplog.text
    assert key not in caplog.text
