"""Producer: payload validation, record encoding and PutRecords batching (no AWS at all)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.producer.delivery import MAX_BYTES_PER_PUT, MAX_RECORDS_PER_PUT, backoff_delay, batch_records
from functions.producer.encoding import (
    MAX_BYTES_PER_RECORD,
    MAX_PARTITION_KEY_CHARS,
    PayloadError,
    encode_records,
    parse_payload,
    record_size,
)
from functions.shared.schema import STREAMING_EVENTS
from tests.functions.conftest import make_event

KIB = 1024


def _record(size: int, key: str = "k") -> dict:
    """A PutRecords entry that counts exactly `size` bytes (data + UTF-8 partition key)."""
    return {"Data": b"x" * (size - len(key.encode("utf-8"))), "PartitionKey": key}


def _sizes(batches: list[list[dict]]) -> list[int]:
    return [len(b) for b in batches]


# ---------------------------------------------------------------- parse_payload


def test_parse_payload_accepts_dict_str_and_bytes_forms_of_the_same_batch(make_events: Callable) -> None:
    events = make_events(20)
    payload = {"events": events}
    as_text = json.dumps(payload, ensure_ascii=False)
    assert parse_payload(payload) == events
    assert parse_payload(as_text) == events
    assert parse_payload(as_text.encode("utf-8")) == events


def _payload_with(mutate: Callable[[list[dict]], Any]) -> dict:
    events = [make_event(i, i % 3) for i in range(20)]
    mutate(events)
    return {"events": events}


def _set(index: int, field: str, value: Any) -> Callable[[list[dict]], None]:
    def mutate(events: list[dict]) -> None:
        events[index][field] = value

    return mutate


def _drop(index: int, field: str) -> Callable[[list[dict]], None]:
    def mutate(events: list[dict]) -> None:
        del events[index][field]

    return mutate


MALFORMED: list[tuple[str, Any, tuple[str, ...]]] = [
    ("not_json", "{'events': [", ("not valid JSON",)),
    ("not_utf8", b'{"events": ["\xff"]}', ("not UTF-8",)),
    ("json_array_not_object", "[1, 2]", ("JSON object", "list")),
    ("no_events_key", {"records": []}, ('"events"', "records")),
    ("events_not_a_list", {"events": {"a": 1}}, ("events must be a list", "dict")),
    ("empty_event_list", {"events": []}, ("at least one record",)),
    ("non_dict_event", _payload_with(lambda evs: evs.__setitem__(5, "oops")), ("events[5]", "JSON object", "str")),
    ("missing_field", _payload_with(_drop(17, "quality")), ("events[17]", "quality", "missing")),
    (
        "wrong_type",
        _payload_with(_set(17, "bandwidth_mbps", "fast")),
        ("events[17]", "bandwidth_mbps", "double", "str"),
    ),
    ("bool_for_int", _payload_with(_set(3, "error_count", True)), ("events[3]", "error_count", "int", "boolean")),
    ("int_overflow", _payload_with(_set(4, "position_seconds", 2**31)), ("events[4]", "position_seconds", "32-bit")),
    ("extra_field", _payload_with(_set(9, "referrer", "x")), ("events[9]", "referrer", "allowed", "event_id")),
    (
        "bad_timestamp",
        _payload_with(_set(11, "event_timestamp", "2026-11-26 02:00:00")),
        ("events[11].event_timestamp",),
    ),
    ("null_timestamp", _payload_with(_set(12, "event_timestamp", None)), ("events[12].event_timestamp", "None")),
    (
        "impossible_timestamp",
        _payload_with(_set(12, "event_timestamp", "2026-13-45T25:61:61.000Z")),
        ("events[12].event_timestamp", "real moment", "2026-13-45T25:61:61.000Z"),
    ),
    (
        "unknown_event_type",
        _payload_with(_set(6, "event_type", "buffer")),
        ("events[6]", "event_type", "'buffer'", "must be one of", "ad_start"),
    ),
    ("null_event_type", _payload_with(_set(7, "event_type", None)), ("events[7]", "event_type", "None")),
    (
        "ad_event_without_its_campaign",
        _payload_with(_set(8, "event_type", "ad_start")),
        ("events[8]", "campaign_id", "must be set on an ad_start event"),
    ),
    ("too_deeply_nested", b'{"events":' + b"[" * 100_000, ("not valid JSON",)),
    ("integer_text_over_python_limit", '{"events":[' + "1" * 5000 + "]}", ("not valid JSON",)),
    ("nan_double", _payload_with(_set(13, "completion_percentage", float("nan"))), ("events[13]", "finite")),
    (
        "integer_beyond_double",
        _payload_with(_set(14, "bandwidth_mbps", 10**400)),
        ("events[14]", "bandwidth_mbps", "must be a double", "1329 bits"),
    ),
]


@pytest.mark.parametrize(("payload", "expected"), [(p, e) for _, p, e in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_parse_payload_rejects_malformed_batch_whole_and_names_the_problem(payload: Any, expected: tuple) -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(payload)
    for fragment in expected:
        assert fragment in str(info.value)


def test_parse_payload_error_lists_allowed_fields_for_an_unknown_one() -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(_payload_with(_set(0, "referrer", "x")))
    assert all(name in str(info.value) for name in STREAMING_EVENTS.column_names)


def test_parse_payload_accepts_null_in_non_timestamp_fields(make_events: Callable) -> None:
    events = make_events(3)
    events[1]["isp"] = None
    events[1]["bandwidth_mbps"] = None
    assert parse_payload({"events": events}) == events


def test_parse_payload_reports_the_first_bad_event_when_several_are_bad() -> None:
    def mutate(events: list[dict]) -> None:
        events[15]["quality"] = 4
        events[2]["quality"] = 4

    with pytest.raises(PayloadError, match=r"events\[2\]"):
        parse_payload(_payload_with(mutate))


# ---------------------------------------------------------------- encode_records


def test_encode_records_writes_compact_utf8_json_lines_keyed_by_session(make_events: Callable) -> None:
    events = make_events(30, sessions=4)
    records = encode_records(events)
    assert len(records) == len(events)
    for ev, rec in zip(events, records, strict=True):
        assert rec["Data"] == (json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        assert rec["Data"].endswith(b"\n") and rec["Data"].count(b"\n") == 1
        assert "São Paulo".encode() in rec["Data"]
        assert json.loads(rec["Data"]) == ev
        assert rec["PartitionKey"] == ev["session_id"]


def test_encode_records_falls_back_to_event_id_when_session_is_null() -> None:
    ev = make_event(1)
    ev["session_id"] = None
    assert encode_records([ev])[0]["PartitionKey"] == ev["event_id"]


def test_encode_records_gives_keyless_events_distinct_random_keys() -> None:
    evs = [make_event(i) for i in range(20)]
    for ev in evs:
        ev["session_id"] = None
        ev["event_id"] = None
    keys = {r["PartitionKey"] for r in encode_records(evs)}
    assert len(keys) == 20


def test_encode_records_rejects_partition_key_longer_than_kinesis_allows() -> None:
    ev = make_event(0)
    ev["session_id"] = "s" * (MAX_PARTITION_KEY_CHARS + 1)
    with pytest.raises(PayloadError, match=r"events\[0\].*257 characters"):
        encode_records([ev])
    ev["session_id"] = "s" * MAX_PARTITION_KEY_CHARS
    assert encode_records([ev])[0]["PartitionKey"] == ev["session_id"]


def test_encode_records_rejects_a_record_over_one_mib_and_accepts_one_at_the_limit() -> None:
    ev = make_event(0)
    ev["city"] = ""
    base = len(encode_records([ev])[0]["Data"]) + len(ev["session_id"])
    ev["city"] = "c" * (MAX_BYTES_PER_RECORD - base)
    rec = encode_records([ev])[0]
    assert record_size(rec) == MAX_BYTES_PER_RECORD
    ev2 = copy.deepcopy(ev)
    ev2["city"] += "c"
    with pytest.raises(PayloadError, match=r"record 1 is 1048577 bytes"):
        encode_records([ev, ev2])


def test_encode_records_counts_multibyte_characters_in_the_record_limit() -> None:
    ev = make_event(0)
    ev["city"] = "é" * (MAX_BYTES_PER_RECORD // 2)  # half a million characters, a full MiB of UTF-8
    with pytest.raises(PayloadError, match="over the Kinesis limit"):
        encode_records([ev])


@pytest.mark.parametrize("escaped", [False, True], ids=["fast path", "full encoder"])
def test_a_multibyte_partition_key_counts_in_utf8_bytes_at_the_record_limit(escaped: bool) -> None:
    # Kinesis counts the key's UTF-8 bytes: 256 'é' are 512 bytes, not 256.
    ev = make_event(0)
    ev["session_id"] = "é" * 256
    ev["city"] = 'say "hi"' if escaped else "c"  # a quote sends the event through the full encoder
    data_bytes = len(encode_records([ev])[0]["Data"])
    ev["city"] += "c" * (MAX_BYTES_PER_RECORD - 512 - data_bytes)  # each ASCII "c" adds one byte
    fit = encode_records([ev])[0]
    assert record_size(fit) == MAX_BYTES_PER_RECORD
    over = dict(ev, city=ev["city"] + "c")
    with pytest.raises(PayloadError, match=r"record 0 is 1048577 bytes"):
        encode_records([over])


def test_encode_records_refuses_nan_rather_than_writing_invalid_json() -> None:
    ev = make_event(0)
    ev["bandwidth_mbps"] = float("inf")
    with pytest.raises(PayloadError, match=r"events\[0\]"):
        encode_records([ev])


# ---------------------------------------------------------------- batch_records


def test_batch_records_keeps_500_records_in_one_call_and_splits_the_501st() -> None:
    assert _sizes(list(batch_records([_record(10)] * MAX_RECORDS_PER_PUT))) == [500]
    assert _sizes(list(batch_records([_record(10)] * (MAX_RECORDS_PER_PUT + 1)))) == [500, 1]
    assert _sizes(list(batch_records([_record(10)] * 1001))) == [500, 500, 1]


def test_batch_records_fills_exactly_five_mib_then_splits_one_byte_over() -> None:
    at_limit = [_record(MAX_BYTES_PER_RECORD)] * 5
    assert sum(map(record_size, at_limit)) == MAX_BYTES_PER_PUT
    assert _sizes(list(batch_records(at_limit))) == [5]
    assert _sizes(list(batch_records([*at_limit, _record(2)]))) == [5, 1]


def test_batch_records_counts_partition_keys_towards_the_request_limit() -> None:
    half = 512 * KIB
    # Data alone sums to exactly 5 MiB; the ten 1-byte keys push the request over.
    assert _sizes(list(batch_records([{"Data": b"x" * half, "PartitionKey": "k"}] * 10))) == [9, 1]
    assert _sizes(list(batch_records([{"Data": b"x" * (half - 1), "PartitionKey": "k"}] * 10))) == [10]


def test_batch_records_counts_partition_keys_in_utf8_bytes() -> None:
    half = 512 * KIB
    assert _sizes(list(batch_records([{"Data": b"x" * (half - 2), "PartitionKey": "é"}] * 10))) == [10]
    assert _sizes(list(batch_records([{"Data": b"x" * (half - 1), "PartitionKey": "é"}] * 10))) == [9, 1]


def test_batch_records_preserves_order_across_batches() -> None:
    records = [{"Data": f"{i}\n".encode(), "PartitionKey": f"s{i % 7}"} for i in range(1234)]
    batches = list(batch_records(records))
    assert _sizes(batches) == [500, 500, 234]
    assert [r for b in batches for r in b] == records


def test_batch_records_raises_for_an_oversize_record_naming_its_position() -> None:
    records = [_record(100), _record(MAX_BYTES_PER_RECORD + 1)]
    with pytest.raises(PayloadError, match=r"record 1 is 1048577 bytes"):
        list(batch_records(records))


def test_batch_records_yields_nothing_for_no_records() -> None:
    assert list(batch_records([])) == []


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        # Small records: the 500-per-call count closes batches.
        st.lists(st.integers(1, 2_000), min_size=400, max_size=1200),
        # Any sizes: mostly the 5 MiB request limit closes them.
        st.lists(st.integers(min_value=1, max_value=MAX_BYTES_PER_RECORD), max_size=1200),
    )
)
def test_batch_records_batches_are_within_limits_in_order_and_greedy(sizes: list[int]) -> None:
    records = [{"Data": b"", "PartitionKey": "k", "size": s} for s in sizes]
    # Give each record its size through Data without allocating: a bytes view of a shared buffer.
    buf = memoryview(bytes(MAX_BYTES_PER_RECORD))
    for rec in records:
        rec["Data"] = buf[: rec.pop("size") - 1]
    batches = list(batch_records(records))
    assert [r for b in batches for r in b] == records
    for i, batch in enumerate(batches):
        total = sum(map(record_size, batch))
        assert 1 <= len(batch) <= MAX_RECORDS_PER_PUT
        assert total <= MAX_BYTES_PER_PUT
        if i + 1 < len(batches):  # a batch is closed only when the next record would break a limit
            nxt = batches[i + 1][0]
            assert len(batch) == MAX_RECORDS_PER_PUT or total + record_size(nxt) > MAX_BYTES_PER_PUT


# ---------------------------------------------------------------- backoff


def test_backoff_delay_doubles_up_to_the_cap_and_scales_by_the_jitter_draw() -> None:
    top = [backoff_delay(a, lambda: 1.0, 0.1, 2.0) for a in range(8)]
    assert top == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])
    assert backoff_delay(3, lambda: 0.25, 0.1, 2.0) == pytest.approx(0.2)
    assert backoff_delay(3, lambda: 0.0, 0.1, 2.0) == 0.0


def test_backoff_delay_stays_at_the_cap_however_many_attempts() -> None:
    # 2**1100 does not fit a float; the delay must still be the cap, not an OverflowError.
    assert backoff_delay(1100, lambda: 1.0, 0.1, 5.0) == 5.0
    assert backoff_delay(10**6, lambda: 0.5, 0.1, 5.0) == 2.5


def test_the_full_encoder_writes_schema_columns_in_schema_order_then_other_keys(make_events: Callable) -> None:
    # An event that needs a JSON escape takes the full encoder; its key order must match the fast paths'.
    event = make_events(1)[0]
    shuffled = dict(reversed(list(event.items())))
    plain = encode_records([shuffled])[0]["Data"]
    escaped = encode_records([dict(shuffled, isp='AT&T "Fiber"')])[0]["Data"]
    assert list(json.loads(plain)) == list(STREAMING_EVENTS.column_names)
    assert list(json.loads(escaped)) == list(STREAMING_EVENTS.column_names)
    extra = encode_records([dict(shuffled, referrer="x")])[0]["Data"]
    assert list(json.loads(extra)) == [*STREAMING_EVENTS.column_names, "referrer"]
