"""The weekly report (创文工作周报): XLSX, PDF and HTML with charts from the marts, archived and e-mailed."""

from etl.report.build import ReportResult, build_weekly_report, load_result
from etl.report.data import ReportWeek
from etl.report.deliver import send_weekly_report

__all__ = ["ReportResult", "ReportWeek", "build_weekly_report", "load_result", "send_weekly_report"]
