"""
### Build the warehouse (core facts and dimensions, mart views)

Runs whenever a source DAG has updated its staging asset: reloads the reference tables (areas,
categories, departments, ... edited by the office), then rebuilds the `core` tables from staging and
every `mart` view in one transaction, so BI tools never see a half-built layer. Per-record core tables
recompute only the records loaded since the last build; trigger with `{"full_rebuild": true}` to rebuild
everything (after staging was edited by hand).
"""

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
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
    params={"full_rebuild": Param(False, type="boolean", description="rebuild every core table from staging")},
)
def build_warehouse():
    @task(pool=WAREHOUSE_POOL, outlets=[MARTS_BUILT])
    def build_core_and_marts() -> dict:
        from etl.jobs import build_warehouse

        return build_warehouse(full=get_current_context()["params"]["full_rebuild"])

    build_core_and_marts()


build_warehouse()
