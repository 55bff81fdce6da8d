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

from functions.producer.aggregation import MAX_EVENTS_PER_RECORD, aggregate_records
from functions.producer.encoding import encode_records
from functions.shared import layout
from functions.shared.dimensions import generate_dimensions
from functions.shared.schema import STREAMING_EVENTS
from lakewriter.parquet import arrow_schema
from local.delivery import ERROR_TYPE_CONVERSION, ERROR_TYPE_PARTITIONING, LocalFirehose, deaggregate
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


def _documents(stats) -> list[tuple[str, dict]]:
    out = []
    for name in stats.error_files:
        error_type = Path(name).parts[len(Path(name).parts) - 5]
        out.extend((error_type, json.loads(line)) for line in Path(name).read_text().splitlines())
    return out


def test_aggregated_records_are_de_aggregated_into_one_row_per_event(kinesis, tmp_path: Path) -> None:
    events = _events(800)
    records = aggregate_records(encode_records(events))
    _put(kinesis, records)
    stats = _firehose(kinesis, tmp_path).deliver()
    assert (stats.records, stats.events, stats.delivered, stats.errors) == (len(records), 800, 800, 0)
    assert len(records) < 800 / 20
    assert sorted(r["event_id"] for _, r in _lake_rows(tmp_path)) == sorted(e["event_id"] for e in events)


@pytest.mark.parametrize("mode", layout.PARTITION_MODES)
def test_a_bad_sub_record_goes_to_errors_alone_with_its_index_and_its_own_bytes(
    kinesis, tmp_path: Path, mode: str
) -> None:
    events = _events(12)
    bad = dict(events[5], event_id="bad", bandwidth_mbps="fast")
    lines = [r["Data"] for r in encode_records([*events[:5], bad, *events[6:]])]
    _put(kinesis, [{"Data": b"".join(lines), "PartitionKey": "k"}])
    stats = _firehose(kinesis, tmp_path, mode).deliver()
    assert (stats.records, stats.events, stats.delivered, stats.errors) == (1, 12, 11, 1)
    [(error_type, doc)] = _documents(stats)
    assert error_type == ERROR_TYPE_CONVERSION and doc["subSequenceNumber"] == 5
    assert json.loads(base64.b64decode(doc["rawData"]))["event_id"] == "bad"
    assert "bandwidth_mbps" in doc["lastErrorMessage"]


def test_a_sub_record_without_a_timestamp_fails_partitioning_alone(kinesis, tmp_path: Path) -> None:
    events = _events(3)
    lines = [r["Data"] for r in encode_records(events)]
    _put(kinesis, [{"Data": lines[0] + b'{"event_id":"no-time"}\n' + lines[1], "PartitionKey": "k"}])
    stats = _firehose(kinesis, tmp_path).deliver()
    assert (stats.delivered, stats.errors) == (2, 1)
    [(error_type, doc)] = _documents(stats)
    assert (error_type, doc["subSequenceNumber"]) == (ERROR_TYPE_PARTITIONING, 1)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"a":1},{"a":2}]\n', "not an object"),  # an array of objects is not valid de-aggregation input
        (b'{"a":1}\n{"a":\n', "not JSON"),  # cut off mid-object
        (b"\xff\xfe\n", "not JSON"),  # not UTF-8
        (b'{"a":1}\n' * (MAX_EVENTS_PER_RECORD + 1), "more than 500"),
        (b"\n\n", "no JSON object"),
    ],
)
def test_a_record_that_cannot_be_de_aggregated_goes_to_errors_whole(
    kinesis, tmp_path: Path, data: bytes, reason: str
) -> None:
    good = encode_records(_events(2))
    _put(kinesis, [*good, {"Data": data, "PartitionKey": "k"}])
    stats = _firehose(kinesis, tmp_path).deliver()
    assert (stats.delivered, stats.errors) == (2, 1)
    [(error_type, doc)] = _documents(stats)
    assert error_type == ERROR_TYPE_PARTITIONING and doc["subSequenceNumber"] is None
    assert base64.b64decode(doc["rawData"]) == data and reason in doc["lastErrorMessage"]


def test_without_dynamic_partitioning_a_record_that_is_not_json_fails_format_conversion(
    kinesis, tmp_path: Path
) -> None:
    _put(kinesis, [{"Data": b"[1,2]\n", "PartitionKey": "k"}])
    stats = _firehose(kinesis, tmp_path, layout.PARTITION_BY_ARRIVAL_TIME).deliver()
    [(error_type, doc)] = _documents(stats)
    assert error_type == ERROR_TYPE_CONVERSION and doc["subSequenceNumber"] is None


def test_objects_that_follow_each_other_without_a_newline_are_split_too() -> None:
    assert [v for _, v in deaggregate(b'{"a":1}{"a":2} \n{"a":3}')] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert [raw for raw, _ in deaggregate('{"c":"São"}\n'.encode())] == ['{"c":"São"}'.encode()]


def test_a_full_buffer_is_flushed_before_the_next_record_and_every_row_lands_once(kinesis, tmp_path: Path) -> None:
    events = _events(3000)  # about 2 MB of JSON: two flushes of a 1 MB buffer, then the rest
    _put(kinesis, aggregate_records(encode_records(events)))
    firehose = LocalFirehose(
        kinesis,
        stream_name=STREAM,
        delivery_stream_name="acme-data-kinesis-to-s3",
        lake=tmp_path,
        database="acme_telemetry",
        buffer_size_mb=1,
    )
    stats = firehose.deliver()
    partitions = {Path(f).parent for f in stats.files}
    assert len(stats.files) > len(partitions)  # more than one flush wrote to a partition
    assert sorted(r["event_id"] for _, r in _lake_rows(tmp_path)) == sorted(e["event_id"] for e in events)
