"""The report's content, XLSX and HTML rendered from in-memory mart frames (no warehouse)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from etl.report import fmt
from etl.report.charts import render_charts
from etl.report.content import build_content, with_restatements
from etl.report.data import TREND_WEEKS, ReportWeek, WeekData, _complete_weeks
from etl.report.html import render_html, render_summary
from etl.report.pdf import write_pdf
from etl.report.publish import Restatement
from etl.report.xlsx import FILLS, HEADER_ROW, write_xlsx

WEEK = date(2026, 11, 9)  # 2026-W46
NOW = datetime(2026, 11, 16, 0, 30, tzinfo=UTC)
DISTRICTS = [("440703", "蓬江区"), ("440704", "江海区"), ("440705", "新会区"), ("440781", "台山市"),
             ("440783", "开平市"), ("440784", "鹤山市"), ("440785", "恩平市")]
TOWNS = [("440703101", "棠下镇", "蓬江区"), ("440703102", "杜阮镇", "蓬江区"), ("440705001", "会城街道", "新会区"),
         ("440705101", "古井镇", "新会区"), ("440705102", "三江镇", "新会区"), ("440705103", "睦洲镇", "新会区"),
         ("440784001", "沙坪街道", "鹤山市")]
DEPARTMENTS = [("urban_management", "城管局"), ("traffic_police", "公安交警支队"), ("market_regulation", "市场监管局"),
               ("housing_construction", "住建局"), ("transport", "交通运输局"), ("ecology_environment", "生态环境局"),
               ("health", "卫健局"), ("education", "教育局"), ("water_affairs", "水利局")]
CATEGORIES = [("illegal_parking", "违停"), ("abandoned_vehicle", "僵尸车"), ("municipal_facility", "市政设施"),
              ("sanitation", "环境卫生"), ("publicity", "宣传氛围"), ("street_occupation", "占道经营"),
              ("illegal_posting", "乱张贴乱涂画"), ("illegal_structure", "违章搭建")]


def _measures(rng: np.random.Generator, n_found: int, cum_found: int, *, empty_rate: bool = False) -> dict:
    n_rect = 0 if n_found == 0 else int(rng.integers(n_found // 2, n_found + 1))
    cum_rect = int(cum_found * rng.uniform(0.82, 0.95))
    n_due = int(rng.integers(0, 12))
    on_time = int(rng.integers(0, n_due + 1)) if n_due else 0
    return {
        "n_found": float(n_found), "n_rectified": float(n_rect),
        "rectification_rate": (n_rect / n_found) if n_found and not empty_rate else float("nan"),
        "n_found_cumulative": float(cum_found), "n_rectified_cumulative": float(cum_rect),
        "cumulative_rectification_rate": cum_rect / cum_found if cum_found else float("nan"),
        "n_due": float(n_due), "n_rectified_on_time": float(on_time),
        "on_time_rate": on_time / n_due if n_due else float("nan"),
    }


def _ranked(frame: pd.DataFrame, kind: str, red: int, black: int) -> pd.DataFrame:
    ranked = frame[frame["n_found"] > 0].copy()
    ranked["rank"] = ranked["rectification_rate"].rank(method="min", ascending=False)
    worst = ranked["rectification_rate"].rank(method="min", ascending=True)
    ranked["n_ranked"] = float(len(ranked))
    ranked["list"] = np.where(ranked["rank"] <= red, "red", np.where(worst <= black, "black", None))
    ranked["list"] = ranked["list"].astype(object).where(ranked["list"].notna(), None)
    consecutive = [(i % 3) + 1 if lst == "black" else 0 for i, lst in enumerate(ranked["list"])]
    ranked["consecutive_black_weeks"] = [float(c) for c in consecutive]
    ranked["escalation"] = [{1: "市领导约谈", 2: "组织部约谈", 3: "问责"}.get(c) for c in consecutive]
    ranked["unit_kind"] = kind
    return ranked


def sample_week_data(week_start: date = WEEK, *, categories: bool = True, seed: int = 46) -> WeekData:
    """A plausible week of mart output for the Jiangmen reference set."""
    rng = np.random.default_rng(seed)
    week = ReportWeek(week_start)
    trend = [week.shift(-i).week_start for i in range(TREND_WEEKS - 1, -1, -1)]
    total_rows, cum = [], 2800
    for w in trend:
        found = int(rng.integers(40, 90))
        cum += found
        total_rows.append({"week_start": w, **_measures(rng, found, cum)})
    total_rows[-1].update(n_found_cumulative=3440.0, n_rectified_cumulative=3107.0,
                          cumulative_rectification_rate=3107 / 3440)
    total = pd.DataFrame(total_rows[1:])  # the oldest trend week is missing from the mart: a gap
    area_rows = []
    for w in (week.previous.week_start, week.week_start):
        for code, name in DISTRICTS:
            found = 0 if name == "恩平市" else int(rng.integers(3, 20))
            area_rows.append({"week_start": w, "area_level": "district", "area_code": code, "area_name": name,
                              "parent_area_name": None, **_measures(rng, found, int(rng.integers(200, 600)))})
        for code, name, parent in TOWNS:
            found = int(rng.integers(0, 8))
            area_rows.append({"week_start": w, "area_level": "town", "area_code": code, "area_name": name,
                              "parent_area_name": parent, **_measures(rng, found, int(rng.integers(40, 200)))})
    areas = pd.DataFrame(area_rows)
    dept_rows = []
    for w in (week.previous.week_start, week.week_start):
        for code, name in DEPARTMENTS:
            found = int(rng.integers(0, 15))
            dept_rows.append({"week_start": w, "department_code": code, "department_name": name,
                              "department_kind": "municipal", **_measures(rng, found, int(rng.integers(50, 400)))})
    departments = pd.DataFrame(dept_rows)
    this = week.week_start
    d_this = departments[departments["week_start"] == this].rename(
        columns={"department_code": "unit_code", "department_name": "unit_name"})
    a_this = areas[areas["week_start"] == this].rename(columns={"area_code": "unit_code", "area_name": "unit_name"})
    rankings = pd.concat([
        _ranked(d_this, "department", 5, 3),
        _ranked(a_this[a_this["area_level"] == "district"], "district", 1, 1),
        _ranked(a_this[a_this["area_level"] == "town"], "town", 1, 1),
    ])[["week_start", "unit_kind", "unit_code", "unit_name", "n_found", "n_rectified", "rectification_rate", "rank",
        "n_ranked", "list", "consecutive_black_weeks", "escalation"]].reset_index(drop=True)
    overdue = pd.DataFrame([
        {"week_start": this, "problem_id": f"inspection:DC-2026-{100 + i:03d}", "source": "inspection" if i % 3 else
         "hotline", "found_at": pd.Timestamp("2026-10-01 16:00") + timedelta(days=i),
         "due_at": pd.Timestamp("2026-10-20 15:59:59") + timedelta(days=i), "days_overdue": float(26 - i),
         "district_name": DISTRICTS[i % 7][1], "town_name": TOWNS[i % 7][1], "site_name": f"东华路{i + 1}号农贸市场",
         "category_name": CATEGORIES[i % 8][1], "department_name": DEPARTMENTS[i % 9][1],
         "overdue_kind": "未反馈" if i % 4 == 0 else "未整改"}
        for i in range(14)
    ])
    hotline = pd.DataFrame([
        {"week_start": w, "n_received": float(r := rng.integers(150, 260)), "n_closed": float(c := rng.integers(
            120, r)), "closure_rate": c / r, "n_due": float(d := rng.integers(80, 140)),
         "n_closed_on_time": float(o := rng.integers(60, d)), "on_time_closure_rate": o / d,
         "n_rated": float(n := rng.integers(60, 120)), "n_satisfied": float(s := rng.integers(40, n)),
         "satisfaction_rate": s / n}
        for w in trend
    ])
    act_rows = []
    for w in trend:
        for name in ("蓬江区", "新会区", "鹤山市"):
            for category in ("文明宣传", "志愿服务"):
                act_rows.append({"week_start": w, "district_name": name, "category": category,
                                 "organizer": f"{name}文明办", "n_events": float(rng.integers(1, 9)),
                                 "n_participants": float(rng.integers(50, 900)),
                                 "n_volunteers": float(rng.integers(10, 120)),
                                 "volunteer_hours": float(rng.integers(20, 400)) + 0.5})
    act = pd.DataFrame(act_rows)
    weekly = act.groupby("week_start", as_index=False)[["n_events", "n_participants", "n_volunteers",
                                                         "volunteer_hours"]].sum()
    cats = pd.DataFrame([
        {"week_start": this, "category_code": code, "category_name": name, **{
            k: v for k, v in _measures(rng, int(rng.integers(0, 25)), 100).items()
            if k in ("n_found", "n_rectified", "rectification_rate")}}
        for code, name in CATEGORIES
    ]).sort_values("n_found", ascending=False, ignore_index=True)
    return WeekData(
        week=week,
        total=_complete_weeks(total, trend),
        areas=areas,
        departments=departments,
        categories=cats if categories else None,
        rankings=rankings,
        overdue=overdue,
        overdue_by_department=overdue.groupby(["department_name", "overdue_kind"], as_index=False).agg(
            n=("problem_id", "size"), longest=("days_overdue", "max")),
        overdue_previous_count=11,
        hotline=_complete_weeks(hotline, trend),
        activities=act[act["week_start"] == this].reset_index(drop=True),
        activities_weekly=_complete_weeks(weekly, trend),
        activities_cumulative={"n_events": 1203.0, "n_participants": 631000.0, "n_volunteers": 52000.0,
                               "volunteer_hours": 180000.5},
    )


@pytest.fixture(scope="module")
def data() -> WeekData:
    return sample_week_data()


@pytest.fixture(scope="module")
def charts(data: WeekData):
    return render_charts(data)


@pytest.fixture(scope="module")
def restated_content(data: WeekData):
    content = build_content(data, generated_at=NOW)
    then = datetime(2026, 11, 16, 0, 5)
    rate = content.figures["total.rectification_rate"].value
    restatements = [
        Restatement("total.n_found", "全市本周发现", "count", 60.0, content.figures["total.n_found"].value, then),
        Restatement("total.rectification_rate", "全市本周整改率", "rate", 0.5, rate, then),
        Restatement("district.440703.n_found", "蓬江区本周发现", "count", 1.0,
                    content.figures["district.440703.n_found"].value, then),
    ]
    return with_restatements(content, restatements)


class _Html(HTMLParser):
    """Sections by id, elements carrying data-figure, table rows by class, images."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.figures: dict[str, str] = {}
        self.row_classes: list[str] = []
        self.images: list[str] = []
        self.restated_marks = 0
        self._figure: str | None = None
        self._text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self.sections.append(a["id"])
        if tag == "span" and a.get("data-figure"):
            self._figure, self._text = a["data-figure"], []
        if tag == "span" and a.get("class") == "restated":
            self.restated_marks += 1
        if tag == "tr" and a.get("class"):
            self.row_classes.append(a["class"])
        if tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "span" and self._figure:
            self.figures[self._figure] = "".join(self._text)
            self._figure = None

    def handle_data(self, text):
        self.text.append(text)
        if self._figure:
            self._text.append(text)


def test_content_headline_and_figures(data: WeekData) -> None:
    content = build_content(data, generated_at=NOW)
    assert content.headline == "累计发现3440条，已整改3107条，整改率90.3%"
    assert content.figures["total.n_found_cumulative"].value == 3440
    assert content.title == "创文工作周报 2026年第46周 (11月9日—11月15日)"
    kpi = next(k for k in content.kpis if k.key == "total.n_found")
    assert kpi.change == kpi.this_week - kpi.last_week
    # a district with no problems has a NULL weekly rate, shown as "—"
    assert content.figures["district.440785.rectification_rate"].value is None
    row = next(r for r in content.tables["districts"].rows if r[0].value == "恩平市")
    assert row[3].text == "—"
    # ranking: every black-listed unit carries its consecutive count and escalation
    for i, r in enumerate(content.tables["rankings"].rows):
        if content.tables["rankings"].style_of(i) == "black":
            assert r[7].value >= 1 and r[8].value in ("市领导约谈", "组织部约谈", "问责")
    assert content.figures["overdue.n_no_feedback"].value == 4
    assert content.figures["overdue.n_not_rectified"].value == 10


def test_formats() -> None:
    assert fmt.rate(None) == fmt.rate(float("nan")) == "—"
    assert fmt.rate(0.9032) == "90.3%"
    assert fmt.delta_rate(0.012) == "+1.2个百分点"
    assert fmt.delta_rate(-0.0123) == "−1.2个百分点"
    assert fmt.delta_count(0) == "持平"
    assert fmt.delta_count(-3) == "−3"
    assert fmt.listed(-1) == "黑榜"


def test_xlsx_sheets_formats_fills_and_restatement_marks(tmp_path: Path, data, charts, restated_content) -> None:
    path = write_xlsx(restated_content, charts, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["概要", "区县", "镇街", "红黑榜", "责任单位", "问题类别", "超期未整改", "超期按单位",
                             "12345热线", "创文活动", "图表", "数据更正"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", ws.title
        assert "创文工作周报 2026年第46周" in ws["A1"].value
    districts = wb["区县"]
    header = [c.value for c in districts[HEADER_ROW]]
    assert header[:4] == ["区(县)", "本周发现", "本周整改", "本周整改率"]
    assert all(c.font.bold for c in districts[HEADER_ROW])
    rate_col = header.index("本周整改率") + 1
    rows = {districts.cell(r, 1).value: r for r in range(HEADER_ROW + 1, districts.max_row + 1)}
    cell = districts.cell(rows["江海区"], rate_col)
    assert cell.number_format == "0.0%"
    expected = data.areas.query("week_start == @WEEK and area_code == '440704'")["rectification_rate"].iloc[0]
    assert cell.value == pytest.approx(expected)
    assert districts.cell(rows["恩平市"], rate_col).value == "—"
    assert districts.column_dimensions["A"].width >= 8
    # restated cell: yellow fill and a comment with the old value
    restated = districts.cell(rows["蓬江区"], 2)
    assert restated.fill.fgColor.rgb.endswith(FILLS["restated"].fgColor.rgb[-6:])
    assert "原发布值 1" in restated.comment.text
    # red and black rows are filled
    ranking = wb["红黑榜"]
    list_col = [c.value for c in ranking[HEADER_ROW]].index("榜单") + 1
    fills = {ranking.cell(r, list_col).value: ranking.cell(r, 1).fill.fgColor.rgb[-6:]
             for r in range(HEADER_ROW + 1, ranking.max_row + 1)}
    assert fills["红榜"] == "FFC7CE" and fills["黑榜"] == "262626"
    overdue = wb["超期未整改"]
    kinds = [overdue.cell(r, 1).value for r in range(HEADER_ROW + 1, overdue.max_row + 1)]
    assert kinds.count("未反馈") == 4 and kinds.count("未整改") == 10
    assert overdue.cell(HEADER_ROW + 1, 1).fill.fgColor.rgb[-6:] == "FCE4D6"
    assert overdue.auto_filter.ref.startswith(f"A{HEADER_ROW}")
    assert len(wb["图表"]._images) == len(charts)
    fixes = wb["数据更正"]
    assert [fixes.cell(HEADER_ROW + 1 + i, 1).value for i in range(3)] == ["全市本周发现", "全市本周整改率",
                                                                             "蓬江区本周发现"]
    assert fixes.cell(HEADER_ROW + 2, 2).value == "50.0%"


def test_html_is_self_contained_with_sections_figures_and_marks(data, charts, restated_content) -> None:
    page = render_html(restated_content, charts)
    parsed = _Html()
    parsed.feed(page)
    assert parsed.sections == ["summary", "restatements", "trend", "districts", "towns", "rankings", "departments",
                               "categories", "overdue", "hotline", "activities"]
    assert len(parsed.images) == len(charts) and all(s.startswith("data:image/png;base64,") for s in parsed.images)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must not load anything"
    assert parsed.figures["total.n_found_cumulative"] == "3440"
    assert parsed.figures["total.cumulative_rectification_rate"] == "90.3%"
    assert parsed.figures["district.440785.rectification_rate"] == "—"
    assert parsed.restated_marks >= 3
    assert "red" in parsed.row_classes and "black" in parsed.row_classes and "no_feedback" in parsed.row_classes
    text = "".join(parsed.text)
    assert "累计发现3440条，已整改3107条，整改率90.3%" in text
    assert "责任单位未反馈(4)" in text and "已反馈未整改(10)" in text


def test_pdf_is_a4_landscape_with_the_figures_page_numbers_and_embedded_chinese_fonts(
    tmp_path: Path, charts, restated_content
) -> None:
    path = tmp_path / "report.pdf"
    n_pages = write_pdf(restated_content, charts, path)

    pdf = PdfReader(path)
    assert len(pdf.pages) == n_pages > 1
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (842, 595), "A4 landscape"
    text = ["".join(page.extract_text().split()) for page in pdf.pages]
    assert "累计发现3440条，已整改3107条，整改率90.3%" in text[0]
    assert "更正" in text[0]  # the restated figures keep their mark
    assert all(f"第{i}页/共{n_pages}页" in page for i, page in enumerate(text, start=1))
    assert "红黑榜" in "".join(text) and "责任单位未反馈(4)" in "".join(text)
    # Chinese text drawn with fonts the file carries (subsets), not left to the reader's substitutes
    fonts = [font.get_object() for page in pdf.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert {"/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
        assert "+" in font["/BaseFont"], f"{font['/BaseFont']} is not a subset"


def test_pdf_lists_the_longest_overdue_up_to_its_own_limit(tmp_path: Path, charts, restated_content,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.report import pdf as pdf_module

    monkeypatch.setattr(pdf_module, "PDF_ROW_LIMIT", 3)
    path = tmp_path / "report.pdf"
    write_pdf(restated_content, charts, path)
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(path).pages)
    overdue = restated_content.tables["overdue"]
    listed = [row[0].text for rows in dict(overdue.groups()).values() for row, _ in rows[:3]]
    not_listed = [row[0].text for rows in dict(overdue.groups()).values() for row, _ in rows[3:]]
    assert not_listed and all(problem_id in text for problem_id in listed)
    assert not any(problem_id in text for problem_id in not_listed)
    assert text.count("此处仅列超期最久的3条") == 2  # one note per group


def test_html_without_category_view_says_so(charts) -> None:
    data = sample_week_data(categories=False)
    content = build_content(data, generated_at=NOW)
    page = render_html(content, render_charts(data))
    assert "weekly_rectification_by_category" in page
    assert "categories" not in content.tables


def test_summary_lists_red_and_black_units(restated_content) -> None:
    body = render_summary(restated_content, ["a.xlsx", "b.html"])
    assert "红榜:" in body and "黑榜:" in body and "约谈" in body
    assert "数据更正 3 项" in body


def test_a_long_overdue_list_keeps_the_longest_overdue_rows(data) -> None:
    content = build_content(data, generated_at=NOW, overdue_limit=5)
    table = content.tables["overdue"]
    assert len(table.rows) == 5
    days = [row[5].value for row in table.rows]
    assert sorted(days, reverse=True) == sorted(data.overdue["days_overdue"], reverse=True)[:5]
    assert "本表列超期最久的5条" in table.note and "CSV" in table.note
    assert content.figures["overdue.n_total"].value == 14  # the figures count every row
    by_unit = content.tables["overdue_by_department"]
    assert sum(row[1].value for row in by_unit.rows) == 14
    assert sum(row[2].value for row in by_unit.rows) == 4
