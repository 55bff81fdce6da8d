"""TelemetryCatalog: the Glue database and tables, the Athena workgroup and queries, and the dimension data."""

import base64
import functools
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import iceberg, naming, policies
from components import validation as v
from functions.shared import domains, households, layout, schema, world
from functions.shared.queries import NamedQuery
from functions.shared.schema import Table

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
ATHENA_ENGINE_V3 = "Athena engine version 3"
BYTES_PER_MB = 1024 * 1024  # Athena counts the 10 MB cutoff minimum as 10,485,760 bytes
QUERY_PLACEHOLDER = "database"
"""The one field of a named query's SQL template (NamedQuery.sql fills it with the quoted database name)."""
PROJECTION_YEAR_RANGE = (1970, 9999)  # the years a four-digit `year=` partition value can name


PROJECTION_YEAR_FORMAT = "yyyy"  # Athena date projection: a Java DateTimeFormatter pattern of the partition value
PROJECTION_RANGE_END = "NOW"  # Athena date projection: the moment of the query, so no future partition is projected


def table_parameters(table: Table, bucket: str, year_start: int) -> dict[str, str]:
    """Glue table parameters; a time-partitioned table gets Athena partition projection matching Firehose's prefix.

    A table with other partition keys gets the projection parameters its definition carries.

    The year is a date-typed projection ending at NOW ("because you do not have data for dates in the future, you
    can use the special token NOW as the end" and "configure a range that matches your data as closely as possible
    so that Athena looks only for existing partitions":
    https://docs.aws.amazon.com/athena/latest/ug/partition-projection-kinesis-firehose-example-using-the-date-type.html).
    An integer range to a fixed last year made Athena plan every hour up to that year (2025-2035: about 98,000
    partitions for a query without a partition filter); ending at NOW plans only the years that have begun (the
    named queries bound the rest with partition filters: functions/shared/queries.py). The layout keeps its four
    string columns (a date type cannot span year/month/day/hour split over columns, per the Athena page on choosing
    partition keys), so month, day and hour stay integer ranges.
    """
    params = {"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"}
    if table.projection is not None:
        params.update(table.projection)
    elif table.partition_names == layout.TIME_PARTITION_KEYS:
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
        params["storage.location.template"] = layout.projection_template(bucket, table.prefix)
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


CUSTOMER_PARTS_CACHE = ".dimension-cache"
"""Where the deploying machine writes the customers table's part files before uploading them: relative to the
program's working directory (the project's), so every machine uploads from the same paths."""


def dimension_key(table: Table) -> str:
    """Object key of a dimension table's single Parquet file (the customers table is in parts: `customer_part_key`)."""
    return f"{table.prefix}{table.name}{layout.PARQUET_EXTENSION}"


def customer_part_key(index: int) -> str:
    """Object key of the customers table's part `index`."""
    from lakewriter.customers import part_key

    return part_key(index)


def customer_part_count(customers: int, kept: bool = False) -> int:
    """Files of the uploaded customers table: its parts (every customer, as of the sign-up horizon); for a kept lake
    (`retain_objects_on_delete`) the parts of the largest table (households.MAX_CUSTOMERS), those past the table's end
    zero-row files, so that a shrinking customer_count never drops a part resource whose object the lake would keep
    (Pulumi skips the provider's delete of a retained resource: pulumi/pulumi#8746) and Athena would read."""
    from lakewriter import customers as parts

    return parts.part_count(households.MAX_CUSTOMERS if kept else customers, parts.CUSTOMERS_PER_PART)


@functools.lru_cache(maxsize=8)
def dimension_objects(
    seed: int, customers: int, titles: int, campaigns: int, world_seed: int = world.DEFAULT_WORLD_SEED
) -> Mapping[str, str]:
    """Base64 of each dimension table's SNAPPY Parquet bytes but the customers table's (`customer_part_files`),
    from the project's seeded generators (the incidents from the world's seed). No customer row is made: the
    campaigns' delivery figures read a sample of customers by index (ads.delivery)."""
    from functions.shared.dimensions import world_dimensions
    from lakewriter.parquet import dimension_parquet  # pyarrow: imported only when the dimensions are uploaded

    blobs = dimension_parquet(world_dimensions(seed, customers, titles, campaigns, delivery=True), world_seed)
    return {name: base64.b64encode(data).decode("ascii") for name, data in blobs.items()}


def customer_part_files(
    seed: int, customers: int, kept: bool = False, cache: str = CUSTOMER_PARTS_CACHE
) -> tuple[str, ...]:
    """Paths of the customers table's `customer_part_count` part files as the stack uploads them (every customer: as
    of the sign-up horizon), written into `cache` unless already there for the same seed, count, schema and code."""
    from functions.shared.dimensions import SIGNUPS_UNTIL
    from lakewriter import customers as parts  # pyarrow: imported only when the dimensions are uploaded

    count = customer_part_count(customers, kept)
    return parts.cached_parts(cache, seed, customers, SIGNUPS_UNTIL, parts.CUSTOMERS_PER_PART, count)


def _default_seed() -> int:
    from functions.shared.dimensions import DEFAULT_DIMENSION_SEED

    return DEFAULT_DIMENSION_SEED


def _tables(args: Mapping[str, Any]) -> tuple[Table, ...]:
    return tuple(Table.of(t) for t in args.get("tables") or ())


def _queries(args: Mapping[str, Any]) -> tuple[NamedQuery, ...]:
    return tuple(q if isinstance(q, NamedQuery) else NamedQuery(**q) for q in args.get("named_queries") or ())


def template_problem(template: str) -> str | None:
    """Why a named query's SQL template cannot be filled in, or None: `{database}` is its only placeholder."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"a single brace ({exc}); write a literal brace as {{{{ or }}}}"
    unknown = sorted({f for f in fields if f != QUERY_PLACEHOLDER})
    if unknown:
        return f"unknown placeholders {unknown}; write a literal brace as {{{{ or }}}}"
    return None


def _combinations(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    yield from _query_rules(args)
    if "tables" not in args:
        return  # a required argument: reported as missing when the whole set is checked
    try:
        tables = _tables(args)
    except (schema.SchemaError, TypeError) as exc:
        yield "tables", f"valid table definitions ({exc})", args.get("tables")
        return
    if not tables:
        yield "tables", "at least one table definition", []
    results = args.get("results_prefix", SPEC.defaults["results_prefix"])
    for table in tables:
        if isinstance(results, str) and (results.startswith(table.prefix) or table.prefix.startswith(results)):
            yield (
                "results_prefix",
                f"outside table {table.name}'s prefix {table.prefix!r} (Athena would read results as rows)",
                results,
            )
    for what, values in (("names", [t.name for t in tables]), ("prefixes", [t.prefix for t in tables])):
        repeated = sorted({x for x in values if values.count(x) > 1})
        if repeated:
            yield "tables", f"tables with distinct {what}", repeated
    for table in tables:
        if table.partition_keys and table.projection is None and table.partition_names != layout.TIME_PARTITION_KEYS:
            yield (
                "tables",
                f"tables partitioned by {', '.join(layout.TIME_PARTITION_KEYS)} or carrying their own projection",
                f"{table.name} partitioned by {list(table.partition_names)}",
            )
    yield from _iceberg_rules(args, tables)
    if args.get("upload_dimensions"):
        given = {(t.name, t.prefix) for t in tables}
        needed = {(t.name, t.prefix) for t in schema.DIMENSION_TABLES}
        if not needed <= given:
            yield (
                "upload_dimensions",
                "false unless tables include the generator's dimension tables "
                + ", ".join(f"{n} at {p}" for n, p in sorted(needed))
                + " (the data it uploads)",
                True,
            )


def _iceberg_rules(args: Mapping[str, Any], tables: tuple[Table, ...]) -> Iterator[tuple[str, str, Any]]:
    """An Iceberg table is one of the tables, has an event-time column and a location no other table reads."""
    names = args.get("iceberg_tables") or ()
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        yield "iceberg_tables", "a list of table names", names
        return
    by_name = {t.name: t for t in tables}
    results = args.get("results_prefix", SPEC.defaults["results_prefix"])
    for name in names:
        table = by_name.get(name)
        if table is None:
            yield "iceberg_tables", f"names of tables given in tables ({', '.join(by_name)})", name
        elif not table.timestamp_field:
            yield (
                "iceberg_tables",
                f"tables with a timestamp_field (an Iceberg table is partitioned by the hour of its event time; "
                f"{name} has none)",
                name,
            )
        else:
            location = layout.iceberg_prefix(table.prefix)
            clash = [t.name for t in tables if t.prefix.startswith(location) or location.startswith(t.prefix)]
            if isinstance(results, str) and (results.startswith(location) or location.startswith(results)):
                clash.append(f"results_prefix {results}")
            if clash:
                yield (
                    "iceberg_tables",
                    f"tables whose Iceberg location {location!r} no other table or the results share (the orphan "
                    "file optimizer deletes every file there the table does not reference)",
                    {name: clash},
                )


def _query_rules(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    try:
        saved = _queries(args)
    except TypeError as exc:
        yield (
            "named_queries",
            f"NamedQuery values or mappings of name, description, sql_template ({exc})",
            (args.get("named_queries")),
        )
        return
    names = [q.name for q in saved]
    if len(set(names)) != len(names):
        yield "named_queries", "queries with distinct names", names
    for i, query in enumerate(saved):
        problem = template_problem(query.sql_template)
        if problem is not None:
            yield (
                f"named_queries[{i}].sql_template",
                f"SQL with {{{QUERY_PLACEHOLDER}}} as its only placeholder, not {problem}",
                query.sql_template,
            )


_YEAR = v.between(*PROJECTION_YEAR_RANGE)


class TelemetryCatalogArgs(TypedDict):
    """Inputs of a TelemetryCatalog."""

    bucket_name: pulumi.Input[str]
    """Lake bucket the tables point at and Athena writes results to."""
    tables: Sequence[Table]
    """The tables to register. A table partitioned by year, month, day, hour gets partition projection matching
    what StreamingIngest writes; other partition keys need their own `projection`."""
    named_queries: NotRequired[Sequence[NamedQuery]]
    """Saved queries of the workgroup: SQL with `{database}` where the database goes, its only placeholder (a
    literal brace is written `{{` or `}}`)."""
    description: NotRequired[str]
    """What the tables hold: the Glue database's description and the start of the workgroup's."""
    results_prefix: NotRequired[str]
    """Key prefix in the lake bucket where the workgroup writes query results, outside every table's prefix."""
    database_name: NotRequired[str]
    """Glue database name. Omitted: <project>_<stack>_<resource name>, lowercased with underscores."""
    workgroup_name: NotRequired[str]
    """Athena workgroup name. Omitted: this component's resource name plus Pulumi's random suffix."""
    bytes_scanned_cutoff_mb: NotRequired[int]
    """Athena cancels a query of this workgroup after scanning this many MB (at least 10)."""
    projection_year_start: NotRequired[int]
    """First year Athena's partition projection enumerates."""
    dimension_seed: NotRequired[int]
    """Seed of the dimension generator; the same seed gives byte-identical Parquet."""
    customer_count: NotRequired[int]
    """Rows of the customers table."""
    title_count: NotRequired[int]
    """Rows of the titles table."""
    campaign_count: NotRequired[int]
    """Rows of the campaigns table."""
    world_seed: NotRequired[int]
    """Seed of the world ScheduledGenerator streams (its world_seed): the incidents table lists that world's
    incidents."""
    upload_dimensions: NotRequired[bool]
    """Upload the dimension tables ScheduledGenerator's events join to (customers, titles, campaigns: generated from
    dimension_seed; incidents: from world_seed); tables must include their definitions."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The lake's customer managed KMS key (DataLake's kms_key_arn): Athena encrypts query results with it (SSE_KMS)
    and the dimension files are uploaded with it, as a lake that refuses other encryption requires. Omitted: results
    SSE_S3, files under the bucket's default encryption."""
    retain_objects_on_delete: NotRequired[bool]
    """Keep the uploaded dimension files when this component is deleted or the stack destroyed (set it when the lake
    bucket is kept: a kept lake keeps its dimension tables)."""
    iceberg_tables: NotRequired[Sequence[str]]
    """Names of tables registered as Apache Iceberg tables (format v2, partitioned by the hour of their
    timestamp_field, located beside their Parquet prefix as <prefix>-iceberg/) and kept by Glue's table optimizers
    (compaction, snapshot retention, orphan file deletion) under a role allowed that table only."""


SPEC = v.ArgSpec(
    component="TelemetryCatalog",
    defaults={
        "bytes_scanned_cutoff_mb": 10240,
        "results_prefix": layout.ATHENA_RESULTS_PREFIX,
        "projection_year_start": 2025,
        "customer_count": schema.CUSTOMERS.default_rows,
        "title_count": schema.TITLES.default_rows,
        "campaign_count": schema.CAMPAIGNS.default_rows,
        "world_seed": world.DEFAULT_WORLD_SEED,
    },
    rules={
        "database_name": v.GLUE_DATABASE,
        "workgroup_name": v.text(v.RESOURCE_NAME_PATTERN, v.ATHENA_MAX_WORKGROUP_NAME, "letters, digits, . _ -"),
        "bytes_scanned_cutoff_mb": v.at_least(v.ATHENA_MIN_CUTOFF_MB, "(Athena's minimum per-query cutoff)"),
        "projection_year_start": _YEAR,
        "dimension_seed": v.at_least(0),
        "customer_count": v.between(1, households.MAX_CUSTOMERS, "(the largest batchSize's audience)"),
        "title_count": v.between(1, world.MAX_TITLES, "(the world's title draw)"),
        "campaign_count": v.between(1, domains.MAX_CAMPAIGNS, "(rows the deploying machine builds and uploads)"),
        "world_seed": v.between(0, world.MAX_WORLD_SEED),
        "upload_dimensions": v.boolean(),
        "kms_key_arn": v.KMS_KEY_ARN,
        "retain_objects_on_delete": v.boolean(),
        "results_prefix": v.FOLDER,
    },
    checks=(_combinations,),
    allowed=v.arguments(TelemetryCatalogArgs),
)


class TelemetryCatalog(v.CheckedComponent):
    """Glue catalog of the lake's tables with partition projection, an Athena workgroup and named queries."""

    _spec = SPEC

    database_name: pulumi.Output[str]
    """Glue database holding the tables."""
    table_names: pulumi.Output[list[str]]
    """Names of the Glue tables, in the order given."""
    events_table_name: pulumi.Output[str]
    """The first time-partitioned table (the one a StreamingIngest converts against); empty if there is none."""
    events_table_arn: pulumi.Output[str]
    """ARN of that table; empty if there is none."""
    workgroup_name: pulumi.Output[str]
    """Athena workgroup with enforced settings."""
    named_query_names: pulumi.Output[list[str]]
    """Names of the saved queries in the workgroup."""

    def __init__(self, name: str, args: TelemetryCatalogArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:TelemetryCatalog", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = pulumi.Output.from_input(args["bucket_name"])
        definitions = _tables(args)
        description = args.get("description")
        year_start = SPEC.value(args, "projection_year_start")
        kms_key = args.get("kms_key_arn")
        # Uploaded under the lake's key, as a lake that refuses other encryption requires (DataLake's policy).
        sse = {} if kms_key is None else {"server_side_encryption": "aws:kms", "kms_key_id": kms_key}

        database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.get("database_name") or naming.glue_name(pulumi.get_project(), pulumi.get_stack(), name),
            description=description or f"Tables of {name}",
            opts=child,
        )
        tables: dict[str, aws.glue.CatalogTable] = {}
        iceberg_names = set(args.get("iceberg_tables") or ())
        for table in definitions:
            if table.name in iceberg_names:
                tables[table.name] = self._iceberg_table(name, table, database, bucket, kms_key)
                continue
            params = bucket.apply(lambda b, t=table: table_parameters(t, b, year_start))
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
            name=args.get("workgroup_name"),
            description=(description or f"Queries of {name}") + "; results encrypted in the lake bucket",
            state="ENABLED",
            # Results accumulate in the workgroup; without this `pulumi destroy` fails on a used workgroup.
            force_destroy=True,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": SPEC.value(args, "bytes_scanned_cutoff_mb") * BYTES_PER_MB,
                "engine_version": {"selected_engine_version": ATHENA_ENGINE_V3},
                "result_configuration": {
                    "output_location": pulumi.Output.format("s3://{0}/{1}", bucket, SPEC.value(args, "results_prefix")),
                    # Athena user guide, "Encrypt Athena query results stored in Amazon S3": SSE_KMS with the key's
                    # ARN; enforced for every query of the workgroup (enforce_workgroup_configuration).
                    "encryption_configuration": (
                        {"encryption_option": "SSE_S3"}
                        if kms_key is None
                        else {"encryption_option": "SSE_KMS", "kms_key_arn": kms_key}
                    ),
                },
            },
            opts=child,
        )
        saved = _queries(args)
        for query in saved:
            aws.athena.NamedQuery(
                f"{name}-query-{query.name.replace('_', '-')}",
                name=query.name,
                description=query.description,
                database=database.name,
                workgroup=workgroup.name,
                query=database.name.apply(query.sql),
                opts=child,
            )

        if args.get("upload_dimensions"):
            encoded = pulumi.Output.all(
                _or(args.get("dimension_seed"), _default_seed),
                SPEC.value(args, "customer_count"),
                SPEC.value(args, "title_count"),
                SPEC.value(args, "campaign_count"),
                SPEC.value(args, "world_seed"),
            ).apply(lambda d: dimension_objects(d[0], d[1], d[2], d[3], d[4]))
            retain = bool(args.get("retain_objects_on_delete", False))
            kept = pulumi.ResourceOptions(parent=self, retain_on_delete=retain)
            for table in schema.DIMENSION_TABLES:
                if table.name == schema.CUSTOMERS.name:
                    continue
                aws.s3.BucketObjectv2(
                    f"{name}-{table.name}-data",
                    bucket=bucket,
                    key=dimension_key(table),
                    content_base64=encoded.apply(lambda d, n=table.name: d[n]),
                    content_type=PARQUET_CONTENT_TYPE,
                    **sse,
                    opts=kept,
                )
            # The customers table in parts, each uploaded from a file of the deploying machine: Pulumi compares a
            # FileAsset by the hash of its contents, not its path (pulumi/pulumi#548), and the bytes are stable,
            # so an unchanged config shows no diff. Nothing is inlined into the state. Part 0 keeps the name and key
            # the table had as one inline file: a stack that held it updates that object in place (a kept lake
            # would keep a replaced one beside the parts: pulumi/pulumi#8746).
            customers = SPEC.value(args, "customer_count")
            files = pulumi.Output.all(_or(args.get("dimension_seed"), _default_seed), customers).apply(
                lambda a: customer_part_files(a[0], a[1], retain)
            )
            # A kept lake registers the largest table's parts (customer_part_count): none is ever dropped.
            for index in range(customer_part_count(customers, retain)):
                aws.s3.BucketObjectv2(
                    f"{name}-customers-data" + (f"-{index:05d}" if index else ""),
                    bucket=bucket,
                    key=customer_part_key(index),
                    source=files.apply(lambda f, i=index: pulumi.FileAsset(f[i])),
                    content_type=PARQUET_CONTENT_TYPE,
                    **sse,
                    opts=kept,
                )

        streamed = next((t for t in definitions if t.partition_names == layout.TIME_PARTITION_KEYS), None)
        self.database_name = database.name
        self.table_names = pulumi.Output.all(*(t.name for t in tables.values())).apply(list)
        self.events_table_name = tables[streamed.name].name if streamed else pulumi.Output.from_input("")
        self.events_table_arn = tables[streamed.name].arn if streamed else pulumi.Output.from_input("")
        self.workgroup_name = workgroup.name
        self.named_query_names = pulumi.Output.from_input([q.name for q in saved])
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

    def _iceberg_table(
        self,
        name: str,
        table: Table,
        database: aws.glue.CatalogDatabase,
        bucket: pulumi.Output[str],
        kms_key: pulumi.Input[str] | None,
    ) -> aws.glue.CatalogTable:
        """An Iceberg table of `table` and the three table optimizers that keep it, with their role."""
        child = pulumi.ResourceOptions(parent=self)
        resource = f"{name}-{table.name.replace('_', '-')}"
        location = bucket.apply(lambda b: iceberg.table_location(b, table))
        glue_table = aws.glue.CatalogTable(
            resource,
            name=table.name,
            database_name=database.name,
            description=table.description,
            table_type="EXTERNAL_TABLE",
            open_table_format_input={
                "iceberg_input": {
                    "metadata_operation": iceberg.METADATA_OPERATION,
                    "version": iceberg.ICEBERG_FORMAT_VERSION,
                    "iceberg_table_input": {
                        "location": location,
                        "schema": iceberg.iceberg_schema(table),
                        "partition_spec": iceberg.partition_spec(table),
                        "properties": dict(iceberg.TABLE_PROPERTIES),
                    },
                }
            },
            # The same columns for Glue's and Athena's column listing; Iceberg's metadata is the table's truth.
            storage_descriptor={"location": location, "columns": glue_columns(table.columns + table.partition_keys)},
            opts=child,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        role = aws.iam.Role(
            f"{resource}-optimizer-role",
            assume_role_policy=policies.to_json(policies.glue_trust()),
            description=f"Glue table optimizers of {table.name}",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{resource}-optimizer-policy",
            name="table-optimizers",
            role=role.id,
            policy=pulumi.Output.all(partition, region, account, database.name, bucket, kms_key).apply(
                lambda a: policies.to_json(
                    policies.table_optimizer_policy(
                        f"arn:{a[0]}:s3:::{a[4]}",
                        layout.iceberg_prefix(table.prefix),
                        policies.glue_arns(a[0], a[1], a[2], a[3], table.name),
                        a[0],
                        a[1],
                        a[2],
                        lake_kms_key_arn=a[5],
                    )
                )
            ),
            opts=child,
        )
        for optimizer in iceberg.OPTIMIZER_TYPES:
            aws.glue.CatalogTableOptimizer(
                f"{resource}-{optimizer.replace('_', '-')}",
                catalog_id=account,
                database_name=database.name,
                table_name=glue_table.name,
                type=optimizer,
                configuration=iceberg.optimizer_configuration(optimizer, role.arn, location),
                # The role may act before the optimizer first runs.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        return glue_table


def _or(value: pulumi.Input[int] | None, default: Callable[[], int]) -> pulumi.Input[int]:
    """`value`, or the lazily computed default when it is None."""
    return default() if value is None else value
