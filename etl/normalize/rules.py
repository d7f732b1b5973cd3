"""Row rules: each failure is a named rule, a mask over the records, and the (never personal) values to report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

QUARANTINE_COLUMNS = ["source", "source_id", "rule", "detail"]


@dataclass(frozen=True)
class RuleHit:
    """Records failing one rule: `mask` is aligned with the records; `detail` holds columns or constants."""

    rule: str
    mask: pd.Series
    detail: dict[str, object] = field(default_factory=dict)


def hits_frame(hits: list[RuleHit], source: str, source_ids: pd.Series) -> pd.DataFrame:
    """One quarantine row per (record, rule), with `_row` (the record's position) kept for reconciliation."""
    parts = []
    for hit in hits:
        mask = hit.mask.fillna(False).astype(bool)
        if not mask.any():
            continue
        index = mask.index[mask.to_numpy()]
        columns = {
            key: (value.loc[index] if isinstance(value, pd.Series) else pd.Series([value] * len(index), index=index))
            for key, value in hit.detail.items()
        }
        details = pd.DataFrame(columns, index=index).astype(object)
        details = details.where(details.notna(), None)
        parts.append(pd.DataFrame({
            "_row": index,
            "source": source,
            "source_id": source_ids.loc[index].to_numpy(),
            "rule": hit.rule,
            "detail": [json.dumps(d, ensure_ascii=False, default=str) for d in details.to_dict("records")],
        }))
    if not parts:
        empty = {c: pd.Series(dtype="str") for c in QUARANTINE_COLUMNS}
        return pd.DataFrame({"_row": pd.Series(dtype="int64"), **empty})
    return pd.concat(parts, ignore_index=True)
