"""validate_record: each schema rule, and its remembered-shape fast path judging exactly as the full check."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.shared.schema import (
    CAMPAIGNS,
    INT_RANGE,
    STREAMING_EVENTS,
    TABLES,
    SchemaError,
    Table,
    _check_record,
    validate_record,
)


class _Text(str):
    """A str subclass: isinstance says str, but its exact type is not one the fast path has seen."""


def _valid(table: Table) -> dict:
    sample = {"string": "x", "int": 3, "bigint": 2**40, "double": 1.5, "boolean": True}
    return {c.name: sample[c.type] for c in table.columns}


def _verdict(check: Any, table: Table, record: Any) -> str | None:
    try:
        check(table, record)
    except SchemaError as exc:
        return str(exc)
    return None


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([INT_RANGE[0], INT_RANGE[1], INT_RANGE[0] - 1, INT_RANGE[1] + 1, 2**1023, -(10**400), 2**53 + 1]),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.text(max_size=4).map(_Text),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def _records(draw: st.DrawFn) -> tuple[Table, Any]:
    table = draw(st.sampled_from(TABLES))
    record = _valid(table)
    for name in draw(st.lists(st.sampled_from(table.column_names), max_size=3, unique=True)):
        record[name] = draw(_ANY_VALUE)
    if draw(st.booleans()):
        record.pop(draw(st.sampled_from(table.column_names)))
    if draw(st.integers(0, 9)) == 0:
        record["surprise"] = 1
    return table, draw(st.sampled_from([record, [record], "not a record"])) if draw(st.integers(0, 19)) == 0 else record


@settings(max_examples=600, deadline=None)
@given(_records())
def test_the_fast_path_judges_every_record_as_the_full_check_does(case: tuple[Table, Any]) -> None:
    table, record = case
    expected = _verdict(_check_record, table, record)
    # Twice: the first call may remember the record's shape, the second then takes the fast path.
    assert _verdict(validate_record, table, record) == expected
    assert _verdict(validate_record, table, record) == expected


def test_a_remembered_shape_still_has_its_integers_range_checked() -> None:
    ok = _valid(STREAMING_EVENTS)
    validate_record(STREAMING_EVENTS, ok)
    validate_record(STREAMING_EVENTS, ok)  # now a remembered shape
    with pytest.raises(SchemaError, match=r"field 'buffering_events' must fit a 32-bit int"):
        validate_record(STREAMING_EVENTS, dict(ok, buffering_events=INT_RANGE[1] + 1))
    with pytest.raises(SchemaError, match=r"field 'error_count' must fit a 32-bit int"):
        validate_record(STREAMING_EVENTS, dict(ok, error_count=INT_RANGE[0] - 1))
    campaign = _valid(CAMPAIGNS)
    validate_record(CAMPAIGNS, campaign)
    with pytest.raises(SchemaError, match=r"field 'impressions' must fit a 64-bit bigint"):
        validate_record(CAMPAIGNS, dict(campaign, impressions=2**63))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"city": 5}, r"field 'city' must be string, got int"),
        ({"error_count": True}, r"field 'error_count' must be int, got boolean"),
        ({"bandwidth_mbps": "fast"}, r"field 'bandwidth_mbps' must be double, got str"),
        ({"extra": 1}, r"unknown field\(s\) \['extra'\]"),
    ],
)
def test_each_rule_names_the_field_and_what_it_must_be(change: dict, message: str) -> None:
    ok = _valid(STREAMING_EVENTS)
    validate_record(STREAMING_EVENTS, ok)
    with pytest.raises(SchemaError, match=message):
        validate_record(STREAMING_EVENTS, {**ok, **change})


def test_nulls_and_integral_doubles_are_allowed() -> None:
    record = dict(_valid(STREAMING_EVENTS), city=None, buffering_events=None, bandwidth_mbps=12)
    validate_record(STREAMING_EVENTS, record)
    validate_record(STREAMING_EVENTS, record)


def test_a_missing_field_is_named() -> None:
    record = _valid(STREAMING_EVENTS)
    del record["session_id"]
    with pytest.raises(SchemaError, match=r"missing field 'session_id'"):
        validate_record(STREAMING_EVENTS, record)


def test_a_double_column_takes_only_integers_a_double_holds_exactly() -> None:
    # Parquet writers refuse to round 2**53 + 1 into a double; 2**60 and 2**1023 convert exactly.
    ok = _valid(STREAMING_EVENTS)
    for exact in (2**53, 2**60, -(2**1023)):
        validate_record(STREAMING_EVENTS, dict(ok, bandwidth_mbps=exact))
    for inexact, bits in ((2**53 + 1, 54), (10**400, 1329)):
        with pytest.raises(SchemaError, match=rf"'bandwidth_mbps' must be a double: an integer there .* {bits} bits"):
            validate_record(STREAMING_EVENTS, dict(ok, bandwidth_mbps=inexact))
