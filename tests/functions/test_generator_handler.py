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
from functions.producer.handler import encode_records
from functions.shared.dimensions import Dimensions, generate_dimensions
from tests.functions.invariants import check_events
from tests.functions.worlds import generate_events, generate_records

ROOT = Path(__file__).resolve().parents[2]
WINDOW_END = dt.datetime(2026, 11, 26, 2, 45, tzinfo=dt.UTC)
PRODUCER = "acme-telemetry-producer"


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=200, titles=100, campaigns=5)


def _unpack(payloads: list[bytes]) -> list[dict]:
    return [ev for p in payloads for ev in json.loads(p.decode("utf-8"))["events"]]


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


@pytest.mark.parametrize("event", [None, {}, SCHEDULED])
def test_scheduled_or_empty_requests_use_the_batch_size(event: Any) -> None:
    assert gen.parse_request(event, 1000) == (1000, None)


def test_count_and_seed_override_the_defaults() -> None:
    assert gen.parse_request({"count": 5}, 1000) == (5, None)
    assert gen.parse_request({"count": gen.MAX_BATCH_SIZE, "seed": 7}, 1000) == (gen.MAX_BATCH_SIZE, 7)
    assert gen.parse_request({"seed": 0}, 1000) == (1000, 0)


@pytest.mark.parametrize("count", [0, -1, gen.MAX_BATCH_SIZE + 1, "10", True, 1.5, None])
def test_bad_count_raises_naming_count_and_the_range(count: Any) -> None:
    with pytest.raises(ValueError, match=rf"^count must be an integer from 1 to {gen.MAX_BATCH_SIZE}, got"):
        gen.parse_request({"count": count}, 1000)


@pytest.mark.parametrize("seed", ["7", 1.0, False])
def test_bad_seed_raises_naming_seed(seed: Any) -> None:
    with pytest.raises(ValueError, match=r"^seed must be an integer"):
        gen.parse_request({"seed": seed}, 1000)


def test_unknown_keys_and_non_objects_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['cnt'\]; allowed: \['count', 'seed'\]"):
        gen.parse_request({"cnt": 5}, 1000)
    with pytest.raises(ValueError, match="must be a JSON object"):
        gen.parse_request([5], 1000)
    # Only an event with both EventBridge keys is a scheduled tick; one of them alone is a mistyped request.
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['source'\]"):
        gen.parse_request({"source": "aws.events"}, 1000)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['detail-type'\]"):
        gen.parse_request({"detail-type": "Scheduled Event", "count": 3}, 1000)


def test_scheduled_events_set_the_window_end_to_their_time() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert gen.window_end_of(SCHEDULED, now) == WINDOW_END
    assert gen.window_end_of({"count": 3}, now) == now


# --- build_payloads ------------------------------------------------------------------------------------------


def _records(dims: Dimensions, count: int, seed: int) -> list[dict]:
    return generate_records(count, dims, window_end=WINDOW_END, rng=random.Random(seed))


def test_payloads_fit_the_limit_and_hold_every_event_once_in_order(dims: Dimensions) -> None:
    payloads = gen.build_payloads(_records(dims, 400, seed=3), max_bytes=20_000)
    assert len(payloads) > 5
    assert all(len(p) <= 20_000 for p in payloads)
    assert _unpack(payloads) == generate_events(400, dims, window_end=WINDOW_END, rng=random.Random(3))
    # Greedy: the next payload's first event would not have fitted in the previous one.
    for before, after in pairwise(payloads):
        first = json.dumps(json.loads(after)["events"][0], separators=(",", ":"), ensure_ascii=False)
        assert len(before) + 1 + len(first.encode()) > 20_000


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
    assert all(len(p) <= gen.MAX_PAYLOAD_BYTES < gen.MAX_ASYNC_PAYLOAD_BYTES for p in payloads)
    assert _unpack(payloads) == generate_events(5000, dims, window_end=WINDOW_END, rng=random.Random(5))


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

    payload = max(gen.build_payloads(_records(dims, gen.MAX_BATCH_SIZE, seed=8)), key=len)
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


# --- run_tick against a stubbed Lambda client --------------------------------------------------------------


@pytest.fixture
def lambda_client(aws_credentials: None) -> Any:
    return boto3.client("lambda", region_name="us-west-2")


def _expected_payloads(dims: Dimensions, count: int, seed: int) -> list[bytes]:
    return gen.build_payloads(_records(dims, count, seed))


def test_run_tick_invokes_the_producer_asynchronously_once_per_payload(lambda_client: Any, dims: Dimensions) -> None:
    expected = _expected_payloads(dims, 3000, seed=11)
    assert len(expected) >= 2
    with Stubber(lambda_client) as stub:
        for payload in expected:
            stub.add_response(
                "invoke",
                {"StatusCode": 202, "Payload": io.BytesIO(b"")},
                {"FunctionName": PRODUCER, "InvocationType": "Event", "Payload": payload},
            )
        summary = gen.run_tick(
            lambda_client, function_name=PRODUCER, count=3000, dims=dims, window_end=WINDOW_END, rng=random.Random(11)
        )
        stub.assert_no_pending_responses()
    events = _unpack(expected)
    assert events == generate_events(3000, dims, window_end=WINDOW_END, rng=random.Random(11))
    assert summary["events"] == 3000
    assert summary["payloads"] == len(expected)
    assert summary["bytes"] == sum(len(p) for p in expected)
    assert summary["sessions"] == len({ev["session_id"] for ev in events})
    check_events(events, dims, window=(WINDOW_END - dt.timedelta(seconds=300), WINDOW_END))


def test_a_failing_invoke_raises_and_says_how_many_payloads_were_sent(lambda_client: Any, dims: Dimensions) -> None:
    expected = _expected_payloads(dims, 3000, seed=12)
    with Stubber(lambda_client) as stub:
        stub.add_response(
            "invoke", {"StatusCode": 202}, {"FunctionName": PRODUCER, "InvocationType": "Event", "Payload": expected[0]}
        )
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        with pytest.raises(gen.InvokeError, match=r"payload 2 of \d+ .* 1 payload\(s\) were already sent"):
            gen.run_tick(
                lambda_client,
                function_name=PRODUCER,
                count=3000,
                dims=dims,
                window_end=WINDOW_END,
                rng=random.Random(12),
            )


def test_an_invoke_not_accepted_with_202_raises(lambda_client: Any, dims: Dimensions) -> None:
    with Stubber(lambda_client) as stub:
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(gen.InvokeError, match=r"StatusCode 200 \(expected 202\) for payload 1 of 1"):
            gen.run_tick(
                lambda_client, function_name=PRODUCER, count=10, dims=dims, window_end=WINDOW_END, rng=random.Random(1)
            )


def test_run_tick_needs_a_producer_name(dims: Dimensions) -> None:
    with pytest.raises(ValueError, match="PRODUCER_FUNCTION_NAME"):
        gen.run_tick(object(), function_name="", count=1, dims=dims, window_end=WINDOW_END, rng=random.Random(1))


# --- handler --------------------------------------------------------------------------------------------------


class RecordingLambda:
    """Accepts every asynchronous invoke, keeping its payload."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict:
        assert (FunctionName, InvocationType) == (PRODUCER, "Event")
        self.payloads.append(Payload)
        return {"StatusCode": 202}


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch, dims: Dimensions) -> RecordingLambda:
    client = RecordingLambda()
    monkeypatch.setattr(gen, "_lambda_client", client)
    monkeypatch.setattr(gen, "_dimensions", dims)
    monkeypatch.setattr(gen, "_config", gen.GeneratorConfig(batch_size=120, producer_function_name=PRODUCER))
    return client


def test_handler_sends_a_scheduled_tick_and_logs_one_json_line(
    wired: RecordingLambda, dims: Dimensions, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = gen.handler(SCHEDULED, None)
    events = _unpack(wired.payloads)
    assert summary["events"] == len(events) == 120
    check_events(events, dims, window=(WINDOW_END - dt.timedelta(seconds=gen.config().window_seconds), WINDOW_END))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged["events"] == 120 and logged["payloads"] == summary["payloads"] and logged["level"] == "INFO"


def test_handler_with_a_request_seed_repeats_its_events(wired: RecordingLambda) -> None:
    gen.handler({"count": 30, "seed": 9}, None)
    first = _unpack(wired.payloads)
    wired.payloads.clear()
    gen.handler({"count": 30, "seed": 9}, None)
    second = _unpack(wired.payloads)
    # Direct invokes end their window "now", so only the timestamps may differ.
    assert len(first) == len(second) == 30
    for a, b in zip(first, second, strict=True):
        assert {**a, "event_timestamp": ""} == {**b, "event_timestamp": ""}


def test_the_stack_event_seed_gives_each_window_its_own_events(
    wired: RecordingLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gen, "_config", dataclasses.replace(gen.config(), event_seed=5))
    runs = []
    for stamp in ("2026-11-26T02:45:00Z", "2026-11-26T02:45:00Z", "2026-11-26T02:50:00Z"):
        wired.payloads.clear()
        gen.handler({**SCHEDULED, "time": stamp}, None)
        runs.append(_unpack(wired.payloads))
    assert runs[0] == runs[1]
    assert not {e["event_id"] for e in runs[0]} & {e["event_id"] for e in runs[2]}


def test_environment_integers_are_validated_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="environment variable BATCH_SIZE must be an integer, got 'many'"):
        gen.GeneratorConfig.from_env({"BATCH_SIZE": "many"})
    with pytest.raises(ValueError, match=rf"BATCH_SIZE must be 1..{gen.MAX_BATCH_SIZE}"):
        gen.GeneratorConfig.from_env({"BATCH_SIZE": str(gen.MAX_BATCH_SIZE + 1)})
    assert gen.GeneratorConfig.from_env({}).batch_size == gen.DEFAULT_BATCH_SIZE
    assert gen.GeneratorConfig.from_env({"BATCH_SIZE": "7", "EVENT_SEED": "3"}) == gen.GeneratorConfig(
        batch_size=7, event_seed=3
    )


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
d = h.generate_dimensions(1, 20, 20, 2)
print(len(h.build_payloads(h.generate_records(50, d, window_end=h.dt.datetime.now(h.dt.UTC), rng=h.random.Random(1)))))
"""


def test_the_generator_imports_and_runs_without_pyarrow_or_numpy() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
