"""Where data lives in the lake and how events are partitioned.

The Firehose delivery stream, the Athena partition projection, the backfill and the
local delivery stage all build their prefixes and partition values from this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Mapping

from functions.shared.schema import DIMENSION_TABLES, STREAMING_EVENTS, Table

TELEMETRY_PREFIX = STREAMING_EVENTS.prefix
ERRORS_PREFIX = "errors/"
ATHENA_RESULTS_PREFIX = "athena-results/"
DIMENSION_PREFIXES: Mapping[str, str] = {t.name: t.prefix for t in DIMENSION_TABLES}
LAKE_PREFIXES: tuple[str, ...] = (TELEMETRY_PREFIX, ERRORS_PREFIX, ATHENA_RESULTS_PREFIX, *DIMENSION_PREFIXES.values())

PARTITION_BY_EVENT_TIME = "event_time"
PARTITION_BY_ARRIVAL_TIME = "arrival_time"
PARTITION_MODES = (PARTITION_BY_EVENT_TIME, PARTITION_BY_ARRIVAL_TIME)

TABLE_FORMAT_PARQUET = "parquet"
"""Parquet files in Hive partitions (year=/month=/day=/hour=), catalogued with Athena partition projection."""
TABLE_FORMAT_ICEBERG = "iceberg"
"""An Apache Iceberg table: Parquet data files plus Iceberg metadata, partitioned by Iceberg's own partition spec."""
TABLE_FORMATS = (TABLE_FORMAT_PARQUET, TABLE_FORMAT_ICEBERG)

BACKUP_PREFIX = "source-backup/"
"""Where Firehose copies every source record when source-record backup is on (raw JSON, before conversion)."""

ICEBERG_PREFIX_SUFFIX = "-iceberg/"
"""An Iceberg table lives beside its Parquet layout (telemetry/ -> telemetry-iceberg/), never inside it: the orphan
file optimizer deletes every file under an Iceberg table's location that its metadata does not reference, which
would include a Parquet lake's files if the two shared a prefix."""

ICEBERG_HOUR_WIDTH = len("YYYY-MM-DDTHH")
"""Characters of an ISO 8601 UTC timestamp (TIMESTAMP_PATTERN) that name its hour: 13."""
ICEBERG_PARTITION_TRANSFORM = f"truncate[{ICEBERG_HOUR_WIDTH}]"
"""Iceberg partition transform of the event-time column: its hour, as the text "2026-11-26T02".

Iceberg's hour()/day() transforms take timestamp columns only, and Firehose's Iceberg destination wants timestamps
"in microseconds"; the event-time column is ISO 8601 text (the same column the Parquet table has and the producer
validates), and the Iceberg spec's truncate[W] transform takes a string to its first W characters, so truncate[13]
is the event's UTC hour. ISO text sorts as time does, so Iceberg projects range filters on the column (>=, <, =)
onto this partition and engines prune by it. Athena reads it: its Iceberg partition transforms include
`truncate(L, col)`, "partitions by value truncated to L" (Athena user guide, querying-iceberg-creating-tables.html)."""
ICEBERG_PARTITION_FIELD_ID = 1000
"""Iceberg spec: partition field ids start at 1000 (schema field ids stay below)."""


def dynamic_partitioning(partition_by: str, table_format: str = TABLE_FORMAT_PARQUET) -> bool:
    """Whether Firehose partitions by event time with JQ: in event_time mode, for Parquet tables only (an Iceberg
    table is partitioned by its own spec)."""
    return partition_by == PARTITION_BY_EVENT_TIME and table_format != TABLE_FORMAT_ICEBERG


def iceberg_prefix(table_prefix: str) -> str:
    """The S3 prefix of the Iceberg table that holds a table whose Parquet layout is under `table_prefix`."""
    return table_prefix[:-1] + ICEBERG_PREFIX_SUFFIX


def partition_fields_json(event_timestamp: str) -> bytes:
    """The event's year, month, day and hour as JSON members (`,"year":"2026",...`) to append to its object: an
    Iceberg table keeps them as ordinary columns so queries written for the Hive layout run unchanged."""
    values = partition_values(event_timestamp)
    return "".join(f',"{name}":"{values[name]}"' for name in TIME_PARTITION_KEYS).encode("ascii")


def iceberg_partition_name(timestamp_field: str) -> str:
    """Name of the Iceberg partition field over `timestamp_field` (event_timestamp -> event_timestamp_hour)."""
    return f"{timestamp_field}_hour"


def iceberg_rows(table: Table = STREAMING_EVENTS) -> Table:
    """The rows the Iceberg table of `table` stores: its columns, then its partition keys as ordinary columns (in
    the order of components.iceberg.iceberg_columns), unpartitioned as a Hive table (Iceberg partitions it)."""
    return dataclasses.replace(table, columns=(*table.columns, *(table.partition_keys or ())), partition_keys=())


ICEBERG_DATA_DIR = "data/"
"""Folder of an Iceberg table's data files under its location (where Iceberg writers put them; metadata/ beside)."""


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


def iceberg_data_path(values: Mapping[str, str], prefix: str = TELEMETRY_PREFIX) -> str:
    """Key prefix of one hour's data files in the Iceberg table of the table under `prefix` (the local lake's
    writers put them there), e.g. telemetry-iceberg/data/event_timestamp_hour=2026-11-26T02/."""
    hour = "{year}-{month}-{day}T{hour}".format(**values)
    return f"{iceberg_prefix(prefix)}{ICEBERG_DATA_DIR}{iceberg_partition_name(TIMESTAMP_FIELD)}={hour}/"


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
