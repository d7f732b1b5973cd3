"""Airflow glue for the campaign DAGs: connections to etl configuration, shared defaults, failure alerts.

Light on purpose: DAG files import it at parse time, so only the standard library and airflow.sdk here.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from airflow.sdk import Asset

log = logging.getLogger(__name__)

OWNER = "campaign-data"
WAREHOUSE_POOL = "warehouse"

HOTLINE_STAGED = Asset("campaign://warehouse/staging/hotline_ticket_versions")
INSPECTIONS_STAGED = Asset("campaign://warehouse/staging/inspection_finding_versions")
EVENTS_STAGED = Asset("campaign://warehouse/staging/events")
MARTS_BUILT = Asset("campaign://warehouse/mart")


def source_config(conn_id: str):
    """The Airflow connection `conn_id` as the etl package's SourceConfig."""
    from airflow.sdk import BaseHook

    from etl.config import SourceConfig

    conn = BaseHook.get_connection(conn_id)
    return SourceConfig(
        conn_id=conn_id,
        conn_type=conn.conn_type or "http",
        host=conn.host,
        port=conn.port,
        schema=conn.schema,
        login=conn.login,
        password=conn.password,
        extra=conn.extra_dejson,
    )


def notify_failure(context) -> None:
    """Log a failed task and alert CAMPAIGN_ALERT_WEBHOOK and/or CAMPAIGN_ALERT_EMAILS (via smtp_default)."""
    from etl.alerts import send_failure_alert

    ti = context.get("task_instance")
    failure = {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "error": str(context.get("exception", ""))[:2000],
    }
    log.error("campaign task failed: %s", failure)
    emails = [a.strip() for a in os.environ.get("CAMPAIGN_ALERT_EMAILS", "").split(",") if a.strip()]
    smtp = None
    if emails:
        try:
            smtp = source_config("smtp_default")
        except Exception as exc:  # noqa: BLE001 - a missing connection must not hide the failure itself
            log.warning("CAMPAIGN_ALERT_EMAILS is set but smtp_default is not usable: %s", exc)
    send_failure_alert(failure, webhook=os.environ.get("CAMPAIGN_ALERT_WEBHOOK") or None, emails=emails, smtp=smtp)


def default_args() -> dict:
    """Task defaults; retries and their delay come from the environment, not from code."""
    return {
        "owner": OWNER,
        "retries": int(os.environ.get("CAMPAIGN_TASK_RETRIES", "2")),
        "retry_delay": timedelta(seconds=int(os.environ.get("CAMPAIGN_RETRY_DELAY_SECONDS", "300"))),
        "retry_exponential_backoff": True,
        "on_failure_callback": notify_failure,
    }


def run_interval(context) -> tuple:
    """(start, end) of the run's data interval; asset-triggered and API runs may have none (Airflow 3)."""
    end = context.get("data_interval_end") or context.get("logical_date") or context["dag_run"].run_after
    start = context.get("data_interval_start") or end
    return start, end
