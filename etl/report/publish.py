"""Published figures: the first value of each figure a report issued is kept; later differences are restatements."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etl import warehouse

TABLE = "audit.published_figures"


@dataclass(frozen=True)
class Figure:
    """One number a report publishes, under a stable key such as `district.440703.rectification_rate`."""

    key: str
    label: str
    value: float | None
    kind: str = "count"  # count | rate | hours | days | rank | list


@dataclass(frozen=True)
class Published:
    """A figure as first published."""

    value: float | None
    published_at: datetime  # naive UTC, as stored


@dataclass(frozen=True)
class Restatement:
    """A figure whose value differs from the one first published for the week (更正)."""

    key: str
    label: str
    kind: str
    old: float | None
    new: float | None
    published_at: datetime | None  # when the old value was first published (naive UTC); None if never


def read_published(conn: Connection, week_start: date) -> dict[str, Published]:
    """Every figure already published for the week, by key."""
    rows = conn.execute(
        sa.text(f"select figure, value, published_at from {TABLE} where week_start = :w"), {"w": week_start}
    ).all()
    return {figure: Published(_clean(value), pd.Timestamp(at).to_pydatetime()) for figure, value, at in rows}


def find_restatements(figures: Mapping[str, Figure], published: Mapping[str, Published]) -> list[Restatement]:
    """Figures whose value now differs from what was published; a week never published has none.

    A figure published before but absent now is restated to no value; a figure new in a week already
    published is restated from no value (it was not in the report the office received).
    """
    if not published:
        return []
    out = []
    for key in sorted(set(figures) | set(published), key=_reading_order):
        figure, first = figures.get(key), published.get(key)
        old = first.value if first else None
        new = figure.value if figure else None
        if not same_value(old, new):
            out.append(Restatement(
                key=key,
                label=figure.label if figure else key,
                kind=figure.kind if figure else _kind_of(key),
                old=old,
                new=new,
                published_at=first.published_at if first else None,
            ))
    return out


def store_first_publication(conn: Connection, week_start: date, figures: Mapping[str, Figure],
                            published_at: datetime) -> int:
    """Record the figures of the week not published before; published values are never overwritten."""
    frame = pd.DataFrame({
        "week_start": pd.Series([week_start] * len(figures), dtype=object),
        "figure": pd.Series(list(figures), dtype=object),
        "value": pd.array([f.value for f in figures.values()], dtype="Float64"),
        "published_at": pd.Series([as_utc(published_at)] * len(figures), dtype="datetime64[us]"),
    })
    if frame.empty:
        return 0
    frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    before = _count(conn, week_start)
    warehouse.upsert(conn, TABLE, frame, ["week_start", "figure"], on_conflict="nothing")
    return _count(conn, week_start) - before


def as_utc(moment: datetime) -> datetime:
    """A naive UTC timestamp, as the warehouse stores them; a naive `moment` is taken as UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def same_value(a: float | None, b: float | None) -> bool:
    """Equal as published figures: both missing, or equal up to float noise."""
    a, b = _clean(a), _clean(b)
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _clean(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _count(conn: Connection, week_start: date) -> int:
    # .one() drains the result: DuckDB refuses new work on a connection with a half-read result
    return conn.execute(sa.text(f"select count(*) from {TABLE} where week_start = :w"), {"w": week_start}).one()[0]


_SECTIONS = ("total", "overdue", "district", "town", "department", "category", "hotline", "activities")


def _reading_order(key: str) -> tuple:
    """Whole-city figures first, then as the report reads: areas, units, categories, hotline, activities."""
    section = key.split(".", 1)[0]
    return (_SECTIONS.index(section) if section in _SECTIONS else len(_SECTIONS), key)


def _kind_of(key: str) -> str:
    last = key.rsplit(".", 1)[-1]
    if last.endswith("_rate"):
        return "rate"
    return {"rank": "rank", "list": "list", "volunteer_hours": "hours"}.get(last, "count")
