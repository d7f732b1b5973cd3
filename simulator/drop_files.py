"""The supervision groups' weekly spreadsheets, with the mess real uploads have.

One file per group per week (uploaded the Monday after), XLSX or CSV depending on the group's habits:
merged title rows above the header, header aliases with trailing spaces or full-width brackets, dates as
Excel dates, bare Excel serial numbers, 2026年9月8日 or 2026/9/8, full-width digits in some ids, GBK or
UTF-8-with-BOM CSV, blank trailing rows. A week's file repeats the group's earlier findings whose state
changed that week (same 编号, rectification filled in), and one group re-sends an old file unchanged.
Bytes are deterministic for a seed, so writing the weeks one by one gives the same files as all at once.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from simulator.generator import Dataset, Finding, group_name

EXCEL_EPOCH = date(1899, 12, 30)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Per template: the header text of each column (None: a column the pipeline does not read).
COLUMNS = {
    "standard": [(None, "序号"), ("finding_id", "编号"), ("notice_id", "督办单号"), ("found", "发现日期"),
                 ("group", "督查组"), ("district", "区(县)"), ("town", "镇(街)"), ("community", "社区(村)"),
                 ("site_type", "点位类型"), ("site_name", "点位名称"), ("category", "问题类别"),
                 ("description", "问题描述"), ("department", "责任单位"), ("due", "整改时限"),
                 ("feedback", "整改情况"), ("rectified", "整改完成日期"), ("reinspected", "复查日期"),
                 ("result", "复查结果(通过/未通过)"), (None, "备注")],
    "aliases": [(None, "序号"), ("finding_id", "编号 "), ("found", "督查日期"), ("group", "督查组别"),
                ("district", "区县 "), ("town", "镇街"), ("community", "村(社区)"), ("site_type", "点位分类"),
                ("site_name", "点位名称 "), ("category", "问题类型"), ("description", "存在问题"),
                ("department", "责任单位  "), ("due", "整改期限"), ("feedback", "整改反馈"),
                ("rectified", "完成整改日期"), ("reinspected", "复查时间"), ("result", "复查结果")],
    "fullwidth": [("finding_id", "编号"), ("found", "发现日期"), ("group", "督查组"), ("district", "区（县）"),
                  ("town", "镇（街）"), ("community", "社区（村）"), ("site_type", "点位类型"),
                  ("site_name", "点位名称"), ("category", "问题类别"), ("description", "问题描述"),
                  ("department", "责任单位"), ("due", "整改时限"), ("feedback", "整改情况"),
                  ("rectified", "整改完成日期"), ("reinspected", "复查日期"), ("result", "复查结果")],
    "scored": [("finding_id", "编号"), ("notice_id", "督办单编号"), ("found", "检查日期"), ("group", "检查组"),
               ("district", "区(县)"), ("town", "镇(街道)"), ("community", "社区(村)"), ("site_type", "点位类型"),
               ("site_name", "具体点位"), ("category", "问题类别"), ("description", "问题描述"),
               ("department", "整改责任单位"), ("due", "限期整改日期"), ("feedback", "整改情况"),
               ("rectified", "整改完成日期"), ("reinspected", "回头看日期"), ("result", "复查结果"),
               ("score", "测评得分")],
}


@dataclass(frozen=True)
class Habit:
    """How one supervision group fills in its sheet."""

    template: str
    format: str  # xlsx | csv-gbk | csv-bom
    dates: str  # excel | serial | cn | slash
    title_rows: int
    full_width_ids: float = 0.0


HABITS = (
    Habit("standard", "xlsx", "excel", 2),
    Habit("aliases", "xlsx", "serial", 1, full_width_ids=0.08),
    Habit("fullwidth", "csv-gbk", "cn", 1),
    Habit("scored", "csv-bom", "slash", 0),
)
DATE_STYLES = ("excel", "serial", "cn", "slash")


def _habit(group: int, week: int) -> Habit:
    habit = HABITS[group % len(HABITS)]
    if habit.format == "csv-bom" and week % 2:  # this group alternates between Excel and CSV
        return Habit(habit.template, "xlsx", "excel", 1)
    return habit


def _date_cell(value: date | None, style: str, xlsx: bool):
    if value is None:
        return None
    if style == "excel" and xlsx:
        return datetime(value.year, value.month, value.day)
    if style == "serial" or (style == "excel" and not xlsx):
        return (value - EXCEL_EPOCH).days
    if style == "cn":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.year}/{value.month}/{value.day}"


def week_monday(dataset: Dataset, week: int) -> date:
    return dataset.start + timedelta(weeks=week)


def file_name(dataset: Dataset, group: int, week: int, suffix: str) -> str:
    year, iso_week, _ = week_monday(dataset, week).isocalendar()
    return f"{year}-W{iso_week:02d}_{group_name(group)}_督查问题清单{suffix}"


def week_rows(dataset: Dataset, group: int, week: int) -> list[dict]:
    """The group's rows of `week`: its new findings, and earlier ones that changed during the week, as of Sunday."""
    monday = week_monday(dataset, week)
    sunday = monday + timedelta(days=6)
    rows = []
    for finding in dataset.findings:
        if finding.group != group or finding.found > sunday:
            continue
        new = finding.found >= monday
        changed = any(monday <= d <= sunday for d in finding.milestones()[1:])
        if new or changed:
            rows.append(finding.state(sunday) | {"_finding": finding})
    return sorted(rows, key=lambda r: r["finding_id"])


def _cells(row: dict, habit: Habit, xlsx: bool, index: int, seq: int) -> list:
    finding: Finding = row["_finding"]
    # A few cells in another style: sheets are filled by hand.
    style = habit.dates if (seq * 7 + index) % 10 else DATE_STYLES[(DATE_STYLES.index(habit.dates) + 2) % 4]
    out = []
    for field_name, label in COLUMNS[habit.template]:
        if field_name is None:
            out.append(index if label == "序号" else None)
        elif field_name == "finding_id":
            fid = row["finding_id"]
            if habit.full_width_ids and int(fid[-3:]) % 100 < habit.full_width_ids * 100:
                fid = fid[:2] + fid[2:].translate(FULL_WIDTH)
            out.append(fid)
        elif field_name == "group":
            out.append(group_name(finding.group))
        elif field_name in ("found", "due", "rectified", "reinspected"):
            out.append(_date_cell(row[field_name], style, xlsx))
        else:
            out.append(row.get(field_name))
    return out


def _title(dataset: Dataset, group: int, week: int) -> list[str]:
    monday = week_monday(dataset, week)
    sunday = monday + timedelta(days=6)
    return [
        f"江门市创建全国文明城市督查问题整改台账（{group_name(group)}）",
        f"督查时间：{monday.year}年{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日    "
        f"填报单位：{group_name(group)}",
    ]


def render_xlsx(dataset: Dataset, group: int, week: int, habit: Habit, rows: list[dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.writer.excel import ExcelWriter

    columns = COLUMNS[habit.template]
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    for i, text in enumerate(_title(dataset, group, week)[: habit.title_rows], start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=True, size=14 if i == 1 else 11)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(columns))
        ws.cell(row=i, column=1).alignment = Alignment(horizontal="center")
    header_row = habit.title_rows + 1
    for col, (_, label) in enumerate(columns, start=1):
        ws.cell(row=header_row, column=col, value=label).font = Font(bold=True)
    for index, row in enumerate(rows, start=1):
        for col, value in enumerate(_cells(row, habit, True, index, week), start=1):
            cell = ws.cell(row=header_row + index, column=col, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy/m/d"
    last = header_row + len(rows)
    for extra in range(1, 4):  # blank rows someone formatted and left
        ws.cell(row=last + extra, column=1, value=" ")
        ws.cell(row=last + extra, column=2).number_format = "yyyy/m/d"
    uploaded = _uploaded_at(dataset, group, week).replace(tzinfo=None)
    wb.properties.creator = group_name(group)
    wb.properties.created = wb.properties.modified = uploaded
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return _fixed_zip(buffer.getvalue(), uploaded)


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry stamped `when`: identical content gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_csv(dataset: Dataset, group: int, week: int, habit: Habit, rows: list[dict]) -> bytes:
    columns = COLUMNS[habit.template]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for text in _title(dataset, group, week)[: habit.title_rows]:
        writer.writerow([text] + [""] * (len(columns) - 1))
    writer.writerow([label for _, label in columns])
    for index, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else v for v in _cells(row, habit, False, index, week)])
    for _ in range(2):
        writer.writerow([""] * len(columns))
    text = buffer.getvalue()
    if habit.format == "csv-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    try:
        return text.encode("gbk")
    except UnicodeEncodeError:
        return text.encode("gb18030")


def _uploaded_at(dataset: Dataset, group: int, week: int) -> datetime:
    """Local time the group uploads its sheet of `week`: the Monday after, in the morning."""
    monday = week_monday(dataset, week + 1)
    return datetime(monday.year, monday.month, monday.day, 9, 10 * group)


def render_week(dataset: Dataset, group: int, week: int) -> tuple[str, bytes]:
    """File name and bytes of one group's sheet of one week (0-based week of the campaign)."""
    habit = _habit(group, week)
    rows = week_rows(dataset, group, week)
    if habit.format == "xlsx":
        return file_name(dataset, group, week, ".xlsx"), render_xlsx(dataset, group, week, habit, rows)
    return file_name(dataset, group, week, ".csv"), render_csv(dataset, group, week, habit, rows)


def weeks_until(dataset: Dataset, until: date | None) -> list[int]:
    """Campaign weeks whose Sunday is on or before `until` (all weeks if None)."""
    if until is None:
        return list(range(dataset.weeks))
    return [w for w in range(dataset.weeks) if week_monday(dataset, w) + timedelta(days=6) <= until]


def write_drop_files(
    dataset: Dataset, out: Path | str, until: date | None = None, *, with_bad_file: bool = False
) -> list[Path]:
    """Write the sheets of every week whose Sunday is on or before `until` into `out`; returns their paths.

    Files already there with the same bytes are left alone (their upload time too), so calling this week
    after week only adds the new week's files. With `with_bad_file`, week 2 also gets a sheet that holds
    no findings table (a notes sheet someone uploaded), for the pipeline to flag.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for week in weeks_until(dataset, until):
        files = [(g, *render_week(dataset, g, week)) for g in range(dataset.groups)]
        if week == 2 and dataset.groups:  # the first group sends last week's sheet again, unchanged
            _, data = render_week(dataset, 0, 1)
            files.append((0, file_name(dataset, 0, week, "_上周清单(重新上传).xlsx"), data))
        if week == 2 and with_bad_file:
            files.append((dataset.groups - 1, file_name(dataset, dataset.groups - 1, week, "_填表说明.xlsx"),
                          _notes_sheet(_uploaded_at(dataset, dataset.groups - 1, week))))
        for group, name, data in files:
            path = out / name
            if not (path.exists() and path.read_bytes() == data):
                path.write_bytes(data)
                stamp = _uploaded_at(dataset, group, week).replace(tzinfo=UTC).timestamp() - 8 * 3600
                os.utime(path, (stamp, stamp))
            written.append(path)
    return written


def _notes_sheet(when: datetime) -> bytes:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "填表说明"
    for i, line in enumerate(("填表说明", "1. 日期请按 年/月/日 填写", "2. 责任单位请填写全称"), start=1):
        ws.cell(row=i, column=1, value=line)
    wb.properties.created = wb.properties.modified = when
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return _fixed_zip(buffer.getvalue(), when)
