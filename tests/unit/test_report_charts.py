"""Charts draw every Chinese label with a real CJK font: no glyph is missing, and a missing one is an error."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
from PIL import Image

from etl.report import charts
from etl.report.charts import (
    CJK_FAMILIES,
    FontNotFoundError,
    MissingGlyphError,
    missing_glyphs,
    render_charts,
    resolve_cjk_font,
)
from etl.report.content import build_content, restatement_table
from etl.report.data import ReportWeek
from tests.unit.test_report_render import NOW, sample_week_data


@pytest.fixture(autouse=True)
def _fresh_font_resolution():
    resolve_cjk_font.cache_clear()
    yield
    resolve_cjk_font.cache_clear()


def test_the_resolved_font_is_an_installed_cjk_font() -> None:
    font = resolve_cjk_font()
    assert font.name in CJK_FAMILIES
    assert font.path.is_file()
    assert not missing_glyphs(font, "创文工作周报整改率红榜黑榜超期未整改")


def test_every_character_of_every_chart_label_is_in_the_font() -> None:
    font = resolve_cjk_font()
    data = sample_week_data()
    rendered = render_charts(data)
    assert [c.key for c in rendered] == ["trend", "districts", "categories", "activities"]
    texts = {t for chart in rendered for t in chart.texts}
    assert {"近12周整改率趋势", "本周整改率", "累计整改率", "第46周", "本周问题类别分布", "参与人次", "蓬江区",
            "乱张贴乱涂画"} <= texts
    uncovered = {t: missing_glyphs(font, t) for t in texts if missing_glyphs(font, t)}
    assert not uncovered, f"characters without a glyph in {font.path}: {uncovered}"


def test_report_text_is_covered_too() -> None:
    """Labels that may end up in charts later (table headers, unit kinds, week titles) are all drawable."""
    font = resolve_cjk_font()
    content = build_content(sample_week_data(), generated_at=NOW)
    strings = {content.title, content.headline, content.week_sentence, content.as_of,
               ReportWeek.containing(content.week.week_start).title}
    for table in [*content.tables.values(), restatement_table(content)]:
        strings |= {table.title, *table.columns, *(c.text for row in table.rows for c in row)}
    strings |= {k.label for k in (*content.kpis, *content.hotline_kpis, *content.activity_kpis)}
    uncovered = {s: missing_glyphs(font, s) for s in strings if missing_glyphs(font, s)}
    assert not uncovered


def test_charts_are_pngs_without_glyph_warnings() -> None:
    data = sample_week_data(categories=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        rendered = render_charts(data)
    assert "categories" not in [c.key for c in rendered]
    for chart in rendered:
        image = Image.open(io.BytesIO(chart.png))
        assert image.format == "PNG" and image.size == (chart.width_px, chart.height_px)
        assert chart.width_px > 800


def test_a_label_the_font_cannot_draw_fails_loudly() -> None:
    font = resolve_cjk_font()
    assert missing_glyphs(font, "整改🚧") == {"🚧"}

    def draw(fig, ax, data):
        ax.set_xlabel("施工中🚧")

    with pytest.raises(MissingGlyphError, match="missing from font"):
        charts._render(font, "broken", "测试", draw, sample_week_data())


def test_no_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(charts.FONT_ENV, raising=False)
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(charts, "_candidate_files", lambda: [])
    with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
        resolve_cjk_font()


def test_a_font_file_can_be_named_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    installed = resolve_cjk_font()
    resolve_cjk_font.cache_clear()
    monkeypatch.setenv(charts.FONT_ENV, str(installed.path))
    chosen = resolve_cjk_font()
    assert chosen.path == installed.path and not missing_glyphs(chosen, "创文")
    resolve_cjk_font.cache_clear()
    monkeypatch.setenv(charts.FONT_ENV, str(tmp_path / "missing.otf"))
    with pytest.raises(FontNotFoundError, match="not a font file"):
        resolve_cjk_font()


def test_fonts_installed_after_matplotlib_cached_its_font_list_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    installed = resolve_cjk_font()
    resolve_cjk_font.cache_clear()
    monkeypatch.delenv(charts.FONT_ENV, raising=False)
    stale = [e for e in font_manager.fontManager.ttflist if e.name not in CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    found = resolve_cjk_font()
    assert found.name in CJK_FAMILIES and found.path == installed.path
