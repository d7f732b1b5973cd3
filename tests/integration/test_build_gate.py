"""The core suites gate a build: read from the warehouse, a failing suite rolls the build back."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from etl import jobs, validate, warehouse
from tests.conftest import ENGINES


def _event(event_id: str, volunteers: int) -> dict:
    return {
        "event_id": event_id, "updated_at": datetime(2026, 9, 8, 4), "title": "清洁", "category_code": "ev03",
        "organizer": "城南社区", "district_code": "440705", "town_code": None,
        "start_at": datetime(2026, 9, 8, 1), "end_at": datetime(2026, 9, 8, 3), "participants": 10,
        "volunteers": volunteers, "volunteer_hours": 4.0, "status": "held", "pull_id": "test",
    }


def test_suite_columns_are_what_the_expectations_name() -> None:
    assert validate.suite_columns("core.fct_problem") == ["problem_id", "found_at"]
    assert validate.suite_columns("core.fct_event") == ["event_id", "participants", "volunteers", "volunteer_hours"]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_validate_table_names_the_failing_rows(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into core.fct_problem (problem_id, found_at) values"
            " ('P1', '2026-09-08 01:00:00'), ('P1', '2026-09-08 02:00:00'), ('P2', null), ('P3', '2026-09-09')"
        )
        outcome, summary = validate.validate_table(conn, "core.fct_problem", "problem_id")
    assert not outcome.success and outcome.n_evaluated == 4
    assert outcome.failed_ids == {
        "expect_column_values_to_not_be_null(found_at)": ["P2"],
        "expect_column_values_to_be_unique(problem_id)": ["P1", "P1"],
    }
    assert summary["n_failed"] == 2
    with engine.begin() as conn:
        outcome, _ = validate.validate_table(conn, "core.fct_problem", "problem_id", where="problem_id = 'P3'")
    assert outcome.success and outcome.n_evaluated == 1


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_table_validated_in_batches_gives_the_whole_tables_result(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into core.fct_problem (problem_id, found_at)"
            " select 'P' || i, case when mod(i, 97) = 0 then null else timestamp '2026-09-08 01:00:00' end"
            " from generate_series(1, 1000) as s(i)"
        )
        conn.exec_driver_sql("insert into core.fct_problem (problem_id, found_at) values"
                             " ('P500', '2026-09-08 02:00:00'), ('P7', '2026-09-08 03:00:00')")
        whole, whole_summary = validate.validate_table(conn, "core.fct_problem", "problem_id")
        batched, batched_summary = validate.validate_table(conn, "core.fct_problem", "problem_id", batch_rows=100)
    assert batched_summary["n_batches"] == 11  # 1,002 rows
    assert (batched.success, batched.n_evaluated, batched.n_failed) == (False, 1002, 12)
    assert {label: sorted(ids) for label, ids in batched.failed_ids.items()} == {
        label: sorted(ids) for label, ids in whole.failed_ids.items()}
    assert sorted(batched.failed_ids["expect_column_values_to_be_unique(problem_id)"]) == ["P500", "P500", "P7", "P7"]
    counts = [(e["expectation"], e["success"], e["element_count"], e["unexpected_count"])
              for e in batched_summary["expectations"]]
    assert counts == [(e["expectation"], e["success"], e["element_count"], e["unexpected_count"])
                      for e in whole_summary["expectations"]]
    assert batched_summary["statistics"]["unsuccessful_expectations"] == 2


def test_only_suites_of_row_checks_are_validated_in_batches() -> None:
    assert validate._batchable("core.fct_problem", "problem_id")
    assert not validate._batchable("core.fct_problem", "found_at")  # problem_id's uniqueness spans batches
    assert validate._batchable("core.fct_event", "event_id")


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_failing_core_suite_rolls_the_build_back(engine, warehouse_url, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CAMPAIGN_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("CAMPAIGN_VAR_DIR", str(tmp_path / "var"))
    with engine.begin() as conn:
        warehouse.upsert(conn, "staging.events", pd.DataFrame([_event("E1", 2)]), ["event_id"])
    assert jobs.build_warehouse()["core.fct_event"] == 1

    # Staging is written only through prepare, which quarantines this; a bypass must still not publish.
    with engine.begin() as conn:
        warehouse.upsert(conn, "staging.events", pd.DataFrame([_event("E2", -5)]), ["event_id"])
    failure = r"core.fct_event failed .*to_be_between\(volunteers\) \(e.g. \['E2'\]\)"
    with pytest.raises(jobs.CoreValidationFailed, match=failure):
        jobs.build_warehouse()
    with engine.connect() as conn:
        assert list(conn.exec_driver_sql("select event_id from core.fct_event").scalars()) == ["E1"]
        suites = dict(conn.exec_driver_sql(
            "select suite, success from audit.validation_results where pull_id like 'build:%%'").all())
    assert not suites["core.fct_event"]
