"""ISO weeks in campaign-local time (Asia/Shanghai): which week a run reports, and its bounds."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from etl.config import LOCAL_TZ

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


def monday_of(day: date) -> date:
    """The Monday that starts `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def parse_week(text: str) -> date:
    """`2026-W46`, `2026W46` or any date inside the week (`2026-11-11`) -> that week's Monday."""
    match = _ISO_WEEK.match(text.strip())
    if match:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    return monday_of(date.fromisoformat(text.strip()))


def week_label(week_start: date) -> str:
    """`2026-W46` for the week starting Monday 2026-11-09."""
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def week_just_ended(moment: datetime) -> date:
    """Monday of the last complete local week before `moment` (Monday 08:00 reports the week before)."""
    local_day = moment.astimezone(ZoneInfo(LOCAL_TZ)).date()
    return monday_of(local_day - timedelta(days=7))


def report_week(requested: str | None, moment: datetime) -> date:
    """The week a report run covers: the one asked for, else the one just ended at `moment`."""
    return parse_week(requested) if requested else week_just_ended(moment)
