"""Load one ISO week's figures from the mart views, reading only the weeks the report shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

TREND_WEEKS = 12

MEASURES = (
    "n_found", "n_rectified", "rectification_rate",
    "n_found_cumulative", "n_rectified_cumulative", "cumulative_rectification_rate",
    "n_due", "n_rectified_on_time", "on_time_rate",
)
HOTLINE_MEASURES = (
    "n_received", "n_closed", "closure_rate", "n_due", "n_closed_on_time", "on_time_closure_rate",
    "n_rated", "n_satisfied", "satisfaction_rate",
)
ACTIVITY_MEASURES = ("n_events", "n_participants", "n_volunteers", "volunteer_hours")

_AREA_COLUMNS = ("week_start", "area_level", "area_code", "area_name", "parent_area_name", *MEASURES)
_DEPARTMENT_COLUMNS = ("week_start", "department_code", "department_name", "department_kind", *MEASURES)
_RANKING_COLUMNS = (
    "week_start", "unit_kind", "unit_code", "unit_name", "n_found", "n_rectified", "rectification_rate",
    "rank", "n_ranked", "list", "consecutive_black_weeks", "escalation",
)
_OVERDUE_COLUMNS = (
    "week_start", "problem_id", "source", "found_at", "due_at", "days_overdue", "district_name", "town_name",
    "site_name", "category_name", "department_name", "overdue_kind",
)
_CATEGORY_COLUMNS = ("week_start", "category_code", "category_name", "n_found", "n_rectified", "rectification_rate")
CATEGORY_VIEW = "mart.weekly_rectification_by_category"


@dataclass(frozen=True, order=True)
class ReportWeek:
    """An ISO week, Monday to Sunday in local time, named by its Monday."""

    week_start: date

    def __post_init__(self) -> None:
        if self.week_start.isoweekday() != 1:
            raise ValueError(f"week_start must be a Monday, got {self.week_start} ({self.week_start:%A})")

    @classmethod
    def containing(cls, day: date) -> ReportWeek:
        """The week that holds `day`."""
        return cls(day - timedelta(days=day.isoweekday() - 1))

    @classmethod
    def just_ended(cls, day: date) -> ReportWeek:
        """The last complete week before the week holding `day` (Monday's report covers last week)."""
        return cls.containing(day).shift(-1)

    def shift(self, weeks: int) -> ReportWeek:
        """The week `weeks` later (negative: earlier)."""
        return ReportWeek(self.week_start + timedelta(weeks=weeks))

    @property
    def previous(self) -> ReportWeek:
        """The week before."""
        return self.shift(-1)

    @property
    def week_end(self) -> date:
        """The Sunday that closes the week."""
        return self.week_start + timedelta(days=6)

    @property
    def iso_year(self) -> int:
        return self.week_start.isocalendar().year

    @property
    def iso_week(self) -> int:
        return self.week_start.isocalendar().week

    @property
    def label(self) -> str:
        """`2026-W46`: names the archive folder and the files."""
        return f"{self.iso_year}-W{self.iso_week:02d}"

    @property
    def title(self) -> str:
        """`2026年第46周 (11月9日—11月15日)`."""
        start, end = self.week_start, self.week_end
        return f"{self.iso_year}年第{self.iso_week}周 ({start.month}月{start.day}日—{end.month}月{end.day}日)"

    @property
    def short_label(self) -> str:
        """`第46周`, for chart axes."""
        return f"第{self.iso_week}周"


@dataclass(frozen=True)
class WeekData:
    """Everything the report of one week shows, as small frames read from the marts."""

    week: ReportWeek
    total: pd.DataFrame  # one row per week of the trend window, oldest first (missing weeks: NaN)
    areas: pd.DataFrame  # this week and the week before, districts and towns
    departments: pd.DataFrame  # this week and the week before
    categories: pd.DataFrame | None  # this week by problem category; None where the mart has no such view
    rankings: pd.DataFrame  # red/black list of this week
    overdue: pd.DataFrame  # open past their deadline at the end of this week: the longest overdue (all if few)
    overdue_by_department: pd.DataFrame  # the whole list counted: department_name, overdue_kind, n, longest
    overdue_previous_count: int  # the list's length at the end of the week before
    hotline: pd.DataFrame  # one row per week of the trend window (only this week and the week before are read)
    activities: pd.DataFrame  # this week by district, category and organizer
    activities_weekly: pd.DataFrame  # one row per week of the trend window: the sums over the whole city
    activities_cumulative: dict[str, float]  # since the campaign start, as of the end of this week
    trend_start: date | None = None  # the campaign's first week, when the trend window reaches back before it

    @property
    def trend_weeks(self) -> list[ReportWeek]:
        weeks = (self.week.shift(-i) for i in range(TREND_WEEKS - 1, -1, -1))
        return [w for w in weeks if self.trend_start is None or w.week_start >= self.trend_start]

    def total_of(self, week: ReportWeek) -> pd.Series:
        """The whole-city row of `week` (NaN measures when the mart has none)."""
        return _row(self.total, week)

    def hotline_of(self, week: ReportWeek) -> pd.Series:
        return _row(self.hotline, week)

    def activities_of(self, week: ReportWeek) -> pd.Series:
        return _row(self.activities_weekly, week)


def load_week(engine: Engine | Connection, week_start: date, *, overdue_rows: int | None = None) -> WeekData:
    """Read week `week_start`'s figures (and the trend window before it) from the mart views.

    Of the overdue list only the `overdue_rows` longest overdue are read (all when None), and its counts;
    `iter_overdue` reads the whole list in chunks, so a list of millions never sits in memory at once.
    """
    week = ReportWeek(week_start)
    first = week.shift(-(TREND_WEEKS - 1)).week_start
    this, prev = week.week_start, week.previous.week_start
    with _connection(engine) as conn:
        total = _read(conn, "mart.weekly_rectification_total", ("week_start", *MEASURES),
                      "week_start between :first and :last", first=first, last=this)
        # `between` rather than `in (...)`: DuckDB prunes the views' weeks much better with a range
        hotline = _read(conn, "mart.hotline_weekly", ("week_start", *HOTLINE_MEASURES),
                        "week_start between :prev and :this", prev=prev, this=this)
        areas = _read(conn, "mart.weekly_rectification_by_area", _AREA_COLUMNS,
                      "week_start between :prev and :this and area_level in ('district', 'town')", this=this, prev=prev)
        departments = _read(conn, "mart.weekly_rectification_by_department", _DEPARTMENT_COLUMNS,
                            "week_start between :prev and :this", this=this, prev=prev)
        rankings = _read(conn, "mart.red_black_list", _RANKING_COLUMNS, "week_start = :this", this=this)
        overdue, overdue_by_department, overdue_previous = _read_overdue(conn, this, prev, overdue_rows)
        activities = _read(conn, "mart.activities_weekly",
                           ("week_start", "district_name", "category", "organizer", *ACTIVITY_MEASURES,
                            *(f"{m}_cumulative" for m in ACTIVITY_MEASURES)),
                           "week_start = :this", this=this)
        activities_weekly = _read_sums(conn, "mart.activities_weekly", ACTIVITY_MEASURES,
                                       "week_start between :first and :last", group_by="week_start",
                                       first=first, last=this)
        categories = (
            _read(conn, CATEGORY_VIEW, _CATEGORY_COLUMNS, "week_start = :this", this=this)
            if _has_view(conn, CATEGORY_VIEW) else None
        )
        # Weeks before the campaign's first are not drawn as empty slots in the trend charts.
        campaign_first = conn.execute(sa.text("select min(week_start) from mart.weekly_rectification_total")).scalar()
    trend_start = campaign_first if campaign_first and campaign_first > first else None
    trend = [w.week_start for w in (week.shift(-i) for i in range(TREND_WEEKS - 1, -1, -1))
             if trend_start is None or w.week_start >= trend_start]
    return WeekData(
        week=week,
        total=_complete_weeks(total, trend),
        areas=areas.sort_values(["area_level", "area_code", "week_start"], ignore_index=True),
        departments=departments.sort_values(["department_code", "week_start"], ignore_index=True),
        categories=None if categories is None else categories.sort_values("n_found", ascending=False,
                                                                           ignore_index=True),
        rankings=rankings.sort_values(["unit_kind", "rank", "unit_code"], ignore_index=True),
        overdue=overdue.sort_values(["overdue_kind", "days_overdue", "problem_id"], ascending=[True, False, True],
                                    ignore_index=True),
        overdue_by_department=overdue_by_department,
        overdue_previous_count=int(overdue_previous or 0),
        hotline=_complete_weeks(hotline, trend),
        activities=activities.sort_values(["district_name", "category", "organizer"], ignore_index=True),
        activities_weekly=_complete_weeks(activities_weekly, trend),
        # every district x category x organizer has a row each week from its first event on, so the
        # since-the-start totals are the sums of this week's cumulative columns
        activities_cumulative={m: _number(activities[f"{m}_cumulative"].sum()) for m in ACTIVITY_MEASURES},
        trend_start=trend_start,
    )


def _read_overdue(
    conn: Connection, week_start: date, previous: date, n_rows: int | None
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The `n_rows` longest overdue (all when None), the whole list counted per department and kind, and the
    length of the previous week's list: a top-N over this week and a small group by over both weeks.

    The view works out every problem's state at each week's end, and its memory grows with the weeks it is
    asked for. One query over both weeks, with window functions for the three answers, ran DuckDB out of its
    512MB at 5M tickets; it needed 200MB of DuckDB memory at 1M tickets, these two 100MB each. A group by
    streams, so it may cover both weeks: on PostgreSQL each query is a pass over the view (1.0-1.4 s at 1M).
    """
    columns = ", ".join(_OVERDUE_COLUMNS)
    limit = "" if n_rows is None else f" limit {int(n_rows)}"
    overdue = _fetch(conn, f"select {columns} from mart.overdue_problems where week_start = :this"
                           f" order by days_overdue desc, overdue_kind, problem_id{limit}",
                     {"this": week_start}, list(_OVERDUE_COLUMNS))
    counts = _fetch(conn, "select week_start, department_name, overdue_kind, count(*), max(days_overdue)"
                          " from mart.overdue_problems where week_start in (:this, :previous)"
                          " group by week_start, department_name, overdue_kind",
                    {"this": week_start, "previous": previous},
                    ["week_start", "department_name", "overdue_kind", "n", "longest"])
    is_this_week = pd.to_datetime(counts.pop("week_start")).dt.date == week_start
    n_previous = int(counts.loc[~is_this_week, "n"].sum())
    return _typed(overdue), _typed(counts.loc[is_this_week].reset_index(drop=True)), n_previous


def iter_overdue(engine: Engine, week_start: date, chunk_rows: int = 50_000) -> Iterator[pd.DataFrame]:
    """The whole overdue list at the end of the week, 未反馈 first, longest first, in frames of `chunk_rows`."""
    columns = ", ".join(_OVERDUE_COLUMNS)
    sql = (f"select {columns} from mart.overdue_problems where week_start = :this"
           " order by overdue_kind, days_overdue desc, problem_id")
    params = {"this": week_start}
    with engine.connect() as conn:
        if conn.dialect.name == "duckdb":
            relation = conn.connection.driver_connection.sql(_PARAM.sub(r"$\1", sql), params=params)
            for batch in relation.to_arrow_reader(chunk_rows):
                yield _typed(batch.to_pandas().set_axis(list(_OVERDUE_COLUMNS), axis=1))
            return
        result = conn.execution_options(stream_results=True).execute(sa.text(sql), params)
        for rows in result.partitions(chunk_rows):
            yield _typed(pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(_OVERDUE_COLUMNS)))


class _connection:
    """Use the caller's connection, or open (and close) one from an engine."""

    def __init__(self, bind: Engine | Connection) -> None:
        self._bind, self._conn = bind, None

    def __enter__(self) -> Connection:
        if isinstance(self._bind, Connection):
            return self._bind
        self._conn = self._bind.connect()
        return self._conn

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()


def _read(conn: Connection, view: str, columns: tuple[str, ...], where: str, *, then: str = "",
          **params: object) -> pd.DataFrame:
    """`select <columns> from <view> where <where> <then>` (then: an order by / limit) as a typed frame."""
    quoted = ", ".join(f'"{c}"' if c in ("rank", "list") else c for c in columns)
    return _typed(_fetch(conn, f"select {quoted} from {view} where {where} {then}", params, list(columns)))


def _read_sums(conn: Connection, view: str, measures: tuple[str, ...], where: str, *, group_by: str | None = None,
               **params: object) -> pd.DataFrame:
    sums = ", ".join(f"coalesce(sum({m}), 0) as {m}" for m in measures)
    keys = f"{group_by}, " if group_by else ""
    tail = f" group by {group_by}" if group_by else ""
    columns = [*([group_by] if group_by else []), *measures]
    return _typed(_fetch(conn, f"select {keys}{sums} from {view} where {where}{tail}", params, columns))


_PARAM = re.compile(r"(?<!:):([a-z_]+)\b")


def _fetch(conn: Connection, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame; on DuckDB through its own DataFrame path (row objects cost seconds on 100k rows)."""
    if conn.dialect.name == "duckdb":
        frame = conn.connection.driver_connection.execute(_PARAM.sub(r"$\1", sql), params).df()
        frame.columns = columns
        return frame
    result = conn.execute(sa.text(sql), params)
    return pd.DataFrame.from_records([tuple(r) for r in result], columns=columns)


def _has_view(conn: Connection, name: str) -> bool:
    schema, view = name.split(".")
    return bool(conn.execute(
        sa.text("select count(*) from information_schema.tables where table_schema = :s and table_name = :v"),
        {"s": schema, "v": view},
    ).one()[0])


_TEXT = {"area_level", "area_code", "area_name", "parent_area_name", "department_code", "department_name",
         "department_kind", "unit_kind", "unit_code", "unit_name", "list", "escalation", "problem_id", "source",
         "district_name", "town_name", "site_name", "category_name", "category_code", "category", "organizer",
         "overdue_kind"}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column whatever the engine returned (Decimal on PostgreSQL, date or datetime64...)."""
    for column in frame.columns:
        if column == "week_start":
            frame[column] = pd.to_datetime(frame[column]).dt.date if len(frame) else pd.Series([], dtype=object)
        elif column in ("found_at", "due_at"):
            frame[column] = pd.to_datetime(frame[column])
        elif column in _TEXT:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _complete_weeks(frame: pd.DataFrame, weeks: list[date]) -> pd.DataFrame:
    """One row per week of `weeks`, oldest first; weeks the mart lacks get NaN measures."""
    return (frame.drop_duplicates("week_start").set_index("week_start").reindex(weeks)
            .rename_axis("week_start").reset_index())


def _row(frame: pd.DataFrame, week: ReportWeek) -> pd.Series:
    match = frame[frame["week_start"] == week.week_start]
    if len(match):
        return match.iloc[0]
    return pd.Series({c: (week.week_start if c == "week_start" else float("nan")) for c in frame.columns})


def _number(value: object) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)
