"""Red/black list rules at the edges: ties, overlap of the two lists when few units are ranked, sizes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from etl import models
from tests.conftest import ENGINES
from tests.fixtures.golden.warehouse_rows import deadline, load, local, read

DEPARTMENTS = ["A", "B", "C", "D", "E", "F"]


def _dims(settings: dict[str, int]) -> dict[str, list[dict]]:
    return {
        "core.dim_area": [{"area_code": "D1", "area_name": "蓬江区", "area_level": "district", "parent_code": None}],
        "core.dim_department": [{"department_code": d, "department_name": f"局{d}", "department_kind": "municipal",
                                 "town_code": None} for d in DEPARTMENTS]
        + [{"department_code": "G", "department_name": "镇政府", "department_kind": "town", "town_code": None}],
        "core.dim_category": [{"category_code": "sanitation", "category_name": "环境卫生",
                               "category_name_en": "sanitation"}],
        "core.settings": [{"key": "campaign_start", "value": 20260302}]
        + [{"key": k, "value": v} for k, v in settings.items()],
    }


def _findings(outcomes: dict[str, str]) -> list[dict]:
    """One finding per character of each department's outcome string (found in W1): 'r' rectified, 'o' open."""
    rows = []
    for department, outcome in outcomes.items():
        for i, state in enumerate(outcome):
            rows.append({
                "finding_id": f"{department}{i}", "file_sha256": "f", "file_name": "f.xlsx",
                "found_at": local("2026-03-03"), "district_code": "D1", "site_type_code": "main_road",
                "category_code": "sanitation", "department_code": department, "due_at": deadline("2026-03-20"),
                "rectified_at": local("2026-03-05") if state == "r" else None,
            })
    return rows


def ranking(engine: sa.Engine, outcomes: dict[str, str], **settings: int) -> dict[str, tuple]:
    load(engine, {**_dims(settings), "staging.inspection_finding_versions": _findings(outcomes)})
    models.build(engine)
    frame = read(engine, 'select unit_code, "rank", n_ranked, "list" from mart.red_black_list '
                         "where unit_kind = 'department'")
    return {code: (int(rank), int(n), None if lst is None or lst != lst else lst)
            for code, rank, n, lst in frame.itertuples(index=False)}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_default_sizes_and_ties_at_both_boundaries(engine: sa.Engine) -> None:
    # No size settings: top 5 red, bottom 3 black. Six departments; C and D tie at the black boundary.
    got = ranking(engine, {"A": "rr", "B": "rrro", "C": "ro", "D": "ro", "E": "o", "F": "oo", "G": "o"})
    assert got == {
        "A": (1, 6, "red"), "B": (2, 6, "red"),
        # C, D rank 3 from the top (red) and 3 from the bottom (black): nearer to neither -> no list.
        "C": (3, 6, None), "D": (3, 6, None),
        # E and F tie for last: 5 from the top (red size 5) but 1 from the bottom: black.
        "E": (5, 6, "black"), "F": (5, 6, "black"),
    }  # G is a town government: ranked with the towns, not the departments


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_a_single_ranked_unit_is_on_no_list(engine: sa.Engine) -> None:
    assert ranking(engine, {"A": "o"}, red_departments=1, black_departments=1) == {"A": (1, 1, None)}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_all_tied_means_no_list(engine: sa.Engine) -> None:
    got = ranking(engine, {"A": "r", "B": "r", "C": "r"}, red_departments=1, black_departments=1)
    assert got == {"A": (1, 3, None), "B": (1, 3, None), "C": (1, 3, None)}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_tie_at_the_red_boundary_lists_both(engine: sa.Engine) -> None:
    got = ranking(engine, {"A": "r", "B": "ro", "C": "ro", "D": "o", "E": "oo"},
                  red_departments=2, black_departments=1)
    assert got == {"A": (1, 5, "red"), "B": (2, 5, "red"), "C": (2, 5, "red"),
                   "D": (4, 5, "black"), "E": (4, 5, "black")}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_units_without_problems_are_not_ranked(engine: sa.Engine) -> None:
    got = ranking(engine, {"A": "r", "B": "o"}, red_departments=1, black_departments=1)
    assert got == {"A": (1, 2, "red"), "B": (2, 2, "black")}  # C..F found nothing: absent, not 100%
