"""The local Firehose: reads every shard of the stream and delivers Parquet into the lake, as the stack does."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.shared import layout
from functions.shared.schema import STREAMING_EVENTS, SchemaError, validate_record
from lakewriter.parquet import rows_to_arrow, write_parquet

ERROR_TYPE_CONVERSION = "format-conversion-failed"
"""Firehose's error output type for records that fail JSON-to-Parquet conversion."""

ERROR_TYPE_PARTITIONING = "partitioning-failed"
"""Error output type for records whose partition keys cannot be extracted (dynamic partitioning)."""

MAX_RECORDS_PER_GET = 10_000
"""Kinesis GetRecords returns at most 10,000 records per call."""


@dataclass
class DeliveryStats:
    """What one delivery pass did."""

    records: int = 0
    delivered: int = 0
    errors: int = 0
    files: list[str] = field(default_factory=list)
    error_files: list[str] = field(default_factory=list)


class LocalFirehose:
    """Delivers a Kinesis stream into a lake directory with the stack's Firehose rules.

    JSON records become SNAPPY Parquet with the catalog schema under the partition the stack's
    prefix gives them (event time via the same slices as the JQ query, or arrival time); records
    that fail go to `errors/<error-output-type>/…` with the reason, in Firehose's error document form.
    Each `deliver()` call is one buffer flush: one file per partition it touched.
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
    ) -> None:
        if partition_by not in layout.PARTITION_MODES:
            raise ValueError(f"partition_by must be one of {layout.PARTITION_MODES}, got {partition_by!r}")
        self._kinesis = kinesis_client
        self._stream = stream_name
        self._name = delivery_stream_name
        self._lake = lake
        self._database = database
        self._partition_by = partition_by
        self._clock = clock
        self._checkpoints: dict[str, str] = {}

    def _read_new_records(self) -> list[dict]:
        """Every record added to any shard since the last call (checkpointed by sequence number)."""
        records: list[dict] = []
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
                page = self._kinesis.get_records(ShardIterator=iterator, Limit=MAX_RECORDS_PER_GET)
                records.extend(page["Records"])
                if page["Records"]:
                    self._checkpoints[shard_id] = page["Records"][-1]["SequenceNumber"]
                # MillisBehindLatest alone can read 0 with records left (it counts whole milliseconds of arrival
                # time): a full page always asks again.
                if not page["Records"] or (
                    page.get("MillisBehindLatest", 0) == 0 and len(page["Records"]) < MAX_RECORDS_PER_GET
                ):
                    break
                iterator = page.get("NextShardIterator")
        return records

    def _partition(self, row: dict, arrival: dt.datetime) -> dict[str, str]:
        if self._partition_by == layout.PARTITION_BY_EVENT_TIME:
            return layout.partition_values(row.get(layout.TIMESTAMP_FIELD))
        return layout.partition_values(layout.format_timestamp(arrival))

    def _error_document(self, record: dict, code: str, message: str, now: dt.datetime) -> dict:
        arrival = record.get("ApproximateArrivalTimestamp") or now
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": int(arrival.timestamp() * 1000),
            "lastErrorCode": code,
            "lastErrorMessage": message,
            "attemptEndingTimestamp": int(now.timestamp() * 1000),
            "rawData": base64.b64encode(record["Data"]).decode("ascii"),
            "sequenceNumber": record["SequenceNumber"],
            "subSequenceNumber": None,
            "dataCatalogTable": {
                "databaseName": self._database,
                "tableName": STREAMING_EVENTS.name,
                "versionId": "LATEST",
            },
        }

    def deliver(self) -> DeliveryStats:
        """Read what is new on the stream and flush it to the lake."""
        now = self._clock()
        stats = DeliveryStats()
        by_partition: dict[tuple[str, ...], list[tuple[dict, dict]]] = defaultdict(list)
        failed: dict[str, list[dict]] = defaultdict(list)

        def conversion_failed(record: dict, message: str) -> None:
            failed[ERROR_TYPE_CONVERSION].append(
                self._error_document(record, "DataFormatConversion.MalformedData", message, now)
            )

        for record in self._read_new_records():
            stats.records += 1
            arrival = record.get("ApproximateArrivalTimestamp") or now
            try:  # not JSON (or JSON nested too deep to parse), or no partition keys in it: JQ extraction fails
                row = json.loads(record["Data"])
                values = self._partition(row if isinstance(row, dict) else {}, arrival)
            except (ValueError, RecursionError) as exc:  # decode errors, UnicodeDecodeError included, are ValueErrors
                failed[ERROR_TYPE_PARTITIONING].append(
                    self._error_document(record, "DynamicPartitioning.MetadataExtractionFailed", str(exc), now)
                )
                continue
            try:
                validate_record(STREAMING_EVENTS, row)
            except SchemaError as exc:
                conversion_failed(record, str(exc))
                continue
            by_partition[tuple(values[name] for name in STREAMING_EVENTS.partition_names)].append((row, record))

        written_at = layout.format_timestamp(now)
        for key, pairs in sorted(by_partition.items()):
            try:
                table = rows_to_arrow(STREAMING_EVENTS, [row for row, _ in pairs])
            except ValueError:  # one row Parquet cannot hold must not cost the others: find it, keep the rest
                good = []
                for row, record in pairs:
                    try:
                        rows_to_arrow(STREAMING_EVENTS, [row])
                    except ValueError as exc:
                        conversion_failed(record, str(exc))
                    else:
                        good.append(row)
                if not good:
                    continue
                table = rows_to_arrow(STREAMING_EVENTS, good)
            values = dict(zip(STREAMING_EVENTS.partition_names, key, strict=True))
            name = layout.firehose_object_name(self._name, 1, written_at, secrets.token_hex(8))
            path = self._lake / layout.partition_path(values) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_parquet(table, str(path))
            stats.delivered += table.num_rows
            stats.files.append(str(path))
        for error_type, documents in sorted(failed.items()):
            name = layout.firehose_object_name(self._name, 1, written_at, secrets.token_hex(8), extension="")
            path = self._lake / layout.error_path(error_type, written_at) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
            stats.errors += len(documents)
            stats.error_files.append(str(path))
        return stats
