"""Reference data (areas, categories, site types, departments, event categories, settings) from versioned CSVs.

`load_reference()` reads one reference set (`config.reference_dir()`, plus the city-independent
`etl/reference/settings.csv`), checks it, and builds the alias lookups once; `write_reference_tables`
copies it into `core.dim_*` / `core.settings`. `python -m etl.refdata unmapped` lists the values that
sent rows to quarantine for want of a mapping, so the office knows which aliases to add.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection

from etl import config
from etl.normalize.text import match_keys

SETTINGS_FILE = config.REPO_ROOT / "etl" / "reference" / "settings.csv"
AREA_LEVELS = ("district", "town", "community")
DEPARTMENT_KINDS = ("municipal", "town")
CATEGORY_MAP_SOURCES = ("", "hotline", "inspections")

FILES = {
    "areas": ("areas.csv", ["area_code", "area_name", "area_level", "parent_code", "aliases"]),
    "categories": ("categories.csv", ["category_code", "category_name", "category_name_en"]),
    "category_map": ("category_map.csv", ["source", "source_value", "category_code"]),
    "site_types": ("site_types.csv", ["site_type_code", "site_type_name", "aliases"]),
    "departments": (
        "departments.csv", ["department_code", "department_name", "department_kind", "town_code", "aliases"]
    ),
    "event_categories": ("event_categories.csv", ["event_category_code", "event_category_name", "aliases"]),
}
# core table <- (frame attribute, columns written)
TABLES = {
    "core.dim_area": ("areas", ["area_code", "area_name", "area_level", "parent_code"]),
    "core.dim_category": ("categories", ["category_code", "category_name", "category_name_en"]),
    "core.dim_site_type": ("site_types", ["site_type_code", "site_type_name"]),
    "core.dim_department": ("departments", ["department_code", "department_name", "department_kind", "town_code"]),
    "core.dim_event_category": ("event_categories", ["event_category_code", "event_category_name"]),
    "core.settings": ("settings", ["key", "value"]),
}
UNMAPPED_RULES = ("unknown_area", "unknown_category", "unknown_event_category", "unknown_department",
                  "unknown_site_type")


class ReferenceDataError(ValueError):
    """A reference file is missing, malformed or contradicts itself."""


@dataclass(frozen=True)
class Reference:
    """One reference set: the frames as read, and lookups from a match key (`normalize.text.match_keys`) to a code."""

    path: Path
    areas: pd.DataFrame
    categories: pd.DataFrame
    category_map: pd.DataFrame
    site_types: pd.DataFrame
    departments: pd.DataFrame
    event_categories: pd.DataFrame
    settings: pd.DataFrame
    districts: dict[str, str] = field(repr=False)
    towns: dict[str, str] = field(repr=False)  # "<district_code>|<key>" -> town_code
    towns_anywhere: dict[str, str] = field(repr=False)  # key -> town_code, only where unambiguous
    communities: dict[str, str] = field(repr=False)  # "<town_code>|<key>" -> community_code
    communities_anywhere: dict[str, str] = field(repr=False)
    parent: dict[str, str] = field(repr=False)  # area_code -> parent_code
    category_lookup: dict[str, dict[str, str]] = field(repr=False)  # source ("" = any) -> key -> code
    site_type_lookup: dict[str, str] = field(repr=False)
    department_lookup: dict[str, str] = field(repr=False)
    event_category_lookup: dict[str, str] = field(repr=False)

    def setting(self, key: str) -> int:
        """An integer setting, e.g. `red_departments`."""
        values = self.settings.loc[self.settings["key"] == key, "value"]
        if values.empty:
            raise KeyError(f"setting {key!r} is not in {SETTINGS_FILE}")
        return int(values.iloc[0])


def load_reference(path: Path | str | None = None, settings_path: Path | str | None = None) -> Reference:
    """Read and check a reference set (default `config.reference_dir()`) and build its lookups."""
    folder = Path(path) if path is not None else config.reference_dir()
    frames = {name: _read_csv(folder / file, columns) for name, (file, columns) in FILES.items()}
    settings = _read_csv(Path(settings_path) if settings_path else SETTINGS_FILE, ["key", "value"])
    _check(frames, settings)
    settings = settings.assign(value=settings["value"].astype("int64"))

    areas = frames["areas"]
    parent = {c: p for c, p in zip(areas["area_code"], areas["parent_code"], strict=True) if p}
    districts = _lookup(areas[areas["area_level"] == "district"], "area_code", "area_name", "districts")
    towns = _scoped_lookup(areas[areas["area_level"] == "town"], "towns")
    communities = _scoped_lookup(areas[areas["area_level"] == "community"], "communities")
    return Reference(
        path=folder,
        settings=settings,
        districts=districts,
        towns=towns,
        towns_anywhere=_unambiguous(towns),
        communities=communities,
        communities_anywhere=_unambiguous(communities),
        parent=parent,
        category_lookup=_category_lookup(frames["categories"], frames["category_map"]),
        site_type_lookup=_lookup(frames["site_types"], "site_type_code", "site_type_name", "site types"),
        department_lookup=_lookup(frames["departments"], "department_code", "department_name", "departments"),
        event_category_lookup=_lookup(
            frames["event_categories"], "event_category_code", "event_category_name", "event categories"
        ),
        **frames,
    )


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise ReferenceDataError(f"reference file missing: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReferenceDataError(f"{path}: columns {missing} missing (expected {columns})")
    frame = frame[columns].apply(lambda col: col.str.strip())
    return frame.replace({"": None}).where(lambda f: f.notna(), None)


def _check(frames: dict[str, pd.DataFrame], settings: pd.DataFrame) -> None:
    problems: list[str] = []
    for name, (file, columns) in FILES.items():
        frame, key = frames[name], columns[0]
        if name == "category_map":
            continue
        if frame[key].isna().any() or frame[columns[1]].isna().any():
            problems.append(f"{file}: empty {key} or {columns[1]}")
        duplicated = sorted(frame.loc[frame[key].duplicated(), key].dropna().unique())
        if duplicated:
            problems.append(f"{file}: duplicate {key} {duplicated}")
    areas = frames["areas"]
    levels = dict(zip(areas["area_code"], areas["area_level"], strict=True))
    bad_level = sorted(set(areas["area_level"].dropna()) - set(AREA_LEVELS))
    if bad_level:
        problems.append(f"areas.csv: area_level must be one of {AREA_LEVELS}, found {bad_level}")
    expected_parent = {"district": None, "town": "district", "community": "town"}
    for code, level, parent in zip(areas["area_code"], areas["area_level"], areas["parent_code"], strict=True):
        want = expected_parent.get(level)
        if (want is None and parent) or (want is not None and levels.get(parent) != want):
            problems.append(f"areas.csv: {code} ({level}) has parent {parent!r}, expected a {want or 'blank'}")
    codes = set(frames["categories"]["category_code"])
    cmap = frames["category_map"]
    unknown = sorted(set(cmap["category_code"].dropna()) - codes)
    if unknown or cmap["category_code"].isna().any() or cmap["source_value"].isna().any():
        problems.append(f"category_map.csv: empty values or category codes not in categories.csv {unknown}")
    bad_sources = sorted(set(cmap["source"].fillna("")) - set(CATEGORY_MAP_SOURCES))
    if bad_sources:
        problems.append(f"category_map.csv: source must be blank, hotline or inspections, found {bad_sources}")
    deps = frames["departments"]
    bad_kinds = sorted(set(deps["department_kind"].dropna()) - set(DEPARTMENT_KINDS))
    if bad_kinds:
        problems.append(f"departments.csv: department_kind must be municipal or town, found {bad_kinds}")
    for code, kind, town in zip(deps["department_code"], deps["department_kind"], deps["town_code"], strict=True):
        if kind == "town" and levels.get(town) != "town":
            problems.append(f"departments.csv: {code} is a town government but town_code {town!r} is not a town")
    if not pd.to_numeric(settings["value"], errors="coerce").notna().all():
        problems.append("settings.csv: every value must be an integer")
    if problems:
        raise ReferenceDataError("reference data is inconsistent:\n  " + "\n  ".join(problems))


def _names(frame: pd.DataFrame, code: str, name: str) -> pd.DataFrame:
    """(code, key) for the code itself, the name and every alias."""
    aliases = frame["aliases"] if "aliases" in frame else pd.Series(None, index=frame.index, dtype=object)
    pairs = [(c, c) for c in frame[code]] + list(zip(frame[code], frame[name], strict=True))
    for c, a in zip(frame[code], aliases, strict=True):
        pairs += [(c, alias) for alias in (a or "").split("|") if alias.strip()]
    out = pd.DataFrame(pairs, columns=["code", "name"])
    out["key"] = match_keys(out["name"])
    return out.dropna(subset=["key"]).drop_duplicates(["code", "key"])


def _lookup(frame: pd.DataFrame, code: str, name: str, what: str) -> dict[str, str]:
    pairs = _names(frame, code, name)
    clashes = pairs.groupby("key")["code"].nunique()
    clashes = clashes[clashes > 1]
    if not clashes.empty:
        detail = {k: sorted(pairs.loc[pairs["key"] == k, "code"]) for k in clashes.index}
        raise ReferenceDataError(f"{what}: one name or alias points at several codes: {detail}")
    return dict(zip(pairs["key"], pairs["code"], strict=True))


def _scoped_lookup(frame: pd.DataFrame, what: str) -> dict[str, str]:
    """"<parent_code>|<key>" -> area_code, for areas whose names are unique only within their parent."""
    pairs = _names(frame, "area_code", "area_name")
    pairs["parent"] = pairs["code"].map(dict(zip(frame["area_code"], frame["parent_code"], strict=True)))
    pairs["scoped"] = pairs["parent"] + "|" + pairs["key"]
    clashes = pairs.groupby("scoped")["code"].nunique()
    clashes = clashes[clashes > 1]
    if not clashes.empty:
        raise ReferenceDataError(
            f"{what}: one name or alias points at several areas of one parent: {list(clashes.index)}"
        )
    return dict(zip(pairs["scoped"], pairs["code"], strict=True))


def _unambiguous(scoped: dict[str, str]) -> dict[str, str]:
    codes: dict[str, set[str]] = {}
    for scoped_key, code in scoped.items():
        codes.setdefault(scoped_key.split("|", 1)[1], set()).add(code)
    return {key: next(iter(found)) for key, found in codes.items() if len(found) == 1}


def _category_lookup(categories: pd.DataFrame, category_map: pd.DataFrame) -> dict[str, dict[str, str]]:
    base = _lookup(categories.assign(aliases=None), "category_code", "category_name", "categories")
    lookups: dict[str, dict[str, str]] = {}
    for source in CATEGORY_MAP_SOURCES:
        rows = category_map[category_map["source"].fillna("") == source]
        keys = match_keys(rows["source_value"])
        clashes = pd.DataFrame({"key": keys, "code": rows["category_code"]}).groupby("key")["code"].nunique()
        if (clashes > 1).any():
            raise ReferenceDataError(
                f"category_map.csv: source {source or '(any)'!r} maps one value to several categories: "
                f"{list(clashes[clashes > 1].index)}"
            )
        mapped = dict(zip(keys, rows["category_code"], strict=True))
        lookups[source] = ({**base, **mapped} if source == "" else mapped)
    return {source: ({**lookups[""], **lookups[source]} if source else lookups[""]) for source in lookups}


def reference_tables(refs: Reference) -> dict[str, pd.DataFrame]:
    """The frames written to core: each file's columns minus `aliases`."""
    return {table: getattr(refs, attr)[columns].reset_index(drop=True) for table, (attr, columns) in TABLES.items()}


def write_reference_tables(conn: Connection, refs: Reference) -> dict[str, int]:
    """Replace the contents of core.dim_* and core.settings (inside the caller's transaction)."""
    from etl.warehouse import replace_rows

    return {table: replace_rows(conn, table, frame) for table, frame in reference_tables(refs).items()}


def unmapped_values(conn: Connection) -> pd.DataFrame:
    """Every value quarantined for want of a mapping: source, rule, field, value, n_rows, last_seen."""
    placeholders = ", ".join(f"'{r}'" for r in UNMAPPED_RULES)
    rows = pd.DataFrame(
        conn.exec_driver_sql(
            f"select source, rule, detail, count(*) as n_rows, max(created_at) as last_seen "
            f"from audit.quarantine where rule in ({placeholders}) group by source, rule, detail"
        ).all(),
        columns=["source", "rule", "detail", "n_rows", "last_seen"],
    )
    columns = ["source", "rule", "field", "value", "n_rows", "last_seen"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    details = rows["detail"].map(_parse_detail)
    rows["field"] = details.map(lambda d: d.get("field"))
    rows["value"] = details.map(lambda d: d.get("value"))
    out = rows.groupby(["source", "rule", "field", "value"], dropna=False, as_index=False).agg(
        n_rows=("n_rows", "sum"), last_seen=("last_seen", "max")
    )
    return out.sort_values(["n_rows", "source", "rule"], ascending=[False, True, True])[columns].reset_index(drop=True)


def _parse_detail(detail: str | None) -> dict:
    try:
        parsed = json.loads(detail) if detail else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def main(argv: list[str] | None = None) -> int:
    """`python -m etl.refdata unmapped [--url URL]` or `python -m etl.refdata check [--path DIR]`."""
    parser = argparse.ArgumentParser(prog="python -m etl.refdata", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    unmapped = commands.add_parser("unmapped", help="list quarantined values that no reference file maps")
    unmapped.add_argument("--url", help="warehouse URL (default: CAMPAIGN_WAREHOUSE_URL or the DuckDB file)")
    check = commands.add_parser("check", help="load and check a reference set")
    check.add_argument("--path", help="reference set folder (default: CAMPAIGN_REFERENCE_DIR or jiangmen)")
    args = parser.parse_args(argv)

    if args.command == "check":
        try:
            refs = load_reference(args.path)
        except ReferenceDataError as exc:
            print(exc, file=sys.stderr)
            return 1
        for table, frame in reference_tables(refs).items():
            print(f"{table}: {len(frame)} rows")
        return 0

    from etl.warehouse import create_engine

    engine = create_engine(args.url)
    with engine.connect() as conn:
        found = unmapped_values(conn)
    engine.dispose()
    if found.empty:
        print("no unmapped values in audit.quarantine")
        return 0
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(found.to_string(index=False))
    print(f"\n{len(found)} distinct values; add them as aliases (or category_map rows) in {config.reference_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
