"""TelemetryCatalog: the Glue database and tables, the Athena workgroup and queries, and the dimension data."""

import base64
import functools
from collections.abc import Callable, Mapping
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from functions.shared import layout, queries, schema

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
ATHENA_ENGINE_V3 = "Athena engine version 3"
BYTES_PER_MB = 1024 * 1024  # Athena counts the 10 MB cutoff minimum as 10,485,760 bytes
DEFAULT_WORKGROUP_NAME = "acme-telemetry"
DEFAULT_CUTOFF_MB = 10240
DEFAULT_PROJECTION_YEARS = (2025, 2035)


PROJECTION_YEAR_FORMAT = "yyyy"  # Athena date projection: a Java DateTimeFormatter pattern of the partition value
PROJECTION_RANGE_END = "NOW"  # Athena date projection: the moment of the query, so no future partition is projected


def table_parameters(table: schema.Table, bucket: str, year_start: int, year_end: int) -> dict[str, str]:
    """Glue table parameters; a partitioned table gets Athena partition projection matching the Firehose prefix.

    The year is a date-typed projection ending at NOW ("because you do not have data for dates in the future, you
    can use the special token NOW as the end" and "configure a range that matches your data as closely as possible
    so that Athena looks only for existing partitions":
    https://docs.aws.amazon.com/athena/latest/ug/partition-projection-kinesis-firehose-example-using-the-date-type.html).
    An integer range to `year_end` made Athena plan every hour up to that year (2025-2035: about 98,000 partitions
    for a query without a partition filter); ending at NOW plans only the years that have begun (the named queries
    bound the rest with partition filters: functions/shared/queries.py). The layout keeps its four
    string columns (a date type cannot span year/month/day/hour split over columns, per the Athena page on choosing
    partition keys), so month, day and hour stay integer ranges. `year_end` is no longer part of the projection:
    data written with a later timestamp is not a real event (the producer and the generator stamp events at or
    before the moment they run), and the argument stays so callers need not change.
    """
    params = {"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"}
    if table.partition_keys:
        params["projection.enabled"] = "true"
        ranges = {"month": ("1,12", "2"), "day": ("1,31", "2"), "hour": ("0,23", "2")}
        for key in table.partition_names:
            if key == "year":
                params["projection.year.type"] = "date"
                params["projection.year.format"] = PROJECTION_YEAR_FORMAT
                params["projection.year.range"] = f"{year_start},{PROJECTION_RANGE_END}"
                params["projection.year.interval"] = "1"
                params["projection.year.interval.unit"] = "YEARS"
                continue
            value_range, digits = ranges[key]
            params[f"projection.{key}.type"] = "integer"
            params[f"projection.{key}.range"] = value_range
            params[f"projection.{key}.digits"] = digits
        params["storage.location.template"] = layout.projection_template(bucket)
    return params


def glue_columns(columns: tuple[schema.Column, ...]) -> list[dict[str, str]]:
    """Glue column list straight from the schema definition, order kept."""
    out = []
    for col in columns:
        entry = {"name": col.name, "type": col.type}
        if col.comment:
            entry["comment"] = col.comment
        out.append(entry)
    return out


def dimension_key(table: schema.Table) -> str:
    """Object key of a dimension table's single Parquet file."""
    return f"{table.prefix}{table.name}{layout.PARQUET_EXTENSION}"


@functools.lru_cache(maxsize=8)
def dimension_objects(seed: int, customers: int, titles: int, campaigns: int) -> Mapping[str, str]:
    """Base64 of each dimension table's SNAPPY Parquet bytes, from the project's seeded generator."""
    from functions.shared.dimensions import generate_dimensions
    from lakewriter.parquet import dimension_parquet

    blobs = dimension_parquet(generate_dimensions(seed, customers, titles, campaigns))
    return {name: base64.b64encode(data).decode("ascii") for name, data in blobs.items()}


def _default_seed() -> int:
    from functions.shared.dimensions import DEFAULT_DIMENSION_SEED

    return DEFAULT_DIMENSION_SEED


class TelemetryCatalogArgs(TypedDict):
    """Inputs of a TelemetryCatalog."""

    bucket_name: pulumi.Input[str]
    """Lake bucket the tables point at and Athena writes results to."""
    database_name: NotRequired[pulumi.Input[str]]
    """Glue database name (acme_telemetry when omitted)."""
    workgroup_name: NotRequired[pulumi.Input[str]]
    """Athena workgroup name."""
    bytes_scanned_cutoff_mb: NotRequired[pulumi.Input[int]]
    """Athena cancels a query of this workgroup after scanning this many MB (at least 10)."""
    projection_year_start: NotRequired[pulumi.Input[int]]
    """First year Athena's partition projection enumerates."""
    projection_year_end: NotRequired[pulumi.Input[int]]
    """Last year Athena's partition projection enumerates."""
    dimension_seed: NotRequired[pulumi.Input[int]]
    """Seed of the dimension generator; the same seed gives byte-identical Parquet."""
    customer_count: NotRequired[pulumi.Input[int]]
    """Rows of the customers table."""
    title_count: NotRequired[pulumi.Input[int]]
    """Rows of the titles table."""
    campaign_count: NotRequired[pulumi.Input[int]]
    """Rows of the campaigns table."""
    upload_dimensions: NotRequired[pulumi.Input[bool]]
    """Upload the generated dimension Parquet files (true when omitted)."""


class TelemetryCatalog(pulumi.ComponentResource):
    """Glue catalog of the four lake tables with partition projection, an Athena workgroup and named queries."""

    database_name: pulumi.Output[str]
    """Glue database holding the tables."""
    table_names: pulumi.Output[list[str]]
    """Names of the four Glue tables."""
    events_table_name: pulumi.Output[str]
    """The partitioned streaming_events table Firehose converts against."""
    events_table_arn: pulumi.Output[str]
    """ARN of the streaming_events table."""
    workgroup_name: pulumi.Output[str]
    """Athena workgroup with enforced settings."""
    named_query_names: pulumi.Output[list[str]]
    """Names of the saved queries in the workgroup."""

    def __init__(self, name: str, args: TelemetryCatalogArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme-telemetry:index:TelemetryCatalog", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = pulumi.Output.from_input(args["bucket_name"])
        years = pulumi.Output.all(
            args.get("projection_year_start", DEFAULT_PROJECTION_YEARS[0]),
            args.get("projection_year_end", DEFAULT_PROJECTION_YEARS[1]),
        )

        database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.get("database_name", schema.DATABASE_NAME),
            description=schema.DATABASE_DESCRIPTION,
            opts=child,
        )
        tables: dict[str, aws.glue.CatalogTable] = {}
        for table in schema.TABLES:
            params = pulumi.Output.all(bucket, years).apply(
                lambda v, t=table: table_parameters(t, v[0], v[1][0], v[1][1])
            )
            tables[table.name] = aws.glue.CatalogTable(
                f"{name}-{table.name.replace('_', '-')}",
                name=table.name,
                database_name=database.name,
                description=table.description,
                table_type="EXTERNAL_TABLE",
                parameters=params,
                partition_keys=glue_columns(table.partition_keys) or None,
                storage_descriptor={
                    "location": pulumi.Output.format("s3://{0}/{1}", bucket, table.prefix),
                    "input_format": PARQUET_INPUT_FORMAT,
                    "output_format": PARQUET_OUTPUT_FORMAT,
                    "ser_de_info": {
                        "name": "ParquetHiveSerDe",
                        "serialization_library": PARQUET_SERDE,
                        "parameters": {"serialization.format": "1"},
                    },
                    "columns": glue_columns(table.columns),
                },
                opts=child,
            )

        workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.get("workgroup_name", DEFAULT_WORKGROUP_NAME),
            description="ACME telemetry queries; results encrypted in the lake bucket",
            state="ENABLED",
            # Results accumulate in the workgroup; without this `pulumi destroy` fails on a used workgroup.
            force_destroy=True,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": pulumi.Output.from_input(
                    args.get("bytes_scanned_cutoff_mb", DEFAULT_CUTOFF_MB)
                ).apply(lambda mb: mb * BYTES_PER_MB),
                "engine_version": {"selected_engine_version": ATHENA_ENGINE_V3},
                "result_configuration": {
                    "output_location": pulumi.Output.format("s3://{0}/{1}", bucket, layout.ATHENA_RESULTS_PREFIX),
                    "encryption_configuration": {"encryption_option": "SSE_S3"},
                },
            },
            opts=child,
        )
        for query in queries.NAMED_QUERIES:
            aws.athena.NamedQuery(
                f"{name}-query-{query.name.replace('_', '-')}",
                name=query.name,
                description=query.description,
                database=database.name,
                workgroup=workgroup.name,
                query=database.name.apply(query.sql),
                opts=child,
            )

        if args.get("upload_dimensions", True) is not False:
            encoded = pulumi.Output.all(
                _or(args.get("dimension_seed"), _default_seed),
                args.get("customer_count", schema.CUSTOMERS.default_rows),
                args.get("title_count", schema.TITLES.default_rows),
                args.get("campaign_count", schema.CAMPAIGNS.default_rows),
            ).apply(lambda v: dimension_objects(v[0], v[1], v[2], v[3]))
            for table in schema.DIMENSION_TABLES:
                aws.s3.BucketObjectv2(
                    f"{name}-{table.name}-data",
                    bucket=bucket,
                    key=dimension_key(table),
                    content_base64=encoded.apply(lambda d, n=table.name: d[n]),
                    content_type=PARQUET_CONTENT_TYPE,
                    opts=child,
                )

        events = tables[schema.STREAMING_EVENTS.name]
        self.database_name = database.name
        self.table_names = pulumi.Output.all(*(t.name for t in tables.values())).apply(list)
        self.events_table_name = events.name
        self.events_table_arn = events.arn
        self.workgroup_name = workgroup.name
        self.named_query_names = pulumi.Output.from_input([q.name for q in queries.NAMED_QUERIES])
        self.register_outputs(
            {
                "database_name": self.database_name,
                "table_names": self.table_names,
                "events_table_name": self.events_table_name,
                "events_table_arn": self.events_table_arn,
                "workgroup_name": self.workgroup_name,
                "named_query_names": self.named_query_names,
            }
        )


def _or(value: pulumi.Input[int] | None, default: Callable[[], int]) -> pulumi.Input[int]:
    """`value`, or the lazily computed default when it is None."""
    return default() if value is None else value
