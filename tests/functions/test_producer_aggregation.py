"""Aggregated records: whole events packed as JSON Lines, sessions kept under one key, within every limit."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.producer.aggregation import (
    AGGREGATE_TARGET_BYTES,
    FIREHOSE_BILLING_UNIT,
    KINESIS_BILLING_UNIT,
    KINESIS_PUT_PAYLOAD_UNIT,
    MAX_EVENTS_PER_RECORD,
    aggregate_records,
    billed_bytes,
)
from functions.producer.delivery import deliver_events
from functions.producer.encoding import MAX_BYTES_PER_RECORD, PayloadError, encode_records, record_size
from functions.producer.handler import aggregation_enabled
from functions.shared.dimensions import generate_dimensions
from tests.functions.conftest import STREAM, FakeClock, FaultyKinesis, read_stream
from tests.functions.worlds import generate_events


def _entries(sizes_by_session: list[tuple[int, list[int]]]) -> list[dict]:
    """One-event entries: session s's events of the given data sizes, interleaved round-robin across sessions."""
    queues = [[(f"s{s}", n) for n in sizes] for s, sizes in sizes_by_session]
    out, seq = [], 0
    while any(queues):
        for q in queues:
            if q:
                key, size = q.pop(0)
                body = f"{key}:{seq}:".encode()
                out.append({"Data": body + b"x" * max(0, size - len(body) - 1) + b"\n", "PartitionKey": key})
                seq += 1
    return out


sessions = st.lists(
    st.tuples(st.integers(0, 10_000), st.lists(st.integers(20, 3000), min_size=1, max_size=30)),
    min_size=1,
    max_size=40,
    unique_by=lambda t: t[0],
)


def _check_packing(entries: list[dict], packed: list[dict], target: int, max_events: int) -> None:
    # Nothing lost, nothing doubled, no event split: the lines of all records are exactly the input entries.
    lines = [line + b"\n" for rec in packed for line in rec["Data"].split(b"\n")[:-1]]
    assert Counter(lines) == Counter(e["Data"] for e in entries)
    by_session_in: dict[str, list[bytes]] = defaultdict(list)
    for e in entries:
        by_session_in[e["PartitionKey"]].append(e["Data"])
    by_session_out: dict[str, list[bytes]] = defaultdict(list)
    owner = {e["Data"]: e["PartitionKey"] for e in entries}
    for rec in packed:
        count = rec["Data"].count(b"\n")
        assert 1 <= count <= max_events
        assert rec["Data"].endswith(b"\n")
        assert record_size(rec) <= target or count == 1  # only a lone event may exceed the target
        assert record_size(rec) <= MAX_BYTES_PER_RECORD
        for line in rec["Data"].split(b"\n")[:-1]:
            session = owner[line + b"\n"]
            by_session_out[session].append(line + b"\n")
            # A session is carried under its own key unless it sits whole in a record opened by another session.
            if rec["PartitionKey"] != session:
                assert sum(owner[x + b"\n"] == session for x in rec["Data"].split(b"\n")[:-1]) == len(
                    by_session_in[session]
                )
    # Each session's events come out in the order they went in (records are sent in list order).
    assert by_session_out == by_session_in


@settings(max_examples=150, deadline=None)
@given(sessions, st.sampled_from([2048, 8192, AGGREGATE_TARGET_BYTES]), st.sampled_from([3, 50, MAX_EVENTS_PER_RECORD]))
def test_packing_keeps_every_event_whole_once_in_session_order_within_the_limits(
    layout: list[tuple[int, list[int]]], target: int, max_events: int
) -> None:
    entries = _entries(layout)
    _check_packing(entries, aggregate_records(entries, target_bytes=target, max_events=max_events), target, max_events)


@settings(max_examples=60, deadline=None)
@given(sessions)
def test_every_record_but_the_last_few_open_ones_is_nearly_full(layout: list[tuple[int, list[int]]]) -> None:
    # First-fit: a record is closed only when the next session did not fit, so packed bytes stay within a few
    # records of the minimum.
    entries = _entries(layout)
    packed = aggregate_records(entries, target_bytes=8192, max_events=MAX_EVENTS_PER_RECORD)
    total = sum(record_size(r) for r in packed)
    largest_session = max(
        sum(len(e["Data"]) for e in entries if e["PartitionKey"] == k) for k in {e["PartitionKey"] for e in entries}
    )
    assert len(packed) <= -(-total // 8192) * (1 + min(1.0, largest_session / 8192)) + 2


def test_a_session_larger_than_a_record_fills_consecutive_records_under_its_own_key() -> None:
    entries = _entries([(1, [1000] * 30), (2, [500] * 3)])
    packed = aggregate_records(entries, target_bytes=8192)
    keys = [r["PartitionKey"] for r in packed]
    assert keys[:4] == ["s1"] * 4  # 30 KB of session 1 in 8 KB records
    assert all(len(r["Data"]) <= 8192 for r in packed)
    _check_packing(entries, packed, 8192, MAX_EVENTS_PER_RECORD)


def test_no_record_carries_more_than_500_events_the_firehose_de_aggregation_cap() -> None:
    entries = _entries([(s, [30]) for s in range(1200)])  # 1,200 tiny one-event sessions
    packed = aggregate_records(entries, target_bytes=MAX_BYTES_PER_RECORD // 2)
    assert max(r["Data"].count(b"\n") for r in packed) == MAX_EVENTS_PER_RECORD
    _check_packing(entries, packed, MAX_BYTES_PER_RECORD // 2, MAX_EVENTS_PER_RECORD)


def test_an_event_larger_than_the_target_travels_alone_and_one_over_a_mib_is_refused() -> None:
    entries = _entries([(1, [200, 9000, 200])])
    packed = aggregate_records(entries, target_bytes=8192)
    assert [r["Data"].count(b"\n") for r in packed] == [1, 2] or [r["Data"].count(b"\n") for r in packed] == [1, 1, 1]
    _check_packing(entries, packed, 8192, MAX_EVENTS_PER_RECORD)
    event = {"session_id": "s", "event_id": "e", "city": "x" * MAX_BYTES_PER_RECORD}
    with pytest.raises(PayloadError, match="over the Kinesis limit"):
        aggregate_records(encode_records([event]))


def test_bad_packing_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_events"):
        aggregate_records([], max_events=MAX_EVENTS_PER_RECORD + 1)


def test_the_target_is_a_whole_number_of_every_billing_unit() -> None:
    for unit in (FIREHOSE_BILLING_UNIT, KINESIS_BILLING_UNIT, KINESIS_PUT_PAYLOAD_UNIT):
        assert AGGREGATE_TARGET_BYTES % unit == 0


def _generated(n: int, seed: int = 3) -> list[dict]:
    dims = generate_dimensions(42, customers=1000, titles=500, campaigns=50)
    end = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    return generate_events(n, dims, window_end=end, window_seconds=300, rng=random.Random(seed))


def test_a_generator_batch_bills_at_least_five_times_fewer_firehose_bytes_and_parses_as_jsonl() -> None:
    events = _generated(1000)
    single = encode_records(events)
    packed = aggregate_records(single)
    before = billed_bytes((len(r["Data"]) for r in single), FIREHOSE_BILLING_UNIT)
    after = billed_bytes((len(r["Data"]) for r in packed), FIREHOSE_BILLING_UNIT)
    assert after * 5 < before
    assert after < sum(len(r["Data"]) for r in single) * 1.1  # under 10 % lost to rounding
    rows = [json.loads(line) for r in packed for line in r["Data"].decode().splitlines()]
    assert sorted(r["event_id"] for r in rows) == sorted(e["event_id"] for e in events)


@pytest.mark.functional
def test_injected_entry_failures_resend_only_failed_aggregated_records_and_every_event_lands_once(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    events = make_events(3000, sessions=300)
    faulty = FaultyKinesis(kinesis, entry_fail_rate=0.4, seed=7)
    report = deliver_events(
        faulty, STREAM, events, time_left_ms=clock.time_left_ms, sleep=clock.sleep, rand=random.Random(1).random
    )
    packed = aggregate_records(encode_records(events))
    assert report.events == 3000 and report.records == len(packed) and report.failed == 0
    assert faulty.failed_entries > 0 and report.retries == faulty.failed_entries
    # Each retry call carries exactly the entries the previous call failed, never one that was written.
    sent = Counter(rec["Data"] for call in faulty.calls for rec in call)
    assert sum(sent.values()) == len(packed) + faulty.failed_entries
    got = read_stream(kinesis)
    assert Counter(r.data for r in got) == Counter(r["Data"] for r in packed)
    lines = [json.loads(line)["event_id"] for r in got for line in r.data.splitlines()]
    assert sorted(lines) == sorted(e["event_id"] for e in events)


@pytest.mark.functional
def test_with_aggregation_off_every_record_holds_exactly_one_json_event_as_the_iceberg_destination_requires(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    events = make_events(600, sessions=60)
    report = deliver_events(
        kinesis, STREAM, events, time_left_ms=clock.time_left_ms, sleep=clock.sleep, aggregate=False
    )
    got = read_stream(kinesis)
    assert report.events == report.records == len(got) == 600
    # Firehose's Iceberg destination: "You can send only one JSON object in one Firehose record".
    assert all(len(r.data.splitlines()) == 1 for r in got)
    assert sorted(json.loads(r.data)["event_id"] for r in got) == sorted(e["event_id"] for e in events)


@pytest.mark.parametrize(("value", "aggregate"), [(None, True), ("true", True), ("FALSE", False), (" false ", False)])
def test_the_aggregate_records_switch_reads_true_or_false_and_defaults_to_aggregating(
    value: str | None, aggregate: bool
) -> None:
    assert aggregation_enabled(value) is aggregate


def test_a_misspelled_aggregate_records_switch_is_refused_naming_the_variable() -> None:
    with pytest.raises(RuntimeError, match="AGGREGATE_RECORDS must be true or false, got 'no'"):
        aggregation_enabled("no")


@pytest.mark.functional
def test_partition_columns_add_each_events_year_month_day_hour_from_its_timestamp(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    events = make_events(50, sessions=5)
    deliver_events(
        kinesis, STREAM, events, time_left_ms=clock.time_left_ms, sleep=clock.sleep, aggregate=False,
        partition_columns=True,
    )  # fmt: skip
    rows = {row["event_id"]: row for row in (json.loads(r.data) for r in read_stream(kinesis))}
    for event in events:
        row = rows[event["event_id"]]
        ts = event["event_timestamp"]
        assert (row["year"], row["month"], row["day"], row["hour"]) == (ts[:4], ts[5:7], ts[8:10], ts[11:13])
        assert {k: v for k, v in row.items() if k not in ("year", "month", "day", "hour")} == json.loads(
            json.dumps(event)
        )
