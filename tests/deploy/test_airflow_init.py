"""deploy/airflow-init.sh, run outside Docker: SQLite stands in for the metadata DB, DuckDB for the warehouse."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "airflow-init.sh"
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The variables docker-compose.yaml gives airflow-init, pointed at temporary folders."""
    home = tmp_path / "airflow"
    env = {
        "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_UID": str(os.getuid()),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-jwt-secret",
        "AIRFLOW__API__SECRET_KEY": "test-api-secret",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "boss:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "auth" / "passwords.json"),
        "AIRFLOW_ADMIN_USERNAME": "boss",
        "AIRFLOW_ADMIN_PASSWORD": "first-password",
        "CAMPAIGN_PII_SALT": "test-salt",
        "CAMPAIGN_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "CAMPAIGN_WAREHOUSE_POOL_SLOTS": "3",
    }
    return env | overrides


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args or ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.parametrize(
    "override",
    [
        {"CAMPAIGN_PII_SALT": "change-me-pii-salt"},
        {"AIRFLOW_ADMIN_PASSWORD": "change-me-admin-password"},
        {"CAMPAIGN_WAREHOUSE_URL": "postgresql+psycopg://campaign:change-me-warehouse-password@warehouse/campaign"},
        {"AIRFLOW__API_AUTH__JWT_SECRET": ""},
        {"CAMPAIGN_WAREHOUSE_POOL_SLOTS": "0"},
    ],
)
def test_refuses_placeholders_and_bad_settings_before_touching_anything(tmp_path, override):
    result = _run(_env(tmp_path, **override))
    assert result.returncode != 0
    assert next(iter(override)) in result.stderr
    assert not (tmp_path / "airflow.db").exists()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sets_up_everything_and_can_run_again(tmp_path):
    env = _env(tmp_path)
    first = _run(env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]

    home = Path(env["AIRFLOW_HOME"])
    for folder in ("logs", "drop/inspections", "reports", "var", "auth"):
        assert (home / folder).is_dir(), folder
        assert (home / folder).stat().st_uid == os.getuid()
    passwords_file = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    assert json.loads(passwords_file.read_text()) == {"boss": "first-password"}

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        schemas = {row[0] for row in conn.execute("select schema_name from information_schema.schemata").fetchall()}
    assert {"raw", "staging", "core", "mart", "audit"} <= schemas

    # A second start: another user's generated password survives, new settings apply.
    passwords_file.write_text(json.dumps({"boss": "first-password", "viewer": "generated"}))
    env |= {"AIRFLOW_ADMIN_PASSWORD": "second-password", "CAMPAIGN_WAREHOUSE_POOL_SLOTS": "5"}
    second = _run(env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert json.loads(passwords_file.read_text()) == {"boss": "second-password", "viewer": "generated"}

    pools = _run(env, str(BIN / "airflow"), "pools", "get", "warehouse", "-o", "json")
    assert pools.returncode == 0, pools.stderr[-3000:]
    assert int(json.loads(pools.stdout)[0]["slots"]) == 5

    # The file is the one Airflow's SimpleAuthManager reads, with the user and role compose configures.
    probe = (
        "from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager as M\n"
        "print(M.get_passwords()['boss'], [(u.username, u.role) for u in M.get_users()])"
    )
    login = _run(env, str(BIN / "python"), "-c", probe)
    assert login.returncode == 0, login.stderr[-3000:]
    assert login.stdout.strip().splitlines()[-1] == "second-password [('boss', 'admin')]"
