"""Text cleaning: NFKC, trimming, blanks, spreadsheet numbers, and the key names are matched on."""

import pandas as pd
import pytest

from etl.normalize.text import clean_text, match_keys


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  会城街道 ", "会城街道"),
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits
        ("（圭峰）会城街道", "(圭峰)会城街道"),  # full-width brackets
        ("新会\u3000区", "新会 区"),  # ideographic space
        ("a \t\n b", "a b"),
        ("", None),
        ("   ", None),
        (None, None),
        (float("nan"), None),
        (101.0, "101"),  # a spreadsheet's integer id
        (2.5, "2.5"),
        (7, "7"),
        (True, "true"),
    ],
)
def test_clean_text(value, expected) -> None:
    cleaned = clean_text(pd.Series([value, "x"], dtype=object))
    assert (None if pd.isna(cleaned.iloc[0]) else cleaned.iloc[0]) == expected
    assert cleaned.iloc[1] == "x"


def test_clean_text_keeps_the_index_and_handles_empty_and_all_missing() -> None:
    values = pd.Series([" a ", None, " a "], index=[10, 11, 12])
    assert clean_text(values).to_dict() == {10: "a", 11: pytest.approx(float("nan"), nan_ok=True), 12: "a"}
    assert clean_text(pd.Series([], dtype=object)).empty
    assert clean_text(pd.Series([None, None])).isna().all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(圭峰)会城街道", "会城街道"),
        ("（圭峰）会城街道", "会城街道"),
        (" 会城 街道 ", "会城街道"),
        ("Illegal_Parking", "illegal_parking"),
        ("()", None),
        (None, None),
    ],
)
def test_match_keys(value, expected) -> None:
    keys = match_keys(pd.Series([value, "X"], dtype=object))
    assert (None if pd.isna(keys.iloc[0]) else keys.iloc[0]) == expected
    assert keys.iloc[1] == "x"


def test_match_keys_is_match_key_per_value() -> None:
    values = pd.Series(["（圭峰）会城街道", None, "会城街道", "（圭峰）会城街道"])
    assert match_keys(values).fillna("-").tolist() == ["会城街道", "-", "会城街道", "会城街道"]


def _python_clean(text: str) -> str | None:
    """The reference: Python's own NFKC and whitespace split."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).split()) or None


def test_cleaning_by_arrow_agrees_with_python_on_assigned_characters() -> None:
    """clean_text and match_keys run on Arrow kernels; Python's unicodedata and str methods are the reference.
    Code points Unicode assigned after Python's tables (14.0 on 3.11) are left out: Arrow's tables are newer."""
    import random
    import re
    import unicodedata

    rng = random.Random(3)
    assigned = [chr(c) for c in range(0x20, 0x30000)
                if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"]
    common = list("会城街道（圭峰）(ABC) ａｂｃ１２３\u3000\xa0\t\n \u2003ｶﾞe\u0301İẞ")
    texts = ["".join(rng.choice(common if rng.random() < 0.7 else assigned) for _ in range(rng.randint(0, 12)))
             for _ in range(20_000)]
    cleaned = clean_text(pd.Series(texts, dtype=object))
    assert [None if pd.isna(v) else v for v in cleaned] == [_python_clean(t) for t in texts]

    def python_key(text: str) -> str | None:
        clean = _python_clean(text)
        return clean and (re.sub(r"^\s*\([^()]*\)\s*", "", clean).replace(" ", "").lower() or None)

    keys = match_keys(pd.Series(texts, dtype=object))
    assert [None if pd.isna(v) else v for v in keys] == [python_key(t) for t in texts]
