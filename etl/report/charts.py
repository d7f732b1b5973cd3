"""The report's charts as PNG bytes (matplotlib, Agg canvas), drawn with a CJK font so Chinese labels render."""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator, PercentFormatter

from etl.report.data import WeekData

# Preferred first: Simplified Chinese faces of the fonts Linux, macOS and Windows ship.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "SimHei", "Noto Serif CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP",
)
FONT_ENV = "CAMPAIGN_REPORT_FONT"
_CJK_FILE = re.compile(r"cjk|han ?sans|wqy|wenquanyi|droidsansfallback|msyh|simhei|pingfang|notosanssc", re.I)
_MISSING_GLYPH = re.compile(r"Glyph \d+ .* missing from font", re.S)
_DPI = 110
_BLUE, _ORANGE, _GREEN, _GREY, _RED = "#2f6fb3", "#e8833a", "#3a9e6a", "#8a8f98", "#c0392b"


class FontNotFoundError(RuntimeError):
    """No font on this machine covers Chinese characters."""


class MissingGlyphError(RuntimeError):
    """A chart label has characters the chosen font cannot draw (they would show as boxes)."""


@dataclass(frozen=True)
class CjkFont:
    """The font the charts use: family name for matplotlib, file and face index for coverage checks."""

    name: str
    path: Path
    index: int = 0


@dataclass(frozen=True)
class Chart:
    """One rendered chart and every string drawn on it."""

    key: str
    title: str
    png: bytes
    texts: tuple[str, ...]
    width_px: int
    height_px: int


@lru_cache(maxsize=1)
def resolve_cjk_font() -> CjkFont:
    """The CJK font to draw with: $CAMPAIGN_REPORT_FONT (a file), else the first installed preferred family.

    Fonts installed after matplotlib built its font cache are found by scanning the system font folders;
    the `mplfonts` wheel's Noto Sans CJK is used where no system font exists (no root needed).
    """
    override = os.environ.get(FONT_ENV)
    if override:
        path = Path(override).resolve()
        if not path.is_file():
            raise FontNotFoundError(f"{FONT_ENV}={override} is not a font file")
        font_manager.fontManager.addfont(str(path))
        entries = [e for e in font_manager.fontManager.ttflist if Path(e.fname).resolve() == path]
        if not entries:
            raise FontNotFoundError(f"matplotlib cannot read the font in {FONT_ENV}={override}")
        entry = next((e for f in CJK_FAMILIES for e in entries if e.name == f), entries[0])
        return CjkFont(entry.name, path, getattr(entry, "index", 0))
    found = _installed_cjk_font()
    if found is None:
        for path in _candidate_files():
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                continue
        found = _installed_cjk_font()
    if found is None:
        raise FontNotFoundError(
            "no CJK font found for the report's Chinese chart labels: install one "
            "(Debian/Ubuntu: apt-get install -y fonts-noto-cjk), or `pip install mplfonts`, "
            f"or set {FONT_ENV} to an .otf/.ttf/.ttc file; tried families {', '.join(CJK_FAMILIES)}"
        )
    return found


def _installed_cjk_font() -> CjkFont | None:
    entries = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name in CJK_FAMILIES and Path(entry.fname).is_file():
            weight = entry.weight if isinstance(entry.weight, int) else 400
            best = entries.get(entry.name)
            if best is None or abs(weight - 400) < abs(best[0] - 400):
                entries[entry.name] = (weight, entry)
    for family in CJK_FAMILIES:
        if family in entries:
            entry = entries[family][1]
            return CjkFont(family, Path(entry.fname), getattr(entry, "index", 0))
    return None


def _candidate_files() -> list[Path]:
    files = [Path(p) for p in font_manager.findSystemFonts() if _CJK_FILE.search(Path(p).name)]
    try:
        import mplfonts  # noqa: PLC0415 - optional: a wheel that bundles Noto Sans CJK SC

        files += sorted(Path(mplfonts.__file__).parent.rglob("NotoSansCJK*.otf"))
    except ImportError:
        pass
    return files


def missing_glyphs(font: CjkFont, text: str) -> set[str]:
    """The characters of `text` the font file has no glyph for (whitespace aside)."""
    return {ch for ch in text if not ch.isspace() and ord(ch) not in _cmap(font.path, font.index)}


@lru_cache(maxsize=4)
def _cmap(path: Path, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    kwargs = {"fontNumber": index} if path.suffix.lower() in (".ttc", ".otc") else {}
    with TTFont(str(path), lazy=True, **kwargs) as font:
        return frozenset(font.getBestCmap())


def render_charts(data: WeekData) -> list[Chart]:
    """Every chart of the report for one week."""
    font = resolve_cjk_font()
    charts = [
        _render(font, "trend", "近12周整改率趋势", _trend, data),
        _render(font, "districts", "本周各区(县)整改率", _districts, data),
    ]
    if data.categories is not None:
        charts.append(_render(font, "categories", "本周问题类别分布", _categories, data))
    charts.append(_render(font, "activities", "近12周创文活动", _activities, data))
    return charts


def _render(font: CjkFont, key: str, title: str, draw, data: WeekData, size=(9.0, 4.2)) -> Chart:
    style = {
        "font.family": "sans-serif", "font.sans-serif": [font.name], "axes.unicode_minus": False,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titleweight": "bold", "axes.titlesize": 13,
        "font.size": 10, "legend.frameon": False,
    }
    with matplotlib.rc_context(style), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=size, dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_title(title, loc="left")
        draw(fig, ax, data)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
        texts = tuple(t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible())
    missing = [str(w.message) for w in caught if _MISSING_GLYPH.search(str(w.message))]
    if missing:
        raise MissingGlyphError(f"chart {key!r} with font {font.name} ({font.path}): {missing[0]}")
    for w in caught:  # everything else keeps its usual treatment
        if not _MISSING_GLYPH.search(str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    width, height = fig.canvas.get_width_height()
    return Chart(key, title, buffer.getvalue(), texts, width, height)


def _week_labels(data: WeekData) -> list[str]:
    return [w.short_label for w in data.trend_weeks]


def _trend(fig: Figure, ax, data: WeekData) -> None:
    labels = _week_labels(data)
    x = range(len(labels))
    weekly = data.total["rectification_rate"].astype("float64")
    cumulative = data.total["cumulative_rectification_rate"].astype("float64")
    ax.plot(x, weekly, marker="o", color=_BLUE, linewidth=2, label="本周整改率")
    ax.plot(x, cumulative, marker="s", color=_ORANGE, linewidth=2, label="累计整改率")
    for series, color in ((weekly, _BLUE), (cumulative, _ORANGE)):
        last = series.iloc[-1]
        if pd.notna(last):
            ax.annotate(f"{last * 100:.1f}%", (len(labels) - 1, last), textcoords="offset points", xytext=(6, 4),
                        color=color, fontsize=9)
    ax.set_xticks(list(x), labels, fontsize=9)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower left", ncols=2)
    if weekly.isna().all() and cumulative.isna().all():
        _no_data(ax)


def _districts(fig: Figure, ax, data: WeekData) -> None:
    areas = data.areas
    this = areas[(areas["area_level"] == "district") & (areas["week_start"] == data.week.week_start)]
    this = this.sort_values("area_code")
    names = this["area_name"].tolist()
    weekly = this["rectification_rate"].fillna(0).tolist()
    cumulative = this["cumulative_rectification_rate"].fillna(0).tolist()
    x = list(range(len(names)))
    width = 0.38
    ax.bar([i - width / 2 for i in x], weekly, width, color=_BLUE, label="本周整改率")
    ax.bar([i + width / 2 for i in x], cumulative, width, color=_ORANGE, label="累计整改率")
    for i, (rate, raw) in enumerate(zip(weekly, this["rectification_rate"], strict=True)):
        text = "—" if pd.isna(raw) else f"{rate * 100:.0f}%"
        ax.text(i - width / 2, rate + 0.02, text, ha="center", fontsize=8, color=_BLUE)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", ncols=2)
    if not names:
        _no_data(ax)


def _categories(fig: Figure, ax, data: WeekData) -> None:
    frame = data.categories.sort_values("n_found")
    names = frame["category_name"].tolist()
    y = list(range(len(names)))
    ax.barh(y, frame["n_found"].fillna(0), color=_GREY, label="发现")
    ax.barh(y, frame["n_rectified"].fillna(0), height=0.5, color=_GREEN, label="已整改")
    for i, n in enumerate(frame["n_found"].fillna(0)):
        ax.text(n, i, f" {int(n)}", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("问题数(条)")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    if not names:
        _no_data(ax)


def _activities(fig: Figure, ax, data: WeekData) -> None:
    labels = _week_labels(data)
    x = list(range(len(labels)))
    frame = data.activities_weekly
    ax.bar(x, frame["n_events"].fillna(0), color=_GREEN, alpha=0.85, label="活动场次")
    ax.set_ylabel("活动场次(场)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(x, labels, fontsize=9)
    right = ax.twinx()
    right.plot(x, frame["n_participants"].fillna(0), color=_RED, marker="o", linewidth=2, label="参与人次")
    right.set_ylabel("参与人次")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylim(bottom=0)
    right.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, ["活动场次", "参与人次"], loc="upper left", ncols=2)
    ax.grid(axis="y", alpha=0.3)


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, "暂无数据", transform=ax.transAxes, ha="center", va="center", fontsize=14, color=_GREY)
