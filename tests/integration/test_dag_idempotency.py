"""Every DAG run three times for the same interval, through Airflow, leaves core and mart identical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from etl.config import REPO_ROOT

pytestmark = pytest.mark.slow

_DRIVER = textwrap.dedent("""
    import json, os, sys
    from datetime import date
    import pendulum
    sys.path[:0] = [os.environ["REPO_ROOT"], os.environ["REPO_ROOT"] + "/plugins"]
    from etl.local import airflow_env, prepare_airflow
    env = airflow_env(); os.environ.update(env); prepare_airflow(env)
    from airflow.dag_processing.dagbag import DagBag
    from etl import warehouse
    from simulator import connection_env, demo_campaign

    campaign = demo_campaign(seed=3, weeks=1)
    drop = os.environ["CAMPAIGN_VAR_DIR"] + "/drop"
    campaign.write_drop_files(drop)
    bag = DagBag(dag_folder=os.environ["REPO_ROOT"] + "/dags")
    rounds = []
    with campaign.serve() as base_url:
        os.environ.update(connection_env(base_url, drop))
        for _ in range(3):
            for dag_id in ("ingest_hotline", "ingest_events", "ingest_inspections", "build_warehouse"):
                run = bag.dags[dag_id].test(logical_date=pendulum.datetime(2026, 9, 14, tz="Asia/Shanghai"))
                assert str(run.state) == "success", (dag_id, run.state)
            run = bag.dags["weekly_report"].test(logical_date=pendulum.datetime(2026, 9, 14, 8, tz="Asia/Shanghai"),
                                                 run_conf={"week": "2026-W37"})
            assert str(run.state) == "success", ("weekly_report", run.state)
            engine = warehouse.create_engine()
            rounds.append(warehouse.fingerprints(engine, ("core", "mart", "staging")))
            engine.dispose()
    print("FINGERPRINTS " + json.dumps(rounds))
    sys.stdout.flush()
    os._exit(0)
""")


def test_every_dag_three_times_for_the_same_interval_gives_identical_tables(tmp_path) -> None:
    env = {
        **os.environ,
        "REPO_ROOT": str(REPO_ROOT),
        "PYTHONPATH": str(REPO_ROOT),
        "CAMPAIGN_VAR_DIR": str(tmp_path),
        "CAMPAIGN_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "CAMPAIGN_PII_SALT": "test-salt",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    done = subprocess.run([sys.executable, "-c", _DRIVER], env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("FINGERPRINTS ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    first, second, third = json.loads(lines[0].removeprefix("FINGERPRINTS "))
    assert first["core.fct_problem"].split(":")[1] != "0", "the interval loaded nothing"
    assert first == second == third
