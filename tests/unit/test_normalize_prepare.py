"""prepare(): staging columns exactly, the hotline/inspection/event specifics, reconciliation, batch rules."""

import pandas as pd
import pytest

from etl.prepare import RECORD_COLUMNS, STAGING_COLUMNS, BatchRejected, prepare
from etl.refdata import load_reference

AS_OF = pd.Timestamp("2026-09-14T00:00:00+08:00")


@pytest.fixture(scope="module")
def refs():
    return load_reference()


def _hotline(**changes) -> dict:
    record = {
        "ticket_id": "T1", "channel": "12345", "status": "received",
        "received_at": "2026-09-08 09:00", "updated_at": "2026-09-08 09:00", "category": "乱停车",
        "description": "车辆乱停放", "address": "中心路1号", "district": "新会区", "town": "会城街道",
        "community": None, "department": "交警", "deadline_at": "2026-09-10 18:00", "closed_at": None,
        "satisfaction": None, "caller_name": "张三", "caller_phone": "13800000000",
    }
    return {**record, **changes}


def _run(source, records, refs, **kwargs):
    kwargs.setdefault("as_of", AS_OF)
    kwargs.setdefault("salt", "salt")
    return prepare(source, pd.DataFrame(records), refs, "run-1", **kwargs)


def test_staging_has_exactly_the_ddl_columns(refs) -> None:
    from etl.warehouse import SQL_DIR, split_statements

    for source, table in [("hotline", "hotline_ticket_versions"), ("inspections", "inspection_finding_versions"),
                          ("events", "events")]:
        ddl = split_statements((SQL_DIR / "staging" / f"{table}.sql").read_text(encoding="utf-8"))[0]
        lines = [line.strip().split()[0] for line in ddl.splitlines()[1:] if line.strip() and
                 not line.strip().startswith(("primary key", ")"))]
        assert list(STAGING_COLUMNS[source]) == [c for c in lines if c != "pull_id"], source


def test_a_hotline_ticket_is_typed_mapped_and_hashed(refs) -> None:
    prepared = _run("hotline", [_hotline()], refs)
    row = prepared.staging.iloc[0]
    assert list(prepared.staging.columns) == list(STAGING_COLUMNS["hotline"])
    assert row["version_at"] == pd.Timestamp("2026-09-08 01:00")
    assert row["deadline_at"] == pd.Timestamp("2026-09-10 10:00")
    assert (row["category_code"], row["district_code"], row["town_code"], row["department_code"]) == (
        "illegal_parking", "440705", "440705001", "traffic_police")
    assert len(row["caller_hash"]) == 64 and "13800000000" not in row["caller_hash"]
    assert "caller_name" not in prepared.staging.columns
    assert prepared.validations[0]["suite"] == "staging.hotline_ticket_versions"
    assert prepared.is_reconciled


@pytest.mark.parametrize(
    ("changes", "status", "closed_at"),
    [
        ({"channel": "open311", "status": "open"}, "received", None),
        ({"channel": "open311", "status": "open", "updated_at": "2026-09-09 09:00"}, "in_progress", None),
        ({"channel": "open311", "status": "closed", "updated_at": "2026-09-09 09:00"}, "closed", "2026-09-09 01:00"),
        ({"status": "办结", "updated_at": "2026-09-09 09:00"}, "closed", "2026-09-09 01:00"),
        ({"status": "closed", "updated_at": "2026-09-09 09:00", "closed_at": "2026-09-09 08:00"}, "closed",
         "2026-09-09 00:00"),
        ({"status": "退回", "updated_at": "2026-09-09 09:00"}, "reopened", None),
    ],
)
def test_hotline_status_mapping(refs, changes, status, closed_at) -> None:
    row = _run("hotline", [_hotline(**changes)], refs).staging.iloc[0]
    assert row["status"] == status
    assert (None if pd.isna(row["closed_at"]) else str(row["closed_at"])[:16]) == closed_at


def test_a_ticket_without_an_update_time_is_versioned_at_its_receipt(refs) -> None:
    row = _run("hotline", [_hotline(updated_at=None)], refs).staging.iloc[0]
    assert row["version_at"] == row["received_at"]


@pytest.mark.parametrize(("value", "expected"), [("满意", "satisfied"), ("基本满意", "basically_satisfied"),
                                                 ("dissatisfied", "dissatisfied"), ("未评价", None), (None, None)])
def test_satisfaction_vocabulary(refs, value, expected) -> None:
    row = _run("hotline", [_hotline(satisfaction=value)], refs).staging.iloc[0]
    assert (None if pd.isna(row["satisfaction"]) else row["satisfaction"]) == expected


def test_an_inspection_row(refs) -> None:
    record = {
        "finding_id": "F1", "notice_id": None, "found_date": "2026/9/8", "supervision_group": "第一组",
        "district": "鹤山市", "town": "沙坪街道", "community": None, "site_type": "菜市场", "site_name": "沙坪市场",
        "category": "卫生死角", "description": "有垃圾", "department": "城管局", "due_date": "2026年9月12日",
        "feedback": "  ", "rectified_date": None, "reinspected_date": "2026-09-13", "reinspection_result": "通过",
        "score": 88.5, "file_name": "a.xlsx", "file_sha256": "ab" * 32, "row_number": 3,
    }
    prepared = _run("inspections", [record], refs)
    row = prepared.staging.iloc[0]
    assert row["found_at"] == pd.Timestamp("2026-09-07 16:00")
    assert row["due_at"] == pd.Timestamp("2026-09-12 15:59:59")
    assert row["has_feedback"] is False or row["has_feedback"] == False  # noqa: E712 - numpy bool
    assert bool(row["reinspection_passed"]) is True
    assert (row["site_type_code"], row["category_code"], row["department_code"]) == (
        "farmers_market", "sanitation", "urban_management")
    assert row["score"] == 88.5 and row["row_number"] == 3
    assert str(prepared.staging["reinspection_passed"].dtype) == "boolean"


def test_event_counts_are_integers_and_cancelled_counts_zero(refs) -> None:
    base = {"event_id": "E1", "title": "活动", "category": "交通劝导", "organizer": "交警支队", "district": "新会区",
            "town": None, "start_at": "2026-09-08 09:00", "end_at": None, "participants": "３０",
            "volunteers": 5.0, "volunteer_hours": "7.5", "status": "held", "updated_at": "2026-09-08 12:00"}
    cancelled = {**base, "event_id": "E2", "status": "cancelled", "participants": 30}
    prepared = _run("events", [base, cancelled], refs)
    staged = prepared.staging.set_index("event_id")
    assert staged.loc["E1", ["participants", "volunteers", "volunteer_hours"]].tolist() == [30, 5, 7.5]
    assert staged.loc["E2", ["participants", "volunteers", "volunteer_hours"]].tolist() == [0, 0, 0.0]
    assert str(prepared.staging["participants"].dtype) == "int64"


def test_without_as_of_no_date_is_judged_future(refs) -> None:
    record = _hotline(received_at="2030-01-01 09:00", updated_at="2030-01-01 09:00", deadline_at=None)
    assert len(_run("hotline", [record], refs, as_of=None).staging) == 1
    assert _run("hotline", [record], refs, max_quarantine_share=1).quarantine["rule"].tolist() == ["date_in_future"]


def test_rules_in_quarantine_carry_json_detail_without_personal_data(refs) -> None:
    records = [_hotline(ticket_id=f"T{i}") for i in range(9)] + [
        _hotline(ticket_id="BAD", category="13912345678的投诉", district="火星区", town=None)]
    prepared = _run("hotline", records, refs)
    assert set(prepared.quarantine["rule"]) == {"unknown_category", "unknown_area"}
    assert prepared.n_quarantined == 1 and len(prepared.staging) == 9 and prepared.is_reconciled
    assert prepared.quarantine["source_id"].tolist() == ["BAD@2026-09-08 09:00"] * 2
    assert "13912345678" not in "".join(prepared.quarantine["detail"])


def test_optional_columns_may_be_absent_but_contract_columns_may_not(refs) -> None:
    frame = pd.DataFrame([_hotline()]).drop(columns=["caller_name", "caller_phone"])
    prepared = prepare("hotline", frame, refs, "run-1", salt="salt", as_of=AS_OF)
    assert pd.isna(prepared.staging.loc[0, "caller_hash"])
    for column in RECORD_COLUMNS["hotline"][:5]:
        with pytest.raises(BatchRejected, match=column):
            prepare("hotline", pd.DataFrame([_hotline()]).drop(columns=[column]), refs, "run-1", salt="salt")


def test_unknown_source_is_a_programming_error(refs) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        prepare("weather", pd.DataFrame([{"a": 1}]), refs, "run-1")


def test_rows_a_suite_rejects_are_quarantined_by_expectation(refs, monkeypatch) -> None:
    import etl.prepare as prepare_module

    build = prepare_module._events

    def leaky(text, refs_, limit):  # a normalization bug that lets a phone number through
        built = build(text, refs_, limit)
        built.staging.loc[2, "title"] = "联系13812345678"
        return built

    monkeypatch.setattr(prepare_module, "_events", leaky)
    base = {"title": "活动", "category": "交通劝导", "organizer": "交警支队", "district": "新会区", "town": None,
            "start_at": "2026-09-08 09:00", "end_at": None, "participants": 3, "volunteers": 1,
            "volunteer_hours": 2, "status": "held", "updated_at": "2026-09-08 12:00"}
    records = [{**base, "event_id": f"E{i}"} for i in range(6)]
    prepared = _run("events", records, refs)
    assert prepared.quarantine[["source_id", "rule"]].values.tolist() == [
        ["E2@2026-09-08 12:00", "expectation:expect_column_values_to_not_match_regex_list(title)"]]
    assert len(prepared.staging) == 5 and prepared.is_reconciled
    assert not prepared.validations[0]["success"] and prepared.validations[0]["n_failed"] == 1
