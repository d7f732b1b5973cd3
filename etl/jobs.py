"""What each DAG task does, callable without Airflow: configuration in, a small summary out."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from etl import config, warehouse
from etl.config import SourceConfig

log = logging.getLogger(__name__)


def ingest_hotline(cfg: SourceConfig, interval_start: datetime, interval_end: datetime) -> dict:
    """Pull hotline ticket versions updated in the window and load them."""
    from etl.sources.hotline import HotlineClient

    return _ingest_api("hotline", HotlineClient(cfg), interval_start, interval_end)


def ingest_events(cfg: SourceConfig, interval_start: datetime, interval_end: datetime) -> dict:
    """Pull volunteer-platform events updated in the window and load them."""
    from etl.sources.events import EventsClient

    return _ingest_api("events", EventsClient(cfg), interval_start, interval_end)


def _ingest_api(source: str, client, interval_start: datetime, interval_end: datetime) -> dict:
    from etl import pipeline

    engine = warehouse.create_engine()
    with warehouse.exclusive_writer(engine):
        warehouse.ensure_tables(engine)
        since, until = pipeline.pull_window(engine, source, interval_start, interval_end)
        pull_id = pipeline.pull_id_for(source, since, until)
        with client:
            result = pipeline.ingest_api(
                engine, source, client.iter_pages(since, until),
                pull_id=pull_id, window_start=since, window_end=until,
            )
    return result.as_dict()


def ingest_inspections(cfg: SourceConfig) -> dict:
    """Load every drop file not seen before (by content hash)."""
    from etl import pipeline
    from etl.sources.inspections import DropFolder

    engine = warehouse.create_engine()
    with warehouse.exclusive_writer(engine):
        warehouse.ensure_tables(engine)
        results = pipeline.ingest_files(engine, DropFolder(cfg))
    return {
        "n_files": len(results),
        "n_extracted": sum(r.n_extracted for r in results),
        "n_loaded": sum(r.n_loaded for r in results),
        "n_quarantined": sum(r.n_quarantined for r in results),
    }


# Core facts validated before a build is published: (table, id column).
CORE_SUITES = (("core.fct_problem", "problem_id"), ("core.fct_event", "event_id"))


class CoreValidationFailed(RuntimeError):
    """A core fact broke its suite: the build was rolled back and the previous one stays published."""


def build_warehouse(full: bool = False) -> dict:
    """Reload the reference tables, rebuild core and mart from staging, validate core, then publish.

    Keyed core models recompute only the records loaded since the last build, unless `full`.
    """
    from etl import models, pipeline, refdata, validate

    engine = warehouse.create_engine()
    outcomes = []

    def validate_core(conn, rewritten: dict[str, str]) -> None:
        # Rows an incremental build left alone passed when they were written: only its rewritten rows are read.
        for table, id_column in CORE_SUITES:
            outcome, summary = validate.validate_table(conn, table, id_column, where=rewritten.get(table))
            outcomes.append(outcome.record(summary))
            if not outcome.success:
                failures = [f"{label} (e.g. {ids[:5]})" for label, ids in outcome.failed_ids.items()]
                raise CoreValidationFailed(
                    f"{table} failed its suite on {outcome.n_failed} rows: "
                    f"{'; '.join(outcome.table_failures + failures)}; the previous build stays published"
                )

    with warehouse.exclusive_writer(engine):
        warehouse.ensure_tables(engine)
        with engine.begin() as conn:
            refdata.write_reference_tables(conn, refdata.load_reference())
        try:
            built = models.build(engine, before_commit=validate_core, incremental=not full)
        finally:
            _store_build_validations(engine, outcomes, pipeline.utc_now())
        with engine.connect() as conn:
            counts = {
                table: conn.exec_driver_sql(f"select count(*) from {table}").scalar()
                for table in ("core.fct_problem", "core.fct_hotline_ticket", "core.fct_event")
                if table in built
            }
            docs = validate.build_data_docs(validate.stored_results(conn), config.var_dir() / "data_docs")
    return {"n_models": len(built), "data_docs": str(docs), **counts}


def _store_build_validations(engine, outcomes: list[dict], now) -> None:
    """Keep the core suites' results, passed or failed, under one build id per run."""
    import pandas as pd

    if not outcomes:
        return
    rows = pd.DataFrame(outcomes).assign(pull_id=f"build:{now:%Y%m%dT%H%M%S}", created_at=now)
    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.validation_results", rows, ["pull_id", "suite"])


def weekly_report(week_start: date, smtp: SourceConfig | None, *, out_dir: Path | None = None) -> dict:
    """Build week `week_start`'s report from the marts, archive it and e-mail it when SMTP is configured."""
    from etl.report import build_weekly_report, send_weekly_report

    engine = warehouse.create_engine()
    with warehouse.exclusive_writer(engine):  # it writes audit.published_figures
        result = build_weekly_report(engine, week_start, out_dir or config.report_dir())
    recipients = config.report_recipients()
    if smtp is not None and recipients:
        send_weekly_report(result, smtp, recipients)
    else:
        log.info("weekly report not e-mailed: no SMTP connection or no CAMPAIGN_REPORT_RECIPIENTS")
    return {"week_start": week_start.isoformat(), "files": [str(p) for p in result.files]}
