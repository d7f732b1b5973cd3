"""The report as a PDF: the report page laid out for A4 paper (its `@media print` rules) by WeasyPrint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from etl.report.charts import Chart
from etl.report.content import ReportContent
from etl.report.html import render_html

# Overdue problems listed per group, the longest overdue first; the page says the XLSX (and the CSV) has the
# rest. WeasyPrint lays out long tables slowly: a 1M-ticket week took 4.7 s with 300 rows a group, 2.1 s with 100.
PDF_ROW_LIMIT = 100


def write_pdf(content: ReportContent, charts: Sequence[Chart], path: Path) -> int:
    """Write the report as a PDF; its page count.

    Fonts come from fontconfig, the first of the page's font list installed, and are embedded cut down to the
    glyphs used: by HarfBuzz's subsetter in milliseconds where libharfbuzz-subset is installed (`make
    report-deps`), else by fontTools, which takes some 6 s for Noto CJK's outlines.
    """
    from weasyprint import HTML  # 1 s to import: only the report task pays it

    document = HTML(string=render_html(content, charts, row_limit=PDF_ROW_LIMIT)).render()
    document.write_pdf(path)
    return len(document.pages)
