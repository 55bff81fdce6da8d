"""The producer's fast record encoder gives exactly what the JSON encoder gives, for any event."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.producer.handler import PayloadError, _fast_line, encode_records
from functions.shared.schema import STREAMING_EVENTS

_BY_TYPE = {
    "string": st.one_of(st.none(), st.text(max_size=12)),
    "int": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1), st.booleans()),
    "double": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 1000)),
}
events = st.fixed_dictionaries({c.name: _BY_TYPE[c.type] for c in STREAMING_EVENTS.columns})


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
