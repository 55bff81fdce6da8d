"""Producer, delivery: write records to Kinesis in PutRecords calls, re-sending only failed entries in time.

Lambda code: standard library and boto3 only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from functions.producer.aggregation import aggregate_records
from functions.producer.encoding import MAX_BYTES_PER_RECORD, check_record_size, encode_records, record_size
from functions.shared import layout

MAX_RECORDS_PER_PUT = 500  # Kinesis PutRecords: at most 500 records per call
MAX_BYTES_PER_PUT = 5 * 1024 * 1024  # Kinesis PutRecords: at most 5 MiB per request, data blobs plus partition keys
RETRYABLE_CALL_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",  # shard write limit (1 MiB/s or 1,000 records/s per shard)
        "LimitExceededException",  # account/stream request rate limit
        "ThrottlingException",
        "KMSThrottlingException",  # SSE-KMS streams: KMS request rate exceeded
        "InternalFailure",
        "ServiceUnavailable",
    }
)
"""botocore ClientError codes of PutRecords calls worth repeating; any other code fails the batch at once."""

BASE_DELAY_S = 0.1
MAX_DELAY_S = 5.0
CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 3
SAFETY_MARGIN_MS = (CONNECT_TIMEOUT_S + READ_TIMEOUT_S + 1) * 1000
"""Time to keep in hand after a backoff sleep: one more PutRecords call at its slowest, plus the log line."""

CLIENT_CONFIG = Config(
    # put_all does the retrying so it can count throttles, re-send only failed entries and watch the clock.
    retries={"total_max_attempts": 1},
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
)

_kinesis: Any = None


class DeliveryError(RuntimeError):
    """Some records could not be written to the stream; `report.failed` says how many."""

    def __init__(self, message: str, report: DeliveryReport) -> None:
        super().__init__(message)
        self.report = report

    @property
    def undelivered(self) -> int:
        return self.report.failed


@dataclass
class DeliveryReport:
    """What one put_all run did."""

    records: int = 0
    """Kinesis records (each holding one or more events)."""
    events: int = 0
    """Events those records carry (set by deliver_events)."""
    put_calls: int = 0
    retries: int = 0
    """Entries sent again after a failed entry or a rejected call."""
    throttled_calls: int = 0
    """Whole PutRecords calls rejected with a retryable error."""
    failed: int = 0
    """Records not in the stream when put_all returned or raised."""
    elapsed_ms: float = 0.0


def kinesis_client() -> Any:
    """The process-wide Kinesis client, created on first use (the region comes from the Lambda environment)."""
    global _kinesis
    if _kinesis is None:
        _kinesis = boto3.client("kinesis", config=CLIENT_CONFIG)
    return _kinesis


def deliver_events(
    kinesis_client: Any,
    stream_name: str,
    events: Sequence[dict],
    *,
    time_left_ms: Callable[[], int],
    aggregate: bool = True,
    partition_columns: bool = False,
    **put_options: Any,
) -> DeliveryReport:
    """Encode validated events, pack them into aggregated records (or, with `aggregate` false, one event per record)
    and write them all (the handler's work). `partition_columns` adds each event's year, month, day and hour as
    fields (layout.partition_fields_json), for a table that stores them as columns.

    `put_options` go to put_all (sleep, rand, delays: for tests)."""
    lines = encode_records(events)  # raises PayloadError before anything is written
    if partition_columns:
        for line, event in zip(lines, events, strict=True):
            # Each line is one JSON object and a newline: the members go before its closing brace.
            line["Data"] = line["Data"][:-2] + layout.partition_fields_json(event[layout.TIMESTAMP_FIELD]) + b"}\n"
    records = aggregate_records(lines) if aggregate else lines
    try:
        report = put_all(kinesis_client, stream_name, records, time_left_ms=time_left_ms, **put_options)
    except DeliveryError as exc:
        exc.report.events = len(events)
        raise
    report.events = len(events)
    return report


def batch_records(records: Sequence[dict]) -> Iterator[list[dict]]:
    """Yield consecutive, order-kept batches that each fit one PutRecords call (count and bytes)."""
    batch: list[dict] = []
    batch_bytes = 0
    for i, rec in enumerate(records):
        size = record_size(rec)
        if size > MAX_BYTES_PER_RECORD:
            check_record_size(i, rec["Data"], rec["PartitionKey"])
        if batch and (len(batch) == MAX_RECORDS_PER_PUT or batch_bytes + size > MAX_BYTES_PER_PUT):
            yield batch
            batch = []
            batch_bytes = 0
        batch.append(rec)
        batch_bytes += size
    if batch:
        yield batch


def backoff_delay(attempt: int, rand: Callable[[], float], base_delay: float, max_delay: float) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max_delay, base_delay * 2**attempt))."""
    # The exponent is capped so a long run of retries cannot overflow the float; 2**60 outgrows any max_delay.
    return rand() * min(max_delay, base_delay * 2.0 ** min(attempt, 60))


def put_all(
    kinesis_client: Any,
    stream_name: str,
    records: Sequence[dict],
    *,
    time_left_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    base_delay: float = BASE_DELAY_S,
    max_delay: float = MAX_DELAY_S,
    safety_margin_ms: int = SAFETY_MARGIN_MS,
) -> DeliveryReport:
    """Write every record to the stream, re-sending only failed entries; raise DeliveryError if any is left.

    Entries that succeeded are never sent again, so a partial failure cannot duplicate a record; only a call
    left unanswered (read timeout) is sent again whole, as its outcome is unknown. Retrying stops when the
    next backoff sleep would leave less than `safety_margin_ms` of the invocation.
    """
    started = time.monotonic()
    report = DeliveryReport(records=len(records))
    delivered = 0

    def fail(reason: str) -> DeliveryError:
        report.failed = len(records) - delivered
        report.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        return DeliveryError(
            f"{report.failed} of {report.records} records not delivered to stream {stream_name!r} "
            f"after {report.put_calls} PutRecords call(s): {reason}",
            report,
        )

    for batch in batch_records(records):
        if report.put_calls and time_left_ms() < safety_margin_ms:
            raise fail("out of time before the next batch")
        pending = batch
        attempt = 0
        while True:
            report.put_calls += 1
            try:
                response = kinesis_client.put_records(StreamName=stream_name, Records=pending)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE_CALL_ERRORS:
                    raise fail(f"{code or 'ClientError'} is not retryable: {exc}") from exc
                report.throttled_calls += 1
                reason = f"call rejected with {code}"
            except (EndpointConnectionError, ConnectTimeoutError) as exc:
                # The request never reached Kinesis, so sending it again cannot duplicate a record.
                reason = f"connection failed: {exc}"
            except ReadTimeoutError as exc:
                # Kinesis may or may not have written these entries. Sending them again may duplicate some;
                # failing instead would make Lambda re-send the whole batch, duplicating more.
                reason = f"no answer in time: {exc}"
            except BotoCoreError as exc:
                raise fail(f"{type(exc).__name__} is not retryable: {exc}") from exc
            else:
                results = response["Records"]
                if len(results) != len(pending):
                    raise fail(f"PutRecords answered {len(results)} entries for {len(pending)} sent")
                # Results are positional: entry k of the response belongs to entry k of the request. The
                # entries are checked rather than FailedRecordCount so a missing count cannot hide a failure.
                failed_entries = [rec for rec, res in zip(pending, results, strict=True) if res.get("ErrorCode")]
                delivered += len(pending) - len(failed_entries)
                if not failed_entries:
                    break
                codes = sorted({res["ErrorCode"] for res in results if res.get("ErrorCode")})
                reason = f"{len(failed_entries)} entries failed with {', '.join(codes)}"
                pending = failed_entries
            delay = backoff_delay(attempt, rand, base_delay, max_delay)
            if time_left_ms() - delay * 1000 < safety_margin_ms:
                raise fail(f"out of time to retry ({reason})")
            sleep(delay)
            attempt += 1
            report.retries += len(pending)

    report.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    return report
