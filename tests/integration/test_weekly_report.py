"""The weekly report built from a real warehouse (staging rows -> core -> marts) on DuckDB and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from etl import models, refdata, warehouse
from etl.report import build as build_module
from etl.report import build_weekly_report, load_result
from etl.report.data import ReportWeek, iter_overdue
from etl.report.xlsx import HEADER_ROW
from tests.conftest import ENGINES

WEEK = ReportWeek(date(2026, 11, 9))  # 2026-W46
WEEKS = [WEEK.shift(-i) for i in range(3, -1, -1)]  # W43..W46
FIRST_ISSUE = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
LOCAL = timedelta(hours=8)
# (town, district, responsible department, findings per week): units differ so rankings differ
UNITS = [
    ("440703101", "440703", "urban_management", 5),
    ("440703102", "440703", "traffic_police", 4),
    ("440705001", "440705", "market_regulation", 6),
    ("440705101", "440705", "housing_construction", 3),
    ("440704001", "440704", "transport", 4),
    ("440784001", "440784", "ecology_environment", 5),
    ("440705102", "440705", "health", 2),
]
CATEGORIES = ["illegal_parking", "sanitation", "street_occupation", "municipal_facility", "illegal_posting",
              "publicity"]
SITES = ["farmers_market", "back_alley", "old_residential", "main_road", "urban_village"]


def local_midnight(day: date) -> datetime:
    """A local date's 00:00 as naive UTC (the contract's storage)."""
    return datetime(day.year, day.month, day.day) - LOCAL


def local_deadline(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59) - LOCAL


def finding_rows(file_sha: str = "f1") -> pd.DataFrame:
    """Inspection findings over four weeks, with every rectification pattern the report distinguishes."""
    rows, i = [], 0
    for w, week in enumerate(WEEKS):
        for u, (town, district, department, n) in enumerate(UNITS):
            for k in range(n + (w + u) % 3):
                found = week.week_start + timedelta(days=(u + k) % 5)
                pattern = (i + u * w) % 7
                rectified = {0: 1, 1: 2, 2: 3, 3: 10, 6: 1}.get(pattern)
                rows.append({
                    "finding_id": f"DC-{week.iso_week}-{u}{k:02d}",
                    "file_sha256": file_sha,
                    "file_name": f"督查_{file_sha}.xlsx",
                    "row_number": i + 1,
                    "notice_id": f"DB-{week.iso_week}-{u}",
                    "found_at": local_midnight(found),
                    "supervision_group": f"第{u % 3 + 1}督查组",
                    "district_code": district,
                    "town_code": town,
                    "community_code": None,
                    "site_type_code": SITES[(i + k) % len(SITES)],
                    "site_name": f"测试点位{i}",
                    "category_code": CATEGORIES[(u + k) % len(CATEGORIES)],
                    "description": "占道堆放杂物",
                    "department_code": department,
                    "due_at": local_deadline(found + timedelta(days=5)),
                    "has_feedback": pattern in (0, 1, 2, 3, 4, 6),
                    "rectified_at": local_midnight(found + timedelta(days=rectified)) if rectified else None,
                    "reinspected_at": local_midnight(found + timedelta(days=3)) if pattern == 6 else None,
                    "reinspection_passed": False if pattern == 6 else None,
                    "score": None,
                    "pull_id": "test",
                })
                i += 1
    return pd.DataFrame(rows)


def ticket_rows() -> pd.DataFrame:
    """12345 tickets: received, dispatched, in progress, closed and rated (some never closed, one cancelled)."""
    rows = []
    for week in WEEKS:
        for t in range(8):
            received = local_midnight(week.week_start + timedelta(days=t % 6)) + timedelta(hours=9 + t)
            deadline = received + timedelta(days=3)
            tid = f"T{week.iso_week}{t:02d}"
            town, district, department, _ = UNITS[t % len(UNITS)]
            base = {
                "ticket_id": tid, "channel": "12345", "received_at": received,
                "category_code": "sanitation" if t % 2 else "other", "district_code": district, "town_code": town,
                "community_code": None, "department_code": department, "deadline_at": deadline,
                "caller_hash": None, "description": "路边垃圾", "address": f"测试路{t}号", "pull_id": "test",
            }
            steps = [("received", received, None, None), ("dispatched", received + timedelta(hours=1), None, None),
                     ("in_progress", received + timedelta(days=1), None, None)]
            if t == 7:
                steps.append(("cancelled", received + timedelta(hours=2), None, None))
            elif t % 3 != 2:
                closed = received + timedelta(days=2 if t % 4 else 4)
                satisfaction = ["satisfied", "basically_satisfied", "dissatisfied", None][t % 4]
                steps.append(("closed", closed, closed, satisfaction))
            for status, at, closed_at, satisfaction in steps:
                rows.append({**base, "version_at": at, "status": status, "closed_at": closed_at,
                             "satisfaction": satisfaction})
    return pd.DataFrame(rows)


def event_rows() -> pd.DataFrame:
    rows = []
    for week in WEEKS:
        for e in range(4):
            start = local_midnight(week.week_start + timedelta(days=e + 1)) + timedelta(hours=9)
            rows.append({
                "event_id": f"E{week.iso_week}{e}", "updated_at": start + timedelta(days=1),
                "title": "文明交通劝导", "category_code": ["ev01", "ev02", "ev04", "ev02"][e],
                "organizer": ["蓬江区文明办", "新会区团委", "鹤山市志愿者协会", "蓬江区文明办"][e],
                "district_code": ["440703", "440705", "440784", "440703"][e], "town_code": None,
                "start_at": start, "end_at": start + timedelta(hours=3),
                "participants": 0 if e == 3 else 120 + 10 * e + week.iso_week,
                "volunteers": 0 if e == 3 else 20 + e, "volunteer_hours": 0.0 if e == 3 else 60.5 + e,
                "status": "cancelled" if e == 3 else "held", "pull_id": "test",
            })
    return pd.DataFrame(rows)


def populate(engine: sa.Engine, findings: pd.DataFrame | None = None) -> None:
    """Reference tables and staging rows, then core and marts."""
    with engine.begin() as conn:
        refdata.write_reference_tables(conn, refdata.load_reference())
        warehouse.upsert(conn, "staging.inspection_finding_versions",
                         finding_rows() if findings is None else findings, ["finding_id", "file_sha256"])
        warehouse.upsert(conn, "staging.hotline_ticket_versions", ticket_rows(), ["ticket_id", "version_at"])
        warehouse.upsert(conn, "staging.events", event_rows(), ["event_id"])
    models.build(engine)


def mart(engine: sa.Engine, sql: str, **params) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.text(sql), params)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


class Page(HTMLParser):
    """Sections, figures (data-figure), restatement marks and table rows of the report page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections, self.figures, self.marks, self.rows, self.images = [], {}, [], [], 0
        self._figure, self._buf, self._row, self._cell = None, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "span" and "data-figure" in a:
            self._figure, self._buf = a["data-figure"], []
        elif tag == "span" and a.get("class") == "restated":
            self.marks.append(a.get("title", ""))
        elif tag == "tr":
            self._row = (a.get("class") or "", [])
        elif tag == "td":
            self._cell = []
        elif tag == "img" and a.get("src", "").startswith("data:image/png;base64,"):
            self.images += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._figure:
            self.figures[self._figure] = "".join(self._buf)
            self._figure = None
        elif tag == "td" and self._cell is not None and self._row is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row[1]:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._figure:
            self._buf.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_report_matches_the_marts(engine: sa.Engine, tmp_path: Path) -> None:
    populate(engine)
    started = time.perf_counter()
    result = build_weekly_report(engine, WEEK.week_start, tmp_path, published_at=FIRST_ISSUE)
    elapsed = time.perf_counter() - started

    assert elapsed < 15, f"building one week took {elapsed:.1f} s"
    assert result.directory == tmp_path / "2026-W46"
    assert [p.name for p in result.files] == [f"创文周报_2026-W46.{kind}" for kind in ("xlsx", "pdf", "html")]
    assert result.subject == "创文工作周报 2026年第46周 (11月9日—11月15日)"
    assert result.restatements == ()

    w = WEEK.week_start
    total = mart(engine, "select * from mart.weekly_rectification_total where week_start = :w", w=w).iloc[0]
    assert total["n_found"] > 0 and total["n_found"] > total["n_rectified"]
    assert result.figures["total.n_found"] == total["n_found"]
    assert result.figures["total.cumulative_rectification_rate"] == pytest.approx(
        total["cumulative_rectification_rate"])

    # XLSX: sheets, values against the marts, formats, frozen headers, red/black fills
    wb = load_workbook(result.xlsx_path)
    assert {"概要", "区县", "镇街", "红黑榜", "超期未整改", "12345热线", "创文活动", "图表",
            "数据更正"} <= set(wb.sheetnames)
    summary = wb["概要"]
    assert f"累计发现{int(total['n_found_cumulative'])}条，已整改{int(total['n_rectified_cumulative'])}条，" \
           f"整改率{pct(total['cumulative_rectification_rate'])}" in summary["A2"].value
    kpis = {summary.cell(r, 1).value: summary.cell(r, 2) for r in range(HEADER_ROW + 1, summary.max_row + 1)}
    assert kpis["本周发现问题"].value == total["n_found"]
    assert kpis["本周整改率"].value == pytest.approx(total["rectification_rate"])
    assert kpis["本周整改率"].number_format == "0.0%"

    districts = mart(engine, "select * from mart.weekly_rectification_by_area where week_start = :w "
                             "and area_level = 'district'", w=w).set_index("area_name")
    ws = wb["区县"]
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    header = [c.value for c in ws[HEADER_ROW]]
    assert all(c.font.bold for c in ws[HEADER_ROW])
    sheet_rows = {ws.cell(r, 1).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    assert set(sheet_rows) == set(districts.index)
    for name, row in districts.iterrows():
        r = sheet_rows[name]
        assert ws.cell(r, header.index("本周发现") + 1).value == row["n_found"]
        rate_cell = ws.cell(r, header.index("本周整改率") + 1)
        if pd.isna(row["rectification_rate"]):
            assert rate_cell.value == "—"
        else:
            assert rate_cell.value == pytest.approx(row["rectification_rate"]) and rate_cell.number_format == "0.0%"
        assert ws.cell(r, header.index("按期整改率") + 1).value in ("—", pytest.approx(row["on_time_rate"]))
    # towns without any problem are not listed, but their figures are published all the same
    towns = mart(engine, "select area_code, n_found from mart.weekly_rectification_by_area "
                         "where week_start = :w and area_level = 'town'", w=w)
    assert all(result.figures[f"town.{r.area_code}.n_found"] == r.n_found for r in towns.itertuples())
    assert wb["镇街"].max_row - HEADER_ROW < len(towns)

    ranking = mart(engine, 'select unit_kind, unit_name, "list", consecutive_black_weeks, escalation '
                           "from mart.red_black_list where week_start = :w", w=w)
    assert {"red", "black"} <= set(ranking["list"].dropna())
    ws = wb["红黑榜"]
    header = [c.value for c in ws[HEADER_ROW]]
    listed = {}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        name, lst = ws.cell(r, header.index("单位") + 1).value, ws.cell(r, header.index("榜单") + 1).value
        listed[name] = (lst, ws.cell(r, 1).fill.fgColor.rgb[-6:], ws.cell(r, header.index("处理") + 1).value)
    for row in ranking.itertuples():
        lst, fill, escalation = listed[row.unit_name]
        if row.list == "red":
            assert (lst, fill) == ("红榜", "FFC7CE")
        elif row.list == "black":
            assert (lst, fill, escalation) == ("黑榜", "262626", row.escalation)
            assert row.escalation in ("市领导约谈", "组织部约谈", "问责")

    overdue = mart(engine, "select overdue_kind, count(*) as n from mart.overdue_problems where week_start = :w "
                           "group by overdue_kind", w=w).set_index("overdue_kind")["n"]
    assert overdue.get("未反馈", 0) > 0 and overdue.get("未整改", 0) > 0
    ws = wb["超期未整改"]
    kinds = [ws.cell(r, 1).value for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert kinds.count("未反馈") == overdue["未反馈"] and kinds.count("未整改") == overdue["未整改"]

    hotline = mart(engine, "select * from mart.hotline_weekly where week_start = :w", w=w).iloc[0]
    ws = wb["12345热线"]
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    assert values["受理"] == hotline["n_received"] and values["办结"] == hotline["n_closed"]
    assert values["满意率"] in ("—", pytest.approx(hotline["satisfaction_rate"]))

    activities = mart(engine, "select sum(n_events) as e, sum(n_participants) as p, sum(n_events_cumulative) as ec "
                              "from mart.activities_weekly where week_start = :w", w=w).iloc[0]
    ws = wb["创文活动"]
    values = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 5).value) for r in range(HEADER_ROW + 1, 8)}
    assert values["活动场次"] == (activities["e"], activities["ec"]) == (3, 12)
    assert values["参与人次"][0] == activities["p"]
    assert len(wb["图表"]._images) == 4

    # HTML: sections and figures as shown
    page = parse(result.html_path)
    assert page.sections == ["summary", "trend", "districts", "towns", "rankings", "departments", "categories",
                             "overdue", "hotline", "activities"]
    assert page.images == 4
    assert page.figures["total.n_found"] == str(int(total["n_found"]))
    assert page.figures["total.cumulative_rectification_rate"] == pct(total["cumulative_rectification_rate"])
    assert page.figures["hotline.satisfaction_rate"] == pct(hotline["satisfaction_rate"])
    for _, row in districts.iterrows():
        assert page.figures[f"district.{row['area_code']}.rectification_rate"] == pct(row["rectification_rate"])
    classes = [cls for cls, _ in page.rows]
    assert "red" in classes and "black" in classes and classes.count("no_feedback") == overdue["未反馈"]

    # PDF: the same page on A4, with the marts' figures
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(result.pdf_path).pages)
    assert f"累计发现{int(total['n_found_cumulative'])}条，已整改{int(total['n_rectified_cumulative'])}条，" \
           f"整改率{pct(total['cumulative_rectification_rate'])}" in text
    assert all(f"{name}" in text for name in districts.index)

    # published figures: first publication recorded with its time; a re-issue from the archive reads the same
    with engine.connect() as conn:
        n, at = conn.execute(sa.text("select count(*), min(published_at) from audit.published_figures "
                                     "where week_start = :w"), {"w": w}).one()
    assert n == len(result.figures) == result.n_newly_published
    assert pd.Timestamp(at) == pd.Timestamp("2026-11-16 08:00")
    assert load_result(result.directory).figures == result.figures


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_reissue_later_reproduces_the_figures_then_marks_late_data_as_restated(engine: sa.Engine,
                                                                               tmp_path: Path) -> None:
    populate(engine)
    first = build_weekly_report(engine, WEEK.week_start, tmp_path, published_at=FIRST_ISSUE)

    # Next week's data arrives: W's open findings get rectified in W+1, new findings appear in W+1.
    later = finding_rows("f2")
    in_week = later["found_at"] >= local_midnight(WEEK.week_start)
    later.loc[in_week & later["rectified_at"].isna(), "rectified_at"] = local_midnight(WEEK.shift(1).week_start)
    next_week = later[in_week].assign(
        finding_id=lambda f: f["finding_id"].str.replace("DC-46", "DC-47"),
        found_at=lambda f: f["found_at"] + timedelta(days=7),
        due_at=lambda f: f["due_at"] + timedelta(days=7),
        rectified_at=None,
    )
    with engine.begin() as conn:
        warehouse.upsert(conn, "staging.inspection_finding_versions", pd.concat([later, next_week]),
                         ["finding_id", "file_sha256"])
    models.build(engine)
    second = build_weekly_report(engine, WEEK.week_start, tmp_path,
                                 published_at=FIRST_ISSUE + timedelta(days=7))
    assert second.restatements == ()
    assert second.figures == first.figures
    assert second.n_newly_published == 0

    # Late data for W itself: a finding found in W uploaded after the report went out.
    late = finding_rows("f3").iloc[[0]].assign(
        finding_id="DC-46-LATE", found_at=local_midnight(WEEK.week_start + timedelta(days=2)),
        due_at=local_deadline(WEEK.week_start + timedelta(days=20)), rectified_at=None, has_feedback=False,
        district_code="440703", town_code="440703101", department_code="urban_management",
    )
    with engine.begin() as conn:
        warehouse.upsert(conn, "staging.inspection_finding_versions", late, ["finding_id", "file_sha256"])
    models.build(engine)
    third = build_weekly_report(engine, WEEK.week_start, tmp_path, published_at=FIRST_ISSUE + timedelta(days=14))

    restated = {r.key: r for r in third.restatements}
    assert restated["total.n_found"].old == first.figures["total.n_found"]
    assert restated["total.n_found"].new == first.figures["total.n_found"] + 1
    assert restated["district.440703.n_found"].new == first.figures["district.440703.n_found"] + 1
    assert "total.rectification_rate" in restated
    assert "hotline.n_received" not in restated
    assert third.subject.endswith("(含数据更正)")
    # the audit keeps what was first published, with its time
    with engine.connect() as conn:
        value, at = conn.execute(sa.text("select value, published_at from audit.published_figures "
                                         "where week_start = :w and figure = 'total.n_found'"),
                                 {"w": WEEK.week_start}).one()
    assert value == first.figures["total.n_found"] and pd.Timestamp(at) == pd.Timestamp("2026-11-16 08:00")

    # the report shows the new value, marked, with the old one
    wb = load_workbook(third.xlsx_path)
    fixes = wb["数据更正"]
    rows = {fixes.cell(r, 1).value: (fixes.cell(r, 2).value, fixes.cell(r, 3).value)
            for r in range(HEADER_ROW + 1, fixes.max_row + 1)}
    n_old = int(first.figures["total.n_found"])
    assert rows["全市本周发现"] == (str(n_old), str(n_old + 1))
    summary = wb["概要"]
    cell = next(summary.cell(r, 2) for r in range(HEADER_ROW + 1, summary.max_row + 1)
                if summary.cell(r, 1).value == "本周发现问题")
    assert cell.value == n_old + 1 and f"原发布值 {n_old}" in cell.comment.text
    page = parse(third.html_path)
    assert "restatements" in page.sections
    assert page.figures["total.n_found"] == str(n_old + 1)
    assert f"原发布值 {n_old}" in page.marks
    # earlier issues stay in the archive
    assert len(list((tmp_path / "2026-W46" / "superseded").glob("*/创文周报_2026-W46.xlsx"))) == 2


def test_week_start_must_be_a_monday(engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Monday"):
        build_weekly_report(engine, date(2026, 11, 10), tmp_path, published_at=FIRST_ISSUE)


def test_a_week_without_data_still_renders(engine: sa.Engine, tmp_path: Path) -> None:
    result = build_weekly_report(engine, WEEK.week_start, tmp_path, published_at=FIRST_ISSUE, publish=False)
    page = parse(result.html_path)
    assert page.figures["total.n_found"] == "—"
    assert page.figures["total.rectification_rate"] == "—"
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from audit.published_figures")).scalar() == 0


def test_a_long_overdue_list_goes_whole_into_a_csv(engine: sa.Engine, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.report import content

    populate(engine)
    monkeypatch.setattr(content, "OVERDUE_ROW_LIMIT", 10)
    result = build_weekly_report(engine, WEEK.week_start, tmp_path, published_at=FIRST_ISSUE)
    n = mart(engine, "select count(*) as n from mart.overdue_problems where week_start = :w",
             w=WEEK.week_start)["n"].iloc[0]
    assert n > 10
    assert result.overdue_csv_path == tmp_path / "2026-W46" / "超期未整改清单_2026-W46.csv"
    assert result.files[-1] == result.overdue_csv_path
    listed = pd.read_csv(result.overdue_csv_path, encoding="utf-8-sig")
    assert len(listed) == n and list(listed.columns[:3]) == ["状态", "问题编号", "来源"]
    ws = load_workbook(result.xlsx_path)["超期未整改"]
    assert ws.max_row == HEADER_ROW + 10
    assert result.figures["overdue.n_total"] == n
    assert load_result(result.directory).files == result.files

    # read and written a few rows at a time, the list is the same: one header, every row, in the same order
    monkeypatch.setattr(build_module, "iter_overdue", partial(iter_overdue, chunk_rows=7))
    again = build_weekly_report(engine, WEEK.week_start, tmp_path / "chunked", published_at=FIRST_ISSUE)
    assert pd.read_csv(again.overdue_csv_path, encoding="utf-8-sig").equals(listed)


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_shortened_overdue_list_keeps_the_longest_rows_and_counts_them_all(engine: sa.Engine) -> None:
    from etl.report.data import load_week

    populate(engine)
    data = load_week(engine, WEEK.week_start, overdue_rows=10)
    longest = mart(engine, "select problem_id from mart.overdue_problems where week_start = :w"
                   " order by days_overdue desc, overdue_kind, problem_id limit 10", w=WEEK.week_start)
    assert sorted(data.overdue["problem_id"]) == sorted(longest["problem_id"])
    counts = mart(engine, "select department_name, overdue_kind, count(*) as n, max(days_overdue) as longest"
                  " from mart.overdue_problems where week_start = :w group by department_name, overdue_kind",
                  w=WEEK.week_start)
    assert len(counts) > 1 and counts["n"].sum() > 10

    def ordered(frame: pd.DataFrame) -> list[tuple]:
        return sorted((r.department_name or "", r.overdue_kind, int(r.n), float(r.longest))
                      for r in frame.itertuples())
    assert ordered(data.overdue_by_department) == ordered(counts)
    assert load_week(engine, WEEK.week_start).overdue["problem_id"].size == counts["n"].sum()
    # the week before's list, counted in the same pass over the view
    previous = mart(engine, "select count(*) as n from mart.overdue_problems where week_start = :w",
                    w=WEEK.previous.week_start)["n"].iloc[0]
    assert previous > 0 and previous != counts["n"].sum()
    assert data.overdue_previous_count == previous
    first_week = mart(engine, "select min(week_start) as w from mart.weekly_rectification_total")["w"].iloc[0]
    assert load_week(engine, first_week).overdue_previous_count == 0


def test_trend_starts_at_the_campaigns_first_week(engine: sa.Engine) -> None:
    from etl.report.data import load_week

    populate(engine)  # data from W43 on: the 12-week window would reach back to W35
    first_in_marts = engine.connect().exec_driver_sql("select min(week_start) from mart.weekly_rectification_total")
    first = first_in_marts.scalar()
    data = load_week(engine, WEEK.week_start)
    assert data.trend_weeks[0].week_start == first > WEEK.shift(-11).week_start
    assert [w.week_start for w in data.trend_weeks] == list(data.total["week_start"])
