"""The producer's fast record encoder gives exactly what the JSON encoder gives, for any event."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.producer.encoding import PayloadError, _fast_batch, _fast_line, encode_records
from functions.shared.schema import STREAMING_EVENTS

_BY_TYPE = {
    "string": st.one_of(st.none(), st.text(max_size=12)),
    "int": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1), st.booleans()),
    "double": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 1000)),
}


def _in_schema_order(event: dict) -> dict:
    return {name: event[name] for name in STREAMING_EVENTS.column_names}


events = st.fixed_dictionaries({c.name: _BY_TYPE[c.type] for c in STREAMING_EVENTS.columns}).map(_in_schema_order)


def _reference(event: dict) -> bytes:
    return (json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n").encode()


@settings(max_examples=400, deadline=None)
@given(events)
def test_any_event_encodes_to_the_json_encoders_bytes_or_is_rejected_like_it(event: dict) -> None:
    numbers = [v for k, v in event.items() if STREAMING_EVENTS.column(k).type != "string"]
    non_finite = any(isinstance(v, float) and not math.isfinite(v) for v in numbers)
    if non_finite:
        with pytest.raises(PayloadError):
            encode_records([event])
        return
    (record,) = encode_records([event])
    assert record["Data"] == _reference(event)


def test_strings_that_need_escapes_leave_the_fast_path() -> None:
    base = {c.name: ("x" if c.type == "string" else 1) for c in STREAMING_EVENTS.columns}
    for tricky in ('say "hi"', "back\\slash", "tab\there", "line\u2028sep", "nul\x00"):
        event = dict(base, city=tricky)
        assert _fast_line(event) is None
        assert encode_records([event])[0]["Data"] == _reference(event)
        assert json.loads(encode_records([event])[0]["Data"])["city"] == tricky


def test_keys_out_of_schema_order_or_extra_keys_still_encode_every_field() -> None:
    base = {c.name: ("x" if c.type == "string" else 2.5) for c in reversed(STREAMING_EVENTS.columns)}
    assert json.loads(encode_records([base])[0]["Data"]) == base
    extra = dict(base, surprise="kept")
    assert _fast_line(extra) is None
    assert json.loads(encode_records([extra])[0]["Data"]) == extra


def test_an_integer_too_large_for_a_double_still_encodes_as_json_does() -> None:
    # parse_payload refuses it; encode_records alone must still not crash converting it to a float.
    event = {c.name: ("x" if c.type == "string" else 1) for c in STREAMING_EVENTS.columns}
    event["bandwidth_mbps"] = 10**400
    assert _fast_line(event) is None
    assert encode_records([event])[0]["Data"] == _reference(event)


_CLEAN = {
    "string": st.text(st.characters(categories=("L", "N", "P"), exclude_characters='"\\\\'), min_size=1, max_size=8),
    "int": st.integers(-(2**31), 2**31 - 1),
    "double": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-1000, 1000)),
}
clean_events = st.fixed_dictionaries({c.name: _CLEAN[c.type] for c in STREAMING_EVENTS.columns}).map(_in_schema_order)
"""Events the batch path takes as they are; the test below spices some of them."""


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(*[clean_events] * 9, events), min_size=1, max_size=8),
    st.lists(st.sampled_from([""] * 20 + ['"', "\\", "\n", "é", "\u2028"])),
)
def test_a_batch_encodes_event_by_event_as_the_json_encoder_does_whatever_it_mixes(
    batch: list[dict], spice: list[str]
) -> None:
    # The whole-batch fast path must give, for every event, what the per-event paths give, or step aside.
    for ev, extra in zip(batch, spice, strict=False):
        if isinstance(ev["city"], str):
            ev["city"] += extra
    numbers = [v for ev in batch for k, v in ev.items() if STREAMING_EVENTS.column(k).type != "string"]
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        with pytest.raises(PayloadError):
            encode_records(batch)
        return
    records = encode_records(batch)
    assert [r["Data"] for r in records] == [_reference(ev) for ev in batch]
    for record, ev in zip(records, batch, strict=True):
        # By session, else by event id, else a random uuid4 hex.
        expected = ev["session_id"] or ev["event_id"]
        if expected:
            assert record["PartitionKey"] == expected
        else:
            assert len(record["PartitionKey"]) == 32 and int(record["PartitionKey"], 16) >= 0


def test_a_clean_batch_takes_the_batch_path_and_keys_by_session() -> None:
    batch = [
        {c.name: (f"{c.name}-{i}" if c.type == "string" else i + 0.5) for c in STREAMING_EVENTS.columns}
        for i in range(50)
    ]
    fast = _fast_batch(batch)
    assert fast is not None
    assert fast == [{"Data": _reference(ev), "PartitionKey": ev["session_id"]} for ev in batch]
    batch[30]["city"] = 'say "hi"'
    assert _fast_batch(batch) is None
    assert [r["Data"] for r in encode_records(batch)] == [_reference(ev) for ev in batch]
