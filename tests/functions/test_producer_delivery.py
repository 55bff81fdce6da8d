"""Producer delivery: real boto3 calls to moto Kinesis, with and without injected faults, and exact request shapes."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ParamValidationError, ReadTimeoutError
from botocore.stub import Stubber

from functions.producer.delivery import (
    MAX_BYTES_PER_PUT,
    MAX_RECORDS_PER_PUT,
    RETRYABLE_CALL_ERRORS,
    SAFETY_MARGIN_MS,
    DeliveryError,
    put_all,
)
from functions.producer.encoding import MAX_BYTES_PER_RECORD, encode_records, record_size
from tests.functions.conftest import (
    REGION,
    SHARDS,
    STREAM,
    FakeClock,
    FaultyKinesis,
    StreamRecord,
    read_stream,
)

pytestmark = pytest.mark.functional

BASE = 0.05
CAP = 2.0


def _assert_exactly_once(sent: list[dict], got: list[StreamRecord]) -> None:
    """Every sent record is in the stream exactly once, byte for byte, and nothing else is."""
    counts = Counter(r.data for r in got)
    assert len(got) == len(sent)
    assert counts == Counter(r["Data"] for r in sent)
    assert max(counts.values()) == 1
    assert all(r.data.endswith(b"\n") for r in got)


def _put(client: Any, records: list[dict], clock: FakeClock, rand: Callable[[], float] | None = None) -> Any:
    return put_all(
        client,
        STREAM,
        records,
        time_left_ms=clock.time_left_ms,
        sleep=clock.sleep,
        rand=rand or random.Random(1).random,
        base_delay=BASE,
        max_delay=CAP,
    )


# ---------------------------------------------------------------- happy path on moto


def test_2500_events_arrive_once_intact_spread_over_shards_in_session_order(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    events = make_events(2500, sessions=200)
    records = encode_records(events)
    report = _put(kinesis, records, clock)

    got = read_stream(kinesis)
    _assert_exactly_once(records, got)
    assert [json.loads(r.data) for r in got if r.data == records[0]["Data"]] == [events[0]]
    assert (report.records, report.put_calls, report.retries, report.failed) == (2500, 5, 0, 0)
    assert clock.sleeps == []

    # Every shard takes a share, and each session lives on one shard in the order it was sent.
    per_shard = Counter(r.shard_id for r in got)
    assert len(per_shard) == SHARDS and min(per_shard.values()) > 2500 / SHARDS / 2
    shards_of_session: dict[str, set[str]] = defaultdict(set)
    order_in_stream: dict[str, list[str]] = defaultdict(list)
    for r in sorted(got, key=lambda r: (r.shard_id, int(r.sequence_number))):
        ev = json.loads(r.data)
        assert r.partition_key == ev["session_id"]
        shards_of_session[ev["session_id"]].add(r.shard_id)
        order_in_stream[ev["session_id"]].append(ev["event_id"])
    assert all(len(s) == 1 for s in shards_of_session.values())
    sent_order: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        sent_order[ev["session_id"]].append(ev["event_id"])
    assert order_in_stream == sent_order


def test_requests_at_the_exact_count_and_byte_limits_are_accepted_by_kinesis(kinesis: Any, clock: FakeClock) -> None:
    # moto enforces the PutRecords limits, so an off-by-one in batching would fail here.
    big = [{"Data": bytes([65 + i]) * (MAX_BYTES_PER_RECORD - 3) + b"\n", "PartitionKey": f"k{i}"} for i in range(6)]
    assert {record_size(r) for r in big} == {MAX_BYTES_PER_RECORD}
    small = [{"Data": f"{i}\n".encode(), "PartitionKey": f"s{i}"} for i in range(MAX_RECORDS_PER_PUT + 1)]
    report = _put(kinesis, big + small, clock)
    assert report.put_calls == 3  # 5 x 1 MiB, then 1 MiB + 499 small, then the last 2 small
    _assert_exactly_once(big + small, read_stream(kinesis))


# ---------------------------------------------------------------- injected faults


def test_partial_failures_resend_only_failed_entries_until_all_arrive_once(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    records = encode_records(make_events(2000, sessions=150))
    faulty = FaultyKinesis(kinesis, entry_fail_rate=0.3, seed=42)
    report = _put(faulty, records, clock)

    _assert_exactly_once(records, read_stream(kinesis))
    assert report.failed == 0
    assert report.put_calls == len(faulty.calls)
    assert report.retries == faulty.failed_entries > 0.2 * 2000  # roughly 30 %, compounding over rounds
    assert report.throttled_calls == 0
    # Every call after a batch's first carries exactly the previous call's failed entries, never a success.
    assert sum(len(c) for c in faulty.calls) == len(records) + faulty.failed_entries
    assert len(clock.sleeps) == len(faulty.calls) - 4  # one sleep before each retry call; 4 first calls


def test_retry_sleeps_grow_exponentially_with_full_jitter(kinesis: Any, make_events: Callable) -> None:
    records = encode_records(make_events(50))
    never = FaultyKinesis(kinesis, fail_entry=lambda rec, rng: True)

    # Jitter draw pinned at its top: the ceiling itself, doubling from BASE to CAP.
    top = FakeClock(remaining_ms=20_000)
    with pytest.raises(DeliveryError):
        _put(never, records, top, rand=lambda: 1.0)
    ceilings = [min(CAP, BASE * 2**k) for k in range(len(top.sleeps))]
    assert top.sleeps == pytest.approx(ceilings)
    assert top.sleeps[:6] == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 1.6])

    # Real jitter: each sleep is a fresh uniform draw times that attempt's ceiling.
    jittered = FakeClock(remaining_ms=20_000)
    with pytest.raises(DeliveryError):
        _put(never, records, jittered, rand=random.Random(7).random)
    draws = random.Random(7)
    assert jittered.sleeps == pytest.approx(
        [draws.random() * min(CAP, BASE * 2**k) for k in range(len(jittered.sleeps))]
    )
    assert len(set(jittered.sleeps)) == len(jittered.sleeps)
    assert any(s < 0.9 * c for s, c in zip(jittered.sleeps, ceilings, strict=False))


def test_throttled_calls_are_retried_whole_and_counted(kinesis: Any, make_events: Callable, clock: FakeClock) -> None:
    records = encode_records(make_events(700))
    faulty = FaultyKinesis(kinesis, throttle_first_calls=3, throttle_code="ProvisionedThroughputExceededException")
    report = _put(faulty, records, clock)

    _assert_exactly_once(records, read_stream(kinesis))
    assert report.throttled_calls == 3
    assert report.put_calls == 5  # 3 rejected + the two batches (500, 200)
    assert report.retries == 3 * 500  # the first batch was sent again after each rejection
    assert len(clock.sleeps) == 3


@pytest.mark.parametrize("code", sorted(RETRYABLE_CALL_ERRORS))
def test_each_retryable_call_error_is_retried(kinesis: Any, make_events: Callable, clock: FakeClock, code: str) -> None:
    records = encode_records(make_events(10))
    report = _put(FaultyKinesis(kinesis, throttle_first_calls=1, throttle_code=code), records, clock)
    assert (report.throttled_calls, report.failed) == (1, 0)
    _assert_exactly_once(records, read_stream(kinesis))


def test_connection_failure_before_the_request_is_sent_is_retried(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    records = encode_records(make_events(10))
    calls = []

    class Unreachable:
        def put_records(self, **kwargs: Any) -> dict:
            calls.append(kwargs)
            if len(calls) == 1:
                raise EndpointConnectionError(endpoint_url="https://kinesis.us-west-2.amazonaws.com")
            return kinesis.put_records(**kwargs)

    report = _put(Unreachable(), records, clock)
    assert (report.put_calls, report.retries, report.throttled_calls) == (2, 10, 0)
    _assert_exactly_once(records, read_stream(kinesis))


def test_read_timeout_is_retried_and_a_local_botocore_error_is_not(
    kinesis: Any, make_events: Callable, clock: FakeClock
) -> None:
    records = encode_records(make_events(10))
    calls: list[dict] = []

    class SlowOnce:
        def put_records(self, **kwargs: Any) -> dict:
            calls.append(kwargs)
            if len(calls) == 1:
                raise ReadTimeoutError(endpoint_url="https://kinesis.us-west-2.amazonaws.com")
            return kinesis.put_records(**kwargs)

    report = _put(SlowOnce(), records, clock)
    assert (report.put_calls, report.retries, report.failed) == (2, 10, 0)
    # Unanswered, the first call's outcome is unknown, so its entries are all sent again (documented).
    assert calls[1]["Records"] == calls[0]["Records"] == records

    class Invalid:
        def put_records(self, **kwargs: Any) -> dict:
            raise ParamValidationError(report="Records[0].Data must be bytes")

    sleeps_before = len(clock.sleeps)
    with pytest.raises(DeliveryError, match="ParamValidationError is not retryable") as info:
        _put(Invalid(), records, clock)
    assert info.value.undelivered == 10 and len(clock.sleeps) == sleeps_before


def test_stream_that_never_accepts_raises_delivery_error_before_the_time_runs_out(
    kinesis: Any, make_events: Callable
) -> None:
    records = encode_records(make_events(1200))
    clock = FakeClock(remaining_ms=10_000)
    never = FaultyKinesis(kinesis, throttle_first_calls=10**6)
    with pytest.raises(DeliveryError) as info:
        _put(never, records, clock)

    report = info.value.report
    assert report.failed == info.value.undelivered == 1200
    assert "1200 of 1200 records not delivered" in str(info.value)
    assert report.throttled_calls == report.put_calls == len(clock.sleeps) + 1
    assert clock.remaining_ms >= SAFETY_MARGIN_MS  # the margin is never slept away
    assert read_stream(kinesis) == []


def test_partly_stuck_stream_delivers_the_rest_once_and_reports_the_stuck_count(
    kinesis: Any, make_events: Callable
) -> None:
    events = make_events(1500, sessions=100)
    records = encode_records(events)
    stuck_sessions = {f"sess-{s:05d}" for s in range(0, 100, 10)}  # 10 of 100 sessions: a hot, failing shard
    faulty = FaultyKinesis(kinesis, fail_entry=lambda rec, rng: rec["PartitionKey"] in stuck_sessions)
    clock = FakeClock(remaining_ms=15_000)
    with pytest.raises(DeliveryError) as info:
        _put(faulty, records, clock)

    stuck = [r for r in records if r["PartitionKey"] in stuck_sessions]
    # Retrying the first batch's stuck entries used up the time, so the later batches were never sent.
    first_batch = records[:MAX_RECORDS_PER_PUT]
    delivered = [r for r in first_batch if r["PartitionKey"] not in stuck_sessions]
    assert info.value.report.failed == len(records) - len(delivered) > len(stuck)
    _assert_exactly_once(delivered, read_stream(kinesis))


def test_non_retryable_error_fails_at_once_without_sleeping(kinesis: Any, make_events: Callable) -> None:
    clock = FakeClock()
    records = encode_records(make_events(20))
    with pytest.raises(DeliveryError, match="ResourceNotFoundException is not retryable") as info:
        put_all(kinesis, "no-such-stream", records, time_left_ms=clock.time_left_ms, sleep=clock.sleep)
    assert (info.value.report.put_calls, info.value.report.failed) == (1, 20)
    assert clock.sleeps == []


def test_access_denied_and_validation_errors_are_not_retried(kinesis: Any, make_events: Callable) -> None:
    for code in ("AccessDeniedException", "ValidationException"):
        clock = FakeClock()
        faulty = FaultyKinesis(kinesis, throttle_first_calls=1, throttle_code=code)
        with pytest.raises(DeliveryError, match=code):
            _put(faulty, encode_records(make_events(5)), clock)
        assert clock.sleeps == [] and len(faulty.calls) == 1


def test_no_new_batch_is_started_inside_the_safety_margin(kinesis: Any, make_events: Callable) -> None:
    records = encode_records(make_events(1000))
    # The first batch is always sent; the second would start with less than the margin left.
    with pytest.raises(DeliveryError, match="before the next batch") as info:
        put_all(kinesis, STREAM, records, time_left_ms=lambda: SAFETY_MARGIN_MS - 1, sleep=lambda s: None)
    assert (info.value.report.put_calls, info.value.report.failed) == (1, 500)
    assert len(read_stream(kinesis)) == 500


# ---------------------------------------------------------------- exact request shapes (botocore Stubber)


def _ok(n: int) -> dict:
    # FailedRecordCount is left out: botocore's model gives it a minimum of 1.
    return {"Records": [{"SequenceNumber": str(i), "ShardId": "shardId-000000000000"} for i in range(n)]}


def test_put_records_requests_have_the_exact_shape_and_batch_sizes(aws_credentials: None) -> None:
    client = boto3.client("kinesis", region_name=REGION)
    small = [{"Data": f"{i}\n".encode(), "PartitionKey": f"s{i}"} for i in range(1001)]
    big = [{"Data": b"b" * (MAX_BYTES_PER_RECORD - 1), "PartitionKey": "k"}] * 6
    assert sum(record_size(r) for r in big[:5]) == MAX_BYTES_PER_PUT
    for records, chunks in ((small, (small[:500], small[500:1000], small[1000:])), (big, (big[:5], big[5:]))):
        with Stubber(client) as stub:
            for chunk in chunks:
                stub.add_response("put_records", _ok(len(chunk)), {"StreamName": STREAM, "Records": chunk})
            report = put_all(client, STREAM, records, time_left_ms=lambda: 60_000, sleep=lambda s: None)
            stub.assert_no_pending_responses()
        assert report.put_calls == len(chunks) and report.failed == 0


def test_stubbed_partial_failure_resends_exactly_the_failed_positions(aws_credentials: None) -> None:
    client = boto3.client("kinesis", region_name=REGION)
    records = [{"Data": f"{i}\n".encode(), "PartitionKey": f"s{i}"} for i in range(6)]
    first = _ok(6)
    for pos, code in ((1, "ProvisionedThroughputExceededException"), (4, "InternalFailure")):
        first["Records"][pos] = {"ErrorCode": code, "ErrorMessage": "injected"}
    first["FailedRecordCount"] = 2
    sleeps: list[float] = []
    with Stubber(client) as stub:
        stub.add_response("put_records", first, {"StreamName": STREAM, "Records": records})
        stub.add_response("put_records", _ok(2), {"StreamName": STREAM, "Records": [records[1], records[4]]})
        report = put_all(client, STREAM, records, time_left_ms=lambda: 60_000, sleep=sleeps.append, rand=lambda: 0.5)
        stub.assert_no_pending_responses()
    assert (report.put_calls, report.retries, report.failed) == (2, 2, 0)
    assert sleeps == pytest.approx([0.05])


def test_a_response_with_fewer_entries_than_sent_fails_the_batch_as_undelivered(clock: FakeClock) -> None:
    # Results are matched to entries by position; a short answer cannot say which entries were written.
    records = [{"Data": b"x\n", "PartitionKey": f"k{i}"} for i in range(5)]

    class Short:
        def put_records(self, **kwargs: Any) -> dict:
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"}] * 4}

    with pytest.raises(DeliveryError, match="PutRecords answered 4 entries for 5 sent") as info:
        _put(Short(), records, clock)
    assert info.value.undelivered == 5
