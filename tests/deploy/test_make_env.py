"""deploy/make-env.sh: a .env with fresh secrets that compose and airflow-init accept."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "make-env.sh"
PLACEHOLDER = "change-me"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


def _make(target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), str(target)], capture_output=True, text=True, timeout=60, check=False)


def test_generates_every_secret_and_keeps_connection_placeholders(tmp_path, parse_env):
    result = _make(tmp_path / ".env")
    assert result.returncode == 0, result.stderr
    active, _ = parse_env((tmp_path / ".env").read_text())
    template, _ = parse_env((REPO / ".env.example").read_text())
    assert set(active) == set(template)
    for var, value in active.items():
        if var.startswith("AIRFLOW_CONN_"):
            assert value == template[var], "connection credentials come from the source owners"
        elif template[var].startswith(PLACEHOLDER):
            assert PLACEHOLDER not in value, var
            if var != "AIRFLOW_FERNET_KEY":
                assert re.fullmatch(r"[0-9a-f]{64}", value), f"{var} must be URL-safe hex"
    Fernet(active["AIRFLOW_FERNET_KEY"].encode())
    assert re.fullmatch(r"\d+", active["AIRFLOW_UID"]) and active["AIRFLOW_UID"] != "0"
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0, ".env must be private to its owner"


def test_secrets_differ_between_runs_and_an_existing_file_is_kept(tmp_path, parse_env):
    assert _make(tmp_path / "a.env").returncode == 0
    assert _make(tmp_path / "b.env").returncode == 0
    a, _ = parse_env((tmp_path / "a.env").read_text())
    b, _ = parse_env((tmp_path / "b.env").read_text())
    assert a["AIRFLOW_JWT_SECRET"] != b["AIRFLOW_JWT_SECRET"]
    assert a["AIRFLOW_JWT_SECRET"] != a["AIRFLOW_API_SECRET_KEY"]

    before = (tmp_path / "a.env").read_text()
    again = _make(tmp_path / "a.env")
    assert again.returncode != 0
    assert (tmp_path / "a.env").read_text() == before
