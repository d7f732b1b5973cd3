"""DropFolder on the simulator's drop files, written week by week as the demo does."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from etl.config import SourceConfig
from etl.sources.inspections import DropFileError, DropFolder
from simulator.drop_files import write_drop_files
from simulator.generator import generate
from simulator.reference import write_sample_reference


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    reference = write_sample_reference(tmp_path_factory.mktemp("reference"))
    return generate(9, reference=reference, weeks=4, n_tickets=10, n_events=10, n_findings=80)


def folder(path) -> DropFolder:
    return DropFolder(SourceConfig("inspections_drop", conn_type="fs", extra={"path": str(path)}))


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def test_every_finding_of_every_week_is_read(dataset, tmp_path):
    paths = write_drop_files(dataset, tmp_path)
    assert {p.suffix for p in paths} == {".xlsx", ".csv"}
    files = list(folder(tmp_path).iter_new_files(set()))
    assert len(files) == 4 * 4  # one per group and week; the unchanged re-send is skipped by its hash
    records = [r for f in files for r in f.records]
    assert {nfkc(r["finding_id"]) for r in records} == {f.finding_id for f in dataset.findings}
    assert any(r["finding_id"] != nfkc(r["finding_id"]) for r in records)  # full-width digits survive as read
    assert {r["supervision_group"] for r in records} == {"第一督查组", "第二督查组", "第三督查组", "第四督查组"}
    dates = {r["found_date"] for r in records}
    assert any("年" in d for d in dates) and any("/" in d for d in dates) and any(d.isdigit() for d in dates)
    assert any("-" in d for d in dates)  # Excel dates come as ISO strings


def test_a_finding_comes_again_when_its_rectification_is_filled_in(dataset, tmp_path):
    write_drop_files(dataset, tmp_path)
    rows: dict[str, list[dict]] = {}
    for drop in folder(tmp_path).iter_new_files(set()):
        for record in drop.records:
            rows.setdefault(nfkc(record["finding_id"]), []).append(record)
    updated = [v for v in rows.values() if len(v) > 1]
    assert len(updated) > 20
    assert any(v[0]["rectified_date"] is None and v[-1]["rectified_date"] for v in updated)
    assert all(len({r["file_name"] for r in v}) == len(v) for v in updated)


def test_weeks_written_one_by_one_equal_all_at_once_and_are_read_once(dataset, tmp_path):
    seen: set[str] = set()
    names_by_week = []
    for until in (date(2026, 9, 13), date(2026, 9, 20), date(2026, 9, 27), date(2026, 10, 4)):
        write_drop_files(dataset, tmp_path / "demo", until)
        new = list(folder(tmp_path / "demo").iter_new_files(seen))
        seen |= {f.sha256 for f in new}
        names_by_week.append(sorted(f.name for f in new))
    assert [len(n) for n in names_by_week] == [4, 4, 4, 4]
    assert all(n.startswith("2026-W37") for n in names_by_week[0])
    write_drop_files(dataset, tmp_path / "all")
    assert {p.name: p.read_bytes() for p in (tmp_path / "demo").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()}
    write_drop_files(dataset, tmp_path / "demo", date(2026, 10, 4))  # the demo copies again: nothing new
    assert list(folder(tmp_path / "demo").iter_new_files(seen)) == []


def test_the_optional_bad_file_is_flagged(dataset, tmp_path):
    write_drop_files(dataset, tmp_path, date(2026, 9, 27), with_bad_file=True)
    drop = folder(tmp_path)
    files = list(drop.iter_new_files(set(), on_error="collect"))
    assert len(files) == 12
    (error,) = drop.errors
    assert isinstance(error, DropFileError) and "填表说明" in error.file_name and error.sha256
