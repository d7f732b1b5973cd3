"""`make demo`: every DAG, week by week, over the demo campaign, into the embedded DuckDB warehouse.

Starts the source simulator on 127.0.0.1, writes the supervision groups' drop files week by week, runs
the DAGs with Airflow (`dag.test`, in this process: the same task code the scheduler runs, without its
start-up cost per run) and ends with the weekly report of the last week and a short summary.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "plugins")]

from etl import config  # noqa: E402
from etl.local import airflow_env, prepare_airflow  # noqa: E402
from etl.weeks import week_label  # noqa: E402

LOCAL = ZoneInfo(config.LOCAL_TZ)

DEMO_START = date(2026, 9, 7)  # Monday of 2026-W37
DEMO_WEEKS = 10
DEMO_SEED = 7
WEEKLY_DAGS = ("ingest_hotline", "ingest_events", "ingest_inspections", "build_warehouse")
# Not a secret: it salts the repeat-caller hash of made-up phone numbers in the demo only.
DEMO_PII_SALT = "demo-only-salt"


def say(message: str) -> None:
    print(message, flush=True)


def run_dag(bag, dag_id: str, logical_date: datetime, conf: dict | None = None) -> None:
    started = time.perf_counter()
    run = bag.dags[dag_id].test(logical_date=logical_date, run_conf=conf)
    state = str(getattr(run, "state", run))
    say(f"    {dag_id:<20} {state:<8} {time.perf_counter() - started:5.1f} s")
    if state != "success":
        raise SystemExit(f"{dag_id} for {logical_date:%Y-%m-%d} ended {state}; see the log above")


def summary(last_week: date) -> None:
    from etl import warehouse

    engine = warehouse.create_engine()
    with engine.connect() as conn:
        def scalar(sql: str):
            return conn.exec_driver_sql(sql).scalar()

        say("\nSummary")
        for source, table in (("hotline", "staging.hotline_ticket_versions"),
                              ("inspections", "staging.inspection_finding_versions"), ("events", "staging.events")):
            loaded = scalar(f"select count(*) from {table}")
            quarantined = scalar(f"select count(*) from audit.quarantine where source = '{source}'")
            say(f"  {source:<12} {loaded:>7} rows in staging, {quarantined:>4} quarantine rows")
        say(f"  problems in core.fct_problem: {scalar('select count(*) from core.fct_problem')}")
        week = conn.exec_driver_sql(
            "select n_found, n_rectified, rectification_rate, n_found_cumulative, n_rectified_cumulative,"
            " cumulative_rectification_rate from mart.weekly_rectification_total"
            f" where week_start = date '{last_week.isoformat()}'"
        ).first()
        if week:
            def pct(rate):
                return "—" if rate is None else f"{rate:.1%}"

            say(f"  {week_label(last_week)}: found {week[0]}, rectified {week[1]}, 本周整改率 {pct(week[2])}; "
                f"累计发现{week[3]}条,已整改{week[4]}条,整改率{pct(week[5])}")
        events = conn.exec_driver_sql(
            "select coalesce(sum(n_events), 0), coalesce(sum(n_participants), 0) from mart.activities_weekly"
            f" where week_start = date '{last_week.isoformat()}'"
        ).first()
        say(f"  {week_label(last_week)} activities: {events[0]} events held, {events[1]} participants (人次)")
    engine.dispose()


def main() -> int:
    started = time.perf_counter()
    os.environ.setdefault("CAMPAIGN_PII_SALT", DEMO_PII_SALT)
    # Task logs stay in var/airflow/logs; the console shows progress (DEMO_VERBOSE=1 shows them too).
    if not os.environ.get("DEMO_VERBOSE"):
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    env = airflow_env()
    os.environ.update(env)
    var = config.var_dir()
    drop_dir = var / "drop" / "inspections"
    drop_dir.mkdir(parents=True, exist_ok=True)

    say(f"[setup] Airflow metadata and the warehouse pool in {env['AIRFLOW_HOME']}")
    prepare_airflow(env)

    from simulator import connection_env, demo_campaign

    campaign = demo_campaign(seed=DEMO_SEED, start=DEMO_START, weeks=DEMO_WEEKS)
    with campaign.serve() as base_url:
        say(f"[setup] source simulator serving on {base_url}; drop folder {drop_dir}")
        os.environ.update(connection_env(base_url, drop_dir))

        import pendulum
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
        if bag.import_errors:
            raise SystemExit(f"DAG import errors: {bag.import_errors}")
        for week in range(DEMO_WEEKS):
            week_start = DEMO_START + timedelta(weeks=week)
            week_end = week_start + timedelta(days=7)
            written = campaign.write_drop_files(drop_dir, until=week_end - timedelta(days=1))
            # The APIs show what existed at the week's end, so each week replays as it happened.
            campaign.server.set_now(datetime(week_end.year, week_end.month, week_end.day, tzinfo=LOCAL))
            sunday = week_end - timedelta(days=1)
            say(f"[{week + 1:>2}/{DEMO_WEEKS}] {week_label(week_start)} ({week_start} to {sunday}),"
                f" {written} drop files in the folder")
            logical_date = pendulum.datetime(week_end.year, week_end.month, week_end.day, tz=config.LOCAL_TZ)
            for dag_id in WEEKLY_DAGS:
                run_dag(bag, dag_id, logical_date)

        last_week = DEMO_START + timedelta(weeks=DEMO_WEEKS - 1)
        say(f"[report] weekly_report for {week_label(last_week)}")
        report_date = pendulum.datetime(2026, 11, 16, 8, tz=config.LOCAL_TZ)
        run_dag(bag, "weekly_report", report_date, {"week": week_label(last_week)})

    summary(last_week)
    reports = sorted(config.report_dir().glob(f"{week_label(last_week)}/*"))
    say("  report: " + (", ".join(str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p)
                                  for p in reports) or "none written"))
    say(f"  warehouse: {config.warehouse_url()}")
    say(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # duckdb 2.0's bindings print a page of "nanobind: leaked ..." at interpreter shutdown; skip the shutdown.
    os._exit(code)
