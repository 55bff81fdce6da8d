"""StreamingLake: a whole pipeline in one component, a stream landed as a queryable, watched Parquet table.

It composes the five components a pipeline needs and wires each one's outputs into the next: DataLake (the
bucket), TelemetryCatalog (Glue tables, Athena workgroup and queries), StreamingIngest (Kinesis, new or brought,
and the Firehose into the table), PipelineAlarms (AWS's recommended alarms on what was built) and
PipelineDashboard. Its arguments are the children's own, under the same names; each child stays usable alone.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from components import alarms, catalog, dashboard, data_lake, streaming_ingest
from components import validation as v
from components.alarms import PipelineAlarms, WatchedFunction
from components.catalog import TelemetryCatalog
from components.dashboard import PipelineDashboard
from components.data_lake import DataLake
from components.streaming_ingest import StreamingIngest
from functions.shared import layout
from functions.shared.queries import NamedQuery
from functions.shared.schema import Table

ROLES = ("lake", "catalog", "ingest", "alarms", "dashboard")
"""The children, each named <name>-<role>."""


class StreamingLakeArgs(TypedDict):
    """Inputs of a StreamingLake."""

    table: Table
    """The streamed table: records are converted to it and written under its prefix, partitioned by its
    timestamp_field (or arrival time)."""
    tables: NotRequired[Sequence[Table]]
    """Every table the catalog registers, table among them (only table when omitted)."""
    named_queries: NotRequired[Sequence[NamedQuery]]
    """Saved queries of the workgroup: SQL with `{database}` where the database goes, its only placeholder."""
    existing_stream_arn: NotRequired[str]
    """Read from this existing Kinesis stream, in the stack's region, instead of creating one."""
    existing_bucket_name: NotRequired[str]
    """Use this existing bucket as the lake instead of creating one; it is used as it is."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer managed KMS key for the lake bucket, a created stream, the Firehose log group and a created alarm
    topic (AWS managed keys, and a key of its own for the topic, when omitted)."""
    stream_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The brought stream's customer managed key (Firehose may decrypt with it through Kinesis only)."""
    error_prefix: NotRequired[str]
    """Key prefix of records Firehose could not convert or partition, outside the table's prefix."""
    partition_by: NotRequired[str]
    """event_time (partitions from the table's timestamp_field with JQ) or arrival_time (Firehose's clock)."""
    table_format: NotRequired[str]
    """parquet (Parquet files in Hive partitions) or iceberg (an Apache Iceberg table Firehose writes through its
    Iceberg destination); changing it replaces the delivery stream."""
    backup_source_records: NotRequired[bool]
    """Also keep every source record, as received, GZIP-compressed JSON under backup_prefix (Firehose's S3 backup)."""
    backup_prefix: NotRequired[str]
    """Key prefix of the source-record backup, outside the data and error prefixes."""
    bucket_name: NotRequired[str]
    """Exact lake bucket name (derived from this component's resource name when omitted)."""
    bucket_name_prefix: NotRequired[str]
    """The lake bucket is named <bucket_name_prefix>-<account>-<region>."""
    database_name: NotRequired[str]
    """Glue database name (<project>_<stack>_<resource name>-catalog when omitted)."""
    workgroup_name: NotRequired[str]
    """Athena workgroup name."""
    description: NotRequired[str]
    """What the tables hold: the Glue database's description and the start of the workgroup's."""
    results_prefix: NotRequired[str]
    """Key prefix in the lake bucket where the workgroup writes query results, outside every table's prefix."""
    name_prefix: NotRequired[str]
    """Explicit Firehose names: <name_prefix>-kinesis-to-s3 and <name_prefix>-firehose-role."""
    stream_name: NotRequired[str]
    """Explicit name of the stream this component creates."""
    delivery_stream_name: NotRequired[str]
    """Explicit name of the Firehose stream (overrides name_prefix's)."""
    stream_mode: NotRequired[str]
    """ON_DEMAND or PROVISIONED, for a created stream."""
    shard_count: NotRequired[int]
    """Shards of a PROVISIONED stream."""
    retention_hours: NotRequired[int]
    """Hours a created stream keeps records, 24–8760; the iterator-age alarm stays below half of it."""
    buffer_size_mb: NotRequired[int]
    """Firehose buffer size in MiB, 64–128 with format conversion."""
    buffer_interval_seconds: NotRequired[int]
    """Firehose buffer interval in seconds, 60–900; the freshness alarm adds 15 minutes to it."""
    log_retention_days: NotRequired[int]
    """Retention of the Firehose log group (a CloudWatch Logs retention value)."""
    transition_days: NotRequired[int]
    """Days before the tables' data moves to transition_storage_class; 0 or omitted keeps it in STANDARD."""
    transition_storage_class: NotRequired[str]
    """A storage class Athena can still read, e.g. INTELLIGENT_TIERING."""
    noncurrent_version_expiration_days: NotRequired[int]
    """Days before overwritten or deleted object versions expire."""
    abort_incomplete_multipart_days: NotRequired[int]
    """Days before unfinished multipart uploads are aborted."""
    force_destroy: NotRequired[bool]
    """Let `pulumi destroy` delete a lake bucket that still holds objects."""
    retain_on_delete: NotRequired[bool]
    """Keep the lake bucket and everything in it when the stack is destroyed."""
    bytes_scanned_cutoff_mb: NotRequired[int]
    """Athena cancels a query of the workgroup after scanning this many MB (at least 10)."""
    projection_year_start: NotRequired[int]
    """First year Athena's partition projection enumerates."""
    upload_dimensions: NotRequired[bool]
    """Upload the dimension tables ScheduledGenerator's events join to; tables must include their definitions."""
    dimension_seed: NotRequired[int]
    """Seed of the dimension generator."""
    customer_count: NotRequired[int]
    """Rows of the customers table."""
    title_count: NotRequired[int]
    """Rows of the titles table."""
    campaign_count: NotRequired[int]
    """Rows of the campaigns table."""
    world_seed: NotRequired[int]
    """Seed of the world the generator streams: the incidents table lists its incidents."""
    functions: NotRequired[list[WatchedFunction]]
    """Lambda functions that feed the stream, to watch and chart (errors, throttles, duration near the timeout)."""
    dead_letter_queue_name: NotRequired[pulumi.Input[str]]
    """SQS queue receiving their failed invocations; any message raises an alarm."""
    schedule_period_seconds: NotRequired[int]
    """Seconds between scheduled writes (a rate() schedule); with it, a silence alarm watches the stream."""
    schedule_enabled: NotRequired[bool]
    """Whether the schedule fires; a disabled schedule gets no silence alarm."""
    silence_periods: NotRequired[int]
    """Schedule periods without a record reaching the stream before the silence alarm fires."""
    iterator_age_threshold_seconds: NotRequired[int]
    """Age of the oldest record Firehose has not read yet that raises the alarm."""
    alarm_name_prefix: NotRequired[str]
    """Prefix of every alarm's physical name (<prefix>-<alarm>)."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """Notify this existing SNS topic instead of creating one."""
    alarm_emails: NotRequired[list[str]]
    """E-mail addresses subscribed to the created topic (each must confirm)."""
    dashboard_name: NotRequired[str]
    """Dashboard name; letters, digits, - and _, at most 255."""
    generator_log_group_name: NotRequired[pulumi.Input[str]]
    """Log group of a ScheduledGenerator's generator: its per-tick summary becomes an events-generated metric."""
    metric_namespace: NotRequired[str]
    """Namespace of that metric."""
    moved_from_root: NotRequired[Mapping[str, str]]
    """For a program that built these children itself before: role (lake, catalog, ingest, alarms, dashboard) ->
    the resource name it had at the stack's root. Such a child keeps that name and gets an alias to the root, so
    `pulumi up` moves it (and its resources) under this component instead of replacing it."""


def _children(args: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each child's own arguments, taken by name from this component's (wired values are added on construction)."""
    picked = {
        role: {k: args[k] for k in spec.allowed if k in args}
        for role, spec in (
            ("lake", data_lake.SPEC),
            ("catalog", catalog.SPEC),
            ("ingest", streaming_ingest.SPEC),
            ("alarms", alarms.SPEC),
            ("dashboard", dashboard.SPEC),
        )
    }
    table = args.get("table")
    picked["catalog"]["tables"] = list(args.get("tables", [table] if table is not None else []))
    if "existing_bucket_name" not in args and isinstance(table, Table):
        tables = [t for t in picked["catalog"]["tables"] if isinstance(t, Table)]
        picked["lake"].setdefault("transition_prefixes", [t.prefix for t in tables])
    for role in ("ingest", "alarms"):
        picked[role].pop("kms_key_arn", None)
    picked["lake"].pop("kms_key_arn", None)
    if "kms_key_arn" in args:
        if "existing_bucket_name" not in args:
            picked["lake"]["kms_key_arn"] = args["kms_key_arn"]
        picked["ingest"]["lake_kms_key_arn"] = args["kms_key_arn"]
        picked["ingest"]["log_kms_key_arn"] = args["kms_key_arn"]
        if "existing_stream_arn" not in args:
            picked["ingest"].setdefault("stream_kms_key_arn", args["kms_key_arn"])
        if "alarm_topic_arn" not in args:
            picked["alarms"]["kms_key_arn"] = args["kms_key_arn"]
    for key in ("stream_name", "delivery_stream_name"):
        picked["alarms"].pop(key, None)
        picked["dashboard"].pop(key, None)
    if "retention_hours" in args:
        picked["alarms"]["stream_retention_hours"] = args["retention_hours"]
    iceberg = args.get("table_format") == layout.TABLE_FORMAT_ICEBERG
    picked["alarms"]["dynamic_partitioning"] = layout.dynamic_partitioning(
        args.get("partition_by", streaming_ingest.SPEC.defaults["partition_by"]),
        args.get("table_format", streaming_ingest.SPEC.defaults["table_format"]),
    )
    if iceberg and isinstance(table, Table):
        # The streamed table is the Iceberg one; its files live beside its Parquet prefix.
        picked["catalog"]["iceberg_tables"] = [table.name]
        if "transition_prefixes" in picked["lake"] and "existing_bucket_name" not in args:
            picked["lake"]["transition_prefixes"] = [
                layout.iceberg_prefix(p) if p == table.prefix else p for p in picked["lake"]["transition_prefixes"]
            ]
    picked["alarms"]["error_prefix"] = args.get("error_prefix", streaming_ingest.SPEC.defaults["error_prefix"])
    # A kept lake keeps its dimension tables too.
    picked["catalog"]["retain_objects_on_delete"] = bool(
        args.get("retain_on_delete", data_lake.SPEC.defaults["retain_on_delete"])
    )
    return picked


def _wiring(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """The table is among the catalog's tables; each child's own rules hold for the arguments it receives."""
    table, tables = args.get("table"), args.get("tables")
    if isinstance(table, Table) and tables is not None and table.name not in {getattr(t, "name", None) for t in tables}:
        yield "tables", f"tables that include table {table.name!r} (the one the stream lands in)", tables
    for role, unknown in (args.get("moved_from_root") or {}).items():
        if role not in ROLES:
            yield "moved_from_root", f"a mapping of roles ({', '.join(ROLES)}) to names", {role: unknown}
    children = _children(args)
    for spec, role in (
        (data_lake.SPEC, "lake"),
        (catalog.SPEC, "catalog"),
        (streaming_ingest.SPEC, "ingest"),
        (alarms.SPEC, "alarms"),
        (dashboard.SPEC, "dashboard"),
    ):
        yield from spec.problems(children[role])


SPEC = v.ArgSpec(
    component="StreamingLake",
    defaults={},
    rules={},
    checks=(_wiring,),
    allowed=v.arguments(StreamingLakeArgs),
)


class StreamingLake(v.CheckedComponent):
    """A stream landed as a partitioned Parquet (or Apache Iceberg) table in an S3 lake, catalogued for Athena, with
    alarms and a dashboard: DataLake, TelemetryCatalog, StreamingIngest, PipelineAlarms and PipelineDashboard wired
    together."""

    _spec = SPEC

    bucket_name: pulumi.Output[str]
    """Name of the lake bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the lake bucket."""
    database_name: pulumi.Output[str]
    """Glue database holding the tables."""
    table_names: pulumi.Output[list[str]]
    """Names of the Glue tables."""
    workgroup_name: pulumi.Output[str]
    """Athena workgroup to query them with."""
    named_query_names: pulumi.Output[list[str]]
    """Names of the saved queries in the workgroup."""
    stream_name: pulumi.Output[str]
    """Kinesis stream to write records to."""
    stream_arn: pulumi.Output[str]
    """ARN of that stream."""
    delivery_stream_name: pulumi.Output[str]
    """Firehose delivery stream landing it in the lake."""
    alarm_topic_arn: pulumi.Output[str]
    """SNS topic every alarm notifies."""
    alarm_names: pulumi.Output[list[str]]
    """Names of the alarms."""
    dashboard_url: pulumi.Output[str]
    """CloudWatch console URL of the dashboard."""

    def __init__(self, name: str, args: StreamingLakeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:StreamingLake", name, {}, opts)
        moved = args.get("moved_from_root") or {}

        def child(role: str) -> pulumi.ResourceOptions:
            aliases = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)] if role in moved else None
            return pulumi.ResourceOptions(parent=self, aliases=aliases)

        def named(role: str) -> str:
            return moved.get(role, f"{name}-{role}")

        given = _children(args)
        table = Table.of(args["table"])
        self.lake = DataLake(named("lake"), given["lake"], child("lake"))
        self.catalog = TelemetryCatalog(
            named("catalog"), {**given["catalog"], "bucket_name": self.lake.bucket_name}, child("catalog")
        )
        self.ingest = StreamingIngest(
            named("ingest"),
            {
                **given["ingest"],
                "bucket_arn": self.lake.bucket_arn,
                "database_name": self.catalog.database_name,
                # The table's name, once the catalog has registered its tables: Firehose is created after them.
                "table_name": self.catalog.table_names.apply(lambda _: table.name),
            },
            child("ingest"),
        )
        self.alarms = PipelineAlarms(
            named("alarms"),
            {
                **given["alarms"],
                "stream_name": self.ingest.stream_name,
                "delivery_stream_name": self.ingest.delivery_stream_name,
            },
            child("alarms"),
        )
        self.dashboard = PipelineDashboard(
            named("dashboard"),
            {
                **given["dashboard"],
                "stream_name": self.ingest.stream_name,
                "delivery_stream_name": self.ingest.delivery_stream_name,
                "alarm_arns": self.alarms.alarm_arns,
            },
            child("dashboard"),
        )

        self.bucket_name = self.lake.bucket_name
        self.bucket_arn = self.lake.bucket_arn
        self.database_name = self.catalog.database_name
        self.table_names = self.catalog.table_names
        self.workgroup_name = self.catalog.workgroup_name
        self.named_query_names = self.catalog.named_query_names
        self.stream_name = self.ingest.stream_name
        self.stream_arn = self.ingest.stream_arn
        self.delivery_stream_name = self.ingest.delivery_stream_name
        self.alarm_topic_arn = self.alarms.topic_arn
        self.alarm_names = self.alarms.alarm_names
        self.dashboard_url = self.dashboard.dashboard_url
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "database_name": self.database_name,
                "table_names": self.table_names,
                "workgroup_name": self.workgroup_name,
                "named_query_names": self.named_query_names,
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
                "delivery_stream_name": self.delivery_stream_name,
                "alarm_topic_arn": self.alarm_topic_arn,
                "alarm_names": self.alarm_names,
                "dashboard_url": self.dashboard_url,
            }
        )
