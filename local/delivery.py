"""The local Firehose: reads every shard of the stream and delivers Parquet into the lake, as the stack does.

Records are JSON Lines of up to 500 events (the producer aggregates them); like the stack's Firehose this twin
de-aggregates each record into its JSON objects (sub-records) before it takes partition keys and converts them,
so the lake holds one row per event.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.producer.aggregation import MAX_EVENTS_PER_RECORD
from functions.shared import layout
from functions.shared.schema import STREAMING_EVENTS, SchemaError, validate_record
from lakewriter import faults
from lakewriter.parquet import rows_to_arrow, write_parquet

ERROR_TYPE_CONVERSION = "format-conversion-failed"
"""Firehose's error output type for records that fail JSON-to-Parquet conversion."""

ERROR_TYPE_PARTITIONING = "partitioning-failed"
"""Error output type for records whose partition keys cannot be extracted (dynamic partitioning)."""

ERROR_CODE_DEAGGREGATION = "DynamicPartitioning.DeAggregationFailed"
"""Code this twin writes for a record that is not JSON objects (AWS documents where such a record goes, the
partitioning-failed error output when dynamic partitioning is on, but not the code it carries)."""

ERROR_CODE_METADATA_EXTRACTION = "DynamicPartitioning.MetadataExtractionFailed"
ERROR_CODE_MALFORMED = "DataFormatConversion.MalformedData"

MAX_RECORDS_PER_GET = 10_000
"""Kinesis GetRecords returns at most 10,000 records per call."""

RECORDS_PER_GET = 1000
"""Records this twin asks for per GetRecords call: aggregated records are ~50 KiB, so a page stays ~50 MiB."""

MIB = 1024 * 1024
DEFAULT_BUFFER_MB = 64
"""Firehose flushes a buffer at this size (the stack's firehoseBufferSizeMb default); so does this twin."""

_JSON = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class DeaggregationError(ValueError):
    """A record Firehose's JSON de-aggregation cannot split into JSON objects."""


def deaggregate(data: bytes, max_records: int = MAX_EVENTS_PER_RECORD) -> list[tuple[bytes, Any]]:
    """Split one record into its JSON objects as Firehose's JSON de-aggregation does: (raw bytes, value) each.

    Objects may follow each other directly or on separate lines (JSONL); an array, a scalar, text that is not JSON
    or more than `max_records` objects make the whole record fail ("JSON objects must be on a single line with no
    delimiter or newline-delimited (JSONL) only. An array of JSON objects is not a valid input", capped at 500 per
    record: https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-multirecord-deaggergation.html).
    """
    lines = data.split(b"\n")
    if len(lines) - 1 <= max_records and not lines[-1] and all(line[:1] == b"{" for line in lines[:-1]):
        # JSON Lines, as the producer writes them: parse the whole record in one call.
        try:
            values = json.loads(b"[" + b",".join(lines[:-1]) + b"]")
        except (ValueError, RecursionError):
            values = None
        if values is not None and len(values) == len(lines) - 1 and all(type(v) is dict for v in values):
            return list(zip(lines[:-1], values, strict=True))
    try:
        text = data.decode("utf-8")
        out: list[tuple[bytes, Any]] = []
        pos = _WHITESPACE.match(text).end()  # type: ignore[union-attr]
        while pos < len(text):
            value, end = _JSON.raw_decode(text, pos)
            if not isinstance(value, dict):
                raise DeaggregationError(f"sub-record {len(out)} is a JSON {type(value).__name__}, not an object")
            out.append((text[pos:end].encode("utf-8"), value))
            if len(out) > max_records:
                raise DeaggregationError(f"record holds more than {max_records} JSON objects, the de-aggregation cap")
            pos = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
    except DeaggregationError:
        raise
    except (ValueError, RecursionError) as exc:  # not UTF-8 or not JSON (ValueErrors both), or nested too deep
        raise DeaggregationError(f"record is not JSON objects: {exc}") from exc
    if not out:
        raise DeaggregationError("record holds no JSON object")
    return out


@dataclass
class DeliveryStats:
    """What one delivery pass did."""

    records: int = 0
    """Kinesis records read."""
    events: int = 0
    """Sub-records (events) de-aggregated from them."""
    delivered: int = 0
    errors: int = 0
    files: list[str] = field(default_factory=list)
    error_files: list[str] = field(default_factory=list)


@dataclass
class _Buffer:
    """What one flush writes: rows by partition and error documents by error output type."""

    rows: dict[tuple[str, ...], list[tuple[dict, dict, bytes, int]]] = field(default_factory=lambda: defaultdict(list))
    failed: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    bytes: int = 0


class LocalFirehose:
    """Delivers a Kinesis stream into a lake directory with the stack's Firehose rules.

    Each record is de-aggregated into its JSON objects; each object becomes a row of SNAPPY Parquet with the
    catalog schema under the partition the stack's prefix gives it (event time via the same slices as the JQ
    query, or arrival time). What fails goes to `errors/<error-output-type>/…` in Firehose's error document form:
    a record that cannot be de-aggregated whole (rawData the record, subSequenceNumber null), an object whose
    partition keys or conversion fail alone (rawData the object, subSequenceNumber its index in the record).
    Each `deliver()` reads what is new and flushes a buffer whenever it holds `buffer_size_mb` of records, and
    once at the end: one file per partition per flush. With `table_format` iceberg the files are data files of the
    Iceberg table (in its data folder, by hour), which the caller commits to the table.
    """

    def __init__(
        self,
        kinesis_client: Any,
        *,
        stream_name: str,
        delivery_stream_name: str,
        lake: Path,
        database: str,
        partition_by: str = layout.PARTITION_BY_EVENT_TIME,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        buffer_size_mb: int = DEFAULT_BUFFER_MB,
        table_format: str = layout.TABLE_FORMAT_PARQUET,
    ) -> None:
        if table_format not in layout.TABLE_FORMATS:
            raise ValueError(f"table_format must be one of {layout.TABLE_FORMATS}, got {table_format!r}")
        if partition_by not in layout.PARTITION_MODES:
            raise ValueError(f"partition_by must be one of {layout.PARTITION_MODES}, got {partition_by!r}")
        if buffer_size_mb < 1:
            raise ValueError(f"buffer_size_mb must be ≥ 1, got {buffer_size_mb}")
        self._kinesis = kinesis_client
        self._stream = stream_name
        self._name = delivery_stream_name
        self._lake = lake
        self._database = database
        self._partition_by = partition_by
        self._clock = clock
        self._buffer_bytes = buffer_size_mb * MIB
        self._iceberg = table_format == layout.TABLE_FORMAT_ICEBERG
        self._table = layout.iceberg_rows(STREAMING_EVENTS) if self._iceberg else STREAMING_EVENTS
        """The rows' columns: the Iceberg table's also hold year, month, day and hour (the producer adds them)."""
        self._checkpoints: dict[str, str] = {}

    def _new_records(self) -> Iterator[dict]:
        """Every record added to any shard since the last call, page by page (checkpointed by sequence number)."""
        shards = []
        kwargs: dict[str, Any] = {"StreamName": self._stream}
        while True:
            page = self._kinesis.list_shards(**kwargs)
            shards.extend(page["Shards"])
            if not page.get("NextToken"):
                break
            kwargs = {"NextToken": page["NextToken"]}
        for shard in shards:
            shard_id = shard["ShardId"]
            after = self._checkpoints.get(shard_id)
            if after:
                iterator = self._kinesis.get_shard_iterator(
                    StreamName=self._stream,
                    ShardId=shard_id,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=after,
                )["ShardIterator"]
            else:
                iterator = self._kinesis.get_shard_iterator(
                    StreamName=self._stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            while iterator:
                page = self._kinesis.get_records(ShardIterator=iterator, Limit=RECORDS_PER_GET)
                records = page["Records"]
                if records:
                    self._checkpoints[shard_id] = records[-1]["SequenceNumber"]
                yield from records
                # MillisBehindLatest alone can read 0 with records left (it counts whole milliseconds of arrival
                # time): a full page always asks again.
                if not records or (page.get("MillisBehindLatest", 0) == 0 and len(records) < RECORDS_PER_GET):
                    break
                iterator = page.get("NextShardIterator")

    def _partition(self, row: dict, arrival: dt.datetime) -> dict[str, str]:
        if self._partition_by == layout.PARTITION_BY_EVENT_TIME:
            return layout.partition_values(row.get(layout.TIMESTAMP_FIELD))
        return layout.partition_values(layout.format_timestamp(arrival))

    def _error_document(
        self, record: dict, code: str, message: str, now: dt.datetime, raw: bytes | None = None, sub: int | None = None
    ) -> dict:
        arrival = record.get("ApproximateArrivalTimestamp") or now
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": int(arrival.timestamp() * 1000),
            "lastErrorCode": code,
            "lastErrorMessage": message,
            "attemptEndingTimestamp": int(now.timestamp() * 1000),
            "rawData": base64.b64encode(record["Data"] if raw is None else raw).decode("ascii"),
            "sequenceNumber": record["SequenceNumber"],
            "subSequenceNumber": sub,
            "dataCatalogTable": {
                "databaseName": self._database,
                "tableName": STREAMING_EVENTS.name,
                "versionId": "LATEST",
            },
        }

    def _accept(self, record: dict, now: dt.datetime, buffer: _Buffer, stats: DeliveryStats) -> None:
        """De-aggregate one record into the buffer: rows by partition, failures as error documents."""
        arrival = record.get("ApproximateArrivalTimestamp") or now
        buffer.bytes += len(record["Data"])
        try:
            objects = deaggregate(record["Data"])
        except DeaggregationError as exc:
            if self._partition_by == layout.PARTITION_BY_EVENT_TIME:  # de-aggregation is dynamic partitioning's
                error = (ERROR_TYPE_PARTITIONING, ERROR_CODE_DEAGGREGATION)
            else:  # no dynamic partitioning: the format conversion reads the record's JSON documents and fails
                error = (ERROR_TYPE_CONVERSION, ERROR_CODE_MALFORMED)
            buffer.failed[error[0]].append(self._error_document(record, error[1], str(exc), now))
            stats.events += 1
            return
        stats.events += len(objects)
        for sub, (raw, row) in enumerate(objects):
            try:  # no partition keys in it: JQ extraction fails
                values = self._partition(row, arrival)
            except ValueError as exc:
                buffer.failed[ERROR_TYPE_PARTITIONING].append(
                    self._error_document(record, ERROR_CODE_METADATA_EXTRACTION, str(exc), now, raw, sub)
                )
                continue
            try:
                validate_record(self._table, row)
            except SchemaError as exc:
                buffer.failed[ERROR_TYPE_CONVERSION].append(
                    self._error_document(record, ERROR_CODE_MALFORMED, str(exc), now, raw, sub)
                )
                continue
            buffer.rows[tuple(values[name] for name in STREAMING_EVENTS.partition_names)].append(
                (row, record, raw, sub)
            )

    def _flush(self, buffer: _Buffer, now: dt.datetime, stats: DeliveryStats, root: Path) -> None:
        written_at = layout.format_timestamp(now)
        for key, entries in sorted(buffer.rows.items()):
            try:
                table = rows_to_arrow(self._table, [row for row, _, _, _ in entries])
            except ValueError:  # one row Parquet cannot hold must not cost the others: find it, keep the rest
                good = []
                for row, record, raw, sub in entries:
                    try:
                        rows_to_arrow(self._table, [row])
                    except ValueError as exc:
                        buffer.failed[ERROR_TYPE_CONVERSION].append(
                            self._error_document(record, ERROR_CODE_MALFORMED, str(exc), now, raw, sub)
                        )
                    else:
                        good.append(row)
                if not good:
                    continue
                table = rows_to_arrow(self._table, good)
            values = dict(zip(STREAMING_EVENTS.partition_names, key, strict=True))
            name = layout.firehose_object_name(self._name, 1, written_at, secrets.token_hex(8))
            # In an Iceberg lake, a data file of the table (committed to it with the stretch) in its hour's folder.
            where = layout.iceberg_data_path(values) if self._iceberg else layout.partition_path(values)
            path = root / where / name
            path.parent.mkdir(parents=True, exist_ok=True)
            faults.step("write delivered file")
            write_parquet(table, str(path))
            stats.delivered += table.num_rows
            stats.files.append(str(path))
        for error_type, documents in sorted(buffer.failed.items()):
            name = layout.firehose_object_name(self._name, 1, written_at, secrets.token_hex(8), extension="")
            path = root / layout.error_path(error_type, written_at) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            faults.step("write error file")
            path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
            stats.errors += len(documents)
            stats.error_files.append(str(path))

    def deliver(self, into: Path | None = None) -> DeliveryStats:
        """Read what is new on the stream and deliver it, flushing each time the buffer fills and at the end.

        Files go under `into` (a staging directory laid out like the lake) instead of the lake when given.
        """
        root = self._lake if into is None else into
        now = self._clock()
        stats = DeliveryStats()
        buffer = _Buffer()
        for record in self._new_records():
            stats.records += 1
            self._accept(record, now, buffer, stats)
            if buffer.bytes >= self._buffer_bytes:
                self._flush(buffer, now, stats, root)
                buffer = _Buffer()
        self._flush(buffer, now, stats, root)
        return stats
