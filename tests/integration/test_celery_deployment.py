"""The production engine for real: api-server, scheduler, dag-processor and a Celery worker, with
PostgreSQL as Airflow's metadata database, Redis as the broker and a PostgreSQL warehouse.

The source DAGs are triggered for one demo week; the asset-triggered `build_warehouse` must follow and
the mart views must hold that week's figures. Every process is stopped at the end, by process group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.config import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SOURCE_DAGS = ("ingest_hotline", "ingest_events", "ingest_inspections")
WEEK_START = date(2026, 9, 7)
STARTUP_SECONDS = 150
RUN_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url(db: int) -> str:
    return f"redis://127.0.0.1:6379/{db}"


@pytest.fixture
def databases(postgres_server: sa.URL):
    """Two throwaway databases: Airflow's metadata and the warehouse."""
    suffix = uuid.uuid4().hex[:10]
    names = {"meta": f"campaign_af_meta_{suffix}", "warehouse": f"campaign_af_wh_{suffix}"}
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.exec_driver_sql(f'create database "{name}"')
    yield {key: postgres_server.set(database=name) for key, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    admin.dispose()


@pytest.fixture
def cluster(databases, demo_sources, tmp_path: Path):
    """The four Airflow components as separate processes; yields (env, metadata engine)."""
    import redis

    api_port = _free_port()
    broker_db = 9
    redis.Redis.from_url(_redis_url(broker_db)).flushdb()
    meta = databases["meta"].render_as_string(hide_password=False)
    env = {
        **os.environ,
        **demo_sources,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'plugins'}",
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        # Airflow would derive an asyncpg URL; psycopg 3 has an async driver of its own.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": meta.replace("+psycopg://", "+psycopg_async://"),
        "AIRFLOW__CELERY__BROKER_URL": _redis_url(broker_db),
        "AIRFLOW__CELERY__RESULT_BACKEND": _redis_url(broker_db),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        "CAMPAIGN_WAREHOUSE_URL": databases["warehouse"].render_as_string(hide_password=False),
        "CAMPAIGN_PII_SALT": "test-salt",
        "CAMPAIGN_RETRY_DELAY_SECONDS": "5",
        "CAMPAIGN_VAR_DIR": str(tmp_path / "var"),
    }
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*airflow, "pools", "set", "warehouse", "4", "warehouse writers"], env=env, check=True,
                   capture_output=True)
    components = {
        "api-server": ["api-server", "--port", str(api_port), "--workers", "1"],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "worker": ["celery", "worker", "--concurrency", "2"],
    }
    processes = {}
    for name, args in components.items():
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process below
        processes[name] = (subprocess.Popen([*airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True), log)
    meta_engine = sa.create_engine(databases["meta"])
    try:
        _wait_healthy(api_port, processes, tmp_path)
        yield env, meta_engine
    finally:
        meta_engine.dispose()
        for process, _ in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process, log in processes.values():
            try:
                process.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        redis.Redis.from_url(_redis_url(broker_db)).flushdb()


def _wait_healthy(port: int, processes: dict, logs: Path) -> None:
    import json

    deadline = time.monotonic() + STARTUP_SECONDS
    health: dict = {}
    while time.monotonic() < deadline:
        for name, (process, _) in processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}:\n{(logs / f'{name}.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as response:
                health = json.load(response)
            if all(health[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")):
                return
        except OSError:
            pass
        time.sleep(2)
    pytest.fail(f"Airflow did not become healthy in {STARTUP_SECONDS} s: {health}")


def _dag_runs(meta: sa.Engine) -> list[tuple[str, str, str]]:
    with meta.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "select dag_id, run_type, state from dag_run order by dag_id, id")]


def test_celery_cluster_runs_source_dags_and_asset_triggered_build(cluster, databases) -> None:
    env, meta = cluster
    airflow = [sys.executable, "-m", "airflow"]
    for dag_id in (*SOURCE_DAGS, "build_warehouse"):
        subprocess.run([*airflow, "dags", "unpause", dag_id], env=env, check=True, capture_output=True)
    week_end = WEEK_START + timedelta(days=7)
    for dag_id in SOURCE_DAGS:
        subprocess.run([*airflow, "dags", "trigger", dag_id, "--logical-date", f"{week_end}T00:00:00+08:00"],
                       env=env, check=True, capture_output=True)

    deadline = time.monotonic() + RUN_SECONDS
    runs: list = []
    while time.monotonic() < deadline:
        runs = _dag_runs(meta)
        sources = {d: s for d, t, s in runs if d in SOURCE_DAGS}
        if "failed" in sources.values():
            pytest.fail(f"a source DAG failed: {runs}")
        builds = [s for d, t, s in runs if d == "build_warehouse"]
        if set(sources.values()) == {"success"} and len(sources) == 3 and builds and \
                all(s in ("success", "failed") for s in builds):
            break
        time.sleep(3)
    else:
        pytest.fail(f"runs did not finish in {RUN_SECONDS} s: {runs}")

    builds = [(t, s) for d, t, s in runs if d == "build_warehouse"]
    assert builds and all(t == "asset_triggered" for t, _ in builds), builds
    assert all(s == "success" for _, s in builds), builds

    warehouse = sa.create_engine(databases["warehouse"])
    with warehouse.connect() as conn:
        week = conn.exec_driver_sql(
            "select n_found, n_rectified from mart.weekly_rectification_total"
            f" where week_start = date '{WEEK_START}'").first()
        hotline = conn.exec_driver_sql(
            f"select n_received from mart.hotline_weekly where week_start = date '{WEEK_START}'").scalar()
        events = conn.exec_driver_sql(
            f"select sum(n_events) from mart.activities_weekly where week_start = date '{WEEK_START}'").scalar()
        reconciled = conn.exec_driver_sql(
            "select count(*), sum(case when is_reconciled then 1 else 0 end) from audit.pulls"
            " where status = 'loaded'").first()
    warehouse.dispose()
    assert week is not None and week[0] > 0 and 0 <= week[1] <= week[0]
    assert hotline and hotline > 0
    assert events and events > 0
    assert reconciled[0] >= 3 and reconciled[0] == reconciled[1]
