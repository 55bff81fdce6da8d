"""The project's one schema type (`Table`, `Column`) and the five catalog tables defined with it.

The Glue tables, the Firehose conversion, the Parquet writers, the producer's validation and the local SQL all
read these objects; no other module spells out a column list. Other projects describe their own tables with the
same types and hand them to the components (`TelemetryCatalog(tables=...)`, `StreamingIngest(table=...)`).

No `from __future__ import annotations` here: the component provider reads these annotations as real types.
"""

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from functions.shared import domains

DATABASE_DESCRIPTION = "ACME video streaming telemetry data"

GLUE_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "int": (int,),
    "bigint": (int,),
    "double": (float, int),
    "boolean": (bool,),
}
"""Glue/Hive type -> the Python types a JSON value of that column may have."""

INT_RANGE = (-(2**31), 2**31 - 1)
"""Hive `int` is a signed 32-bit integer."""

BIGINT_RANGE = (-(2**63), 2**63 - 1)

GLUE_MAX_NAME = 255  # Glue: table and column names are 1–255 characters
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
"""Athena: table and column names are lowercase letters, digits and underscores (Glue lowercases anything else,
and Athena needs other names quoted); a leading letter keeps them usable unquoted."""
PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*/$")
"""A table's key prefix in the lake: one folder of safe characters ending in '/'."""


class SchemaError(ValueError):
    """A record, or a table definition, does not match the schema rules."""


@dataclass(frozen=True)
class Column:
    """One catalog column."""

    name: str
    """Column name: lowercase letters, digits and underscores, starting with a letter."""
    type: str
    """Glue type: string, int, bigint, double or boolean."""
    comment: str | None = None
    """Description shown in the Glue catalog."""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name) or len(self.name) > GLUE_MAX_NAME:
            raise SchemaError(
                f"column name must be lowercase letters, digits and underscores starting with a letter, at most "
                f"{GLUE_MAX_NAME} characters (Athena), got {self.name!r}"
            )
        if self.type not in GLUE_TYPES:
            raise SchemaError(f"column {self.name}: type must be one of {sorted(GLUE_TYPES)}, got {self.type!r}")


@dataclass(frozen=True)
class Table:
    """One catalog table: its columns in catalog order, where it lives in the lake and how it is partitioned."""

    name: str
    """Glue table name: lowercase letters, digits and underscores, starting with a letter."""
    description: str
    """Glue table description."""
    prefix: str
    """Key prefix of its data in the lake bucket, e.g. `telemetry/` (one folder, trailing slash)."""
    columns: Sequence[Column]
    """Data columns, in catalog order."""
    partition_keys: Sequence[Column] | None = ()
    """Partition columns, in key order; a streamed table uses year, month, day, hour (strings)."""
    timestamp_field: str | None = None
    """The string column holding each row's event time (ISO 8601 UTC); streaming partitions by it."""
    projection: Mapping[str, str] | None = None
    """Athena partition projection parameters for partition keys other than year/month/day/hour."""
    default_rows: int | None = None
    """Rows the project generates for a dimension table unless config says otherwise."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "columns", tuple(_column(c) for c in self.columns))
        set_(self, "partition_keys", tuple(_column(c) for c in self.partition_keys or ()))
        if self.projection is not None:
            set_(self, "projection", dict(self.projection))
        if not NAME_PATTERN.match(self.name) or len(self.name) > GLUE_MAX_NAME:
            raise SchemaError(
                f"table name must be lowercase letters, digits and underscores starting with a letter, at most "
                f"{GLUE_MAX_NAME} characters (Athena), got {self.name!r}"
            )
        if not PREFIX_PATTERN.match(self.prefix):
            raise SchemaError(
                f"table {self.name}: prefix must be one folder of lowercase letters, digits, '_', '.', '-' ending "
                f"in '/', got {self.prefix!r}"
            )
        if not self.columns:
            raise SchemaError(f"table {self.name}: columns must not be empty")
        names = [c.name for c in self.columns + self.partition_keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SchemaError(f"table {self.name}: column names must be unique, got {duplicates} more than once")
        if self.timestamp_field is not None:
            col = next((c for c in self.columns if c.name == self.timestamp_field), None)
            if col is None or col.type != "string":
                raise SchemaError(
                    f"table {self.name}: timestamp_field must name one of its string columns, got "
                    f"{self.timestamp_field!r}"
                )

    @classmethod
    def of(cls, value: "Table | Mapping[str, Any]") -> "Table":
        """A Table from itself or its mapping form (as the component provider passes nested inputs)."""
        if isinstance(value, Table):
            return value
        if not isinstance(value, Mapping):
            raise SchemaError(f"a table definition must be a Table or a mapping, got {type(value).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise SchemaError(f"table definition has unknown field(s) {unknown}; allowed: {sorted(known)}")
        try:
            return cls(**dict(value))
        except TypeError as exc:
            raise SchemaError(f"table definition {dict(value).get('name')!r}: {exc}") from None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def partition_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.partition_keys or ())

    def column(self, name: str) -> Column:
        for col in self.columns + self.partition_keys:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")


def _column(value: "Column | Mapping[str, Any]") -> Column:
    if isinstance(value, Column):
        return value
    if isinstance(value, Mapping):
        return Column(**dict(value))
    raise SchemaError(f"a column must be a Column or a mapping, got {type(value).__name__}")


def _columns(spec: str) -> tuple[Column, ...]:
    """Parse 'name[:type], ...' (type defaults to string) into columns, keeping order."""
    cols = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, typ = item.partition(":")
        cols.append(Column(name.strip(), (typ or "string").strip()))
    names = [c.name for c in cols]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate column in {names}")
    return tuple(cols)


STREAMING_EVENTS = Table(
    name="streaming_events",
    description="Playback telemetry, one row per player event, partitioned by event time",
    prefix="telemetry/",
    columns=_columns(
        """event_id, event_type, event_timestamp, customer_id, title_id, session_id, device_id,
        title_type, device_type, device_os, app_version, quality, bandwidth_mbps:double,
        buffering_events:int, buffering_duration_seconds:double, error_count:int,
        watch_duration_seconds:int, position_seconds:int, completion_percentage:double,
        ip_address, isp, connection_type, country, state, city, startup_time_ms:int, bitrate_kbps:int,
        error_code, campaign_id, ad_position, ad_duration_seconds:int"""
    ),
    partition_keys=_columns("year, month, day, hour"),
    timestamp_field="event_timestamp",
)

CUSTOMERS = Table(
    name="customers",
    description="Customer profiles",
    prefix="customers/",
    columns=_columns(
        """customer_id, email, first_name, last_name, date_of_birth, age_group, subscription_tier,
        subscription_start_date, subscription_end_date, country, state, city, timezone,
        payment_method, monthly_revenue:double, lifetime_value:double, is_active:boolean,
        acquisition_channel, preferred_genres, created_at, updated_at"""
    ),
    default_rows=1000,
)

TITLES = Table(
    name="titles",
    description="Video catalog",
    prefix="titles/",
    columns=_columns(
        """title_id, title_name, title_type, genre, sub_genre, content_rating, release_date,
        duration_minutes:int, season_number:double, episode_number:double, series_id,
        production_country, original_language, available_languages, director, cast,
        production_studio, popularity_score:double, critical_rating:double,
        viewer_rating:double, budget_millions:double, revenue_millions:double,
        awards_count:int, is_original:boolean, licensing_cost:double, created_at, updated_at"""
    ),
    default_rows=500,
)

CAMPAIGNS = Table(
    name="campaigns",
    description="Advertising campaigns",
    prefix="campaigns/",
    columns=_columns(
        """campaign_id, campaign_name, advertiser_id, advertiser_name, industry, campaign_type,
        objective, start_date, end_date, status, daily_budget:double, total_budget:double,
        spent_amount:double, target_age_groups, target_genders, target_countries,
        target_genres, target_subscription_tiers, ad_format, ad_duration_seconds:int,
        placement_type, creative_url, landing_page_url, impressions:bigint,
        unique_viewers:bigint, clicks:bigint, conversions:bigint,
        view_through_rate:double, click_through_rate:double, conversion_rate:double,
        cost_per_mille:double, cost_per_click:double, cost_per_conversion:double,
        created_at, updated_at"""
    ),
    default_rows=1500,
)

INCIDENTS = Table(
    name="incidents",
    description="Seeded incidents that shaped the telemetry: window, scope, severity and effect factors (answer key)",
    prefix="incidents/",
    columns=(
        Column("incident_id", "string"),
        Column("incident_type", "string", "isp_outage, cdn_degradation, app_crash or live_surge"),
        Column("start_time", "string", "First affected attempt time, ISO 8601 UTC (inclusive)"),
        Column("end_time", "string", "End of the window, ISO 8601 UTC (exclusive)"),
        Column("severity", "string", "minor, major or critical"),
        Column("country", "string", "Scope: viewers' country (null: any)"),
        Column("state", "string", "Scope: viewers' state or region (null: any)"),
        Column("isp", "string", "Scope: viewers' ISP or carrier (null: any)"),
        Column("device_os", "string", "Scope: device OS (null: any)"),
        Column("app_version", "string", "Scope: app version (null: any)"),
        Column("startup_permille", "int", "Start-up time x this / 1000 in scope"),
        Column("start_fail_permille", "int", "Start failure probability x this / 1000 in scope"),
        Column("stall_permille", "int", "Stall rate x this / 1000 in scope"),
        Column("error_permille", "int", "Fatal error rate x this / 1000 in scope"),
        Column("volume_permille", "int", "Session starts x this / 1000 in scope"),
        Column("bitrate_permille", "int", "Rendition bitrate capped at this / 1000 of the viewer's usual top in scope"),
        Column("description", "string"),
    ),
)

TABLES: tuple[Table, ...] = (STREAMING_EVENTS, CUSTOMERS, TITLES, CAMPAIGNS, INCIDENTS)
DIMENSION_TABLES: tuple[Table, ...] = (CUSTOMERS, TITLES, CAMPAIGNS, INCIDENTS)
TABLES_BY_NAME: Mapping[str, Table] = {t.name: t for t in TABLES}


class _AcceptedShapes:
    """Fast path of validate_record: the exact value types of records the full check has accepted.

    A record whose columns are all present, with no other key, and whose values have exactly the types
    of an accepted record passes every type rule the full check applies (those depend on the type alone);
    only the integer ranges depend on the value, so they are checked here for every record. Shapes with a
    null integer are not remembered, which keeps that range check to one min and one max per type, nor
    shapes with an integer in a double column, whose range the full check tests.
    """

    MAX_SHAPES = 1024
    """Enough for any mix of nulls a real feed has; past it, new shapes just take the full check."""

    def __init__(self, table: Table) -> None:
        self.width = len(table.columns)
        self.values_of = operator.itemgetter(*table.column_names)
        self.ranged = [
            (operator.itemgetter(*indexes), low, high)
            for kind, (low, high) in (("int", INT_RANGE), ("bigint", BIGINT_RANGE))
            if (indexes := [i for i, c in enumerate(table.columns) if c.type == kind])
        ]
        self.doubles = [i for i, c in enumerate(table.columns) if c.type == "double"]
        self.shapes: set[tuple[type, ...]] = set()

    def values(self, record: Any) -> tuple | None:
        """The record's values in column order if it has exactly the table's keys, else None."""
        if type(record) is not dict or len(record) != self.width:
            return None
        try:
            values = self.values_of(record)
        except KeyError:
            return None
        return values if self.width > 1 else (values,)

    def in_range(self, values: tuple) -> bool:
        for pick, low, high in self.ranged:
            picked = _as_tuple(pick(values))
            if min(picked) < low or max(picked) > high:
                return False
        return True

    def remember(self, values: tuple) -> None:
        """Remember the shape of accepted `values` unless it holds a null integer or an integral double."""
        shape = tuple(map(type, values))
        if (
            len(self.shapes) < self.MAX_SHAPES
            and all(type(v) is int for pick, _, _ in self.ranged for v in _as_tuple(pick(values)))
            and all(shape[i] in _FLOAT_OR_NULL for i in self.doubles)
        ):
            self.shapes.add(shape)


_FLOAT_OR_NULL = frozenset({float, type(None)})
"""Double values a remembered shape may hold: an integer there has a range to check, so it takes the full check."""


def _as_tuple(picked: Any) -> tuple:
    return picked if type(picked) is tuple else (picked,)


_accepted: dict[int, tuple[Table, _AcceptedShapes]] = {}


def _shapes_of(table: Table) -> _AcceptedShapes:
    hit = _accepted.get(id(table))
    if hit is None or hit[0] is not table:
        hit = _accepted[id(table)] = (table, _AcceptedShapes(table))
    return hit[1]


def validate_record(table: Table, record: Any) -> None:
    """Raise SchemaError naming the first field of `record` that breaks `table`'s schema.

    Every column must be present with a value of the column's type or null; no other key
    is allowed (Firehose's JSON-to-Parquet conversion would drop it silently).
    """
    shapes = _shapes_of(table)
    values = shapes.values(record)
    if values is not None and tuple(map(type, values)) in shapes.shapes and shapes.in_range(values):
        return
    _check_record(table, record)
    if values is not None:
        shapes.remember(values)


def _exact_double(value: int) -> bool:
    """Whether an integer converts to a double and back unchanged (Parquet writers refuse to round it)."""
    try:
        return int(float(value)) == value
    except OverflowError:
        return False


def _check_record(table: Table, record: Any) -> None:
    """The full check behind validate_record."""
    if not isinstance(record, dict):
        raise SchemaError(f"{table.name} record must be a JSON object, got {type(record).__name__}")
    extra = record.keys() - set(table.column_names)
    if extra:
        raise SchemaError(
            f"{table.name} record has unknown field(s) {sorted(extra)}; allowed: {list(table.column_names)}"
        )
    for col in table.columns:
        if col.name not in record:
            raise SchemaError(f"{table.name} record is missing field {col.name!r}")
        value = record[col.name]
        if value is None:
            continue
        allowed = GLUE_TYPES[col.type]
        # bool is an int subclass in Python; only boolean columns take it.
        if isinstance(value, bool) and col.type != "boolean":
            raise SchemaError(f"field {col.name!r} must be {col.type}, got boolean")
        if not isinstance(value, allowed):
            raise SchemaError(f"field {col.name!r} must be {col.type}, got {type(value).__name__}")
        if col.type == "double" and type(value) is not float and not _exact_double(value):
            raise SchemaError(
                f"field {col.name!r} must be a double: an integer there must be one a double holds exactly "
                f"(any up to 2**53), got one of {value.bit_length()} bits"
            )
        if col.type == "int" and not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise SchemaError(f"field {col.name!r} must fit a 32-bit int ({INT_RANGE[0]}..{INT_RANGE[1]}), got {value}")
        if col.type == "bigint" and not BIGINT_RANGE[0] <= value <= BIGINT_RANGE[1]:
            raise SchemaError(f"field {col.name!r} must fit a 64-bit bigint, got {value}")


KNOWN_EVENT_TYPES = frozenset(domains.EVENT_TYPES) | frozenset(domains.AD_EVENT_TYPES)
_AD_EVENT_TYPES = frozenset(domains.AD_EVENT_TYPES)


def validate_event(record: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the field, value and rule when a streaming_events record breaks an event rule.

    Checked after `validate_record` (types): the event type is a known one; an ad event (domains.AD_EVENT_TYPES)
    carries every one of domains.AD_EVENT_FIELDS, with a break position of domains.AD_POSITIONS and a length that
    position's format allows (domains.AD_FORMATS); any other event carries none of them.
    """
    event_type = record.get("event_type")
    if event_type not in KNOWN_EVENT_TYPES:
        raise SchemaError(f"field 'event_type' must be one of {sorted(KNOWN_EVENT_TYPES)}, got {event_type!r}")
    if event_type in _AD_EVENT_TYPES:
        for name in domains.AD_EVENT_FIELDS:
            if record.get(name) is None:
                raise SchemaError(
                    f"field {name!r} must be set on an {event_type} event (an ad names its campaign, break position "
                    f"and length), got {record.get(name)!r}"
                )
        campaign_id, position, seconds = (record[name] for name in domains.AD_EVENT_FIELDS)
        if not isinstance(campaign_id, str) or not campaign_id.strip():
            raise SchemaError(f"field 'campaign_id' must be a non-empty campaign id, got {campaign_id!r}")
        if position not in domains.AD_POSITIONS:
            raise SchemaError(f"field 'ad_position' must be one of {list(domains.AD_POSITIONS)}, got {position!r}")
        if seconds not in domains.AD_FORMATS[position] or isinstance(seconds, bool):
            raise SchemaError(
                f"field 'ad_duration_seconds' must be one of {list(domains.AD_FORMATS[position])} for a {position} "
                f"ad, got {seconds!r}"
            )
        return
    for name in domains.AD_EVENT_FIELDS:
        value = record.get(name)
        if value is not None:
            raise SchemaError(
                f"field {name!r} must be null on a {event_type} event (only {' and '.join(domains.AD_EVENT_TYPES)} "
                f"carry ad fields), got {value!r}"
            )
