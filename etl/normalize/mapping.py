"""Map free-typed names to reference codes (areas, categories, departments, site types, event categories)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from etl.normalize.rules import RuleHit
from etl.normalize.text import match_keys

if TYPE_CHECKING:
    from etl.refdata import Reference


def map_codes(values: pd.Series, lookup: dict[str, str]) -> pd.Series:
    """Codes for cleaned values via their match keys; missing where blank or unknown."""
    return match_keys(values).map(lookup).astype("str")


def lookup_codes(values: pd.Series, lookup: dict[str, str], rule: str, field: str) -> tuple[pd.Series, RuleHit]:
    """Codes, and a hit for every value given but unknown to the reference."""
    codes = map_codes(values, lookup)
    return codes, RuleHit(rule, values.notna() & codes.isna(), {"field": field, "value": values})


def map_categories(values: pd.Series, refs: Reference, source: str) -> tuple[pd.Series, RuleHit]:
    """Problem category codes through category_map.csv (rows for this source first, then for any source)."""
    lookup = refs.category_lookup.get(source, refs.category_lookup[""])
    return lookup_codes(values, lookup, "unknown_category", "category")


def _scoped(parent_codes: pd.Series, keys: pd.Series, lookup: dict[str, str]) -> pd.Series:
    return (parent_codes + "|" + keys).map(lookup).astype("str")


def map_areas(
    district: pd.Series, town: pd.Series, community: pd.Series, refs: Reference
) -> tuple[pd.DataFrame, list[RuleHit]]:
    """district/town/community codes; a town or community is looked up within its parent when that is given,
    anywhere (if unambiguous) when not, and then fills in the missing parents. Unknown names are hits
    `unknown_area`; a known town under another district (or community under another town) `area_mismatch`.

    Worked out once per distinct (district, town, community): a batch repeats a few hundred of them.
    """
    given = pd.DataFrame({"district": district, "town": town, "community": community})
    row_of = given.groupby(list(given.columns), dropna=False, sort=False).ngroup().to_numpy()
    _, first_rows = np.unique(row_of, return_index=True)  # groups are numbered in order of appearance
    distinct = given.iloc[first_rows].reset_index(drop=True)
    codes, masks = _area_codes(distinct["district"], distinct["town"], distinct["community"], refs)
    codes = codes.iloc[row_of].set_axis(given.index)
    hit = {name: pd.Series(mask.to_numpy()[row_of], index=given.index) for name, mask in masks.items()}
    hits = [
        RuleHit("unknown_area", hit["unknown_district"], {"field": "district", "value": district}),
        RuleHit("unknown_area", hit["unknown_town"], {"field": "town", "value": town, "district": district}),
        RuleHit("unknown_area", hit["unknown_community"],
                {"field": "community", "value": community, "town": town}),
        RuleHit("area_mismatch", hit["mismatch"], {"district": district, "town": town, "community": community}),
    ]
    return codes, hits


def _area_codes(
    district: pd.Series, town: pd.Series, community: pd.Series, refs: Reference
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    d_key, t_key, c_key = match_keys(district), match_keys(town), match_keys(community)
    d_code = d_key.map(refs.districts).astype("str")
    unknown_district = district.notna() & d_code.isna()

    t_any = t_key.map(refs.towns_anywhere).astype("str")
    t_code = _scoped(d_code, t_key, refs.towns).where(d_code.notna(), t_any)
    t_code = t_code.where(~unknown_district)
    t_parent = t_any.map(refs.parent).astype("str")
    town_elsewhere = town.notna() & d_code.notna() & t_code.isna() & t_any.notna() & (t_parent != d_code)
    unknown_town = town.notna() & t_code.isna() & ~town_elsewhere & ~unknown_district
    d_code = d_code.where(d_code.notna() | district.notna(), t_code.map(refs.parent).astype("str"))

    c_any = c_key.map(refs.communities_anywhere).astype("str")
    c_code = _scoped(t_code, c_key, refs.communities).where(t_code.notna(), c_any)
    c_code = c_code.where(~(unknown_district | unknown_town | town_elsewhere))
    c_parent = c_any.map(refs.parent).astype("str")
    filled_town = t_code.isna() & town.isna() & c_code.notna()
    t_code = t_code.where(~filled_town, c_parent)
    d_code = d_code.where(~(filled_town & d_code.isna()), c_parent.map(refs.parent).astype("str"))
    community_elsewhere = (
        community.notna() & c_code.notna() & (c_code.map(refs.parent).astype("str") != t_code)
    ) | (community.notna() & c_code.isna() & t_code.notna() & c_any.notna() & (c_parent != t_code))
    c_code = c_code.where(~community_elsewhere)
    district_conflict = filled_town & district.notna() & (c_parent.map(refs.parent).astype("str") != d_code)
    unknown_community = (
        community.notna() & c_code.isna() & ~community_elsewhere & ~(unknown_district | unknown_town | town_elsewhere)
    )

    codes = pd.DataFrame({"district_code": d_code, "town_code": t_code, "community_code": c_code})
    return codes, {
        "unknown_district": unknown_district,
        "unknown_town": unknown_town,
        "unknown_community": unknown_community,
        "mismatch": town_elsewhere | community_elsewhere | district_conflict,
    }
