"""Producer Lambda entry point end to end on moto: env config, fake context, one JSON log line, errors."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import functions.producer.handler as producer
from functions.producer.aggregation import aggregate_records
from functions.producer.encoding import encode_records
from tests.functions.conftest import STREAM, read_stream

pytestmark = pytest.mark.functional

_counter = iter(range(10**6))


class FakeContext:
    """The part of the Lambda context object the producer uses."""

    def __init__(self, remaining_ms: int = 30_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def load_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], ModuleType]]:
    """Import a private copy of the handler module with STREAM_NAME set as Lambda would set it."""

    def load(stream_name: str | None) -> ModuleType:
        if stream_name is None:
            monkeypatch.delenv("STREAM_NAME", raising=False)
        else:
            monkeypatch.setenv("STREAM_NAME", stream_name)
        name = f"producer_handler_copy_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(name, Path(producer.__file__))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module

    yield load


def _log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_handler_delivers_batch_and_logs_one_json_summary_line(
    kinesis: Any, make_events: Callable, load_handler: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = load_handler(STREAM)
    events = make_events(750, sessions=60)
    summary = mod.handler({"events": events}, FakeContext())
    packed = aggregate_records(encode_records(events))

    assert 1 < len(packed) < 750 / 25  # aggregated: tens of events per record
    assert summary == {
        "records": len(packed),
        "events": 750,
        "put_calls": 1,
        "retries": 0,
        "throttled_calls": 0,
        "failed": 0,
        "elapsed_ms": summary["elapsed_ms"],
        "stream": STREAM,
    }
    assert summary["elapsed_ms"] >= 0
    (line,) = _log_lines(capsys)
    assert line == {"level": "INFO", **summary}
    got = read_stream(kinesis)
    assert sorted((r.partition_key, r.data) for r in got) == sorted((r["PartitionKey"], r["Data"]) for r in packed)
    lines = [line for r in got for line in r.data.splitlines()]
    assert sorted(json.loads(line)["event_id"] for line in lines) == sorted(e["event_id"] for e in events)


def test_handler_accepts_a_json_string_payload_and_reuses_one_client(
    kinesis: Any, make_events: Callable, load_handler: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = load_handler(STREAM)
    mod.handler(json.dumps({"events": make_events(10)}), FakeContext())
    client = mod.kinesis_client()
    mod.handler(json.dumps({"events": make_events(5)}), FakeContext())
    assert mod.kinesis_client() is client
    assert client.meta.config.retries["total_max_attempts"] == 1  # put_all owns retrying
    assert [line["events"] for line in _log_lines(capsys)] == [10, 5]
    assert sum(len(r.data.splitlines()) for r in read_stream(kinesis)) == 15


def test_handler_raises_payload_error_logs_it_and_writes_nothing(
    kinesis: Any, make_events: Callable, load_handler: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = load_handler(STREAM)
    events = make_events(40)
    events[17]["bandwidth_mbps"] = "fast"
    with pytest.raises(mod.PayloadError, match=r"events\[17\].*bandwidth_mbps"):
        mod.handler({"events": events}, FakeContext())
    (line,) = _log_lines(capsys)
    assert line["level"] == "ERROR" and line["error_type"] == "PayloadError" and line["stream"] == STREAM
    assert "events[17]" in line["error"] and "bandwidth_mbps" in line["error"]
    assert read_stream(kinesis) == []


def test_handler_raises_delivery_error_with_the_failed_count_in_its_log_line(
    kinesis: Any, make_events: Callable, load_handler: Callable, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = load_handler("stream-that-does-not-exist")
    events = make_events(30)
    records = len(aggregate_records(encode_records(events)))
    with pytest.raises(mod.DeliveryError) as info:
        mod.handler({"events": events}, FakeContext())
    assert info.value.undelivered == records  # records, each holding whole events
    (line,) = _log_lines(capsys)
    assert (line["level"], line["failed"], line["records"], line["events"], line["stream"]) == (
        "ERROR",
        records,
        records,
        30,
        "stream-that-does-not-exist",
    )
    assert "ResourceNotFoundException" in line["error"]


def test_handler_without_stream_name_env_fails_with_a_clear_error(
    aws_credentials: None, make_events: Callable, load_handler: Callable
) -> None:
    mod = load_handler(None)
    with pytest.raises(RuntimeError, match="STREAM_NAME"):
        mod.handler({"events": make_events(1)}, FakeContext())
