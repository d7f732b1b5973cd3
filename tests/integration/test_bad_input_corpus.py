"""The bad-input corpus (tests/fixtures/bad_input): every kind of bad record is quarantined with its rule or
fails the batch with a clear message, nothing else is lost, and no personal data reaches staging."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from etl import warehouse
from etl.normalize.pii import contains_pii
from etl.prepare import STAGING_COLUMNS, BatchRejected, Prepared, prepare
from etl.refdata import load_reference
from tests.conftest import ENGINES

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "bad_input"
AS_OF = pd.Timestamp("2026-09-14T00:00:00+08:00")
SALT = "test-salt"
ID_FIELD = {"hotline": "ticket_id", "inspections": "finding_id", "events": "event_id"}
STAGING_TABLE = {
    "hotline": ("staging.hotline_ticket_versions", ["ticket_id", "version_at"]),
    "inspections": ("staging.inspection_finding_versions", ["finding_id", "file_sha256"]),
    "events": ("staging.events", ["event_id"]),
}
NOT_TEXT = {"file_sha256", "caller_hash"}  # hex digests, not free text


def _corpus(source: str) -> dict:
    return json.loads((CORPUS / f"{source}.json").read_text(encoding="utf-8"))


CASES = [pytest.param(source, case, id=f"{source}: {case['name']}")
         for source in ID_FIELD for case in _corpus(source)["cases"]]


@pytest.fixture(scope="module")
def refs():
    return load_reference()


def _record(source: str, number: int, overrides: dict | None = None) -> dict:
    record = copy.deepcopy(_corpus(source)["good"])
    record[ID_FIELD[source]] = f"{source[:3].upper()}-{number:04d}"
    if source == "inspections":
        record["row_number"] = number
    record.update(overrides or {})
    return record


def _good(source: str, n: int, start: int = 1) -> list[dict]:
    return [_record(source, i) for i in range(start, start + n)]


def _prepare(source: str, records: list[dict], refs, **kwargs) -> Prepared:
    kwargs.setdefault("as_of", AS_OF)
    return prepare(source, pd.DataFrame(records), refs, "corpus-run", salt=SALT, **kwargs)


def _assert_no_pii(prepared: Prepared) -> None:
    for column, dtype in STAGING_COLUMNS[prepared.source].items():
        if dtype == "str" and column not in NOT_TEXT:
            leaked = prepared.staging.loc[contains_pii(prepared.staging[column].astype("str")), column]
            assert leaked.empty, f"{column} holds a phone or ID number: {leaked.tolist()}"
    assert not contains_pii(prepared.quarantine["detail"].astype("str")).any()
    for name in ("李四", "王五", "13800000000"):
        for column in prepared.staging.columns:
            assert not prepared.staging[column].astype("str").str.contains(name, na=False, regex=False).any()


def _value(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


@pytest.mark.parametrize(("source", "case"), CASES)
def test_each_bad_record_is_handled_inside_a_good_batch(source: str, case: dict, refs) -> None:
    records = _good(source, 9) + [_record(source, 10, case["set"])]
    prepared = _prepare(source, records, refs)

    assert prepared.is_reconciled
    assert prepared.n_records == 10 and prepared.n_duplicates == 0
    staged_ids = set(prepared.staging[ID_FIELD[source]])
    assert {r[ID_FIELD[source]] for r in records[:9]} <= staged_ids, "a good record was lost"
    if case.get("loaded"):
        assert prepared.quarantine.empty, prepared.quarantine.to_dict("records")
        row = prepared.staging.set_index(ID_FIELD[source]).loc[records[-1][ID_FIELD[source]]]
        for column, expected in case["expect"].items():
            assert _value(row[column]) == expected, column
    else:
        assert prepared.n_quarantined == 1
        assert prepared.quarantine["source_id"].nunique() == 1
        assert case["rule"] in set(prepared.quarantine["rule"]), prepared.quarantine.to_dict("records")
        assert len(prepared.staging) == 9
        for detail in prepared.quarantine["detail"]:
            assert isinstance(json.loads(detail), dict)
    _assert_no_pii(prepared)


@pytest.mark.parametrize("source", list(ID_FIELD))
def test_the_whole_corpus_in_one_batch_reconciles(source: str, refs) -> None:
    cases = _corpus(source)["cases"]
    bad = [_record(source, 1000 + k, case["set"]) for k, case in enumerate(cases)]
    records = _good(source, 20 * len(cases)) + bad
    prepared = _prepare(source, records, refs)

    expected_rules = {c["rule"] for c in cases if not c.get("loaded")}
    assert prepared.is_reconciled
    assert prepared.n_quarantined == sum(1 for c in cases if not c.get("loaded"))
    assert expected_rules <= set(prepared.quarantine["rule"])
    assert len(prepared.staging) == len(records) - prepared.n_quarantined
    assert list(prepared.staging.columns) == list(STAGING_COLUMNS[source])
    assert prepared.validations and prepared.validations[0]["success"]
    _assert_no_pii(prepared)


@pytest.mark.parametrize("source", list(ID_FIELD))
def test_duplicate_ids_conflicting_are_quarantined_and_identical_ones_counted(source: str, refs) -> None:
    changed = {"hotline": {"status": "dispatched"}, "inspections": {"description": "另一段描述"},
               "events": {"participants": 41}}[source]
    first = _record(source, 500)
    conflicting = _record(source, 500, changed)
    if source == "inspections":
        conflicting["row_number"] = 501
    exact = copy.deepcopy(_record(source, 7))
    if source == "inspections":
        exact["row_number"] = 999  # the same finding repeated further down the sheet
    records = _good(source, 30) + [first, conflicting, exact]
    prepared = _prepare(source, records, refs)

    assert prepared.n_duplicates == 1
    assert prepared.n_quarantined == 2
    assert set(prepared.quarantine["rule"]) == {"duplicate_conflict"}
    assert prepared.quarantine["source_id"].is_unique
    assert prepared.is_reconciled and len(prepared.staging) == 30


def test_event_versions_with_different_update_times_are_both_kept(refs) -> None:
    older = _record("events", 1, {"updated_at": "2026-09-08T12:00:00+08:00", "participants": 30})
    newer = _record("events", 1, {"updated_at": "2026-09-09T12:00:00+08:00", "participants": 35})
    prepared = _prepare("events", [older, newer] + _good("events", 5, start=2), refs)
    assert prepared.quarantine.empty and len(prepared.staging) == 7  # the load keeps the newest


@pytest.mark.parametrize("source", list(ID_FIELD))
def test_an_empty_batch_is_rejected(source: str, refs) -> None:
    with pytest.raises(BatchRejected, match="0 records where rows were expected"):
        prepare(source, pd.DataFrame(), refs, "corpus-run", salt=SALT)
    empty = prepare(source, pd.DataFrame(), refs, "corpus-run", salt=SALT, expect_rows=False)
    assert empty.staging.empty and list(empty.staging.columns) == list(STAGING_COLUMNS[source])


@pytest.mark.parametrize(("source", "column"), [("hotline", "received_at"), ("inspections", "department"),
                                                ("events", "participants")])
def test_a_missing_column_rejects_the_batch(source: str, column: str, refs) -> None:
    frame = pd.DataFrame(_good(source, 5)).drop(columns=[column])
    with pytest.raises(BatchRejected, match=f"column\\(s\\) {column} missing"):
        prepare(source, frame, refs, "corpus-run", salt=SALT)


def test_too_many_quarantined_rejects_the_batch(refs) -> None:
    records = _good("events", 7) + [_record("events", 100 + i, {"category": "星际旅行"}) for i in range(3)]
    with pytest.raises(BatchRejected, match=r"3 of 10 records \(30%\).*unknown_event_category \(3\)"):
        _prepare("events", records, refs, max_quarantine_share=0.2)


def test_a_gbk_drop_file_is_read_and_mapped(refs) -> None:
    from etl.sources.inspections import read_drop_file

    drop = read_drop_file(CORPUS / "findings_gbk.csv")
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "raw"} for r in drop.records])
    prepared = prepare("inspections", frame, refs, "corpus-run", as_of=AS_OF, max_quarantine_share=0.5)

    staged = prepared.staging.set_index("finding_id")
    assert sorted(staged.index) == ["GBK-001", "GBK-002", "GBK-003"]
    assert staged.loc["GBK-001", "town_code"] == "440705001"
    assert staged.loc["GBK-001", "category_code"] == "illegal_posting"
    assert bool(staged.loc["GBK-001", "reinspection_passed"]) is True
    assert staged.loc["GBK-002", "found_at"] == pd.Timestamp("2026-09-07 16:00")
    assert staged.loc["GBK-002", "category_code"] == "street_occupation"
    assert "13700001111" not in staged.loc["GBK-002", "description"]
    assert staged.loc["GBK-003", "district_code"] == "440784"
    assert prepared.quarantine[["source_id", "rule"]].values.tolist() == [["GBK-004#row4", "unknown_site_type"]]
    assert prepared.is_reconciled


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_the_corpus_loads_verbatim_into_the_warehouse(engine: sa.Engine, refs) -> None:
    injected = "'); drop table staging.events; --"
    for source, (table, key) in STAGING_TABLE.items():
        cases = _corpus(source)["cases"]
        records = _good(source, 20 * len(cases)) + [_record(source, 1000 + k, c["set"]) for k, c in enumerate(cases)]
        prepared = _prepare(source, records, refs)
        now = pd.Timestamp("2026-09-14 00:00")
        with engine.begin() as conn:
            warehouse.upsert(conn, table, prepared.staging.assign(pull_id="corpus-run"), key)
            quarantine = prepared.quarantine.assign(pull_id="corpus-run", created_at=now)
            warehouse.upsert(conn, "audit.quarantine", quarantine, ["pull_id", "source_id", "rule"])
        with engine.connect() as conn:
            assert conn.exec_driver_sql(f"select count(*) from {table}").scalar() == len(prepared.staging)
            stored = conn.execute(
                sa.text("select count(*) from audit.quarantine where source = :source"), {"source": source}
            ).scalar()
            assert stored == len(prepared.quarantine)
    with engine.connect() as conn:
        titles = conn.execute(sa.text("select title from staging.events where title = :t"), {"t": injected}).scalars()
        assert list(titles) == [injected]
        address = conn.execute(
            sa.text("select count(*) from staging.hotline_ticket_versions where address like :a"),
            {"a": "'); drop table%"},
        ).scalar()
        assert address == 1
        assert conn.exec_driver_sql("select count(*) from staging.events").scalar() > 0
