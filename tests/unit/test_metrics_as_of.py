"""As-of semantics of the problem history: rectified intervals, reopenings, ties and version order."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from etl import models
from tests.conftest import ENGINES
from tests.fixtures.golden.warehouse_rows import deadline, load, local, read

DIMS = {
    "core.dim_area": [{"area_code": "D1", "area_name": "蓬江区", "area_level": "district", "parent_code": None},
                      {"area_code": "T1", "area_name": "环市街道", "area_level": "town", "parent_code": "D1"}],
    "core.dim_department": [{"department_code": "UM", "department_name": "城管局", "department_kind": "municipal",
                             "town_code": None}],
    "core.dim_category": [{"category_code": "sanitation", "category_name": "环境卫生",
                           "category_name_en": "sanitation"}],
    "core.settings": [{"key": "campaign_start", "value": 20260302}],
}


def finding(sha: str, **values) -> dict:
    row = {"finding_id": "F1", "file_sha256": sha, "file_name": f"{sha}.xlsx", "found_at": local("2026-03-02"),
           "district_code": "D1", "town_code": "T1", "site_type_code": "main_road", "category_code": "sanitation",
           "department_code": "UM", "due_at": deadline("2026-03-20"), "has_feedback": True}
    row.update({k: local(v) if k.endswith("_at") and isinstance(v, str) else v for k, v in values.items()})
    return row


def ticket(version_at: str, status: str, closed_at: str | None = None, **values) -> dict:
    row = {"ticket_id": "T1", "version_at": local(version_at), "channel": "12345", "status": status,
           "received_at": local("2026-03-02 09:00"), "category_code": "sanitation", "district_code": "D1",
           "town_code": "T1", "department_code": "UM", "deadline_at": local("2026-03-20 18:00"),
           "closed_at": closed_at and local(closed_at)}
    row.update(values)
    return row


def build(engine: sa.Engine, findings=(), tickets=(), processed=()) -> None:
    load(engine, {**DIMS, "staging.inspection_finding_versions": list(findings),
                  "staging.hotline_ticket_versions": list(tickets), "audit.processed_files": list(processed)})
    models.build(engine)


def intervals(engine: sa.Engine, problem_id: str) -> list[tuple[str, str | None]]:
    frame = read(engine, "select rectified_from, rectified_until from core.fct_problem_rectified_interval "
                         "where problem_id = :p order by rectified_from", p=problem_id)
    return [(_local_text(a), _local_text(b)) for a, b in frame.itertuples(index=False)]


def _local_text(value) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return str(pd.Timestamp(value) + pd.Timedelta(hours=8))[:16]


def weekly_total(engine: sa.Engine) -> list[tuple]:
    frame = read(engine, "select week_start, n_found, n_rectified, n_found_cumulative, n_rectified_cumulative "
                         "from mart.weekly_rectification_total order by week_start")
    return [(str(w)[:10], *map(int, rest)) for w, *rest in frame.itertuples(index=False)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_reinspection_failure_reopens_until_rectified_again(engine: sa.Engine) -> None:
    # The example of the brief: rectified 3/5, re-inspected 3/10 未通过, re-uploaded: rectified 3/15, 通过 3/20.
    build(engine, findings=[
        finding("a", rectified_at="2026-03-05", reinspected_at="2026-03-10", reinspection_passed=False),
        finding("b", rectified_at="2026-03-15", reinspected_at="2026-03-20", reinspection_passed=True),
    ])
    assert intervals(engine, "inspection:F1") == [("2026-03-05 00:00", "2026-03-10 00:00"),
                                                  ("2026-03-15 00:00", None)]
    # Found in W1 (03-02): rectified at E1 (03-09); reopened 03-10 but rectified again on Sunday 03-15, so
    # it is rectified again at E2 (03-16) and stays so.
    assert weekly_total(engine)[:3] == [("2026-03-02", 1, 1, 1, 1), ("2026-03-09", 0, 0, 1, 1),
                                        ("2026-03-16", 0, 0, 1, 1)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_week_ending_inside_a_reopening_counts_the_problem_open(engine: sa.Engine) -> None:
    build(engine, findings=[
        finding("a", rectified_at="2026-03-05", reinspected_at="2026-03-10", reinspection_passed=False),
        finding("b", rectified_at="2026-03-17", reinspected_at="2026-03-20", reinspection_passed=True),
    ])
    # E1 = 03-09: rectified; E2 = 03-16: reopened on 03-10, not yet rectified again; E3 = 03-23: rectified.
    assert [row[4] for row in weekly_total(engine)[:3]] == [1, 0, 1]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_same_day_rectification_and_failed_reinspection_never_counts(engine: sa.Engine) -> None:
    # Both dates are local midnight of 03-05: the failed re-inspection wins the tie.
    build(engine, findings=[finding("a", rectified_at="2026-03-05", reinspected_at="2026-03-05",
                                    reinspection_passed=False)])
    assert intervals(engine, "inspection:F1") == []
    problem = read(engine, "select is_rectified, rectified_at from core.fct_problem")
    assert not bool(problem.iloc[0]["is_rectified"])


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_passed_reinspection_without_rectification_date_rectifies(engine: sa.Engine) -> None:
    build(engine, findings=[finding("a", reinspected_at="2026-03-06", reinspection_passed=True)])
    assert intervals(engine, "inspection:F1") == [("2026-03-06 00:00", None)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_rectification_dated_before_the_finding_counts_from_the_finding(engine: sa.Engine) -> None:
    build(engine, findings=[finding("a", rectified_at="2026-02-27")])
    assert intervals(engine, "inspection:F1") == [("2026-03-02 00:00", None)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_the_last_processed_upload_is_the_current_version(engine: sa.Engine) -> None:
    # The second upload corrects the site name and the deadline: processing order wins over file names.
    build(engine, findings=[
        finding("z-first", site_name="旧名", due_at=deadline("2026-03-10")),
        finding("a-second", site_name="新名", due_at=deadline("2026-03-12")),
    ], processed=[
        {"file_sha256": "z-first", "source": "inspections", "file_name": "z.xlsx", "n_rows": 1, "pull_id": "p1",
         "processed_at": local("2026-03-03 08:00")},
        {"file_sha256": "a-second", "source": "inspections", "file_name": "a.xlsx", "n_rows": 1, "pull_id": "p2",
         "processed_at": local("2026-03-04 08:00")},
    ])
    problem = read(engine, "select site_name, due_at from core.fct_problem")
    assert problem.iloc[0]["site_name"] == "新名"
    assert str(problem.iloc[0]["due_at"]) == "2026-03-12 15:59:59"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_ticket_back_to_work_after_closure_is_a_reopening(engine: sa.Engine) -> None:
    build(engine, tickets=[
        ticket("2026-03-02 09:00", "received"),
        ticket("2026-03-03 10:00", "closed", "2026-03-03 10:00"),
        ticket("2026-03-04 10:00", "in_progress"),  # no explicit "reopened": still a reopening
        ticket("2026-03-11 10:00", "closed", "2026-03-11 09:00"),
    ])
    events = read(engine, "select event_type from core.fct_problem_status_event order by event_seq")
    assert events["event_type"].tolist() == ["found", "rectified", "reopened", "rectified"]
    types = read(engine, "select event_type from core.fct_hotline_ticket_status_event order by event_seq")
    assert types["event_type"].tolist() == ["received", "closed", "reopened", "closed"]
    assert intervals(engine, "hotline:T1") == [("2026-03-03 10:00", "2026-03-04 10:00"), ("2026-03-11 09:00", None)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_ticket_is_its_latest_version_whatever_the_load_order(engine: sa.Engine) -> None:
    # Loaded newest first: the row order must not matter, only version_at.
    build(engine, tickets=[
        ticket("2026-03-09 10:00", "closed", "2026-03-09 09:00", channel="patrol", category_code="other"),
        ticket("2026-03-02 09:00", "received"),
        ticket("2026-03-04 10:00", "in_progress"),
    ])
    row = read(engine, "select * from core.fct_hotline_ticket").iloc[0]
    assert (row["status"], row["channel"], row["category_code"]) == ("closed", "patrol", "other")
    assert (row["is_closed"], row["is_campaign_problem"], row["n_versions"]) == (True, False, 3)
    assert _local_text(row["first_version_at"]) == "2026-03-02 09:00"
    assert _local_text(row["last_version_at"]) == "2026-03-09 10:00"
    assert _local_text(row["closed_at"]) == "2026-03-09 09:00"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_closure_reported_with_an_earlier_closed_time_keeps_the_reported_order(engine: sa.Engine) -> None:
    # closed_at 03-03 is before the in_progress version of 03-05: the closure cannot precede it.
    build(engine, tickets=[
        ticket("2026-03-02 09:00", "received"),
        ticket("2026-03-05 10:00", "in_progress"),
        ticket("2026-03-06 10:00", "closed", "2026-03-03 12:00"),
    ])
    assert intervals(engine, "hotline:T1") == [("2026-03-05 10:00", None)]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_cancellation_counts_only_from_its_time(engine: sa.Engine) -> None:
    build(engine, tickets=[
        ticket("2026-03-02 09:00", "received"),
        ticket("2026-03-12 09:00", "cancelled"),
    ])
    # Counted in W1 (published before the cancellation), gone from the cumulative count from W2 on.
    assert weekly_total(engine)[:2] == [("2026-03-02", 1, 0, 1, 0), ("2026-03-09", 0, 0, 0, 0)]
    assert bool(read(engine, "select is_excluded from core.fct_problem").iloc[0]["is_excluded"])


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_reply_time_of_a_finding(engine: sa.Engine) -> None:
    # Replied (no rectification) in a file processed 03-10: 未反馈 at E1, then 未整改 (deadline 03-06).
    later_data = ticket("2026-03-12 09:00", "received", category_code="other")  # the data reach W2
    build(engine, findings=[finding("a", due_at=deadline("2026-03-06"))], tickets=[later_data], processed=[
        {"file_sha256": "a", "source": "inspections", "file_name": "a.xlsx", "n_rows": 1, "pull_id": "p",
         "processed_at": local("2026-03-10 08:00")},
    ])
    overdue = read(engine, "select week_start, days_overdue, overdue_kind from mart.overdue_problems "
                           "order by week_start")
    assert [(str(w)[:10], int(d), k) for w, d, k in overdue.itertuples(index=False)] == [
        ("2026-03-02", 2, "未反馈"), ("2026-03-09", 9, "未整改"),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_closed_time_after_its_report_counts_from_the_report(engine: sa.Engine) -> None:
    build(engine, tickets=[
        ticket("2026-03-02 09:00", "received"),
        ticket("2026-03-05 10:00", "closed", "2026-03-09 10:00"),  # closed_at later than the version: a typo
        ticket("2026-03-06 10:00", "reopened"),
    ])
    assert intervals(engine, "hotline:T1") == [("2026-03-05 10:00", "2026-03-06 10:00")]
