"""The report as an XLSX workbook: one sheet per section, typed cells, marked list rows and restatements."""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.report import fmt
from etl.report.charts import Chart
from etl.report.content import Cell, Kpi, ReportContent, Table, restatement_table

HEADER_ROW = 3  # row 1: title, row 2: note, row 3: column headers, data below; rows 1-3 stay frozen
NUMBER_FORMATS = {
    "count": "0", "days": "0", "rank": "0", "rate": "0.0%", "hours": "0.0",
    "delta_count": '+0;−0;"持平"', "delta_rate": '+0.0"个百分点";−0.0"个百分点";"持平"',
}
FILLS = {
    "header": PatternFill("solid", fgColor="DDEBF7"),
    "red": PatternFill("solid", fgColor="FFC7CE"),
    "black": PatternFill("solid", fgColor="262626"),
    "no_feedback": PatternFill("solid", fgColor="FCE4D6"),
    "restated": PatternFill("solid", fgColor="FFEB9C"),
}
FONTS = {
    "title": Font(bold=True, size=14),
    "header": Font(bold=True),
    "red": Font(color="9C0006"),
    "black": Font(color="FFFFFF", bold=True),
    "restated": Font(color="9C5700", bold=True),
}
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
SHEETS = {  # sheet name -> table key, in workbook order after 概要
    "区县": "districts", "镇街": "towns", "红黑榜": "rankings", "责任单位": "departments", "问题类别": "categories",
    "超期未整改": "overdue", "超期按单位": "overdue_by_department",
}
CHART_WIDTH_PX = 760


def write_xlsx(content: ReportContent, charts: Sequence[Chart], path: Path) -> Path:
    """Write the workbook to `path` (its folder must exist)."""
    wb = Workbook()
    restated = content.restated
    summary = wb.active
    summary.title = "概要"
    _kpi_sheet(summary, content, "概要", f"{content.headline}；{content.week_sentence}。", content.kpis, restated)
    notes = [content.as_of, f"生成时间:{content.generated_label}", *content.notes]
    if content.restatements:
        notes.insert(0, f"本期有{len(content.restatements)}项数据更正,见“数据更正”表(黄色单元格)。")
    row = summary.max_row + 2
    for note in notes:
        summary.cell(row=row, column=1, value=note)
        row += 1

    for name, key in SHEETS.items():
        if key in content.tables:
            _table_sheet(wb.create_sheet(name), content, content.tables[key], restated)

    hotline = wb.create_sheet("12345热线")
    _kpi_sheet(hotline, content, "12345热线",
               "受理、办结、按期办结与群众满意情况(满意率 = 满意与基本满意 / 参与评价)。",
               content.hotline_kpis, restated)

    activities = wb.create_sheet("创文活动")
    cumulative = {f"{k.key}_cumulative": content.activity_cumulative.get(k.key.split(".", 1)[1])
                  for k in content.activity_kpis}
    _kpi_sheet(activities, content, "创文活动", "创文活动与志愿服务:本周、上周与活动开展以来累计。",
               content.activity_kpis, restated, cumulative=cumulative)
    by_district = content.tables["activities_by_district"]
    start = activities.max_row + 2
    activities.cell(row=start, column=1, value=by_district.title).font = FONTS["header"]
    _write_table(activities, by_district, start + 1, restated)
    _fit_columns(activities)

    _chart_sheet(wb.create_sheet("图表"), content, charts)
    _table_sheet(wb.create_sheet("数据更正"), content, restatement_table(content), {},
                 empty="本期发布的数字与首次发布一致,无更正。")

    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = content.title
    wb.properties.creator = "创文办数据平台"
    wb.save(path)
    return path


def _title(ws: Worksheet, content: ReportContent, section: str, note: str | None) -> None:
    ws.cell(row=1, column=1, value=f"{content.title} — {section}").font = FONTS["title"]
    if note:
        ws.cell(row=2, column=1, value=note).alignment = Alignment(vertical="top")
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)


def _table_sheet(ws: Worksheet, content: ReportContent, table: Table, restated: dict, empty: str | None = None) -> None:
    _title(ws, content, table.title, table.note or (empty if not table.rows else None))
    if not table.rows and empty:
        ws.cell(row=2, column=1, value=empty)
    last = _write_table(ws, table, HEADER_ROW, restated)
    if table.rows and table.group_by is not None:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(table.columns))}{last}"
    _fit_columns(ws)


def _write_table(ws: Worksheet, table: Table, header_row: int, restated: dict) -> int:
    """Header at `header_row`, rows below; returns the last row written."""
    for j, name in enumerate(table.columns, start=1):
        _header(ws.cell(row=header_row, column=j, value=name))
    row = header_row
    for i, cells in enumerate(table.rows):
        row += 1
        style = table.style_of(i)
        for j, cell in enumerate(cells, start=1):
            _put(ws, row, j, cell, style, restated)
    return row


def _kpi_sheet(ws: Worksheet, content: ReportContent, section: str, note: str, kpis: Sequence[Kpi],
               restated: dict, cumulative: dict | None = None) -> None:
    _title(ws, content, section, note)
    columns = ["指标", "本周", "上周", "较上周", *(["累计"] if cumulative is not None else [])]
    for j, name in enumerate(columns, start=1):
        _header(ws.cell(row=HEADER_ROW, column=j, value=name))
    for i, kpi in enumerate(kpis, start=HEADER_ROW + 1):
        _put(ws, i, 1, Cell(kpi.label), None, restated)
        _put(ws, i, 2, Cell(kpi.this_week, kpi.kind, kpi.key), None, restated)
        _put(ws, i, 3, Cell(kpi.last_week, kpi.kind), None, restated)
        _put(ws, i, 4, Cell(kpi.change, kpi.change_kind), None, restated)
        if cumulative is not None:
            key = f"{kpi.key}_cumulative"
            _put(ws, i, 5, Cell(cumulative.get(key), kpi.kind, key), None, restated)
    _fit_columns(ws)


def _header(cell) -> None:
    cell.font = FONTS["header"]
    cell.fill = FILLS["header"]
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _put(ws: Worksheet, row: int, column: int, cell: Cell, style: str | None, restated: dict) -> None:
    target = ws.cell(row=row, column=column)
    number = cell.kind != "text" and not fmt.missing(cell.value)
    if cell.kind == "text":
        target.value = cell.text or None
    elif not number:
        target.value = fmt.DASH
    else:
        value = float(cell.value)
        if cell.kind == "delta_rate":
            value = round(value * 100, 6)  # shown in percentage points
        elif cell.kind in ("count", "days", "rank", "delta_count") and value == int(value):
            value = int(value)
        target.value = value
    # one named style per look: setting font, fill, border... cell by cell is slow on long lists
    target.style = _named_style(ws.parent, cell.kind if number else ("dash" if cell.kind != "text" else "text"),
                                style)
    restatement = restated.get(cell.figure) if cell.figure else None
    if restatement is not None:
        target.fill = FILLS["restated"]
        target.font = FONTS["restated"]
        old = fmt.figure(restatement.old, restatement.kind) if restatement.old is not None else "(未发布)"
        target.comment = Comment(f"更正:原发布值 {old},现为 {fmt.figure(restatement.new, restatement.kind)}",
                                 "创文办数据平台")


def _named_style(wb: Workbook, kind: str, row_style: str | None) -> str:
    name = f"周报_{kind}_{row_style or 'plain'}"
    if name not in wb.named_styles:
        wb.add_named_style(NamedStyle(
            name=name,
            number_format=NUMBER_FORMATS.get(kind, "General"),
            border=_BORDER,
            fill=FILLS.get(row_style, PatternFill()),
            font=FONTS.get(row_style, Font()),
            alignment=Alignment(horizontal="right") if kind == "dash" else Alignment(),
        ))
    return name


def _chart_sheet(ws: Worksheet, content: ReportContent, charts: Sequence[Chart]) -> None:
    _title(ws, content, "图表", "近12周整改率趋势、各区(县)整改率、问题类别与创文活动。")
    row = HEADER_ROW + 1
    for chart in charts:
        ws.cell(row=row, column=1, value=chart.title).font = FONTS["header"]
        image = Image(io.BytesIO(chart.png))
        scale = CHART_WIDTH_PX / chart.width_px
        image.width, image.height = CHART_WIDTH_PX, round(chart.height_px * scale)
        ws.add_image(image, f"A{row + 1}")
        row += math.ceil(image.height / 20) + 3
    ws.column_dimensions["A"].width = 14


def _fit_columns(ws: Worksheet) -> None:
    widths: dict[int, float] = {}
    for row in ws.iter_rows(min_row=HEADER_ROW):
        for cell in row:
            if cell.value is None:
                continue
            text = _shown(cell)
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(text))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 48)


def _shown(cell) -> str:
    if isinstance(cell.value, float) and cell.number_format.endswith("%"):
        return f"{cell.value * 100:.1f}%"
    if isinstance(cell.value, float | int) and "百分点" in cell.number_format:
        return f"+{cell.value:.1f}个百分点"
    return str(cell.value)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
