"""DropFolder and the drop-file reader on hand-made messy files (tests/fixtures/inspections/ and inline ones)."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from etl.config import ConfigError, SourceConfig
from etl.sources.inspections import (
    RECORD_FIELDS,
    DropFileError,
    DropFolder,
    cell_text,
    decode_csv,
    match_header,
    read_drop_file,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inspections"
CONTRACT = {*RECORD_FIELDS, "row_number", "file_name", "file_sha256", "raw"}


def folder(path: Path) -> DropFolder:
    return DropFolder(SourceConfig("inspections_drop", conn_type="fs", extra={"path": str(path)}))


def write_xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("编号", "finding_id"), ("编号 ", "finding_id"), ("　编号　", "finding_id"), ("区(县)", "district"),
        ("区（县）", "district"), ("区县 ", "district"), ("镇(街)", "town"), ("镇（街）", "town"), ("镇街", "town"),
        ("整改时限", "due_date"), ("整改期限", "due_date"), ("复查结果(通过/未通过)", "reinspection_result"),
        ("复查结果（通过/未通过）", "reinspection_result"), ("社区(村)", "community"), ("测评得分", "score"),
        ("督办单号", "notice_id"), ("整改情况", "feedback"), ("序号", None), ("备注", None), (None, None), ("", None),
    ],
)
def test_header_aliases_spaces_and_full_width_forms(header, field):
    assert match_header(header) == field


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None), ("", None), ("  ", None), ("DC１２", "DC１２"), (85.0, "85"), (85.5, "85.5"), (46273, "46273"),
        (datetime(2026, 9, 8), "2026-09-08"), (datetime(2026, 9, 8, 15, 30), "2026-09-08 15:30:00"),
        ("2021年3月1日", "2021年3月1日"), (" 会城 ", " 会城 "),
    ],
)
def test_cells_are_passed_on_as_strings(value, text):
    assert cell_text(value) == text


def test_csv_encodings_are_detected():
    text = "编号,区(县)\r\nDC1,新会区\r\n"
    assert decode_csv(text.encode("gbk")) == text
    assert decode_csv(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_csv(text.encode("utf-8")) == text


def test_xlsx_with_notes_sheet_merged_titles_and_every_date_form():
    drop = read_drop_file(FIXTURES / "merged_titles.xlsx")
    assert drop.sheet == "问题清单" and drop.header_row == 3
    assert drop.sha256 == hashlib.sha256((FIXTURES / "merged_titles.xlsx").read_bytes()).hexdigest()
    assert [r["row_number"] for r in drop.records] == [1, 2, 3]  # formatted blank rows are not findings
    first, second, third = drop.records
    assert set(first) == CONTRACT
    assert first["finding_id"] == "DC202600001" and first["town"] == "(圭峰)会城街道"
    assert first["found_date"] == "2026-09-08" and first["reinspected_date"] == "2026-09-12 15:30:00"
    assert first["score"] == "92.5" and first["reinspection_result"] == "通过" and first["department"] == "会城街道办"
    assert second["finding_id"] == "DC２０２６０００02"  # full-width digits are normalization's business
    assert second["found_date"] == "46274" and second["due_date"] == "2026年9月16日"  # a bare Excel serial
    assert second["feedback"] is None and second["rectified_date"] is None and second["score"] == "80"
    assert third["finding_id"] == "202600003" and third["due_date"] == "2026/9/12"
    assert first["raw"]["编号"] == "DC202600001" and first["raw"]["区县"] == "新会区"
    assert all(isinstance(v, str) for r in drop.records for v in r["raw"].values())
    assert {r["file_name"] for r in drop.records} == {"merged_titles.xlsx"}


def test_gbk_csv_with_title_row_and_blank_trailing_rows():
    drop = read_drop_file(FIXTURES / "gbk_title_row.csv")
    assert drop.header_row == 2 and len(drop.records) == 2
    first, second = drop.records
    assert first["district"] == "新会区" and first["found_date"] == "2026年9月8日"
    assert first["reinspection_result"] is None and first["notice_id"] is None
    assert second["finding_id"] == "ＤＣ２０２６００１０２" and second["category"] == "垃圾堆放,暴露垃圾"
    assert second["reinspection_result"] == "未通过"


def test_utf8_bom_csv():
    (record,) = read_drop_file(FIXTURES / "bom.csv").records
    assert record["finding_id"] == "DC202600201" and record["notice_id"] == "DB2026370401"
    assert record["found_date"] == "2026/9/8" and record["score"] == "88.5" and record["community"] is None
    assert "编号" in record["raw"]  # the BOM is not part of the first header


def test_header_only_file_has_no_records(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("编号,发现日期,区(县),镇(街)\r\n,,,\r\n", encoding="utf-8")
    assert read_drop_file(path).records == []


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b" \r\n,,,\r\n", "empty"),
        ("notes.csv", "填表说明\r\n日期请按年月日填写\r\n".encode("gbk"), "no recognisable header"),
        ("no_id.csv", "发现日期,区(县),镇(街),责任单位\r\n2026/9/8,新会区,会城,城管局\r\n".encode(), "编号"),
        ("broken.xlsx", b"PK\x03\x04 this is not a workbook", "not a readable XLSX"),
        ("old.xls", b"\xd0\xcf\x11\xe0 old excel", ".xls"),
    ],
)
def test_files_without_findings_raise_drop_file_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DropFileError) as caught:
        read_drop_file(path)
    error = caught.value
    assert error.file_name == name and name in str(error) and reason in str(error)
    assert error.sha256 == hashlib.sha256(content).hexdigest() and error.path == path


def test_two_level_header_takes_labels_merged_down_from_above(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "发现日期", "区(县)", "镇(街)", "整改情况", None, None])
    ws.append([None, None, None, None, "整改完成日期", "复查日期", "复查结果"])
    for col in range(1, 5):
        ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    ws.merge_cells(start_row=1, start_column=5, end_row=1, end_column=7)
    ws.append(["DC9", "2026/9/8", "新会区", "会城", "2026/9/10", "2026/9/12", "通过"])
    wb.save(tmp_path / "two_level.xlsx")
    drop = read_drop_file(tmp_path / "two_level.xlsx")
    (record,) = drop.records
    assert drop.header_row == 2
    assert record["finding_id"] == "DC9" and record["district"] == "新会区" and record["rectified_date"] == "2026/9/10"
    assert record["reinspection_result"] == "通过" and record["raw"]["编号"] == "DC9"


def test_xlsx_without_a_header(tmp_path):
    write_xlsx(tmp_path / "notes.xlsx", [["督查情况说明"], ["本周共发现问题若干"]])
    with pytest.raises(DropFileError, match="notes.xlsx.*no recognisable header"):
        read_drop_file(tmp_path / "notes.xlsx")


def test_folder_lists_new_files_in_upload_order_and_skips_seen_hashes(tmp_path):
    (tmp_path / "2026-W38").mkdir()
    shutil.copy(FIXTURES / "bom.csv", tmp_path / "2026-W38" / "b.csv")
    shutil.copy(FIXTURES / "gbk_title_row.csv", tmp_path / "2026-W37_a.csv")
    shutil.copy(FIXTURES / "bom.csv", tmp_path / "2026-W39_same_bytes_again.csv")
    (tmp_path / "readme.txt").write_text("not a sheet")
    (tmp_path / "~$2026-W37_a.xlsx").write_bytes(b"lock file")
    drop = folder(tmp_path)
    first = list(drop.iter_new_files(set()))
    assert [f.name for f in first] == ["2026-W37_a.csv", "2026-W38/b.csv"]  # identical bytes come once
    assert first[1].records[0]["file_name"] == "2026-W38/b.csv"
    assert list(drop.iter_new_files({f.sha256 for f in first})) == []


def test_a_changed_reupload_is_read_again(tmp_path):
    path = tmp_path / "2026-W37_第一督查组.csv"
    header = "编号,发现日期,区(县),镇(街),整改时限,整改完成日期\r\n"
    path.write_text(header + "DC1,2026/9/8,新会区,会城,2026/9/12,\r\n", encoding="utf-8")
    seen = {f.sha256 for f in folder(tmp_path).iter_new_files(set())}
    path.write_text(header + "DC1,2026/9/8,新会区,会城,2026/9/12,2026/9/11\r\n", encoding="utf-8")
    (again,) = folder(tmp_path).iter_new_files(seen)
    assert again.records[0]["finding_id"] == "DC1" and again.records[0]["rectified_date"] == "2026/9/11"


def test_same_name_sorts_by_modification_time(tmp_path):
    for sub, stamp in (("x", 2_000_000_000), ("y", 1_900_000_000)):
        (tmp_path / sub).mkdir()
        target = tmp_path / sub / "week.csv"
        target.write_text(f"编号,区(县),镇(街)\r\n{sub},新会区,会城\r\n", encoding="utf-8")
        os.utime(target, (stamp, stamp))
    assert [p.parent.name for p in folder(tmp_path).list_files()] == ["x", "y"]


def test_a_bad_file_raises_or_is_collected(tmp_path):
    shutil.copy(FIXTURES / "bom.csv", tmp_path / "1_good.csv")
    (tmp_path / "2_empty.csv").write_bytes(b"")
    shutil.copy(FIXTURES / "gbk_title_row.csv", tmp_path / "3_good.csv")
    drop = folder(tmp_path)
    files = drop.iter_new_files(set())
    assert next(files).name == "1_good.csv"
    with pytest.raises(DropFileError) as caught:
        next(files)
    assert caught.value.file_name == "2_empty.csv"
    assert next(files).name == "3_good.csv"  # the pipeline flags the bad file and carries on
    with pytest.raises(StopIteration):
        next(files)
    assert [f.name for f in drop.iter_new_files(set(), on_error="collect")] == ["1_good.csv", "3_good.csv"]
    assert [e.file_name for e in drop.errors] == ["2_empty.csv"]


def test_the_folder_comes_from_extra_path_or_host(tmp_path):
    assert DropFolder(SourceConfig("d", conn_type="fs", host=str(tmp_path))).root == tmp_path
    with pytest.raises(ConfigError, match="extra.path"):
        DropFolder(SourceConfig("d", conn_type="fs"))
    with pytest.raises(ConfigError, match="does not exist"):
        folder(tmp_path / "missing").list_files()
