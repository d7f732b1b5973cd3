"""
### Ingest hotline tickets (12345 热线 and the patrol mini-program)

Hourly, pulls every ticket version updated since the last watermark from the `hotline_api` connection
(profile `native` or `open311` in its extra), keeps the raw payloads (personal data removed), validates
and normalizes them, and loads `staging.hotline_ticket_versions` in one transaction with the quarantine,
the reconciliation row and the advanced watermark. Updates the hotline staging asset, which triggers
`build_warehouse`.
"""

import pendulum
from airflow.sdk import dag, get_current_context, task
from campaign_airflow import HOTLINE_STAGED, WAREHOUSE_POOL, default_args, run_interval, source_config


@dag(
    dag_id="ingest_hotline",
    schedule="0 * * * *",
    start_date=pendulum.datetime(2026, 9, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["campaign", "ingest", "hotline"],
    doc_md=__doc__,
)
def ingest_hotline():
    @task(pool=WAREHOUSE_POOL, outlets=[HOTLINE_STAGED])
    def pull_validate_load() -> dict:
        from etl.jobs import ingest_hotline

        start, end = run_interval(get_current_context())
        return ingest_hotline(source_config("hotline_api"), start, end)

    pull_validate_load()


ingest_hotline()
