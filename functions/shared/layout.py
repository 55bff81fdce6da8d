"""Where data lives in the lake and how events are partitioned.

The Firehose delivery stream, the Athena partition projection, the backfill and the
local delivery stage all build their prefixes and partition values from this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping

from functions.shared.schema import DIMENSION_TABLES, STREAMING_EVENTS

TELEMETRY_PREFIX = STREAMING_EVENTS.prefix
ERRORS_PREFIX = "errors/"
ATHENA_RESULTS_PREFIX = "athena-results/"
DIMENSION_PREFIXES: Mapping[str, str] = {t.name: t.prefix for t in DIMENSION_TABLES}
LAKE_PREFIXES: tuple[str, ...] = (TELEMETRY_PREFIX, ERRORS_PREFIX, ATHENA_RESULTS_PREFIX, *DIMENSION_PREFIXES.values())

TABLE_FORMAT_PARQUET = "parquet"
"""Hive-style Parquet under year=/month=/day=/hour=/ (the default)."""
TABLE_FORMAT_ICEBERG = "iceberg"
"""An Apache Iceberg table partitioned by the hour of its timestamp field."""
TABLE_FORMATS = (TABLE_FORMAT_PARQUET, TABLE_FORMAT_ICEBERG)
ICEBERG_PARTITION_TRANSFORM = "hour"
"""The Iceberg partition transform applied to a streamed table's timestamp field (event time, as the Hive layout)."""

PARTITION_BY_EVENT_TIME = "event_time"
PARTITION_BY_ARRIVAL_TIME = "arrival_time"
PARTITION_MODES = (PARTITION_BY_EVENT_TIME, PARTITION_BY_ARRIVAL_TIME)

TIMESTAMP_FIELD: str = STREAMING_EVENTS.timestamp_field or ""
TIMESTAMP_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
"""The shape of ISO 8601 UTC with milliseconds and a `Z`, e.g. 2026-11-26T02:43:30.123Z (ASCII digits, nothing
after the Z); `is_timestamp` also checks that the date and time exist."""

PARTITION_SLICES: tuple[tuple[str, int, int], ...] = (("year", 0, 4), ("month", 5, 7), ("day", 8, 10), ("hour", 11, 13))
"""Each partition key and the [start, end) slice of `event_timestamp` it is taken from."""

ARRIVAL_TIME_FORMATS: Mapping[str, str] = {"year": "yyyy", "month": "MM", "day": "dd", "hour": "HH"}
"""Firehose `!{timestamp:...}` formats (Java DateTimeFormatter) of each partition key."""

TIME_PARTITION_KEYS: tuple[str, ...] = tuple(name for name, _, _ in PARTITION_SLICES)
"""The partition keys, in order, of a table streamed into the lake (strings, from its timestamp field)."""

assert STREAMING_EVENTS.partition_names == TIME_PARTITION_KEYS


def is_timestamp(text: object) -> bool:
    """Whether `text` is a real moment written as TIMESTAMP_PATTERN: month 01-12, a day the month has, hour 00-23.

    Only such values land in partitions that Athena's projection (months 1-12, days 1-31, hours 0-23) can see.
    """
    return (
        isinstance(text, str)
        and TIMESTAMP_PATTERN.match(text) is not None
        and text[14:16] < "60"
        and text[17:19] < "60"
        and _is_real_hour(text[:13])
    )


@functools.lru_cache(maxsize=4096)
def _is_real_hour(prefix: str) -> bool:
    """Whether 'YYYY-MM-DDTHH' names an hour of the calendar (cached: a batch spans few hours)."""
    try:
        dt.datetime.strptime(prefix, "%Y-%m-%dT%H")
    except ValueError:
        return False
    return True


def format_timestamp(moment: dt.datetime) -> str:
    """A moment as `TIMESTAMP_PATTERN` text: ISO 8601 UTC with milliseconds and a `Z`."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def partition_values(event_timestamp: str) -> dict[str, str]:
    """Partition values of one event, by the same slices the Firehose JQ query takes."""
    if not is_timestamp(event_timestamp):
        raise ValueError(
            f"{TIMESTAMP_FIELD} must be a real moment in ISO 8601 UTC like 2026-01-31T23:59:59.999Z, "
            f"got {event_timestamp!r}"
        )
    return {name: event_timestamp[start:end] for name, start, end in PARTITION_SLICES}


def partition_path(values: Mapping[str, str], prefix: str = TELEMETRY_PREFIX) -> str:
    """Hive-style key prefix of one partition, e.g. telemetry/year=2026/month=11/day=26/hour=02/."""
    return prefix + "".join(f"{name}={values[name]}/" for name, _, _ in PARTITION_SLICES)


def jq_metadata_query(timestamp_field: str = TIMESTAMP_FIELD) -> str:
    """Firehose MetadataExtractionQuery (JQ 1.6) that yields the partition keys of a record from its timestamp."""
    fields = ",".join(f"{name}:.{timestamp_field}[{start}:{end}]" for name, start, end in PARTITION_SLICES)
    return "{" + fields + "}"


def firehose_prefix(mode: str, prefix: str = TELEMETRY_PREFIX) -> str:
    """S3 prefix of delivered records under `prefix` for a partitioning mode."""
    if mode == PARTITION_BY_EVENT_TIME:
        parts = [f"{name}=!{{partitionKeyFromQuery:{name}}}" for name, _, _ in PARTITION_SLICES]
    elif mode == PARTITION_BY_ARRIVAL_TIME:
        parts = [f"{name}=!{{timestamp:{ARRIVAL_TIME_FORMATS[name]}}}" for name, _, _ in PARTITION_SLICES]
    else:
        raise ValueError(f"partitioning must be one of {PARTITION_MODES}, got {mode!r}")
    return prefix + "/".join(parts) + "/"


def firehose_error_prefix(errors_prefix: str = ERRORS_PREFIX) -> str:
    """Firehose ErrorOutputPrefix under `errors_prefix`, by error type and arrival day.

    Firehose requires `!{firehose:error-output-type}` in the error prefix when the prefix uses expressions.
    """
    dated = "/".join(f"{name}=!{{timestamp:{ARRIVAL_TIME_FORMATS[name]}}}" for name, _, _ in PARTITION_SLICES[:3])
    return errors_prefix + "!{firehose:error-output-type}/" + dated + "/"


FIREHOSE_ERROR_PREFIX = firehose_error_prefix()


def projection_template(bucket: str, prefix: str = TELEMETRY_PREFIX) -> str:
    """Athena `storage.location.template` that resolves to the same keys Firehose writes under `prefix`."""
    return f"s3://{bucket}/" + prefix + "".join(f"{name}=${{{name}}}/" for name, _, _ in PARTITION_SLICES)


PARQUET_EXTENSION = ".parquet"
"""File extension given to delivered Parquet objects (Firehose `FileExtension`)."""


def firehose_object_name(
    stream_name: str, version: int, written_at: str, suffix: str, extension: str = PARQUET_EXTENSION
) -> str:
    """Object name in Firehose's family: <stream>-<version>-<YYYY-MM-dd-HH-mm-ss>-<random><extension>.

    `written_at` is an ISO 8601 UTC timestamp; `suffix` stands in for Firehose's random string.
    """
    stamp = written_at[:19].replace("T", "-").replace(":", "-")
    return f"{stream_name}-{version}-{stamp}-{suffix}{extension}"


def error_path(error_type: str, written_at: str) -> str:
    """Key prefix `FIREHOSE_ERROR_PREFIX` resolves to for an error type at an ISO 8601 UTC time."""
    values = partition_values(written_at)
    dated = "".join(f"{name}={values[name]}/" for name, _, _ in PARTITION_SLICES[:3])
    return f"{ERRORS_PREFIX}{error_type}/{dated}"
