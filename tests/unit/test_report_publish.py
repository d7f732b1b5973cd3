"""Restatements: what differs from a week's first publication, and the week arithmetic of the report."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from etl.report.data import ReportWeek
from etl.report.publish import Figure, Published, as_utc, find_restatements, same_value

THEN = datetime(2026, 11, 16, 0, 0)


def figures(**values) -> dict[str, Figure]:
    return {k.replace("__", "."): Figure(k.replace("__", "."), k, v, "rate" if "rate" in k else "count")
            for k, v in values.items()}


def published(**values) -> dict[str, Published]:
    return {k.replace("__", "."): Published(v, THEN) for k, v in values.items()}


def test_a_week_never_published_has_no_restatements() -> None:
    assert find_restatements(figures(total__n_found=10.0), {}) == []


def test_equal_figures_are_not_restated() -> None:
    now = figures(total__n_found=10.0, total__rectification_rate=0.1 + 0.2, district__x__rectification_rate=None)
    before = published(total__n_found=10.0, total__rectification_rate=0.3, district__x__rectification_rate=None)
    assert find_restatements(now, before) == []


def test_changed_new_and_vanished_figures_are_restated() -> None:
    now = figures(total__n_found=11.0, total__rectification_rate=None, town__y__n_found=2.0)
    before = published(total__n_found=10.0, total__rectification_rate=0.5, town__z__n_found=1.0)
    found = find_restatements(now, before)
    assert [r.key for r in found] == ["total.n_found", "total.rectification_rate", "town.y.n_found", "town.z.n_found"]
    restated = {r.key: (r.old, r.new, r.published_at) for r in found}
    assert restated == {
        "total.n_found": (10.0, 11.0, THEN),
        "total.rectification_rate": (0.5, None, THEN),
        "town.y.n_found": (None, 2.0, None),  # not in the report the office received
        "town.z.n_found": (1.0, None, THEN),
    }


@pytest.mark.parametrize(("a", "b", "same"), [
    (None, None, True), (float("nan"), None, True), (1.0, 1.0 + 1e-12, True), (0.0, None, False), (1.0, 2.0, False),
])
def test_same_value(a, b, same) -> None:
    assert same_value(a, b) is same


def test_published_at_is_stored_as_naive_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 16, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert as_utc(local) == datetime(2026, 11, 16, 0, 0)
    assert as_utc(datetime(2026, 11, 16, 0, 0)) == datetime(2026, 11, 16, 0, 0)


@pytest.mark.parametrize(("monday", "label", "title"), [
    (date(2026, 11, 9), "2026-W46", "2026年第46周 (11月9日—11月15日)"),
    (date(2026, 12, 28), "2026-W53", "2026年第53周 (12月28日—1月3日)"),
    (date(2024, 12, 30), "2025-W01", "2025年第1周 (12月30日—1月5日)"),
])
def test_report_weeks(monday: date, label: str, title: str) -> None:
    week = ReportWeek(monday)
    assert (week.label, week.title) == (label, title)
    assert ReportWeek.containing(week.week_end) == week
    assert ReportWeek.just_ended(week.shift(1).week_start) == week


def test_a_week_starts_on_monday() -> None:
    with pytest.raises(ValueError, match="Monday"):
        ReportWeek(date(2026, 11, 15))
