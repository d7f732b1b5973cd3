"""The report as a PDF: the same HTML page laid out for A4 paper (its `@media print` rules) by WeasyPrint."""

from __future__ import annotations

from pathlib import Path


def write_pdf(html: str, path: Path) -> int:
    """Write the report page `html` (self-contained: inline CSS, charts as data URIs) as a PDF; its page count.

    Fonts come from fontconfig, first match of the page's print font list. A TrueType CJK font (WenQuanYi Micro
    Hei, `make fonts`) subsets in a second; Noto CJK's CFF outlines take fontTools some 6 s to subset, so it is
    only the fallback.
    """
    from weasyprint import HTML  # 1 s to import: only the report task pays it

    document = HTML(string=html).render()
    document.write_pdf(path)
    return len(document.pages)
