"""Personal data never leaves this module: PII keys dropped, phone and ID numbers masked, callers hashed."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Sequence

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.normalize.text import UNICODE_SPACE, arrow_text, per_unique, text_columns

# Keys whose values are personal data wherever they appear in a payload (compared case-insensitively).
PII_KEYS = frozenset({
    "caller_name", "caller_phone", "caller_id_number", "caller_id_card", "caller_email",
    "id_number", "id_card", "idcard", "id_card_number", "identity_number",
    "phone", "mobile", "telephone", "contact_name", "contact_phone", "reporter_name", "reporter_phone",
    "first_name", "last_name", "email",
    "姓名", "联系人", "联系电话", "电话", "手机", "手机号", "身份证", "身份证号", "身份证号码", "举报人",
})
PHONE_MASK = "[电话已屏蔽]"
ID_MASK = "[证件号已屏蔽]"

# \d matches full-width digits too; the literal leading digits are spelled both ways.
_ONE, _ZERO, _MOBILE_SECOND = "[1１]", "[0０]", "[3-9３-９]"
_SEP = r"[-\s－]?"
_MOBILE = rf"(?:(?:\+|＋)?(?:86|８６)[-\s]?)?{_ONE}{_MOBILE_SECOND}\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
_LANDLINE = rf"(?:\(?{_ZERO}\d{{2,3}}\)?{_SEP}\d{{7,8}})"
_KEYWORD_NUMBER = r"(?:(?<=电话)|(?<=手机)|(?<=座机)|(?<=联系方式)|(?<=tel)|(?<=TEL)|(?<=Tel))[:：\s]*\d[\d\s-]{5,}\d"
_ID = r"[1-9１-９]\d{5}(?:18|19|20|１８|１９|２０)\d{2}\d{2}\d{2}\d{3}[\dXx]"
# What any match of the patterns above contains, in RE2 (Arrow's regex engine): seven digits in a row (an ID,
# a landline), four and four with at most one separator between (a mobile), or a keyword. Python's \d and \s
# are Unicode-wide, hence \p{Nd} and every character str.isspace() takes. A cheap vectorized test that picks
# the values worth the real patterns; dates and times never pass it.
_MAYBE_PII = (rf"\p{{Nd}}{{7}}|\p{{Nd}}{{4}}[-－{UNICODE_SPACE}]?\p{{Nd}}{{4}}"
              r"|电话|手机|座机|联系方式|tel|TEL|Tel")
ID_PATTERN = re.compile(rf"(?<!\d){_ID}(?!\d)")
PHONE_PATTERN = re.compile(rf"(?<!\d)(?:{_MOBILE}|{_LANDLINE})(?!\d)|{_KEYWORD_NUMBER}")


def mask_text(text: str) -> str:
    """One string with ID numbers and phone numbers replaced by fixed markers."""
    return PHONE_PATTERN.sub(PHONE_MASK, ID_PATTERN.sub(ID_MASK, text))


def mask_series(values: pd.Series) -> pd.Series:
    """`mask_text` over a text column: once per distinct value, and only where three digits are in a row."""
    if values.empty or values.notna().sum() == 0:
        return values
    return per_unique(values, _mask_uniques)


def _mask_uniques(uniques: pd.Series) -> pd.Series:
    text = uniques.astype("str")
    candidates = pd.Series(maybe_pii(arrow_text(text)), index=text.index)
    if not candidates.any():
        return text
    masked = text[candidates].map(mask_text)
    return text.where(~candidates, masked)


def contains_pii(values: pd.Series) -> pd.Series:
    """True where a text value still holds something shaped like a phone or ID number."""
    text = values.astype("str")
    candidates = pd.Series(maybe_pii(arrow_text(text)), index=text.index)
    found = pd.Series(False, index=values.index)
    if candidates.any():
        subset = text[candidates]
        found.loc[candidates] = subset.str.contains(PHONE_PATTERN, na=False) | subset.str.contains(ID_PATTERN, na=False)
    return found


def maybe_pii(strings: pa.Array) -> np.ndarray:
    """False where a text value surely holds no phone or ID number (missing values included)."""
    return pc.fill_null(pc.match_substring_regex(strings, _MAYBE_PII), False).to_numpy(zero_copy_only=False)


def redact_payload(payload: dict) -> dict:
    """A copy of a source payload without PII keys and with phones / ID numbers masked in every string.

    Identifier fields (`id`, `*_id`) are left as they are: they are keys, not free text.
    """
    return _redact(payload)


_JSON = msgspec.json.Encoder(enc_hook=str)


def payload_json(payload: object) -> str:
    """Compact JSON, text as UTF-8; dates and times in ISO 8601, other non-JSON values as str()."""
    return _JSON.encode(payload).decode("utf-8")


def redacted_json(payloads: Sequence[dict]) -> pd.Series:
    """`payload_json(redact_payload(p))` of every payload, column by column, as a text column.

    A source's payloads share their keys, so PII keys are found once per key set, and the masking regexes
    run only on the distinct strings that could hold a number and are not plain timestamps (RE2 over the
    column picks them). Nested values take `redact_payload`'s own path. The JSON is encoded in one call, one
    line per payload, and becomes an Arrow text column without passing through a Python string per payload.
    """
    dropped_by_keys: dict[tuple, tuple] = {}  # key set -> its PII keys
    key_sets = []
    for payload in payloads:
        keys = tuple(payload)
        if keys not in dropped_by_keys:
            dropped_by_keys[keys] = tuple(k for k in keys if str(k).strip().lower() in PII_KEYS)
        key_sets.append(keys)
    columns = dict.fromkeys(k for keys in dropped_by_keys for k in keys if str(k).strip().lower() not in PII_KEYS)
    replaced: dict[int, dict] = {}  # row -> {key: redacted value}
    text = text_columns(payloads, list(columns))
    for key in columns:
        changed = (_redacted_text(str(key), text[key], payloads) if text is not None
                   else _redacted_column(str(key), [payload.get(key) for payload in payloads]))
        for row, value in changed:
            replaced.setdefault(row, {})[key] = value
    redacted = []
    for row, (payload, keys) in enumerate(zip(payloads, key_sets, strict=True)):
        dropped = dropped_by_keys[keys]
        if dropped or row in replaced:
            payload = payload.copy()  # keeps the key order, as the payload_json of a redacted copy would
            for key in dropped:
                del payload[key]
            payload.update(replaced.get(row, ()))
        redacted.append(payload)
    return pd.Series(_lines_as_text(_JSON.encode_lines(redacted), len(redacted)), dtype="str")


def _lines_as_text(lines: bytes, n: int) -> pa.Array:
    """JSON lines (each ends in a newline; JSON escapes those inside strings) as an Arrow text array."""
    ends = np.flatnonzero(np.frombuffer(lines, dtype=np.uint8) == ord("\n"))
    if len(ends) != n:
        raise ValueError(f"expected {n} JSON lines, found {len(ends)}")
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = ends - np.arange(n)  # where each line ends once the newlines before it are gone
    body = lines.replace(b"\n", b"")
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(body))


# Columns pandas infers as one of these hold no string and no nested value.
_FLAT_KINDS = frozenset({"integer", "floating", "boolean", "empty", "mixed-integer-float", "decimal",
                         "datetime", "datetime64", "date", "timedelta", "time"})


def _redacted_text(key: str, text: pa.Array, payloads: Sequence[dict]) -> list[tuple[int, object]]:
    """`_redacted_column` of a column of text (`text_columns`), its values read back from the payloads."""
    return _masked(key, _candidate_rows(key, text), lambda row: payloads[row].get(key))


def _redacted_column(key: str, values: list) -> list[tuple[int, object]]:
    """(row, redacted value) for the values of one payload key that redaction changes."""
    try:
        text = pa.array(values, type=pa.string())  # text and missing values only, the usual column
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = None
    if text is not None:
        rows = _candidate_rows(key, text)
    elif pd.api.types.infer_dtype(values, skipna=True) in _FLAT_KINDS:
        rows = []
    else:  # mixed types, nested dicts or lists: the recursive path, value by value
        redactable = (dict, list) if _is_identifier(key) else (str, dict, list)
        rows = [i for i, v in enumerate(values) if isinstance(v, redactable)]
    return _masked(key, rows, values.__getitem__)


def _candidate_rows(key: str, text: pa.Array) -> list[int]:
    """The rows of a text column that may hold a phone or ID number; none under an identifier key."""
    return [] if _is_identifier(key) else np.flatnonzero(maybe_pii(text)).tolist()


def _is_identifier(key: str) -> bool:
    """Keys, not free text: only their nested values are redacted."""
    return key == "id" or key.endswith("_id")


def _masked(key: str, rows: list[int], value_at: Callable[[int], object]) -> list[tuple[int, object]]:
    """(row, redacted value) for those of `rows` whose value redaction changes."""
    changed = []
    memo: dict[str, str] = {}
    for row in rows:
        value = value_at(row)
        if isinstance(value, str):
            redacted = memo.get(value)
            if redacted is None:
                redacted = memo[value] = mask_text(value)
        else:
            redacted = _redact(value, key)
        if redacted != value:
            changed.append((row, redacted))
    return changed


def _redact(value: object, key: str | None = None) -> object:
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items() if str(k).strip().lower() not in PII_KEYS}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if isinstance(value, str) and not (key is not None and _is_identifier(key)):
        return mask_text(value)
    return value


_NOT_DIGIT = re.compile(r"\D")


def normalize_phone(phone: object) -> str | None:
    """The digits a phone number is hashed on: NFKC, separators and the +86 prefix removed."""
    if phone is None or (not isinstance(phone, str) and pd.isna(phone)):
        return None
    text = str(phone)
    digits = _NOT_DIGIT.sub("", text if text.isascii() else unicodedata.normalize("NFKC", text))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits or None


def caller_hash(phone: object, salt: str) -> str | None:
    """HMAC-SHA256 (hex) of the normalized phone with the secret salt; None without a phone."""
    return _hasher(salt)(phone)


def caller_hashes(phones: pd.Series, salt: str) -> pd.Series:
    """`caller_hash` over a column, computed once per distinct phone."""
    if not salt:
        raise ValueError("caller_hashes needs a non-empty salt")
    hashed = _hasher(salt)
    return per_unique(phones, lambda uniques: pd.Series([hashed(p) for p in uniques.tolist()], dtype="str"))


def _hasher(salt: str) -> Callable[[object], str | None]:
    """`caller_hash` with the salt keyed once: each phone then costs a copy of the keyed HMAC, not a new one."""
    keyed = hmac.new(salt.encode("utf-8"), digestmod=hashlib.sha256)

    def hashed(phone: object) -> str | None:
        digits = normalize_phone(phone)
        if digits is None:
            return None
        mac = keyed.copy()
        mac.update(digits.encode("ascii"))
        return mac.hexdigest()

    return hashed
