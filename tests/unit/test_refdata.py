"""The reference set: the documented file formats, the Jiangmen content, checks, core tables, unmapped values."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from etl import config, warehouse
from etl.refdata import FILES, ReferenceDataError, load_reference, main, unmapped_values, write_reference_tables
from tests.conftest import ENGINES

JIANGMEN = config.REPO_ROOT / "etl" / "reference" / "jiangmen"


@pytest.fixture(scope="module")
def refs():
    return load_reference(JIANGMEN)


def test_files_have_exactly_the_documented_columns() -> None:
    for file, columns in FILES.values():
        header = (JIANGMEN / file).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == columns, file
    settings = (config.REPO_ROOT / "etl" / "reference" / "settings.csv").read_text(encoding="utf-8")
    assert settings.splitlines()[0] == "key,value"


def test_jiangmen_has_its_districts_and_the_towns_the_seeds_name(refs) -> None:
    areas = refs.areas
    districts = set(areas.loc[areas["area_level"] == "district", "area_name"])
    assert districts == {"蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市", "恩平市"}
    towns = areas[areas["area_level"] == "town"]
    assert {"会城街道", "古井镇", "三江镇", "睦洲镇", "棠下镇", "杜阮镇", "沙坪街道"} <= set(towns["area_name"])
    per_district = towns.groupby("parent_code").size()
    assert per_district.between(2, 4).all() and len(per_district) == 7
    assert (areas["area_level"] == "community").sum() >= 10


def test_taxonomies_and_settings(refs) -> None:
    assert list(refs.categories["category_code"]) == [
        "illegal_parking", "abandoned_vehicle", "municipal_facility", "sanitation", "publicity",
        "street_occupation", "illegal_posting", "illegal_structure", "other",
    ]
    assert len(refs.site_types) == 12 and len(refs.event_categories) == 36
    kinds = refs.departments["department_kind"].value_counts()
    assert kinds["municipal"] >= 10 and kinds["town"] >= 7
    town_departments = refs.departments[refs.departments["department_kind"] == "town"]
    assert town_departments["town_code"].notna().all()
    assert dict(zip(refs.settings["key"], refs.settings["value"], strict=True)) == {
        "red_departments": 5, "black_departments": 3, "red_districts": 1, "black_districts": 1,
        "red_towns": 1, "black_towns": 1, "campaign_start": 20260907,
    }
    assert refs.setting("red_departments") == 5


@pytest.mark.parametrize(
    ("lookup", "key", "code"),
    [
        ("districts", "新会", "440705"),
        ("towns_anywhere", "会城", "440705001"),
        ("towns_anywhere", "会城街道", "440705001"),
        ("department_lookup", "交警", "traffic_police"),
        ("event_category_lookup", "志愿者服务", "ev02"),
        ("site_type_lookup", "菜市场", "farmers_market"),
    ],
)
def test_lookups_are_built_once_with_aliases(refs, lookup, key, code) -> None:
    assert getattr(refs, lookup)[key] == code


def _copy_set(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(JIANGMEN, target)
    return target


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("areas.csv", lambda t: t + "440799,重复区,district,,新会\n", "several codes"),
        ("areas.csv", lambda t: t + "440705999,孤儿镇,town,999999,\n", "expected a district"),
        ("areas.csv", lambda t: t + "440703001,环市街道,town,440703,\n", "duplicate area_code"),
        ("category_map.csv", lambda t: t + ",乱停车,nonexistent\n", "not in categories.csv"),
        ("category_map.csv", lambda t: t + ",乱停车,sanitation\n", "several categories"),
        ("departments.csv", lambda t: t + "x,某镇政府,town,440703,\n", "is not a town"),
        ("departments.csv", lambda t: t + "y,某局,provincial,,\n", "municipal or town"),
        ("site_types.csv", lambda t: t.replace("site_type_name", "name"), r"columns \['site_type_name'\] missing"),
    ],
)
def test_inconsistent_reference_files_are_refused(tmp_path, file, edit, message) -> None:
    folder = _copy_set(tmp_path)
    path = folder / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message):
        load_reference(folder)


def test_a_missing_file_is_refused(tmp_path) -> None:
    folder = _copy_set(tmp_path)
    (folder / "departments.csv").unlink()
    with pytest.raises(ReferenceDataError, match="reference file missing"):
        load_reference(folder)


def test_another_city_is_another_folder(tmp_path, monkeypatch) -> None:
    folder = _copy_set(tmp_path)
    areas = folder / "areas.csv"
    areas.write_text(areas.read_text(encoding="utf-8") + "440705104,大鳌镇,town,440705,大鳌\n", encoding="utf-8")
    monkeypatch.setenv("CAMPAIGN_REFERENCE_DIR", str(folder))
    assert load_reference().towns_anywhere["大鳌"] == "440705104"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_reference_tables_are_replaced_in_core(engine: sa.Engine, refs) -> None:
    with engine.begin() as conn:
        write_reference_tables(conn, refs)
        counts = write_reference_tables(conn, refs)  # a second load replaces, never adds
    assert counts["core.dim_event_category"] == 36
    with engine.connect() as conn:
        for table, n in counts.items():
            assert conn.exec_driver_sql(f"select count(*) from {table}").scalar() == n
        assert conn.exec_driver_sql("select value from core.settings where key = 'black_departments'").scalar() == 3
        town = conn.exec_driver_sql(
            "select area_name, parent_code from core.dim_area where area_code = '440705001'"
        ).one()
        assert tuple(town) == ("会城街道", "440705")
        assert conn.exec_driver_sql("select count(*) from core.dim_area where parent_code is null").scalar() == 7


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_unmapped_lists_quarantined_values_with_counts(engine: sa.Engine, capsys) -> None:
    def row(source_id, rule, detail):
        return {"pull_id": "p1", "source": "hotline", "source_id": source_id, "rule": rule,
                "detail": json.dumps(detail, ensure_ascii=False), "created_at": pd.Timestamp("2026-09-08")}

    frame = pd.DataFrame([
        row("T1", "unknown_area", {"field": "town", "value": "月亮镇", "district": "新会区"}),
        row("T2", "unknown_area", {"field": "town", "value": "月亮镇", "district": None}),
        row("T3", "unknown_category", {"field": "category", "value": "外星人"}),
        row("T4", "unparseable_date", {"field": "received_at", "value": "昨天"}),
    ])
    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.quarantine", frame, ["pull_id", "source_id", "rule"])
    with engine.connect() as conn:
        found = unmapped_values(conn)
    assert found[["rule", "field", "value", "n_rows"]].values.tolist() == [
        ["unknown_area", "town", "月亮镇", 2],
        ["unknown_category", "category", "外星人", 1],
    ]
    assert main(["unmapped", "--url", engine.url.render_as_string(hide_password=False)]) == 0
    out = capsys.readouterr().out
    assert "月亮镇" in out and "外星人" in out and "昨天" not in out


def test_check_command(capsys) -> None:
    assert main(["check", "--path", str(JIANGMEN)]) == 0
    assert "core.dim_area" in capsys.readouterr().out
