"""Great Expectations suites: stored as JSON, run in-process, failing ids reported, nothing personal kept."""

import json

import pandas as pd
import pytest

from etl import validate
from etl.validate import EXPECTATIONS_DIR, SuiteError, build_data_docs, validate_frame
from tests.conftest import ENGINES

SUITES = ["staging.hotline_ticket_versions", "staging.inspection_finding_versions", "staging.events",
          "core.fct_problem", "core.fct_event"]


def _events(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "event_id": ["E1", "E2", "E3"],
        "updated_at": pd.to_datetime(["2026-09-08 04:00"] * 3),
        "title": ["清洁", "宣传", "劝导"],
        "category_code": ["ev03", "ev01", "ev04"],
        "organizer": ["城南社区"] * 3,
        "district_code": ["440705"] * 3,
        "town_code": ["440705001", None, None],
        "start_at": pd.to_datetime(["2026-09-08 01:00"] * 3),
        "end_at": pd.to_datetime(["2026-09-08 03:00", None, "2026-09-08 03:00"]),
        "participants": [10, 0, 5],
        "volunteers": [2, 0, 1],
        "volunteer_hours": [4.0, 0.0, 2.5],
        "status": ["held", "cancelled", "held"],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame.assign(_row=range(len(frame)))


def test_every_suite_file_is_named_like_its_table_and_loads() -> None:
    assert sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json")) == sorted(SUITES)
    for name in SUITES:
        definition = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert definition["name"] == name and definition["expectations"]
        validate._registered(name)  # GX accepts every expectation


def test_a_clean_frame_passes_with_a_summary() -> None:
    outcome, summary = validate_frame("staging.events", _events(), "_row")
    assert outcome.success and outcome.n_failed == 0 and outcome.n_evaluated == 3
    record = outcome.record(summary)
    assert set(record) == {"suite", "success", "n_evaluated", "n_failed", "result_json"}
    stored = json.loads(record["result_json"])
    assert stored["statistics"]["unsuccessful_expectations"] == 0
    assert all(e["success"] for e in stored["expectations"])


def test_batches_are_not_fingerprinted() -> None:
    validate_frame("staging.events", _events(), "_row")  # the context is set up
    definition, _ = validate._registered("staging.events")
    batch = definition.get_batch(batch_parameters={"dataframe": _events()})
    assert "ge_load_time" in batch.batch_markers and "pandas_data_fingerprint" not in batch.batch_markers


def test_failing_rows_are_named_by_id_and_their_values_are_not_kept() -> None:
    frame = _events(participants=[10, -3, 5], title=["清洁", "联系13812345678", "劝导"],
                    status=["held", "postponed", "held"])
    outcome, summary = validate_frame("staging.events", frame, "_row")
    assert not outcome.success
    assert outcome.failed_ids["expect_column_values_to_be_between(participants)"] == [1]
    assert outcome.failed_ids["expect_column_values_to_be_in_set(status)"] == [1]
    assert outcome.failed_ids["expect_column_values_to_not_match_regex_list(title)"] == [1]
    assert outcome.n_failed == 1
    text = json.dumps(summary, ensure_ascii=False)
    assert "13812345678" not in text and "postponed" not in text


def test_core_suites_check_ids_and_counts() -> None:
    problems = pd.DataFrame({"problem_id": ["inspection:F1", "inspection:F1", None],
                             "found_at": pd.to_datetime(["2026-09-08"] * 3)})
    outcome, _ = validate_frame("core.fct_problem", problems, "problem_id")
    assert not outcome.success
    assert set(outcome.failed_ids) == {"expect_column_values_to_not_be_null(problem_id)",
                                       "expect_column_values_to_be_unique(problem_id)"}


def test_a_suite_that_cannot_run_is_an_error_not_a_pass() -> None:
    with pytest.raises(SuiteError, match="could not be evaluated"):
        validate_frame("core.fct_event", pd.DataFrame({"event_id": ["E1"]}), "event_id")
    with pytest.raises(SuiteError, match="id column"):
        validate_frame("core.fct_event", pd.DataFrame({"x": [1]}), "event_id")
    with pytest.raises(SuiteError, match="no suite"):
        validate_frame("core.nothing", pd.DataFrame({"x": [1]}), "x")


def test_data_docs_are_readable_html(tmp_path) -> None:
    passed, ok_summary = validate_frame("staging.events", _events(), "_row")
    failed, bad_summary = validate_frame("staging.events", _events(participants=[1, -1, 2]), "_row")
    results = [
        {**passed.record(ok_summary), "pull_id": "events:1", "created_at": "2026-09-08 04:00"},
        {**failed.record(bad_summary), "pull_id": "events:2", "created_at": "2026-09-08 05:00"},
    ]
    index = build_data_docs(results, tmp_path / "docs")
    html = index.read_text(encoding="utf-8")
    assert "staging.events" in html and "passed" in html and "failed" in html
    pages = sorted((tmp_path / "docs" / "validations").glob("*.html"))
    assert len(pages) == 2
    failing = pages[1].read_text(encoding="utf-8")
    assert "expect_column_values_to_be_between(participants)" in failing and "<td>1</td>" in failing
    assert build_data_docs([], tmp_path / "empty").read_text(encoding="utf-8").count("No validation results") == 1


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_docs_command_renders_the_stored_results(engine, tmp_path, capsys) -> None:
    from etl import warehouse

    outcome, summary = validate_frame("staging.events", _events(), "_row")
    row = pd.DataFrame([{**outcome.record(summary), "pull_id": "events:1",
                         "created_at": pd.Timestamp("2026-09-08 04:00")}])
    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.validation_results", row, ["pull_id", "suite"])
    url = engine.url.render_as_string(hide_password=False)
    assert validate.main(["docs", "--url", url, "--out", str(tmp_path)]) == 0
    assert "1 results" in capsys.readouterr().out
    assert "events:1" in (tmp_path / "index.html").read_text(encoding="utf-8")
