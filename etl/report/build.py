"""Build one week's report: read the marts, compare with what was published, render, archive, record."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from etl import config
from etl.report import content as report_content
from etl.report.charts import render_charts
from etl.report.content import build_content, overdue_list, with_restatements
from etl.report.data import ReportWeek, iter_overdue, load_week
from etl.report.deliver import archive_folder
from etl.report.html import render_html, render_summary, summary_text
from etl.report.pdf import write_pdf
from etl.report.publish import Restatement, find_restatements, read_published, store_first_publication
from etl.report.xlsx import write_xlsx

FILE_STEM = "创文周报"
OVERDUE_STEM = "超期未整改清单"
MANIFEST = "manifest.json"
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class ReportResult:
    """A built report: where its files are, what the e-mail says, the figures and their restatements."""

    week: ReportWeek
    directory: Path
    xlsx_path: Path
    html_path: Path
    pdf_path: Path | None  # None in an archive from before the report had a PDF
    subject: str
    summary_html: str
    summary_text: str
    figures: dict[str, float | None]
    restatements: tuple[Restatement, ...]
    published_at: datetime
    n_newly_published: int = 0
    overdue_csv_path: Path | None = None  # the whole overdue list, when longer than the XLSX shows

    @property
    def week_start(self) -> date:
        return self.week.week_start

    @property
    def files(self) -> tuple[Path, ...]:
        """The attachments: XLSX, PDF, HTML and, for a long overdue list, its CSV."""
        paths = (self.xlsx_path, self.pdf_path, self.html_path, self.overdue_csv_path)
        return tuple(path for path in paths if path is not None)

    def to_manifest(self) -> dict:
        return {
            "week_start": self.week_start.isoformat(),
            "week": self.week.label,
            "xlsx": self.xlsx_path.name,
            "html": self.html_path.name,
            "pdf": self.pdf_path.name if self.pdf_path else None,
            "subject": self.subject,
            "summary_html": self.summary_html,
            "summary_text": self.summary_text,
            "figures": self.figures,
            "restatements": [
                {"key": r.key, "label": r.label, "kind": r.kind, "old": r.old, "new": r.new,
                 "published_at": r.published_at.isoformat() if r.published_at else None}
                for r in self.restatements
            ],
            "published_at": self.published_at.isoformat(),
            "n_newly_published": self.n_newly_published,
            "overdue_csv": self.overdue_csv_path.name if self.overdue_csv_path else None,
        }


def load_result(directory: Path) -> ReportResult:
    """A report built earlier, from its archive folder (to e-mail it again without rebuilding)."""
    directory = Path(directory)
    data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    return ReportResult(
        week=ReportWeek(date.fromisoformat(data["week_start"])),
        directory=directory,
        xlsx_path=directory / data["xlsx"],
        html_path=directory / data["html"],
        pdf_path=directory / data["pdf"] if data.get("pdf") else None,
        subject=data["subject"],
        summary_html=data["summary_html"],
        summary_text=data["summary_text"],
        figures=data["figures"],
        restatements=tuple(
            Restatement(r["key"], r["label"], r["kind"], r["old"], r["new"],
                        datetime.fromisoformat(r["published_at"]) if r["published_at"] else None)
            for r in data["restatements"]
        ),
        published_at=datetime.fromisoformat(data["published_at"]),
        n_newly_published=data.get("n_newly_published", 0),
        overdue_csv_path=directory / data["overdue_csv"] if data.get("overdue_csv") else None,
    )


def build_weekly_report(
    engine: Engine,
    week_start: date,
    out_dir: Path | None = None,
    *,
    published_at: datetime | None = None,
    publish: bool = True,
) -> ReportResult:
    """Build the report of the ISO week starting Monday `week_start` into `out_dir/<year>-W<week>/`.

    Figures come from the marts as of the end of the week; those differing from the week's first
    publication (audit.published_figures) are marked as restated. With `publish`, figures not published
    before are recorded there (published values are never overwritten). `published_at` is the issue
    time (default: now); pass the run's time from a scheduler.
    """
    published_at = published_at or datetime.now(UTC)
    week = ReportWeek(week_start)
    data = load_week(engine, week.week_start, overdue_rows=report_content.OVERDUE_ROW_LIMIT)
    content = build_content(data, generated_at=published_at)
    with engine.connect() as conn:
        published = read_published(conn, week.week_start)
    restatements = find_restatements(content.figures, published)
    content = with_restatements(content, restatements)
    charts = render_charts(data)

    folder = archive_folder(Path(out_dir) if out_dir else config.report_dir(), week.label)
    xlsx_path = folder / f"{FILE_STEM}_{week.label}.xlsx"
    html_path = folder / f"{FILE_STEM}_{week.label}.html"
    pdf_path = folder / f"{FILE_STEM}_{week.label}.pdf"
    csv_path = folder / f"{OVERDUE_STEM}_{week.label}.csv"
    # written beside, then moved in: a failed build leaves the previous issue in place
    parts = {path: folder / f".{path.name}.part" for path in (xlsx_path, html_path, pdf_path, csv_path)}
    write_xlsx(content, charts, parts[xlsx_path])
    parts[html_path].write_text(render_html(content, charts), encoding="utf-8")
    write_pdf(content, charts, parts[pdf_path])
    if content.overdue_truncated:  # the XLSX lists the longest overdue only
        _write_overdue_csv(engine, week.week_start, parts[csv_path])
    else:
        del parts[csv_path]
        csv_path = None
    _supersede(folder, (xlsx_path, html_path, pdf_path, folder / f"{OVERDUE_STEM}_{week.label}.csv"))
    for path, part in parts.items():
        part.replace(path)

    n_new = 0
    if publish:
        with engine.begin() as conn:
            n_new = store_first_publication(conn, week.week_start, content.figures, published_at)

    subject = content.title + (" (含数据更正)" if restatements else "")
    result = ReportResult(
        week=week,
        directory=folder,
        xlsx_path=xlsx_path,
        html_path=html_path,
        pdf_path=pdf_path,
        subject=subject,
        summary_html="",
        summary_text="",
        figures={key: f.value for key, f in content.figures.items()},
        restatements=tuple(restatements),
        published_at=published_at,
        n_newly_published=n_new,
        overdue_csv_path=csv_path,
    )
    attachments = [path.name for path in result.files]  # the summary names them in the order they are attached
    result = replace(result, summary_html=render_summary(content, attachments),
                     summary_text=summary_text(content, attachments))
    (folder / MANIFEST).write_text(json.dumps(result.to_manifest(), ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _write_overdue_csv(engine: Engine, week_start: date, path: Path) -> None:
    """The whole overdue list as the office reads it, written a chunk at a time (it can run to millions of rows)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel reads UTF-8
        for i, chunk in enumerate(iter_overdue(engine, week_start)):
            overdue_list(chunk).to_csv(out, index=False, header=i == 0)


def _supersede(folder: Path, files: tuple[Path, ...]) -> None:
    """Keep an earlier issue of the week under `superseded/<its issue time>/` rather than overwrite it."""
    existing = [p for p in files if p.exists()]
    if not existing:
        return
    stamp = datetime.fromtimestamp(existing[0].stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%S")
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            issued = datetime.fromisoformat(json.loads(manifest.read_text(encoding="utf-8"))["published_at"])
            stamp = issued.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if issued.tzinfo else issued.strftime(
                "%Y%m%dT%H%M%S")
        except (ValueError, KeyError):
            pass
    target = folder / SUPERSEDED / stamp
    target.mkdir(parents=True, exist_ok=True)
    for path in [*existing, *([manifest] if manifest.exists() else [])]:
        shutil.move(str(path), target / path.name)
