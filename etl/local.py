"""The embedded (laptop) mode: Airflow's settings kept in the repo instead of a hand-edited airflow.cfg.

`python -m etl.local airflow <args>` runs the Airflow CLI with these settings, after making sure the
metadata database is migrated and the `warehouse` pool exists; `make airflow` uses it for the UI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from etl.config import REPO_ROOT, var_dir

WAREHOUSE_POOL = "warehouse"


def airflow_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Airflow in embedded mode: SQLite metadata, LocalExecutor, the project's DAGs."""
    env = dict(os.environ if base is None else base)
    home = var_dir() / "airflow"
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": env.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
            # `airflow standalone` starts its components as `airflow ...`: the venv must be on PATH.
            "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(p for p in [str(REPO_ROOT), env.get("PYTHONPATH", "")] if p),
        }
    )
    env.setdefault("CAMPAIGN_WAREHOUSE_URL", f"duckdb:///{var_dir() / 'warehouse.duckdb'}")
    return env


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database and create the one-slot pool that serialises DuckDB writers."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    slots = env.get("CAMPAIGN_WAREHOUSE_POOL_SLOTS", "1")
    subprocess.run(
        [*airflow, "pools", "set", WAREHOUSE_POOL, slots, "Writers of the campaign warehouse (DuckDB: one)"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str]) -> int:
    """Run the Airflow CLI with the embedded settings."""
    if len(argv) < 2 or argv[1] != "airflow":
        print("usage: python -m etl.local airflow <airflow arguments>", file=sys.stderr)
        return 2
    env = airflow_env()
    prepare_airflow(env)
    return subprocess.call([sys.executable, "-m", "airflow", *argv[2:]], env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
