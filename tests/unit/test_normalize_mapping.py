"""Names as typed by operators map to reference codes through aliases; unknown names are never guessed."""

import pandas as pd
import pytest

from etl.normalize.mapping import lookup_codes, map_areas, map_categories
from etl.normalize.text import clean_text
from etl.refdata import load_reference


@pytest.fixture(scope="module")
def refs():
    return load_reference()


def _areas(refs, rows):
    frame = pd.DataFrame(rows, columns=["district", "town", "community"], dtype=object)
    codes, hits = map_areas(*(clean_text(frame[c]) for c in frame.columns), refs)
    flagged = {h.rule + ":" + str(h.detail.get("field", "")): h.mask for h in hits}
    return codes, flagged


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (("新会区", "会城街道", "城南社区"), ("440705", "440705001", "440705001001")),
        (("新会", "(圭峰)会城街道", None), ("440705", "440705001", None)),
        (("新会区", "（圭峰）会城街道", None), ("440705", "440705001", None)),
        (("江门市新会区", " 会城 ", None), ("440705", "440705001", None)),
        ((None, "会城", None), ("440705", "440705001", None)),  # district filled from the town
        ((None, None, "城南"), ("440705", "440705001", "440705001001")),  # and from the community
        (("鹤山市", "沙坪街道", None), ("440784", "440784001", None)),
        (("蓬江区", "杜阮镇", None), ("440703", "440703102", None)),
        (("新会区", "睦州镇", None), ("440705", "440705103", None)),  # a common typo kept as an alias
        ((None, None, None), (None, None, None)),
    ],
)
def test_known_areas_map_to_codes(refs, row, expected) -> None:
    codes, flagged = _areas(refs, [row])
    assert tuple(None if pd.isna(v) else v for v in codes.iloc[0]) == expected
    assert not any(mask.iloc[0] for mask in flagged.values())


@pytest.mark.parametrize(
    ("row", "flag"),
    [
        (("火星区", None, None), "unknown_area:district"),
        (("新会区", "月亮镇", None), "unknown_area:town"),
        (("新会区", "会城街道", "不存在社区"), "unknown_area:community"),
        (("鹤山市", "会城街道", None), "area_mismatch:"),
        (("新会区", "会城街道", "沙坪社区"), "area_mismatch:"),
    ],
)
def test_unknown_or_inconsistent_areas_are_flagged(refs, row, flag) -> None:
    _, flagged = _areas(refs, [row])
    assert [name for name, mask in flagged.items() if mask.iloc[0]] == [flag]


@pytest.mark.parametrize(
    ("source", "value", "code"),
    [
        ("hotline", "乱停车", "illegal_parking"),
        ("hotline", "车辆乱停放", "illegal_parking"),
        ("hotline", "违章停车", "illegal_parking"),
        ("hotline", "暴露垃圾", "sanitation"),
        ("hotline", "卫生死角", "sanitation"),
        ("hotline", "小广告", "illegal_posting"),
        ("hotline", "流动摊贩", "street_occupation"),
        ("hotline", "井盖", "municipal_facility"),
        ("hotline", "公益广告", "publicity"),
        ("hotline", "废弃车辆", "abandoned_vehicle"),
        ("hotline", "违建", "illegal_structure"),
        ("hotline", "噪音", "other"),
        ("hotline", "劳动纠纷", "other"),
        ("hotline", "illegal_parking", "illegal_parking"),  # a code as the category
        ("inspections", "违停", "illegal_parking"),  # the taxonomy's own names
        ("inspections", "乱张贴乱涂画", "illegal_posting"),
        ("inspections", "文明宣传", "publicity"),
        ("inspections", "噪音", None),  # a hotline-only mapping
    ],
)
def test_categories_map_per_source(refs, source, value, code) -> None:
    codes, hit = map_categories(pd.Series([value]), refs, source)
    assert (None if pd.isna(codes.iloc[0]) else codes.iloc[0]) == code
    assert bool(hit.mask.iloc[0]) is (code is None)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("城管局", "urban_management"),
        ("市城管局", "urban_management"),
        ("城市管理和综合执法局", "urban_management"),
        ("交警", "traffic_police"),
        ("交警支队", "traffic_police"),
        ("古井镇政府", "town_440705101"),
        ("会城街道办事处", "town_440705001"),
        ("（圭峰）会城街道办事处", "town_440705001"),
        ("宇宙管理局", None),
    ],
)
def test_departments(refs, value, code) -> None:
    codes, hit = lookup_codes(pd.Series([value]), refs.department_lookup, "unknown_department", "department")
    assert (None if pd.isna(codes.iloc[0]) else codes.iloc[0]) == code
    assert bool(hit.mask.iloc[0]) is (code is None)
    assert hit.detail["field"] == "department"


@pytest.mark.parametrize(("value", "code"), [("农贸市场", "farmers_market"), ("菜市场", "farmers_market"),
                                             ("公共厕所", "public_toilet"), ("学校周边", "school_surroundings"),
                                             ("外星基地", None)])
def test_site_types(refs, value, code) -> None:
    codes, _ = lookup_codes(pd.Series([value]), refs.site_type_lookup, "unknown_site_type", "site_type")
    assert (None if pd.isna(codes.iloc[0]) else codes.iloc[0]) == code
