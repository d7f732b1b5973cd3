"""
### Build the warehouse (core facts and dimensions, mart views)

Runs whenever a source DAG has updated its staging asset: reloads the reference tables (areas,
categories, departments, ... edited by the office), then rebuilds every `core` table from staging and
every `mart` view in one transaction, so BI tools never see a half-built layer.
"""

import pendulum
from airflow.sdk import dag, task
from campaign_airflow import (
    EVENTS_STAGED,
    HOTLINE_STAGED,
    INSPECTIONS_STAGED,
    MARTS_BUILT,
    WAREHOUSE_POOL,
    default_args,
)


@dag(
    dag_id="build_warehouse",
    schedule=(HOTLINE_STAGED | INSPECTIONS_STAGED | EVENTS_STAGED),
    start_date=pendulum.datetime(2026, 9, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["campaign", "warehouse"],
    doc_md=__doc__,
)
def build_warehouse():
    @task(pool=WAREHOUSE_POOL, outlets=[MARTS_BUILT])
    def build_core_and_marts() -> dict:
        from etl.jobs import build_warehouse

        return build_warehouse()

    build_core_and_marts()


build_warehouse()
