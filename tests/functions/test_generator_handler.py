"""Generator handler: request parsing, payload packing, invoking the producer, and Lambda-safe imports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.generator import handler as gen
from functions.generator.events import epoch_ms, window_events, window_records
from functions.producer.encoding import encode_records
from functions.shared import domains
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World
from tests.functions.fakes import RecordingLambda
from tests.functions.invariants import check_events
from tests.functions.worlds import generate_events

ROOT = Path(__file__).resolve().parents[2]
WINDOW_END = dt.datetime(2026, 11, 26, 2, 45, tzinfo=dt.UTC)
PRODUCER = "acme-telemetry-producer"


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=200, titles=100, campaigns=5)


def _unpack(payloads: list[bytes]) -> list[dict]:
    return [ev for p in payloads for ev in json.loads(p.decode("utf-8"))["events"]]


def _in_order_of(events: list[dict], reference: list[dict]) -> list[dict]:
    """`events` (payloads group them by session) put back in the order of `reference` (the tick's time order)."""
    position = {ev["event_id"]: i for i, ev in enumerate(reference)}
    return sorted(events, key=lambda ev: position[ev["event_id"]])


def _by_time(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda ev: ev["event_timestamp"])


# --- parse_request -------------------------------------------------------------------------------------------


SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "time": "2026-11-26T02:45:00Z",
    "region": "us-west-2",
    "resources": ["arn:aws:events:us-west-2:123456789012:rule/acme-telemetry-generator-schedule"],
    "detail": {},
}


NOW = dt.datetime(2030, 1, 1, 12, 0, 7, 500_000, tzinfo=dt.UTC)
END_MS = epoch_ms(WINDOW_END)


def _parse(event: Any) -> gen.Request:
    return gen.parse_request(event, window_seconds=300, now=NOW)


def test_a_scheduled_event_asks_for_the_period_that_ends_at_its_time() -> None:
    assert _parse(SCHEDULED) == gen.Request(END_MS - 300_000, END_MS)


@pytest.mark.parametrize("event", [None, {}])
def test_an_empty_request_asks_for_the_period_that_ends_now_to_the_second(event: Any) -> None:
    end = epoch_ms(NOW.replace(microsecond=0))
    assert _parse(event) == gen.Request(end - 300_000, end)


def test_a_request_can_name_its_window_a_world_and_a_shard() -> None:
    window = {"start": "2026-11-26T02:40:00.250Z", "end": "2026-11-26T03:40:00.250+00:00"}
    assert _parse(window) == gen.Request(END_MS - 300_000 + 250, END_MS + 3_300_000 + 250)
    assert _parse({**window, "seed": 7}).seed == 7
    shard = _parse({**window, "shard": {"index": 2, "count": 5}})
    assert (shard.shard, shard.shards) == (2, 5)
    assert gen.parse_request(json.loads(shard.payload(1, 5)), window_seconds=300, now=NOW) == dataclasses.replace(
        shard, shard=1
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"start": "2026-11-26T02:45:00Z", "end": "2026-11-26T02:40:00Z"}, "end must be after start"),
        ({"start": "2026-11-26T02:45:00Z", "end": "2026-11-26T02:45:00Z"}, "end must be after start"),
        ({"start": "2026-11-26T00:00:00Z", "end": "2026-11-26T01:00:00.001Z"}, "at most 3600 s"),
        ({"start": "yesterday", "end": "2026-11-26T02:45:00Z"}, "start must be an ISO 8601 UTC time"),
        ({"start": "2026-11-26T02:40:00", "end": "2026-11-26T02:45:00Z"}, r"start must be .* \(with Z or an offset\)"),
        ({"start": "2026-11-26T02:40:00.0001Z", "end": "2026-11-26T02:45:00Z"}, "whole milliseconds"),
        ({"end": "2026-11-26T02:45:00Z"}, r"missing \['start'\]"),
        ({"count": 5}, r"unknown key\(s\) \['count'\]"),
        ({"source": "aws.events"}, r"unknown key\(s\) \['source'\]"),
        ({**SCHEDULED, "time": "noon"}, r"time \(of the scheduled event\) must be an ISO 8601"),
        ({**SCHEDULED, "time": "0001-01-01T00:05:00Z"}, r"time \(of the scheduled event\) must be at least .* 1970"),
        ({**SCHEDULED, "time": "1970-01-01T00:00:01Z"}, r"period \(300 s\) after 1970-01-01T00:00:00Z"),
        ({"start": "1969-12-31T23:59:00Z", "end": "1970-01-01T00:01:00Z"}, "start must be at or after 1970-01-01"),
        ({"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z", "seed": -1}, "seed must be an integer"),
        ({"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z", "seed": "7"}, "seed must be an integer"),
        (
            {"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z", "shard": {"index": 3, "count": 3}},
            "shard.index must be an integer from 0 to 2",
        ),
        (
            {"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z", "shard": {"index": 0, "count": 0}},
            "shard.count must be an integer from 1 to 1000",
        ),
        ([5], "must be a JSON object"),
    ],
)
def test_bad_requests_are_refused_naming_the_input(event: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _parse(event)


# --- build_payloads ------------------------------------------------------------------------------------------


def _records(dims: Dimensions, count: int, seed: int) -> list[dict]:
    from tests.functions.worlds import generate_records

    return generate_records(count, dims, window_end=WINDOW_END, rng=random.Random(seed))


def test_payloads_fit_the_limit_and_hold_every_event_once_in_order(dims: Dimensions) -> None:
    payloads = gen.build_payloads(_records(dims, 400, seed=3), max_bytes=20_000)
    assert len(payloads) > 5
    assert all(len(p) <= 20_000 for p in payloads)
    expected = generate_events(400, dims, window_end=WINDOW_END, rng=random.Random(3))
    assert _in_order_of(_unpack(payloads), expected) == expected
    # Greedy, by whole sessions: the next payload's first session would not have fitted in the previous one.
    for before, after in pairwise(payloads):
        events = json.loads(after)["events"]
        session = [ev for ev in events if ev["session_id"] == events[0]["session_id"]]
        size = sum(len(json.dumps(ev, separators=(",", ":"), ensure_ascii=False).encode()) + 1 for ev in session)
        assert len(before) + size > 20_000


def test_payload_sizes_are_exact_at_the_boundary(dims: Dimensions) -> None:
    records = _records(dims, 3, seed=4)
    whole = gen.build_payloads(records)[0]
    assert gen.build_payloads(records, max_bytes=len(whole)) == [whole]
    assert len(gen.build_payloads(records, max_bytes=len(whole) - 1)) == 2


def test_payloads_keep_non_ascii_text_as_utf8(dims: Dimensions) -> None:
    events = generate_events(2, dims, window_end=WINDOW_END, rng=random.Random(4))
    events[0]["city"] = "Zürich"
    payload = gen.build_payloads(encode_records(events))[0]
    assert "Zürich".encode() in payload
    assert _unpack([payload])[0]["city"] == "Zürich"


def test_default_limit_splits_a_large_batch_into_1mb_payloads(dims: Dimensions) -> None:
    payloads = gen.build_payloads(_records(dims, 5000, seed=5))
    assert len(payloads) >= 3
    assert all(len(p) <= gen.MAX_PAYLOAD_BYTES < domains.MAX_ASYNC_PAYLOAD_BYTES for p in payloads)
    expected = generate_events(5000, dims, window_end=WINDOW_END, rng=random.Random(5))
    assert _in_order_of(_unpack(payloads), expected) == expected


def test_an_event_larger_than_the_limit_raises(dims: Dimensions) -> None:
    events = generate_events(2, dims, window_end=WINDOW_END, rng=random.Random(6))
    events[1]["city"] = "x" * 2000
    with pytest.raises(ValueError, match=r"record 1 .* too large for a payload of at most 1000 bytes"):
        gen.build_payloads(encode_records(events), max_bytes=1000)


@pytest.mark.parametrize(
    "damage",
    [lambda d: d.rstrip(b"\n"), lambda d: d.replace(b",", b",\n", 1), lambda d: d + b"{}"],
    ids=["no newline", "a second newline inside", "text after the newline"],
)
def test_a_record_that_is_not_one_json_line_is_refused(dims: Dimensions, damage: Any) -> None:
    records = _records(dims, 3, seed=6)
    records[1] = {**records[1], "Data": damage(records[1]["Data"])}
    with pytest.raises(ValueError, match=r"record 1: Data must be one JSON object ending in its only newline"):
        gen.build_payloads(records)


def test_a_failed_full_payload_still_fits_the_dead_letter_queue_as_an_on_failure_record(dims: Dimensions) -> None:
    # Lambda sends a failed async invocation to the on-failure destination as one record holding the whole
    # request payload; SQS refuses messages over the queue's maximum (at most 1 MiB), losing the batch.
    from components.scheduled_generator import DLQ_MAX_MESSAGE_BYTES

    payload = max(gen.build_payloads(_records(dims, 5000, seed=8)), key=len)
    assert len(payload) > gen.MAX_PAYLOAD_BYTES - 2_000  # a payload as full as the generator makes them
    request_id = "e4b46cbf-b738-4e4f-8880-a18cdf61200e"
    record = {  # the documented shape of Lambda's on-failure destination record
        "version": "1.0",
        "timestamp": "2026-11-26T02:45:01.123Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-west-2:123456789012:function:" + "p" * 64 + ":$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": json.loads(payload),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": "1500 of 1500 records not delivered to stream 'acme-telemetry-stream' after 40 "
            "PutRecords call(s): out of time to retry (500 entries failed with ProvisionedThroughputExceededException)",
            "errorType": "DeliveryError",
            "requestId": request_id,
            "stackTrace": ['  File "/var/task/functions/producer/handler.py", line 400, in handler\n' + "x" * 200] * 40,
        },
    }
    # Worst case of however Lambda serializes it: spaces after separators, non-ASCII escaped.
    assert len(json.dumps(record, ensure_ascii=True).encode()) <= DLQ_MAX_MESSAGE_BYTES


def test_no_events_give_no_payloads() -> None:
    assert gen.build_payloads([]) == []


# --- run_tick and run_request against a stubbed Lambda client ------------------------------------------------


@pytest.fixture
def lambda_client(aws_credentials: None) -> Any:
    return boto3.client("lambda", region_name="us-west-2")


@pytest.fixture(scope="module")
def busy(dims: Dimensions) -> World:
    return World(11, dims, 2500)


def test_run_tick_invokes_the_producer_asynchronously_once_per_payload(
    lambda_client: Any, dims: Dimensions, busy: World
) -> None:
    expected = gen.build_payloads(window_records(busy, END_MS - 300_000, END_MS))
    assert len(expected) >= 2
    with Stubber(lambda_client) as stub:
        for payload in expected:
            stub.add_response(
                "invoke",
                {"StatusCode": 202, "Payload": io.BytesIO(b"")},
                {"FunctionName": PRODUCER, "InvocationType": "Event", "Payload": payload},
            )
        summary = gen.run_tick(
            lambda_client, function_name=PRODUCER, world=busy, start_ms=END_MS - 300_000, end_ms=END_MS
        )
        stub.assert_no_pending_responses()
    reference = window_events(busy, END_MS - 300_000, END_MS)
    events = _in_order_of(_unpack(expected), reference)
    assert events == reference
    assert summary["events"] == len(events)
    assert summary["payloads"] == len(expected)
    assert summary["bytes"] == sum(len(p) for p in expected)
    assert summary["sessions"] == len({ev["session_id"] for ev in events})
    check_events(events, dims, window=(WINDOW_END - dt.timedelta(seconds=300), WINDOW_END))


def test_a_failing_invoke_raises_and_says_how_many_payloads_were_sent(lambda_client: Any, busy: World) -> None:
    expected = gen.build_payloads(window_records(busy, END_MS - 300_000, END_MS))
    with Stubber(lambda_client) as stub:
        stub.add_response(
            "invoke", {"StatusCode": 202}, {"FunctionName": PRODUCER, "InvocationType": "Event", "Payload": expected[0]}
        )
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        with pytest.raises(gen.InvokeError, match=r"payload 2 of \d+ .* 1 payload\(s\) were already sent"):
            gen.run_tick(lambda_client, function_name=PRODUCER, world=busy, start_ms=END_MS - 300_000, end_ms=END_MS)


def test_an_invoke_not_accepted_with_202_raises(lambda_client: Any, dims: Dimensions) -> None:
    with Stubber(lambda_client) as stub:
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(gen.InvokeError, match=r"StatusCode 200 \(expected 202\) for payload 1 of 1"):
            gen.run_tick(
                lambda_client,
                function_name=PRODUCER,
                world=World(1, dims, 20),
                start_ms=END_MS - 300_000,
                end_ms=END_MS,
            )


def test_run_tick_needs_a_producer_name(dims: Dimensions) -> None:
    with pytest.raises(ValueError, match="PRODUCER_FUNCTION_NAME"):
        gen.run_tick(object(), function_name="", world=World(1, dims), start_ms=0, end_ms=1)


GENERATOR = "acme-telemetry-generator"


def test_a_large_window_is_sent_out_in_shards_whose_union_is_the_window(busy: World) -> None:
    request = gen.Request(END_MS - 300_000, END_MS)
    client = RecordingLambda()
    summary = gen.run_request(
        client, request, world=busy, producer_name=PRODUCER, generator_name=GENERATOR, max_shard_events=800
    )
    shards = client.of(GENERATOR)
    assert summary["shards"] == len(shards) == gen.shard_count(busy, request.start_ms, request.end_ms, 800) > 1
    assert not client.of(PRODUCER)
    for payload in shards:  # each shard, run as the generator would run it
        shard_request = gen.parse_request(json.loads(payload), window_seconds=300, now=NOW)
        gen.run_request(client, shard_request, world=busy, producer_name=PRODUCER, generator_name=GENERATOR)
    delivered = sorted(json.dumps(e, sort_keys=True) for e in _unpack(client.of(PRODUCER)))
    assert delivered == sorted(
        json.dumps(e, sort_keys=True) for e in window_events(busy, request.start_ms, request.end_ms)
    )


def test_a_small_window_is_generated_in_place(dims: Dimensions) -> None:
    client = RecordingLambda()
    summary = gen.run_request(
        client, gen.Request(END_MS - 300_000, END_MS), world=World(1, dims, 50), producer_name=PRODUCER,
        generator_name=GENERATOR,
    )  # fmt: skip
    assert summary["shards"] == 1 and not client.of(GENERATOR) and len(client.of(PRODUCER)) == 1


# --- handler --------------------------------------------------------------------------------------------------


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch, dims: Dimensions) -> RecordingLambda:
    client = RecordingLambda()
    monkeypatch.setattr(gen, "_lambda_client", client)
    monkeypatch.setattr(gen, "_dimensions", dims)
    monkeypatch.setattr(gen, "_worlds", {})
    monkeypatch.setattr(gen, "_config", gen.GeneratorConfig(batch_size=120, producer_function_name=PRODUCER))
    return client


def test_handler_sends_a_scheduled_tick_and_logs_one_json_line(
    wired: RecordingLambda, dims: Dimensions, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = gen.handler(SCHEDULED, None)
    events = _unpack(wired.of(PRODUCER))
    assert summary["events"] == len(events) > 0
    assert summary["window_end"] == "2026-11-26T02:45:00.000Z"
    window = (WINDOW_END - dt.timedelta(seconds=gen.config().window_seconds), WINDOW_END)
    check_events(_by_time(events), dims, window=window)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged["events"] == len(events) and logged["payloads"] == summary["payloads"] and logged["level"] == "INFO"


def test_a_retried_tick_sends_byte_identical_payloads(wired: RecordingLambda) -> None:
    gen.handler(SCHEDULED, None)
    first = wired.of(PRODUCER)
    wired.calls.clear()
    gen.handler(SCHEDULED, None)
    assert wired.of(PRODUCER) == first


def test_consecutive_ticks_continue_the_same_sessions(wired: RecordingLambda) -> None:
    sessions = []
    for stamp in ("2026-11-26T02:45:00Z", "2026-11-26T02:50:00Z"):
        wired.calls.clear()
        gen.handler({**SCHEDULED, "time": stamp}, None)
        sessions.append({e["session_id"] for e in _unpack(wired.of(PRODUCER))})
    assert sessions[0] & sessions[1]


def test_a_bad_request_sends_nothing(wired: RecordingLambda) -> None:
    with pytest.raises(ValueError, match="end must be after start"):
        gen.handler({"start": "2026-11-26T02:45:00Z", "end": "2026-11-26T02:40:00Z"}, None)
    assert wired.calls == []


def test_environment_integers_are_validated_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="environment variable BATCH_SIZE must be an integer, got 'many'"):
        gen.GeneratorConfig.from_env({"BATCH_SIZE": "many"})
    with pytest.raises(ValueError, match=rf"BATCH_SIZE must be 1..{gen.MAX_BATCH_SIZE}"):
        gen.GeneratorConfig.from_env({"BATCH_SIZE": str(gen.MAX_BATCH_SIZE + 1)})
    with pytest.raises(ValueError, match=r"WORLD_SEED must be 0..9223372036854775807, got -1"):
        gen.GeneratorConfig.from_env({"WORLD_SEED": "-1"})
    assert gen.GeneratorConfig.from_env({}).batch_size == gen.DEFAULT_BATCH_SIZE
    assert gen.GeneratorConfig.from_env(
        {"BATCH_SIZE": "7", "WORLD_SEED": "3", "AWS_LAMBDA_FUNCTION_NAME": "g"}
    ) == gen.GeneratorConfig(batch_size=7, world_seed=3, function_name="g")


def test_importing_the_handler_reads_no_environment() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BATCH_SIZE": "lots", "WINDOW_SECONDS": "never"}
    script = "import functions.generator.handler as h, functions.producer.handler; print(h._config)"
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


_IMPORT_SCRIPT = """
import sys
sys.modules["pyarrow"] = None
sys.modules["numpy"] = None
import functions.generator.handler as h
d = h.world_dimensions(1, 20, 20, 2)
w = h.World(1, d, 50)
print(len(h.build_payloads(h.window_records(w, 1795000000000, 1795000300000))))
"""


def test_the_generator_imports_and_runs_without_pyarrow_or_numpy() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
