"""How figures read in the report: counts, rates, week-on-week changes; a missing value is "—"."""

from __future__ import annotations

import pandas as pd

DASH = "—"
LIST_NAMES = {1.0: "红榜", -1.0: "黑榜", 0.0: ""}


def missing(value: object) -> bool:
    """None or NaN."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def count(value: object) -> str:
    """`3440`; "—" when missing."""
    return DASH if missing(value) else f"{int(round(float(value)))}"


def rate(value: object, digits: int = 1) -> str:
    """`90.3%` for 0.903; "—" when missing (a zero denominator)."""
    return DASH if missing(value) else f"{float(value) * 100:.{digits}f}%"


def hours(value: object) -> str:
    """`12.5`; whole numbers without decimals."""
    if missing(value):
        return DASH
    v = float(value)
    return f"{v:.0f}" if v == int(v) else f"{v:.1f}"


def delta_count(value: object) -> str:
    """`+12`, `-3`, `持平`; "—" when either week lacks the figure."""
    if missing(value):
        return DASH
    v = float(value)
    if v == 0:
        return "持平"
    text = f"{v:+.0f}" if v == int(v) else f"{v:+.1f}"
    return text.replace("-", "−")


def delta_rate(value: object) -> str:
    """`+1.2个百分点` for +0.012; "—" when either rate is missing."""
    if missing(value):
        return DASH
    points = float(value) * 100
    if abs(points) < 0.05:
        return "持平"
    return f"{points:+.1f}个百分点".replace("-", "−")


def ranked(value: object) -> str:
    return DASH if missing(value) else f"第{int(value)}名"


def listed(value: object) -> str:
    return DASH if missing(value) else (LIST_NAMES.get(float(value)) or "未上榜")


def figure(value: object, kind: str) -> str:
    """A published figure, formatted by its kind."""
    return {
        "count": count, "days": count, "rate": rate, "hours": hours, "rank": ranked, "list": listed,
    }.get(kind, count)(value)


def cell(value: object, kind: str) -> str:
    """A table cell by its kind; text passes through."""
    if kind == "text":
        return "" if missing(value) else str(value)
    if kind == "delta_count":
        return delta_count(value)
    if kind == "delta_rate":
        return delta_rate(value)
    return figure(value, kind)
