"""The report as one self-contained HTML file (inline CSS, charts as base64 PNG) and the e-mail summary."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from etl.report import fmt
from etl.report.charts import Chart
from etl.report.content import Cell, ReportContent, Table, restatement_table

HTML_ROW_LIMIT = 300  # per overdue group; the XLSX (and the CSV for a long list) has the rest


def render_html(content: ReportContent, charts: Sequence[Chart], *, row_limit: int = HTML_ROW_LIMIT) -> str:
    """The full report page, listing at most `row_limit` overdue problems per group."""
    return _environment(content).get_template("weekly_report.html.j2").render(
        c=content,
        charts={chart.key: chart for chart in charts},
        tables=content.tables,
        restatements=restatement_table(content),
        row_limit=row_limit,
        overdue_counts=content.overdue_counts,
    )


def render_summary(content: ReportContent, attachments: Sequence[str]) -> str:
    """The e-mail body: headline figures, red/black list, overdue counts and restatements, inline styles."""
    rankings = content.tables["rankings"]
    by_kind: dict[str, dict[str, list[str]]] = {"red": {}, "black": {}}
    for i, row in enumerate(rankings.rows):
        style = rankings.style_of(i)
        if style in by_kind:
            unit = row[2].text + (f"({row[8].text})" if style == "black" and row[8].text else "")
            by_kind[style].setdefault(row[0].text, []).append(unit)
    lists = {style: ";".join(f"{kind}:{'、'.join(units)}" for kind, units in kinds.items())
             for style, kinds in by_kind.items()}
    return _environment(content, for_email=True).get_template("email_summary.html.j2").render(
        c=content, lists=lists, restatements=restatement_table(content), attachments=attachments,
    )


def summary_text(content: ReportContent, attachments: Sequence[str]) -> str:
    """The plain-text alternative of the e-mail body."""
    lines = [content.title, content.as_of, "", content.headline + "。", content.week_sentence + "。", ""]
    for kpi in content.kpis:
        change = fmt.cell(kpi.change, kpi.change_kind)
        lines.append(f"{kpi.label}:{fmt.figure(kpi.this_week, kpi.kind)}(较上周 {change})")
    if content.restatements:
        lines += ["", f"数据更正 {len(content.restatements)} 项:"]
        lines += [f"  {r.label}:{fmt.figure(r.old, r.kind)} → {fmt.figure(r.new, r.kind)}"
                  for r in content.restatements]
    lines += ["", "附件:" + "、".join(attachments)]
    return "\n".join(lines) + "\n"


def _environment(content: ReportContent, *, for_email: bool = False) -> Environment:
    env = Environment(
        loader=PackageLoader("etl.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    restated = content.restated

    def cell(c: Cell) -> Markup:
        text = escape(c.text if c.kind == "text" or not fmt.missing(c.value) else fmt.DASH)
        if not c.figure:
            return text
        r = restated.get(c.figure)
        old = (fmt.figure(r.old, r.kind) if r.old is not None else "(未发布)") if r else None
        if for_email:  # mail clients drop classes and titles: say it in the text
            return text if r is None else Markup('{}<b style="color:#9c5700;">(更正,原发布值{})</b>').format(
                text, old)
        attrs = Markup(' data-figure="{}"').format(c.figure)
        if r is None:
            return Markup("<span{}>{}</span>").format(attrs, text)
        return Markup('<span{} class="restated-value">{}</span><span class="restated" title="原发布值 {}">更正</span>'
                      ).format(attrs, text, old)

    def figure(key: str) -> Markup:
        f = content.figures[key]
        return cell(Cell(f.value, f.kind, key))

    def value(c: Cell) -> Markup:
        return cell(c)

    def td_class(c: Cell) -> str:
        return "num" if c.is_number else ""

    def png(chart: Chart) -> str:
        return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")

    env.globals.update(cell=value, figure=figure, td_class=td_class, png=png, fmt=fmt, Cell=Cell, Table=Table)
    return env
