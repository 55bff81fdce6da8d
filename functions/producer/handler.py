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
import os
from dataclasses import asdict
from typing import Any

from functions.producer.delivery import DeliveryError, deliver_events, kinesis_client
from functions.producer.encoding import PayloadError, parse_payload

__all__ = ["DeliveryError", "PayloadError", "deliver_events", "handler", "kinesis_client", "parse_payload"]


def _log(line: dict) -> None:
    print(json.dumps(line, default=str))


AGGREGATE_ENV = "AGGREGATE_RECORDS"
"""Set to "false" to send one event per record (Firehose's Iceberg destination takes one JSON object per record)."""
PARTITION_COLUMNS_ENV = "PARTITION_COLUMNS"
"""Set to "true" to add each event's year, month, day and hour fields (the Iceberg table's columns of those names)."""


def switch(name: str, value: str | None, default: bool) -> bool:
    """A true/false environment variable; unset gives `default`, anything else is an error naming the variable."""
    if value is None:
        return default
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RuntimeError(f"environment variable {name} must be true or false, got {value!r}")


def aggregation_enabled(value: str | None) -> bool:
    """AGGREGATE_RECORDS: unset or "true" packs events into JSON Lines records, "false" sends one event each."""
    return switch(AGGREGATE_ENV, value, True)


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point: validate the batch, deliver it to STREAM_NAME and log one JSON summary line."""
    stream_name = os.environ.get("STREAM_NAME", "")
    if not stream_name:
        raise RuntimeError("environment variable STREAM_NAME must name the Kinesis stream")
    aggregate = aggregation_enabled(os.environ.get(AGGREGATE_ENV))
    partition_columns = switch(PARTITION_COLUMNS_ENV, os.environ.get(PARTITION_COLUMNS_ENV), False)
    try:
        events = parse_payload(event)
        report = deliver_events(
            kinesis_client(),
            stream_name,
            events,
            time_left_ms=context.get_remaining_time_in_millis,
            aggregate=aggregate,
            partition_columns=partition_columns,
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
