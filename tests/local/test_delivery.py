"""The local Firehose against moto's Kinesis: partitions, schema, error output and checkpoints."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from functions.producer.handler import encode_records
from functions.shared import layout
from functions.shared.dimensions import generate_dimensions
from functions.shared.schema import STREAMING_EVENTS
from lakewriter.parquet import arrow_schema
from local.delivery import ERROR_TYPE_CONVERSION, ERROR_TYPE_PARTITIONING, LocalFirehose
from tests.functions.worlds import generate_events

pytestmark = pytest.mark.functional

STREAM = "test-stream"
WINDOW_END = dt.datetime(2026, 3, 4, 5, 2, 0, tzinfo=dt.UTC)  # window spans the 04→05 hour boundary


@pytest.fixture
def kinesis(monkeypatch: pytest.MonkeyPatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-west-2")
        client.create_stream(StreamName=STREAM, ShardCount=3)
        yield client


def _put(client, records: list[dict]) -> None:
    for i in range(0, len(records), 500):
        client.put_records(StreamName=STREAM, Records=records[i : i + 500])


def _events(n: int, seed: int = 1) -> list[dict]:
    dims = generate_dimensions(7, customers=40, titles=30, campaigns=3)
    # A world sparse enough that n events take most of the five minutes before WINDOW_END, across 05:00.
    return generate_events(n, dims, window_end=WINDOW_END, window_seconds=1200, rng=random.Random(seed))


def _firehose(client, lake: Path, mode: str = layout.PARTITION_BY_EVENT_TIME) -> LocalFirehose:
    return LocalFirehose(
        client,
        stream_name=STREAM,
        delivery_stream_name="acme-data-kinesis-to-s3",
        lake=lake,
        database="acme_telemetry",
        partition_by=mode,
    )


def _lake_rows(lake: Path) -> list[tuple[Path, dict]]:
    rows = []
    for path in sorted((lake / layout.TELEMETRY_PREFIX).rglob("*.parquet")):
        rows.extend((path, row) for row in pq.read_table(path).to_pylist())
    return rows


def test_event_time_partitioning_puts_each_row_under_its_own_timestamp_hour(kinesis, tmp_path: Path) -> None:
    events = _events(800)
    _put(kinesis, encode_records(events))
    stats = _firehose(kinesis, tmp_path).deliver()

    assert (stats.records, stats.delivered, stats.errors) == (800, 800, 0)
    rows = _lake_rows(tmp_path)
    assert sorted(r["event_id"] for _, r in rows) == sorted(e["event_id"] for e in events)
    hours = set()
    for path, row in rows:
        values = layout.partition_values(row["event_timestamp"])
        assert path.parent == tmp_path / layout.partition_path(values)
        hours.add(values["hour"])
    assert hours == {"04", "05"}, "the window crosses an hour, so both hour partitions must exist"
    assert len(stats.files) == 2, "one file per partition per flush"


def test_delivered_files_have_the_catalog_schema_snappy_and_firehose_names(kinesis, tmp_path: Path) -> None:
    _put(kinesis, encode_records(_events(300)))
    stats = _firehose(kinesis, tmp_path).deliver()
    for name in stats.files:
        meta = pq.ParquetFile(name)
        assert meta.schema_arrow.equals(arrow_schema(STREAMING_EVENTS)), name
        assert meta.metadata.row_group(0).column(0).compression == "SNAPPY"
        assert Path(name).name.startswith("acme-data-kinesis-to-s3-1-")
        assert name.endswith(layout.PARQUET_EXTENSION)


def test_arrival_time_partitioning_uses_when_the_record_arrived(kinesis, tmp_path: Path) -> None:
    _put(kinesis, encode_records(_events(50)))
    arrived = dt.datetime.now(dt.UTC)
    _firehose(kinesis, tmp_path, layout.PARTITION_BY_ARRIVAL_TIME).deliver()
    dirs = {path.parent for path, _ in _lake_rows(tmp_path)}
    expected = {
        tmp_path / layout.partition_path(layout.partition_values(moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
        for moment in (arrived - dt.timedelta(minutes=1), arrived)
    }
    assert dirs and dirs <= expected


def test_bad_records_go_to_errors_with_reason_and_raw_data_and_good_ones_still_land(kinesis, tmp_path: Path) -> None:
    events = _events(20)
    wrong_type = dict(events[0], event_id="wrong-type", bandwidth_mbps="fast")
    not_json = b"{not json\n"
    records = encode_records(events[1:])
    records += encode_records([wrong_type])
    records.append({"Data": not_json, "PartitionKey": "x"})
    _put(kinesis, records)

    stats = _firehose(kinesis, tmp_path).deliver()
    assert (stats.delivered, stats.errors) == (19, 2)
    documents = {}
    for name in stats.error_files:
        error_type = Path(name).relative_to(tmp_path / layout.ERRORS_PREFIX).parts[0]
        for line in Path(name).read_text().splitlines():
            documents[error_type] = json.loads(line)
    conversion = documents[ERROR_TYPE_CONVERSION]
    assert "bandwidth_mbps" in conversion["lastErrorMessage"]
    assert json.loads(base64.b64decode(conversion["rawData"]))["event_id"] == "wrong-type"
    assert base64.b64decode(documents[ERROR_TYPE_PARTITIONING]["rawData"]) == not_json
    assert "wrong-type" not in {r["event_id"] for _, r in _lake_rows(tmp_path)}


def test_error_objects_sit_under_the_prefix_firehose_resolves(kinesis, tmp_path: Path) -> None:
    _put(kinesis, [{"Data": b"[]\n", "PartitionKey": "x"}])
    stats = _firehose(kinesis, tmp_path).deliver()
    (name,) = stats.error_files
    relative = Path(name).relative_to(tmp_path).parent.as_posix() + "/"
    today = dt.datetime.now(dt.UTC)
    rendered = (
        layout.FIREHOSE_ERROR_PREFIX.replace("!{firehose:error-output-type}", ERROR_TYPE_PARTITIONING)
        .replace("!{timestamp:yyyy}", f"{today:%Y}")
        .replace("!{timestamp:MM}", f"{today:%m}")
        .replace("!{timestamp:dd}", f"{today:%d}")
    )
    assert relative == rendered


def test_a_second_delivery_reads_only_records_added_since_the_first(kinesis, tmp_path: Path) -> None:
    firehose = _firehose(kinesis, tmp_path)
    first, second = _events(100, seed=1), _events(60, seed=2)
    _put(kinesis, encode_records(first))
    assert firehose.deliver().delivered == 100
    assert firehose.deliver().delivered == 0
    _put(kinesis, encode_records(second))
    assert firehose.deliver().delivered == 60
    ids = [r["event_id"] for _, r in _lake_rows(tmp_path)]
    assert sorted(ids) == sorted(e["event_id"] for e in first + second)


def test_unknown_partitioning_mode_is_rejected(kinesis, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="partition_by must be one of"):
        _firehose(kinesis, tmp_path, "by_customer")


def test_records_that_break_parsing_checking_or_conversion_each_go_to_errors_and_cost_no_other_record(
    kinesis, tmp_path: Path
) -> None:
    events = _events(30)
    nested = b"[" * 200_000 + b"\n"  # valid JSON so far, too deep to parse: RecursionError
    inexact = dict(events[0], event_id="inexact", bandwidth_mbps=2**53 + 1)  # no double holds it exactly
    # A lone surrogate passes the schema check but cannot be written as UTF-8 by Parquet; put in the same hour
    # as good rows, so the whole partition's conversion fails first and must be retried row by row.
    surrogate = json.dumps(dict(events[1], event_id="surrogate", city="\ud800")).encode() + b"\n"
    records = encode_records(events[2:]) + encode_records([inexact])
    records += [{"Data": nested, "PartitionKey": "x"}, {"Data": surrogate, "PartitionKey": "y"}]
    _put(kinesis, records)

    stats = _firehose(kinesis, tmp_path).deliver()
    assert (stats.records, stats.delivered, stats.errors) == (31, 28, 3)
    messages = [
        json.loads(line)["lastErrorMessage"]
        for name in stats.error_files
        for line in Path(name).read_text().splitlines()
    ]
    assert any("recursion" in m for m in messages)
    assert any("'bandwidth_mbps' must be a double" in m for m in messages)
    assert any("column 'city'" in m for m in messages)
    assert sorted(r["event_id"] for _, r in _lake_rows(tmp_path)) == sorted(e["event_id"] for e in events[2:])


def test_a_shard_is_read_to_its_end_even_when_the_last_records_share_a_millisecond(kinesis, tmp_path: Path) -> None:
    # The reader once stopped on MillisBehindLatest == 0, which moto (and Kinesis) round to whole milliseconds.
    kinesis.create_stream(StreamName="one-shard", ShardCount=1)
    events = _events(10_001, seed=5)
    records = encode_records(events)
    # The 10,000th and 10,001st records go in one call: the first page (10,000 records, the most one
    # GetRecords returns) then ends in the same millisecond as the record after it.
    chunks = [records[i : min(i + 500, 9_999)] for i in range(0, 9_999, 500)] + [records[9_999:]]
    for chunk in chunks:
        kinesis.put_records(StreamName="one-shard", Records=chunk)
    firehose = LocalFirehose(
        kinesis,
        stream_name="one-shard",
        delivery_stream_name="acme-data-kinesis-to-s3",
        lake=tmp_path,
        database="acme_telemetry",
        partition_by=layout.PARTITION_BY_EVENT_TIME,
    )
    assert firehose.deliver().delivered == 10_001
