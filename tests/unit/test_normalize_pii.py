"""Personal data: PII keys dropped, phones and ID numbers masked, callers hashed with the secret salt."""

import hashlib
import hmac
import json
import random
from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest

from etl.normalize.pii import (
    ID_MASK,
    PHONE_MASK,
    caller_hash,
    caller_hashes,
    contains_pii,
    mask_series,
    mask_text,
    maybe_pii,
    payload_json,
    redact_payload,
    redacted_json,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请回电13812345678谢谢", f"请回电{PHONE_MASK}谢谢"),
        ("手机：138-1234-5678", f"手机{PHONE_MASK}"),  # a keyword takes its colon with it
        ("手机 138 1234 5678", f"手机{PHONE_MASK}"),
        ("+86 13812345678", PHONE_MASK),
        ("８６１３８１２３４５６７８", PHONE_MASK),
        ("１３８１２３４５６７８", PHONE_MASK),  # full-width digits
        ("座机0750-3123456", f"座机{PHONE_MASK}"),
        ("(0750)3123456", PHONE_MASK),
        ("020-87654321转8", f"{PHONE_MASK}转8"),
        ("电话3123456", f"电话{PHONE_MASK}"),
        ("TEL:3312345", f"TEL{PHONE_MASK}"),
        ("身份证440703199001011234", f"身份证{ID_MASK}"),
        ("身份证号44070319900101123X。", f"身份证号{ID_MASK}。"),
        ("身份证号44070319900101123x", f"身份证号{ID_MASK}"),
    ],
)
def test_phones_and_id_numbers_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_series(pd.Series([text])).iloc[0] == expected
    assert contains_pii(pd.Series([text])).iloc[0]
    assert not contains_pii(pd.Series([expected])).iloc[0]


@pytest.mark.parametrize(
    "text",
    ["12345热线转办", "2026年9月8日", "编号DC-2026-001", "金额19800元", "12138123456789", "门牌138号",
     "工单4407031990010112345"],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text
    assert not contains_pii(pd.Series([text])).iloc[0]


def test_redact_payload_drops_pii_keys_and_masks_strings_everywhere() -> None:
    payload = {
        "ticket_id": "13812345678",  # an identifier: kept as it is
        "caller_name": "张三",
        "Caller_Phone": "13812345678",
        "id_number": "440703199001011234",
        "description": "打13812345678找我",
        "contact": {"phone": "13912345678", "note": "或者0750-3123456"},
        "history": [{"text": "身份证440703199001011234"}, 3],
        "lat": 22.5,
    }
    assert redact_payload(payload) == {
        "ticket_id": "13812345678",
        "description": f"打{PHONE_MASK}找我",
        "contact": {"note": f"或者{PHONE_MASK}"},
        "history": [{"text": f"身份证{ID_MASK}"}, 3],
        "lat": 22.5,
    }
    assert payload["caller_name"] == "张三"  # the input is not changed


def _random_payloads(n: int, seed: int, *, text_only: bool = False, flat: bool = False) -> list[dict]:
    """Payloads in the shapes sources send: shared key sets, PII keys in any case, phones and IDs in text,
    timestamps (alone and with a phone after them), nested values, numbers, identifiers shaped like phones.
    `flat` with `text_only`: text and missing values only, as API payloads are (redacted_json's fast path)."""
    rng = random.Random(seed)
    texts = [
        "路面破损", "请回电13812345678", "手机：138-1234-5678", "座机0750-3123456", "身份证440703199001011234",
        "１３８１２３４５６７８", "2026-09-07", "2026-09-07T10:00:00+08:00", "2026-09-07 10:00:00 13812345678",
        "2026-09-07T10:00:00.123Z", "20260907100000", "编号 1234567", "", "tel:0750 3123456",
        "2026-09-07T10:00:00.13812345678+08:00",  # shaped like a timestamp, but a phone number is in it
        "请回电１３８　１２３４　５６７８",  # ideographic spaces: Python's \s takes them, ASCII-only regexes do not
    ]
    def scalar():
        if text_only:  # columns of text alone take the vectorized pre-filter
            return rng.choice([rng.choice(texts), None])
        return rng.choice([rng.choice(texts), None, rng.randint(0, 10**11), 22.5, True, datetime(2026, 9, 7)])
    key_sets = [
        ("ticket_id", "description", "updated_at", "caller_phone", "caller_name", "lat"),
        ("ticket_id", "description", "updated_at", "Caller_Phone ", "notes"),
        ("service_request_id", "id", "address", "contact", "history"),
    ]
    if flat:
        key_sets = key_sets[:2]
    payloads = []
    for _ in range(n):
        payload = {}
        for key in rng.choice(key_sets):
            if key in ("contact", "history") or (not text_only and rng.random() < 0.05):
                payload[key] = {"phone": scalar(), "note": scalar(), "items": [scalar(), {"电话": scalar()}]}
            elif key == "updated_at":
                payload[key] = rng.choice(texts[6:10])
            else:
                payload[key] = scalar()
        payloads.append(payload)
    return payloads


@pytest.mark.parametrize(("text_only", "flat"), [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("seed", range(5))
def test_redacted_json_is_redact_payload_dumped(seed: int, text_only: bool, flat: bool) -> None:
    payloads = _random_payloads(400, seed, text_only=text_only, flat=flat)
    expected = [payload_json(redact_payload(p)) for p in payloads]
    assert redacted_json(payloads).tolist() == expected


def test_payload_json_is_compact_utf8_json_with_iso_times() -> None:
    payload = {"id": 7, "说明": "占道经营", "at": datetime(2026, 9, 7, 8, 30), "score": 4.5, "tags": ["a", None],
               "ok": True, "amount": Decimal("1.10")}
    text = payload_json(payload)
    assert text == ('{"id":7,"说明":"占道经营","at":"2026-09-07T08:30:00","score":4.5,"tags":["a",null],'
                    '"ok":true,"amount":"1.10"}')
    assert json.loads(text)["说明"] == "占道经营"


def test_redacted_json_leaves_no_phone_in_any_line() -> None:
    lines = redacted_json([{"ticket_id": "T1", "description": "请回电13812345678", "caller_phone": "13912345678"},
                           {"ticket_id": "T2", "description": "无", "note": {"手机": "13712345678"}}])
    assert not any(phone in "".join(lines) for phone in ("13812345678", "13912345678", "13712345678"))
    assert json.loads(lines[0]) == {"ticket_id": "T1", "description": f"请回电{PHONE_MASK}"}


def test_caller_hash_is_a_salted_hmac_of_the_normalized_phone() -> None:
    expected = hmac.new(b"salt", b"13812345678", hashlib.sha256).hexdigest()
    for phone in ["13812345678", "138-1234-5678", "+86 138 1234 5678", "１３８１２３４５６７８"]:
        assert caller_hash(phone, "salt") == expected
    assert caller_hash("13812345678", "other") != expected
    assert caller_hash(None, "salt") is None
    hashes = caller_hashes(pd.Series(["13812345678", None, "138-1234-5678"]), "salt")
    assert hashes.iloc[0] == hashes.iloc[2] == expected and pd.isna(hashes.iloc[1])


def test_caller_hashes_refuses_an_empty_salt() -> None:
    with pytest.raises(ValueError, match="salt"):
        caller_hashes(pd.Series(["13812345678"]), "")


def test_the_vectorized_pre_filter_passes_every_value_the_patterns_would_mask() -> None:
    """maybe_pii (RE2) must never rule out a value mask_text (Python re, Unicode \\d and \\s) changes."""
    import pyarrow as pa

    rng = random.Random(11)
    digits = "0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩०१२३४५६७८९"
    separators = [" ", "\u3000", "\xa0", "\u2003", "\t", "\n", "\x0b", "\x1c", "\x85", "-", "－", "(", ")", ":", "："]
    words = ["电话", "手机", "座机", "联系方式", "tel", "Tel", "+86", "＋８６", "请回电", "路", "X", "号"]
    texts = []
    for _ in range(30_000):
        parts = []
        for _ in range(rng.randint(1, 8)):
            kind = rng.random()
            if kind < 0.6:
                parts.append("".join(rng.choice(digits if rng.random() < 0.8 else "13")
                                     for _ in range(rng.randint(1, 9))))
            elif kind < 0.85:
                parts.append(rng.choice(separators))
            else:
                parts.append(rng.choice(words))
        texts.append("".join(parts))
    changed = [t for t in texts if mask_text(t) != t]
    assert len(changed) > 1_000  # the sample does exercise the patterns
    passed = maybe_pii(pa.array(changed, type=pa.string()))
    assert [t for t, ok in zip(changed, passed, strict=True) if not ok] == []
    times = ["2026-09-07", "2026-09-07 10:00:00", "2026-09-07T10:00:00.123456+08:00", "2026年9月7日 10时"]
    assert not maybe_pii(pa.array(times, type=pa.string())).any()


def test_phones_spaced_with_ideographic_spaces_are_masked_in_payloads_and_text() -> None:
    spaced = "请回电１３８　１２３４　５６７８"
    assert json.loads(redacted_json([{"note": spaced}])[0]) == {"note": f"请回电{PHONE_MASK}"}
    assert mask_series(pd.Series([spaced], dtype="str")).tolist() == [f"请回电{PHONE_MASK}"]
