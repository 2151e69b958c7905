"""The `payrec` command as a newcomer meets it: clear output, one-line errors, no traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "invoices"


def payrec(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAYREC_", "JAVA_API"))}
    return subprocess.run(
        [sys.executable, "-m", "payrec", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_keys_create_prints_the_key_alone(tmp_path: Path) -> None:
    result = payrec("keys", "create", "--name", "ops", "--role", "ADMIN", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("prk_") and len(lines[0]) > 40
    assert (tmp_path / "payrec-data" / "payrec.db").exists()  # embedded default, migrated


def test_unknown_role_is_one_clear_line(tmp_path: Path) -> None:
    result = payrec("keys", "create", "--name", "ops", "--role", "ROOT", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "roles must be among" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql://payrec:secret-pw@127.0.0.1:1/payrec"
    result = payrec("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("payrec: cannot reach the database")
    assert "Traceback" not in result.stderr and "secret-pw" not in result.stderr


def test_nonsense_database_url_is_one_clear_line(tmp_path: Path) -> None:
    result = payrec("db", "upgrade", "--database-url", "mysql+nodriver://x/y", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_worker_without_a_key_says_what_to_do(tmp_path: Path) -> None:
    result = payrec("worker", cwd=tmp_path)
    assert result.returncode == 2
    assert "PAYREC_API_KEY" in result.stderr and "Traceback" not in result.stderr


def test_extract_json_lines_and_error_line(tmp_path: Path) -> None:
    sample = CORPUS / "pdf" / "i2d__AzureInterior.pdf"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nonsense")
    result = payrec("extract", "--json", str(broken), str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(broken) and first["error"]
    assert second["invoiceNumber"] == "INV/2023/03/0008" and second["amount"] == "279.84"
    assert second["method"] in ("einvoice", "text") and 0 <= second["confidence"] <= 1
