"""
### Ingest event attendance (创文活动 / 志愿服务)

Daily, pulls every event created or edited since the last watermark from the volunteer platform's
`events_api` connection, validates and normalizes it (a cancelled event counts zero), and upserts
`staging.events` (an edit replaces the earlier version) in one transaction with the quarantine, the
reconciliation row and the advanced watermark. Updates the events staging asset.
"""

import pendulum
from airflow.sdk import dag, get_current_context, task
from campaign_airflow import EVENTS_STAGED, WAREHOUSE_POOL, default_args, run_interval, source_config


@dag(
    dag_id="ingest_events",
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2026, 9, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["campaign", "ingest", "events"],
    doc_md=__doc__,
)
def ingest_events():
    @task(pool=WAREHOUSE_POOL, outlets=[EVENTS_STAGED])
    def pull_validate_load() -> dict:
        from etl.jobs import ingest_events

        start, end = run_interval(get_current_context())
        return ingest_events(source_config("events_api"), start, end)

    pull_validate_load()


ingest_events()
