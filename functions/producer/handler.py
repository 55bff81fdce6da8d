"""Producer Lambda: write a generator batch of streaming events to Kinesis without losing or doubling any.

The generator invokes this function asynchronously with `{"events": [...]}`. Every event is validated
before anything is written and encoded as one newline-terminated JSON line; the lines are packed whole into
aggregated records (JSON Lines, each session's events under its key, sized to Firehose's 5 KB billing unit,
which the Firehose de-aggregates again), the records into PutRecords calls within the Kinesis limits, and
failed entries re-sent with jittered exponential backoff until all are in the stream or the invocation runs
out of time, in which case the invocation fails so Lambda's async retries and the on-failure destination
keep the batch.

Within one invocation an entry Kinesis reported written is never sent again; the one exception is a call
that got no answer in time (read timeout), whose entries are sent again because Kinesis may or may not have
written them. A failed invocation that Lambda retries sends the whole batch again, including records the
first attempt delivered. So delivery is at least once, and `event_id` is the key to drop duplicates on.

Lambda code: standard library and boto3 only.
"""

from __future__ import annotations

import json
import math
import operator
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import chain
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

from functions.shared import layout
from functions.shared.records import line_template
from functions.shared.schema import STREAMING_EVENTS, SchemaError, validate_record

MAX_RECORDS_PER_PUT = 500  # Kinesis PutRecords: at most 500 records per call
MAX_BYTES_PER_PUT = 5 * 1024 * 1024  # Kinesis PutRecords: at most 5 MiB per request, data blobs plus partition keys
MAX_BYTES_PER_RECORD = 1024 * 1024  # Kinesis: a record's data blob plus its partition key at most 1 MiB
MAX_PARTITION_KEY_CHARS = 256  # Kinesis PutRecordsRequestEntry.PartitionKey: 1 to 256 Unicode characters
MAX_EVENTS_PER_RECORD = 500
"""Firehose multi-record de-aggregation splits at most 500 JSON objects out of one record ("Record deaggregation by
JSON or by delimiter is capped at 500 per record":
https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-multirecord-deaggergation.html)."""
FIREHOSE_BILLING_UNIT = 5 * 1024
"""Firehose bills ingestion and format conversion per record rounded up to 5 KB (5,120 bytes):
https://aws.amazon.com/kinesis/data-firehose/pricing/."""
KINESIS_BILLING_UNIT = 1024
"""Kinesis on-demand bills data in per record rounded up to 1 KB (1,024 bytes): https://aws.amazon.com/kinesis/data-streams/pricing/."""
KINESIS_PUT_PAYLOAD_UNIT = 25 * 1024
"""Kinesis provisioned bills PUT payload units of 25 KB per record (same pricing page)."""
AGGREGATE_TARGET_BYTES = 2 * KINESIS_PUT_PAYLOAD_UNIT
"""Size an aggregated record is filled up to (data plus partition key): 50 KiB, a whole number of every billing
unit above, so a full record wastes nothing to rounding (events per record: docs/benchmarks.md), well under
MAX_EVENTS_PER_RECORD and far
under the 1 MiB record limit, so a hot shard (1 MiB/s) still takes 20 records a second and one bad record sends few
events to errors/."""

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

# One encoder for the whole process: json.dumps with non-default options builds a new encoder per call.
# Output is byte-for-byte json.dumps(ev, separators=(",", ":"), ensure_ascii=False); NaN/Infinity raise
# instead of producing text that is not JSON.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)

# Fast path of encode_records (the hot path of the streaming benchmark): one %-format over the values in
# schema order gives the bytes _ENCODER gives for the same event in schema key order, provided no string
# needs a JSON escape and every other value is a finite int or float. Anything else takes _ENCODER.
_COLUMN_COUNT = len(STREAMING_EVENTS.columns)
_values_of = operator.itemgetter(*STREAMING_EVENTS.column_names)
_STRING_COLUMNS = tuple(i for i, c in enumerate(STREAMING_EVENTS.columns) if c.type == "string")
_NUMBER_COLUMNS = tuple(i for i, c in enumerate(STREAMING_EVENTS.columns) if c.type != "string")
_NUMBER_TYPES = frozenset({int, float})
_KEY_COLUMN = STREAMING_EVENTS.column_names.index("session_id")
_LINE = line_template(STREAMING_EVENTS, quoted=[c.name for c in STREAMING_EVENTS.columns if c.type == "string"])
_DOUBLE_COLUMNS = tuple(c.name for c in STREAMING_EVENTS.columns if c.type == "double")


class PayloadError(ValueError):
    """The invocation payload or one of its events is malformed; nothing was written."""


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


def parse_payload(payload: Any) -> list[dict]:
    """Return the payload's events after validating every one of them; raise PayloadError on the first flaw."""
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(f"payload is not UTF-8: {exc}") from exc
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # also: nesting too deep, an integer over Python's digit limit
            raise PayloadError(f"payload is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError(f'payload must be a JSON object {{"events": [...]}}, got {type(payload).__name__}')
    if "events" not in payload:
        raise PayloadError(f'payload has no "events" key; keys present: {sorted(payload)}')
    events = payload["events"]
    if not isinstance(events, list):
        raise PayloadError(f"events must be a list of {STREAMING_EVENTS.name} records, got {type(events).__name__}")
    if not events:
        raise PayloadError("events must hold at least one record, got an empty list")
    for i, ev in enumerate(events):
        try:
            validate_record(STREAMING_EVENTS, ev)
        except SchemaError as exc:
            raise PayloadError(f"events[{i}]: {exc}") from exc
        ts = ev[layout.TIMESTAMP_FIELD]
        if not layout.is_timestamp(ts):
            raise PayloadError(
                f"events[{i}].{layout.TIMESTAMP_FIELD} must be a real moment in ISO 8601 UTC with milliseconds "
                f"like 2026-01-31T23:59:59.999Z, got {ts!r}"
            )
        for name in _DOUBLE_COLUMNS:
            value = ev[name]
            if isinstance(value, float) and not math.isfinite(value):
                raise PayloadError(f"events[{i}].{name} must be a finite double, got {value}")
    return events


def encode_records(events: Sequence[dict]) -> list[dict]:
    """Turn events into PutRecords entries: one UTF-8, newline-terminated JSON object per record."""
    # Partition key = session_id. Kinesis maps the MD5 of the key onto a shard, so the many concurrent
    # sessions spread evenly over the shards, while all events of one session land on one shard in the
    # order sent. That order is best effort only: PutRecords may write entries of one call out of order,
    # and a retried entry lands after entries sent after it, so consumers order by event_timestamp.
    # An event without a session falls back to its event_id, then to a random key (spread, no order).
    fast = _fast_batch(events)
    if fast is not None:
        return fast
    out = []
    for i, ev in enumerate(events):
        data = _fast_line(ev)
        if data is None:
            try:
                data = (_ENCODER.encode(_schema_ordered(ev)) + "\n").encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise PayloadError(f"events[{i}] cannot be encoded as JSON: {exc}") from exc
        key = ev.get("session_id") or ev.get("event_id") or uuid.uuid4().hex
        if len(key) > MAX_PARTITION_KEY_CHARS:
            raise PayloadError(
                f"events[{i}] partition key (session_id) has {len(key)} characters, "
                f"more than the {MAX_PARTITION_KEY_CHARS} Kinesis allows"
            )
        if len(data) + 4 * len(key) > MAX_BYTES_PER_RECORD:  # a character is at most 4 UTF-8 bytes: may be over
            _check_record_size(i, data, key)
        out.append({"Data": data, "PartitionKey": key})
    return out


def _fast_batch(events: Sequence[dict]) -> list[dict] | None:
    """encode_records of a batch whose every event can take the fast path, checked column by column; else None.

    The same conditions as _fast_line, tested once over each column of the whole batch rather than per event,
    plus a non-empty partition key within the limits; any miss sends the batch through the per-event path.
    """
    try:
        if not events or set(map(len, events)) != {_COLUMN_COUNT}:
            return None
        rows = list(map(_values_of, events))
        columns = list(zip(*rows, strict=True))
        text = "".join(chain.from_iterable(columns[i] for i in _STRING_COLUMNS))
    except (KeyError, TypeError):  # not a dict, a missing column, or a string column holding something else
        return None
    if '"' in text or "\\" in text or not text.isprintable():
        return None
    for i in _NUMBER_COLUMNS:
        if not _NUMBER_TYPES.issuperset(map(type, columns[i])) or not _finite(columns[i]):
            return None
    keys = columns[_KEY_COLUMN]
    if not all(keys) or max(map(len, keys)) > MAX_PARTITION_KEY_CHARS:
        return None
    datas = [(_LINE % row).encode("utf-8") for row in rows]
    if max(map(len, datas)) + max(map(len, keys)) * 4 > MAX_BYTES_PER_RECORD:  # 4: most UTF-8 bytes per character
        return None
    return [{"Data": data, "PartitionKey": key} for data, key in zip(datas, keys, strict=True)]


def _fast_line(ev: dict) -> bytes | None:
    """Record bytes of one plain event by the batch fast path's rules; None if it needs the full encoder."""
    fast = _fast_batch([ev])
    return None if fast is None else fast[0]["Data"]


def _schema_ordered(ev: Any) -> Any:
    """An event with its schema columns first, in schema order, then any other keys: the order the fast paths write."""
    if not isinstance(ev, dict):
        return ev
    return {**{name: ev[name] for name in STREAMING_EVENTS.column_names if name in ev}, **ev}


def _finite(numbers: Sequence[int | float]) -> bool:
    """Whether ints and floats are all finite and their sum fits a double."""
    try:
        return math.isfinite(sum(numbers))
    except OverflowError:  # an int too large for a double
        return False


def _check_record_size(index: int, data: bytes, key: str) -> None:
    """Raise PayloadError if a record's data plus UTF-8 partition key exceed one Kinesis record."""
    size = len(data) + len(key.encode("utf-8"))
    if size > MAX_BYTES_PER_RECORD:
        raise PayloadError(
            f"record {index} is {size} bytes (data plus partition key), "
            f"over the Kinesis limit of {MAX_BYTES_PER_RECORD} bytes per record"
        )


def record_size(record: dict) -> int:
    """Bytes one PutRecords entry counts against the request limit: data blob plus UTF-8 partition key."""
    key = record["PartitionKey"]
    return len(record["Data"]) + (len(key) if key.isascii() else len(key.encode("utf-8")))


def aggregate_records(
    records: Sequence[dict],
    *,
    target_bytes: int = AGGREGATE_TARGET_BYTES,
    max_events: int = MAX_EVENTS_PER_RECORD,
) -> list[dict]:
    """Pack one-event entries (encode_records) into JSONL records of whole events, each session under one key.

    Firehose bills every record rounded up to 5 KB and Kinesis on-demand to 1 KB, so a ~700-byte event alone is
    billed about seven times over; packed to `target_bytes` (data plus key), records waste at most the tail of
    their last unit. Rules:
    - an event is never split, and a record holds at most `max_events` (Firehose's de-aggregation cap);
    - all events of one session (one partition key in `records`) go, in order, into one record or, when they do
      not fit in one, into consecutive records that the session opens, so every record carrying a session's
      events has that session's key and they reach one shard in the order sent;
    - whole sessions that fit are packed first-fit into the records still open, keyed by their first session;
    - an event larger than `target_bytes` travels alone (the 1 MiB record limit is checked by batch_records).
    """
    if target_bytes < 1 or not 1 <= max_events <= MAX_EVENTS_PER_RECORD:
        raise ValueError(
            f"target_bytes must be ≥ 1 and max_events 1–{MAX_EVENTS_PER_RECORD}, got {target_bytes}, {max_events}"
        )
    sessions: dict[str, list[bytes]] = {}
    for rec in records:
        sessions.setdefault(rec["PartitionKey"], []).append(rec["Data"])
    packed: list[list] = []  # [key, [data, ...], bytes incl. key, events]
    open_records: list[list] = []  # the records with room left, in creation order
    for key, datas in sessions.items():
        key_bytes = len(key) if key.isascii() else len(key.encode("utf-8"))
        size = sum(map(len, datas))
        if len(datas) <= max_events and key_bytes + size <= target_bytes:
            for rec in open_records:
                if rec[2] + size <= target_bytes and rec[3] + len(datas) <= max_events:
                    rec[1].extend(datas)
                    rec[2] += size
                    rec[3] += len(datas)
                    break
            else:
                rec = [key, list(datas), key_bytes + size, len(datas)]
                packed.append(rec)
                open_records.append(rec)
        else:  # the session opens as many records as it fills, in order; the last one stays open to others
            rec = None
            for data in datas:
                if rec is None or rec[2] + len(data) > target_bytes or rec[3] == max_events:
                    rec = [key, [], key_bytes, 0]
                    packed.append(rec)
                rec[1].append(data)
                rec[2] += len(data)
                rec[3] += 1
            if rec is not None:
                open_records.append(rec)
        # A record too full to take even the smallest event seen no longer needs to be looked at.
        open_records = [r for r in open_records if r[2] < target_bytes and r[3] < max_events]
    return [{"Data": b"".join(datas), "PartitionKey": key} for key, datas, _, _ in packed]


def billed_bytes(sizes: Iterable[int], unit: int) -> int:
    """Bytes a service bills for records of these sizes when it rounds each up to a whole `unit`."""
    return sum(-(-size // unit) * unit for size in sizes)


def deliver_events(
    kinesis_client: Any,
    stream_name: str,
    events: Sequence[dict],
    *,
    time_left_ms: Callable[[], int],
    **put_options: Any,
) -> DeliveryReport:
    """Encode validated events, pack them into aggregated records and write them all (the handler's work).

    `put_options` go to put_all (sleep, rand, delays: for tests)."""
    records = aggregate_records(encode_records(events))  # raises PayloadError before anything is written
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
            _check_record_size(i, rec["Data"], rec["PartitionKey"])
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


def _log(line: dict) -> None:
    print(json.dumps(line, default=str))


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point: validate the batch, deliver it to STREAM_NAME and log one JSON summary line."""
    stream_name = os.environ.get("STREAM_NAME", "")
    if not stream_name:
        raise RuntimeError("environment variable STREAM_NAME must name the Kinesis stream")
    try:
        events = parse_payload(event)
        report = deliver_events(
            kinesis_client(), stream_name, events, time_left_ms=context.get_remaining_time_in_millis
        )
    except PayloadError as exc:
        # Raised before anything is written. Raising (rather than returning an error) fails the async invocation,
        # so Lambda's on-failure destination / dead-letter queue keeps the whole batch for inspection.
        _log({"level": "ERROR", "stream": stream_name, "error": str(exc), "error_type": "PayloadError"})
        raise
    except DeliveryError as exc:
        _log({"level": "ERROR", "stream": stream_name, **asdict(exc.report), "error": str(exc)})
        raise
    summary = {**asdict(report), "stream": stream_name}
    _log({"level": "INFO", **summary})
    return summary
