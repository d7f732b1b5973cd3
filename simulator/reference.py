"""The reference set the simulator draws names from, read at run time from `etl/reference/<set>/*.csv`."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Named:
    """One reference entry: its code, canonical name and the other spellings operators type."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    parent_code: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Reference:
    """What the generator needs from a reference set."""

    districts: tuple[Named, ...]
    towns: tuple[Named, ...]
    communities: tuple[Named, ...]
    departments: tuple[Named, ...]
    hotline_categories: tuple[str, ...]
    hotline_codes: tuple[str, ...]
    inspection_categories: tuple[str, ...]
    site_types: tuple[Named, ...]
    event_categories: tuple[Named, ...]
    path: Path | None = field(default=None, compare=False)

    def district_of(self, town: Named) -> Named:
        return next(d for d in self.districts if d.code == town.parent_code)

    def communities_of(self, town: Named) -> tuple[Named, ...]:
        return tuple(c for c in self.communities if c.parent_code == town.code)

    def town_government(self, town: Named) -> Named | None:
        return next((d for d in self.departments if d.kind == "town" and d.parent_code == town.code), None)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


def _aliases(value: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in (value or "").split("|") if a.strip())


def load_reference(path: Path | str | None = None) -> Reference:
    """Read a reference set (default: the configured one, etl/reference/jiangmen)."""
    if path is None:
        from etl.config import reference_dir

        path = reference_dir()
    path = Path(path)
    missing = [n for n in ("areas.csv", "departments.csv", "category_map.csv", "site_types.csv",
                           "event_categories.csv") if not (path / n).is_file()]
    if missing:
        raise FileNotFoundError(f"reference set {str(path)!r} lacks {', '.join(missing)}")
    areas = [
        Named(r["area_code"], r["area_name"], _aliases(r.get("aliases", "")), r.get("parent_code") or None,
              r["area_level"])
        for r in _rows(path / "areas.csv")
    ]
    departments = tuple(
        Named(r["department_code"], r["department_name"], _aliases(r.get("aliases", "")),
              r.get("town_code") or None, r.get("department_kind") or None)
        for r in _rows(path / "departments.csv")
    )
    mapping = _rows(path / "category_map.csv")
    category_names = [r["category_name"] for r in _rows(path / "categories.csv")] if (
        path / "categories.csv").is_file() else []

    def values_for(source: str, codes: bool = False) -> tuple[str, ...]:
        values = [r["source_value"] for r in mapping if r.get("source") in ("", source) and r["source_value"]]
        # Codes such as "illegal_parking" are what an app sends, not what an operator or inspector types.
        if codes:
            return tuple(dict.fromkeys(v for v in values if v.isascii()))
        typed = [v for v in values if not v.isascii()] or values or category_names
        return tuple(dict.fromkeys(typed))

    return Reference(
        districts=tuple(a for a in areas if a.kind == "district"),
        towns=tuple(a for a in areas if a.kind == "town"),
        communities=tuple(a for a in areas if a.kind == "community"),
        departments=departments,
        hotline_categories=values_for("hotline"),
        hotline_codes=values_for("hotline", codes=True),
        inspection_categories=values_for("inspections"),
        site_types=tuple(
            Named(r["site_type_code"], r["site_type_name"], _aliases(r.get("aliases", "")))
            for r in _rows(path / "site_types.csv")
        ),
        event_categories=tuple(
            Named(r["event_category_code"], r["event_category_name"], _aliases(r.get("aliases", "")))
            for r in _rows(path / "event_categories.csv")
        ),
        path=path,
    )


SAMPLE_FILES = {
    "areas.csv": """area_code,area_name,area_level,parent_code,aliases
440705,新会区,district,,新会|江门市新会区
440784,鹤山市,district,,鹤山
440705001,会城街道,town,440705,(圭峰)会城街道|会城
440705101,古井镇,town,440705,古井
440784001,沙坪街道,town,440784,沙坪
440705001001,城南社区,community,440705001,城南
440705101002,官冲村,community,440705101,官冲
""",
    "categories.csv": """category_code,category_name,category_name_en
illegal_parking,违停,illegal parking
sanitation,环境卫生,sanitation
other,其他,other
""",
    "category_map.csv": """source,source_value,category_code
,违停,illegal_parking
,垃圾堆放,sanitation
hotline,噪音,other
hotline,illegal_parking,illegal_parking
inspections,车辆乱停放,illegal_parking
""",
    "site_types.csv": """site_type_code,site_type_name,aliases
farmers_market,农贸市场,菜市场
back_alley,背街小巷,小巷
""",
    "departments.csv": """department_code,department_name,department_kind,town_code,aliases
urban_management,城管局,municipal,,市城管局
traffic_police,公安交警支队,municipal,,交警支队
town_440705001,会城街道办事处,town,440705001,会城街道办
""",
    "event_categories.csv": """event_category_code,event_category_name,aliases
ev01,文明宣传,宣传
ev02,志愿服务,
ev03,环境清洁,
""",
}


def write_sample_reference(path: Path | str) -> Path:
    """Write a tiny reference set in the documented format (for tests that must not depend on the real one)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLE_FILES.items():
        (path / name).write_text(text, encoding="utf-8")
    return path
