"""
### Weekly report (创文工作周报)

Monday 08:00 Asia/Shanghai, for the ISO week just ended: reads the `mart` views, writes the XLSX and
HTML report to the archive folder and e-mails it through the `smtp_default` connection to
`CAMPAIGN_REPORT_RECIPIENTS`. Trigger it with `{"week": "2026-W45"}` to re-issue any past week; figures
that changed since first publication are marked as restated.
"""

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task
from campaign_airflow import WAREHOUSE_POOL, default_args, run_interval


@dag(
    dag_id="weekly_report",
    schedule=CronDataIntervalTimetable("0 8 * * 1", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 9, 7, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"week": Param(None, type=["null", "string"], description="ISO week to report, e.g. 2026-W45")},
    tags=["campaign", "report"],
    doc_md=__doc__,
)
def weekly_report():
    @task(pool=WAREHOUSE_POOL)
    def build_and_send() -> dict:
        from airflow.exceptions import AirflowNotFoundException
        from campaign_airflow import source_config

        from etl.jobs import weekly_report
        from etl.weeks import report_week

        context = get_current_context()
        _, end = run_interval(context)
        week_start = report_week(context["params"].get("week"), end)
        try:
            smtp = source_config("smtp_default")
        except AirflowNotFoundException:
            smtp = None
        return weekly_report(week_start, smtp)

    build_and_send()


weekly_report()
