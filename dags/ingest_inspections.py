"""
### Ingest inspection findings (督查 / 暗访 / 实地考评 drop files)

Every 30 minutes, reads the XLSX and CSV files that supervision groups dropped into the folder of the
`inspections_drop` connection. Each file is loaded once, by content hash, in its own transaction; a
finding re-uploaded with its rectification filled in is a new version of the same finding. Updates the
inspections staging asset.
"""

import pendulum
from airflow.sdk import dag, task
from campaign_airflow import INSPECTIONS_STAGED, WAREHOUSE_POOL, default_args, source_config


@dag(
    dag_id="ingest_inspections",
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2026, 9, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["campaign", "ingest", "inspections"],
    doc_md=__doc__,
)
def ingest_inspections():
    @task(pool=WAREHOUSE_POOL, outlets=[INSPECTIONS_STAGED])
    def load_new_files() -> dict:
        from etl.jobs import ingest_inspections

        return ingest_inspections(source_config("inspections_drop"))

    load_new_files()


ingest_inspections()
