"""What the weekly report says, independent of its format: KPIs, tables, published figures and their marks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from etl.config import LOCAL_TZ
from etl.report import fmt
from etl.report.data import MEASURES, ReportWeek, WeekData
from etl.report.publish import Figure, Restatement

REPORT_TITLE = "创文工作周报"
UNIT_KINDS = {"department": "市直部门", "district": "区(县)", "town": "镇(街)"}
SOURCES = {"inspection": "督查暗访", "inspections": "督查暗访", "hotline": "12345热线", "12345": "12345热线",
           "app": "市民APP", "patrol": "巡查小程序", "media": "曝光台", "open311": "12345热线"}
OVERDUE_KINDS = ("未反馈", "未整改")
OVERDUE_ROW_LIMIT = 3000  # rows in the XLSX list (the longest overdue); a longer list goes whole into a CSV
_MEASURE_LABELS = {
    "n_found": "本周发现", "n_rectified": "本周整改", "rectification_rate": "本周整改率",
    "n_found_cumulative": "累计发现", "n_rectified_cumulative": "累计整改",
    "cumulative_rectification_rate": "累计整改率", "n_due": "本周到期", "n_rectified_on_time": "按期整改",
    "on_time_rate": "按期整改率",
}


@dataclass(frozen=True)
class Cell:
    """One value shown in a table; `figure` names it among the published figures when it is one."""

    value: object
    kind: str = "text"  # text | count | rate | hours | days | rank | list | delta_count | delta_rate
    figure: str | None = None

    @property
    def text(self) -> str:
        return fmt.cell(self.value, self.kind)

    @property
    def is_number(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Table:
    """A titled table; a `group_by` column splits it into sub-tables in HTML (kept as a column in XLSX)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    styles: tuple[str | None, ...] = ()  # per row: red | black | no_feedback | None
    note: str | None = None
    group_by: int | None = None

    def style_of(self, i: int) -> str | None:
        return self.styles[i] if i < len(self.styles) else None

    def groups(self) -> Iterator[tuple[str, list[tuple[tuple[Cell, ...], str | None]]]]:
        """(group name, [(row without the group column, style)]) in order of first appearance."""
        order: dict[str, list] = {}
        for i, row in enumerate(self.rows):
            name = row[self.group_by].text if self.group_by is not None else ""
            rest = tuple(c for j, c in enumerate(row) if j != self.group_by)
            order.setdefault(name, []).append((rest, self.style_of(i)))
        yield from order.items()

    @property
    def group_columns(self) -> tuple[str, ...]:
        return tuple(c for j, c in enumerate(self.columns) if j != self.group_by)


@dataclass(frozen=True)
class Kpi:
    """A headline figure with last week's value and the change."""

    label: str
    key: str
    kind: str
    this_week: object
    last_week: object

    @property
    def change(self) -> object:
        if fmt.missing(self.this_week) or fmt.missing(self.last_week):
            return None
        return float(self.this_week) - float(self.last_week)

    @property
    def change_kind(self) -> str:
        return "delta_rate" if self.kind == "rate" else "delta_count"


@dataclass(frozen=True)
class ReportContent:
    """The whole report: sentences, KPIs, tables, figures; restatements are filled in before rendering."""

    week: ReportWeek
    headline: str
    week_sentence: str
    kpis: tuple[Kpi, ...]
    hotline_kpis: tuple[Kpi, ...]
    activity_kpis: tuple[Kpi, ...]
    activity_cumulative: dict[str, float]
    tables: dict[str, Table]
    figures: dict[str, Figure]
    generated_at: datetime
    restatements: tuple[Restatement, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    overdue_counts: dict[str, int] = field(default_factory=dict)  # the whole overdue list by kind (未反馈, 未整改)

    @property
    def overdue_truncated(self) -> bool:
        """The XLSX/HTML list shows only the longest overdue; the whole list goes into a CSV."""
        return len(self.tables["overdue"].rows) < sum(self.overdue_counts.values())

    @property
    def title(self) -> str:
        return f"{REPORT_TITLE} {self.week.title}"

    @property
    def restated(self) -> dict[str, Restatement]:
        return {r.key: r for r in self.restatements}

    @property
    def as_of(self) -> str:
        end = self.week.week_end
        return f"数据截至{end.year}年{end.month}月{end.day}日24时(北京时间)"

    @property
    def generated_label(self) -> str:
        local = self.generated_at
        if local.tzinfo is not None:
            local = local.astimezone(ZoneInfo(LOCAL_TZ))
        return f"{local:%Y-%m-%d %H:%M}"


def build_content(data: WeekData, generated_at: datetime, *, overdue_limit: int | None = None) -> ReportContent:
    """Turn one week's mart frames into the report's sentences, tables and figures."""
    overdue_limit = OVERDUE_ROW_LIMIT if overdue_limit is None else overdue_limit
    week, prev = data.week, data.week.previous
    now, before = data.total_of(week), data.total_of(prev)
    figures: dict[str, Figure] = {}

    def add(key: str, label: str, value: object, kind: str) -> str:
        figures[key] = Figure(key, label, None if fmt.missing(value) else float(value), kind)
        return key

    for m in MEASURES:
        add(f"total.{m}", f"全市{_MEASURE_LABELS[m]}", now.get(m), _kind(m))

    overdue_counts = {kind: int(data.overdue_by_department.loc[data.overdue_by_department["overdue_kind"] == kind,
                                                               "n"].sum()) for kind in OVERDUE_KINDS}
    n_overdue = sum(overdue_counts.values())
    add("overdue.n_total", "超期未整改问题", n_overdue, "count")
    add("overdue.n_no_feedback", "超期未反馈问题", overdue_counts["未反馈"], "count")
    add("overdue.n_not_rectified", "超期已反馈未整改问题", overdue_counts["未整改"], "count")

    kpis = tuple(
        Kpi(label, f"total.{m}", _kind(m), now.get(m), before.get(m))
        for label, m in [
            ("本周发现问题", "n_found"), ("本周已整改", "n_rectified"), ("本周整改率", "rectification_rate"),
            ("累计发现", "n_found_cumulative"), ("累计已整改", "n_rectified_cumulative"),
            ("累计整改率", "cumulative_rectification_rate"), ("本周到期", "n_due"),
            ("按期整改", "n_rectified_on_time"), ("按期整改率", "on_time_rate"),
        ]
    ) + (Kpi("超期未整改", "overdue.n_total", "count", n_overdue, data.overdue_previous_count),)

    headline = (
        f"累计发现{fmt.count(now.get('n_found_cumulative'))}条，"
        f"已整改{fmt.count(now.get('n_rectified_cumulative'))}条，"
        f"整改率{fmt.rate(now.get('cumulative_rectification_rate'))}"
    )
    week_sentence = (
        f"本周发现问题{fmt.count(now.get('n_found'))}条，已整改{fmt.count(now.get('n_rectified'))}条，"
        f"本周整改率{fmt.rate(now.get('rectification_rate'))}"
    )

    tables: dict[str, Table] = {}
    tables["districts"] = _area_table(data, "district", add)
    tables["towns"] = _area_table(data, "town", add)
    tables["rankings"] = _ranking_table(data, add)
    tables["departments"] = _department_table(data, add)
    if data.categories is not None:
        tables["categories"] = _category_table(data, add)
    tables["overdue"] = _overdue_table(data.overdue, overdue_counts, overdue_limit)
    tables["overdue_by_department"] = _overdue_by_department(data.overdue_by_department)

    hotline_now, hotline_before = data.hotline_of(week), data.hotline_of(prev)
    hotline_kpis = []
    for label, m in [("受理", "n_received"), ("办结", "n_closed"), ("办结率", "closure_rate"),
                     ("本周到期", "n_due"), ("按期办结", "n_closed_on_time"), ("按期办结率", "on_time_closure_rate"),
                     ("参与评价", "n_rated"), ("满意(含基本满意)", "n_satisfied"), ("满意率", "satisfaction_rate")]:
        add(f"hotline.{m}", f"12345热线{label}", hotline_now.get(m), _kind(m))
        hotline_kpis.append(Kpi(label, f"hotline.{m}", _kind(m), hotline_now.get(m), hotline_before.get(m)))

    act_now, act_before = data.activities_of(week), data.activities_of(prev)
    activity_kpis = []
    for label, m in [("活动场次", "n_events"), ("参与人次", "n_participants"), ("志愿者人数", "n_volunteers"),
                     ("志愿服务时长(小时)", "volunteer_hours")]:
        kind = "hours" if m == "volunteer_hours" else "count"
        add(f"activities.{m}", f"本周{label}", act_now.get(m), kind)
        add(f"activities.{m}_cumulative", f"累计{label}", data.activities_cumulative.get(m), kind)
        activity_kpis.append(Kpi(label, f"activities.{m}", kind, act_now.get(m), act_before.get(m)))
    tables["activities_by_district"] = _activities_table(data)

    notes = ()
    if data.categories is None:
        notes = ("问题类别分布:数仓未提供 mart.weekly_rectification_by_category 视图,本期从略。",)
    return ReportContent(
        week=week, headline=headline, week_sentence=week_sentence, kpis=kpis, hotline_kpis=tuple(hotline_kpis),
        activity_kpis=tuple(activity_kpis), activity_cumulative=dict(data.activities_cumulative), tables=tables,
        figures=figures, generated_at=generated_at, notes=notes, overdue_counts=overdue_counts,
    )


def with_restatements(content: ReportContent, restatements: list[Restatement]) -> ReportContent:
    """The same content, with the figures that differ from their first publication marked."""
    from dataclasses import replace

    return replace(content, restatements=tuple(restatements))


def restatement_table(content: ReportContent) -> Table:
    """数据更正: each restated figure with the value first published and the value now."""
    rows = tuple(
        (Cell(r.label), Cell(fmt.figure(r.old, r.kind) if r.old is not None else "(未发布)"),
         Cell(fmt.figure(r.new, r.kind)), Cell(_local(r.published_at)))
        for r in content.restatements
    )
    return Table("restatements", "数据更正", ("指标", "原发布值", "更正后", "原发布时间"), rows,
                 note="迟报或更正的数据使以下数字与首次发布时不同;原发布值保留在审计表中。")


def _area_table(data: WeekData, level: str, add) -> Table:
    areas = data.areas[data.areas["area_level"] == level]
    this = areas[areas["week_start"] == data.week.week_start]
    before = areas[areas["week_start"] == data.week.previous.week_start].set_index("area_code")
    note = None
    if level == "town":
        districts = areas_of(data, "district")
        order = {n: i for i, n in enumerate(districts.sort_values("area_code")["area_name"])}
        this = this.assign(_o=this["parent_area_name"].map(order)).sort_values(["_o", "area_code"],
                                                                                na_position="last")
        quiet = _without_problems(this)
        if quiet.any():
            note = f"另有{int(quiet.sum())}个镇(街)自创文以来无问题记录,未列出。"
    else:
        this = this.sort_values("area_code")
        quiet = pd.Series(False, index=this.index)
    rows, name = [], UNIT_KINDS[level]
    # every area's figures are published, listed or not: what is shown must not change what is recorded
    for r, hidden in zip(this.itertuples(index=False), quiet, strict=True):
        prefix = f"{level}.{r.area_code}"
        cells = [Cell(r.area_name)]
        if level == "town":
            cells.append(Cell(r.parent_area_name))
        for m in MEASURES:
            cells.append(Cell(getattr(r, m), _kind(m), add(f"{prefix}.{m}", f"{r.area_name}{_MEASURE_LABELS[m]}",
                                                           getattr(r, m), _kind(m))))
            if m == "rectification_rate":
                last = before["rectification_rate"].get(r.area_code) if r.area_code in before.index else None
                cells.append(Cell(_diff(r.rectification_rate, last), "delta_rate"))
        if not hidden:
            rows.append(tuple(cells))
    columns = (name, *(("所属区(县)",) if level == "town" else ()), "本周发现", "本周整改", "本周整改率", "较上周",
               "累计发现", "累计整改", "累计整改率", "本周到期", "按期整改", "按期整改率")
    title = "各区(县)整改情况" if level == "district" else "各镇(街)整改情况"
    return Table(f"{level}s", title, columns, tuple(rows), note=note)


def areas_of(data: WeekData, level: str) -> pd.DataFrame:
    """This week's rows of one area level."""
    areas = data.areas
    return areas[(areas["area_level"] == level) & (areas["week_start"] == data.week.week_start)]


def _without_problems(frame: pd.DataFrame) -> pd.Series:
    """Units with nothing to report: no problem found so far and none due this week."""
    return (frame["n_found_cumulative"].fillna(0) == 0) & (frame["n_found"].fillna(0) == 0) & (
        frame["n_due"].fillna(0) == 0)


def _department_table(data: WeekData, add) -> Table:
    this = data.departments[data.departments["week_start"] == data.week.week_start]
    this = this.assign(_k=(this["department_kind"] != "municipal")).sort_values(
        ["_k", "n_found", "department_code"], ascending=[True, False, True])
    quiet = _without_problems(this)
    note = f"另有{int(quiet.sum())}个责任单位自创文以来无问题记录,未列出。" if quiet.any() else None
    rows = []
    for r, hidden in zip(this.itertuples(index=False), quiet, strict=True):
        kind = "市直部门" if r.department_kind == "municipal" else "镇(街)政府"
        cells = [Cell(r.department_name), Cell(kind)]
        for m in MEASURES:
            if m.endswith("cumulative") or m == "cumulative_rectification_rate":
                continue
            key = add(f"department.{r.department_code}.{m}", f"{r.department_name}{_MEASURE_LABELS[m]}",
                      getattr(r, m), _kind(m))
            cells.append(Cell(getattr(r, m), _kind(m), key))
        if not hidden:
            rows.append(tuple(cells))
    return Table("departments", "责任单位整改情况", ("责任单位", "类型", "本周发现", "本周整改", "本周整改率",
                                                    "本周到期", "按期整改", "按期整改率"), tuple(rows), note=note)


def _ranking_table(data: WeekData, add) -> Table:
    order = {k: i for i, k in enumerate(UNIT_KINDS)}
    frame = data.rankings.assign(_o=data.rankings["unit_kind"].map(order)).sort_values(["_o", "rank", "unit_code"])
    rows, styles = [], []
    for r in frame.itertuples(index=False):
        prefix = f"{r.unit_kind}.{r.unit_code}"
        listed = {"red": 1.0, "black": -1.0}.get(r.list, 0.0)
        label = r.unit_name
        rank_key = add(f"{prefix}.rank", f"{label}排名", r.rank, "rank")
        list_key = add(f"{prefix}.list", f"{label}红黑榜", listed, "list")
        black = r.list == "black"
        count_key = add(f"{prefix}.consecutive_black_weeks", f"{label}连续上黑榜次数",
                        r.consecutive_black_weeks if black else 0, "count") if black else None
        rows.append((
            Cell(UNIT_KINDS.get(r.unit_kind, r.unit_kind)),
            Cell(r.rank, "count", rank_key),
            Cell(r.unit_name),
            Cell(r.n_found, "count"),
            Cell(r.n_rectified, "count"),
            Cell(r.rectification_rate, "rate"),
            Cell(fmt.LIST_NAMES.get(listed, ""), "text", list_key),
            Cell(r.consecutive_black_weeks, "count", count_key) if black else Cell(""),
            Cell(r.escalation if black else ""),
        ))
        styles.append({"red": "red", "black": "black"}.get(r.list))
    n_ranked = frame.groupby("unit_kind")["n_ranked"].max().dropna().to_dict() if len(frame) else {}
    counts = "、".join(f"{name}{int(n_ranked[k])}个" for k, name in UNIT_KINDS.items() if k in n_ranked)
    note = (f"按本周整改率排名,本周无问题的单位不参与排名;边界并列者一并列入。参与排名:{counts}" if n_ranked
            else "本周无参与排名的单位。")
    return Table("rankings", "红黑榜", ("类别", "排名", "单位", "本周发现", "本周整改", "本周整改率", "榜单",
                                     "连续上黑榜(次)", "处理"), tuple(rows), tuple(styles), note=note, group_by=0)


def _category_table(data: WeekData, add) -> Table:
    rows = []
    for r in data.categories.itertuples(index=False):
        rows.append((
            Cell(r.category_name),
            Cell(r.n_found, "count", add(f"category.{r.category_code}.n_found", f"{r.category_name}本周发现",
                                          r.n_found, "count")),
            Cell(r.n_rectified, "count", add(f"category.{r.category_code}.n_rectified",
                                              f"{r.category_name}本周整改", r.n_rectified, "count")),
            Cell(r.rectification_rate, "rate", add(f"category.{r.category_code}.rectification_rate",
                                                    f"{r.category_name}本周整改率", r.rectification_rate, "rate")),
        ))
    return Table("categories", "本周问题类别", ("问题类别", "本周发现", "本周整改", "本周整改率"), tuple(rows))


def overdue_list(frame: pd.DataFrame) -> pd.DataFrame:
    """Overdue problems (mart.overdue_problems rows) as the office reads them: Chinese headers, local dates."""
    return pd.DataFrame({
        "状态": frame["overdue_kind"],
        "问题编号": [_source_id(p, s) for p, s in zip(frame["problem_id"], frame["source"], strict=True)],
        "来源": frame["source"].map(lambda s: SOURCES.get(s, s)),
        "发现日期": _local_dates(frame["found_at"]),
        "整改时限": _local_dates(frame["due_at"]),
        "超期天数": frame["days_overdue"],
        "区(县)": frame["district_name"],
        "镇(街)": frame["town_name"],
        "点位": frame["site_name"],
        "问题类别": frame["category_name"],
        "责任单位": frame["department_name"],
    })


def _overdue_table(overdue: pd.DataFrame, counts: dict[str, int], limit: int) -> Table:
    """The longest overdue (at most `limit`), grouped by kind; `overdue` holds at least those, in the office's order."""
    shown = overdue
    if len(overdue) > limit:
        longest = overdue.sort_values(["days_overdue", "overdue_kind", "problem_id"], ascending=[False, True, True],
                                      kind="stable").head(limit)
        shown = overdue[overdue.index.isin(longest.index)]  # still 未反馈 first, longest first
    listed = overdue_list(shown)
    kinds = {c: ("days" if c == "超期天数" else "text") for c in listed.columns}
    rows = tuple(tuple(Cell(v, kinds[c]) for c, v in zip(listed.columns, values, strict=True))
                 for values in listed.itertuples(index=False, name=None))
    styles = tuple("no_feedback" if k == "未反馈" else None for k in listed["状态"])
    n, n_no = sum(counts.values()), counts["未反馈"]
    note = (f"截至本周末超过整改时限仍未整改{n}条,其中责任单位未反馈{n_no}条、已反馈未整改{n - n_no}条。"
            if n else "截至本周末无超期未整改问题。")
    if len(listed) < n:
        note += f"本表列超期最久的{len(listed)}条,完整清单见附件CSV。"
    return Table("overdue", "超期未整改", tuple(listed.columns), rows, styles, note=note, group_by=0)


def _overdue_by_department(counted: pd.DataFrame) -> Table:
    """Per department (longest list first): both kinds' counts and the longest days overdue."""
    rows: tuple = ()
    if len(counted):
        counted = counted.assign(department_name=counted["department_name"].fillna("未注明"))
        counts = counted.pivot_table(index="department_name", columns="overdue_kind", values="n", aggfunc="sum",
                                     fill_value=0).reindex(columns=list(OVERDUE_KINDS), fill_value=0)
        counts = counts.set_axis(["no_feedback", "not_rectified"], axis=1).astype("int64")
        counts["total"] = counts.sum(axis=1)
        counts["longest"] = counted.groupby("department_name")["longest"].max()
        counts = counts.reset_index().sort_values(["total", "longest", "department_name"],
                                                  ascending=[False, False, True])
        rows = tuple(
            (Cell(r.department_name), Cell(r.total, "count"), Cell(r.no_feedback, "count"),
             Cell(r.not_rectified, "count"), Cell(r.longest, "days"))
            for r in counts.itertuples(index=False)
        )
    return Table("overdue_by_department", "超期未整改按责任单位",
                 ("责任单位", "超期合计", "未反馈", "已反馈未整改", "最长超期天数"), rows)


def _activities_table(data: WeekData) -> Table:
    frame = data.activities
    if len(frame):
        frame = (frame.assign(district_name=frame["district_name"].fillna("未注明"))
                 .groupby("district_name", sort=True)[["n_events", "n_participants", "n_volunteers",
                                                        "volunteer_hours"]].sum().reset_index())
    rows = tuple(
        (Cell(r.district_name), Cell(r.n_events, "count"), Cell(r.n_participants, "count"),
         Cell(r.n_volunteers, "count"), Cell(r.volunteer_hours, "hours"))
        for r in frame.itertuples(index=False)
    )
    return Table("activities_by_district", "本周各区(县)创文活动",
                 ("区(县)", "活动场次", "参与人次", "志愿者人数", "志愿服务时长(小时)"), rows)


def _source_id(problem_id: str, source: str | None) -> str:
    """`inspection:DC-2026-001` -> `DC-2026-001`: the source is a column of its own."""
    prefix = f"{source}:"
    return problem_id[len(prefix):] if source and problem_id and problem_id.startswith(prefix) else problem_id


def _kind(measure: str) -> str:
    if measure.endswith("_rate"):
        return "rate"
    return "hours" if measure == "volunteer_hours" else "count"


def _diff(a: object, b: object) -> float | None:
    if fmt.missing(a) or fmt.missing(b):
        return None
    return float(a) - float(b)


def _local_dates(values: pd.Series) -> pd.Series:
    """UTC timestamps from the warehouse as the local dates the office reads."""
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d").fillna("")


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
