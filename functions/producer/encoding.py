"""Producer, encoding: validate a batch's events and turn each into one newline-terminated JSON line (a record).

Lambda code: standard library only.
"""

from __future__ import annotations

import json
import math
import operator
import uuid
from collections.abc import Sequence
from itertools import chain
from typing import Any

from functions.shared import layout
from functions.shared.records import line_template
from functions.shared.schema import STREAMING_EVENTS, SchemaError, validate_event, validate_record

MAX_BYTES_PER_RECORD = 1024 * 1024  # Kinesis: a record's data blob plus its partition key at most 1 MiB
MAX_PARTITION_KEY_CHARS = 256  # Kinesis PutRecordsRequestEntry.PartitionKey: 1 to 256 Unicode characters
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
            validate_event(ev)
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
            check_record_size(i, data, key)
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


def check_record_size(index: int, data: bytes, key: str) -> None:
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
