"""StreamingIngest: a Kinesis stream (new or existing) and the Firehose that lands it in the lake, as Parquet files in
Hive partitions or into an Apache Iceberg table (docs/iceberg.md)."""

from collections.abc import Iterator, Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import naming, policies
from components import validation as v
from functions.shared import layout, schema
from functions.shared.schema import Table

KINESIS_MANAGED_KEY = "alias/aws/kinesis"
FIREHOSE_SERVICE = "firehose.amazonaws.com"
FIREHOSE_LOG_STREAM = "delivery"
JQ_ENGINE = "JQ-1.6"  # Firehose MetadataExtraction: the only JsonParsingEngine it accepts
DYNAMIC_PARTITIONING_RETRY_SECONDS = 300  # Firehose: retry duration for dynamic partitioning is 0–7200 s
STREAM_CREATION_ARGS = ("stream_name", "stream_mode", "shard_count", "retention_hours")
"""Arguments that shape a stream this component creates; meaningless with existing_stream_arn."""
DEAGGREGATION_PROCESSOR = "RecordDeAggregation"  # Firehose ProcessorType for multi-record de-aggregation
DEAGGREGATION_SUB_RECORD_TYPE = "JSON"  # SubRecordType: JSON (consecutive or newline-separated objects) or DELIMITED
BACKUP_COMPRESSION = "GZIP"  # the raw JSON copy of each record is kept compressed (S3 destination CompressionFormat)
ICEBERG_BACKUP_ALL = "AllData"  # IcebergDestinationConfiguration.S3BackupMode: AllData or FailedDataOnly
ICEBERG_BACKUP_FAILED = "FailedDataOnly"
EXTENDED_S3_BACKUP = "Enabled"  # ExtendedS3DestinationConfiguration.S3BackupMode: Enabled or Disabled
REPLACE_ON_CHANGES = (
    "destination",
    "extendedS3Configuration.dynamicPartitioningConfiguration",
    "icebergConfiguration.appendOnly",
)
"""Delivery stream properties Firehose cannot change in place, so a change replaces the stream deliberately: the
destination type (table_format), dynamic partitioning (partition_by: "You can enable dynamic partitioning only when
you create a new Firehose stream. You cannot enable dynamic partitioning for an existing Firehose stream that does not
have dynamic partitioning already enabled", Firehose developer guide, dynamic-partitioning-enable.html; turning it off
is replaced the same way, so the two directions behave alike) and AppendOnly ("you can set this flag only with the
CreateDeliveryStream API operation", apache-iceberg-considerations.html)."""


def extended_s3_settings(partition_by: str, prefix: str, timestamp_field: str) -> dict[str, object]:
    """The mode-dependent part of the Firehose destination: prefix and, for event time, JQ partitioning.

    The producer sends aggregated records (JSON Lines of up to 500 events). For event time, Firehose must split them
    before the JQ query can read each event's timestamp: "If data is aggregated, dynamic partitioning can be applied
    only after data is deaggregated", and processing runs de-aggregation -> Lambda -> partitioning keys
    (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-multirecord-deaggergation.html), so the
    RecordDeAggregation processor (SubRecordType JSON) comes first. De-aggregation is part of dynamic partitioning
    (that page), which arrival time does not need: there the record format conversion itself reads several JSON
    documents in one record ("You can convert the format of your data even if you aggregate your records before
    sending them": https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html), so arrival time
    keeps no processors and pays no dynamic-partitioning charges.
    """
    settings: dict[str, object] = {"prefix": layout.firehose_prefix(partition_by, prefix)}
    if partition_by == layout.PARTITION_BY_EVENT_TIME:
        settings["dynamic_partitioning_configuration"] = {
            "enabled": True,
            "retry_duration": DYNAMIC_PARTITIONING_RETRY_SECONDS,
        }
        settings["processing_configuration"] = {
            "enabled": True,
            "processors": [
                {
                    "type": DEAGGREGATION_PROCESSOR,
                    "parameters": [
                        {"parameter_name": "SubRecordType", "parameter_value": DEAGGREGATION_SUB_RECORD_TYPE}
                    ],
                },
                {
                    "type": "MetadataExtraction",
                    "parameters": [
                        {
                            "parameter_name": "MetadataExtractionQuery",
                            "parameter_value": layout.jq_metadata_query(timestamp_field),
                        },
                        {"parameter_name": "JsonParsingEngine", "parameter_value": JQ_ENGINE},
                    ],
                },
            ],
        }
    return settings


def iceberg_settings(
    role_arn: pulumi.Input[str],
    catalog_arn: pulumi.Input[str],
    database_name: pulumi.Input[str],
    table_name: pulumi.Input[str],
    error_prefix: str,
    *,
    buffer_size_mb: int,
    buffer_interval_seconds: int,
    logging: Mapping[str, Any],
    s3: Mapping[str, Any],
    backup: bool,
) -> dict[str, Any]:
    """Firehose's IcebergDestinationConfiguration for one table of the Glue Data Catalog.

    Firehose API, IcebergDestinationConfiguration and DestinationTableConfiguration; Firehose developer guide,
    "Deliver data to Apache Iceberg Tables" (apache-iceberg-destination.html) and its pages:
    - CatalogConfiguration.CatalogARN is the Glue catalog, arn:<partition>:glue:<region>:<account>:catalog.
    - One DestinationTableConfiguration names the database and table; without routing (no JQ, no Lambda, no
      `otfMetadata` in the records) every record goes to it (apache-iceberg-format-input-record.html, "Route
      incoming records to a single Iceberg table"). No UniqueKeys: insert only.
    - AppendOnly: "If you just want to insert data ... set the AppendOnly flag to True ... Firehose automatically
      scales to match your throughput" (apache-iceberg-considerations.html).
    - S3Configuration is where failed records (and, with S3BackupMode AllData, every source record) go; its
      ErrorOutputPrefix is the error prefix, and the table's S3ErrorOutputPrefix too.
    - BufferingHints: SizeInMBs 1–128, IntervalInSeconds 0–900 (validation.FIREHOSE_ICEBERG_*).
    - No ProcessingConfiguration: the Iceberg destination takes "only one JSON object in one Firehose record" and
      de-aggregates KPL records only (same page), so the producer sends one event per record in this mode
      (ScheduledGenerator aggregate_records) rather than JSON Lines aggregates; and there is no dynamic partitioning
      (the table's own partition spec partitions it) and no format conversion (Firehose writes Parquet itself).
    """
    return {
        "role_arn": role_arn,
        "catalog_arn": catalog_arn,
        "append_only": True,
        "buffering_size": buffer_size_mb,
        "buffering_interval": buffer_interval_seconds,
        "cloudwatch_logging_options": dict(logging),
        "destination_table_configurations": [
            {
                "database_name": database_name,
                "table_name": table_name,
                "s3_error_output_prefix": layout.firehose_error_prefix(error_prefix),
            }
        ],
        "s3_backup_mode": ICEBERG_BACKUP_ALL if backup else ICEBERG_BACKUP_FAILED,
        "s3_configuration": dict(s3),
    }


def _table_fits(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """The table must be a valid definition partitioned the way Firehose writes it."""
    raw = args.get("table")
    if raw is None:
        return
    try:
        table = Table.of(raw)
    except schema.SchemaError as exc:
        yield "table", f"a valid table definition ({exc})", raw
        return
    if table.partition_names != layout.TIME_PARTITION_KEYS:
        yield (
            "table",
            f"partitioned by {', '.join(layout.TIME_PARTITION_KEYS)} (the keys Firehose writes)",
            f"{table.name} partitioned by {list(table.partition_names)}",
        )
    if args.get("partition_by", SPEC.defaults["partition_by"]) == layout.PARTITION_BY_EVENT_TIME and not (
        table.timestamp_field
    ):
        yield "table", "a table with a timestamp_field when partition_by is event_time", table.name
    table_name = args.get("table_name")
    if isinstance(table_name, str) and table_name != table.name:
        yield (
            "table_name",
            f"the name of the table given as table ({table.name!r}, what Firehose converts to)",
            table_name,
        )
    error_prefix = args.get("error_prefix", SPEC.defaults["error_prefix"])
    if isinstance(error_prefix, str) and (
        error_prefix.startswith(table.prefix) or table.prefix.startswith(error_prefix)
    ):
        yield (
            "error_prefix",
            f"outside the table's prefix {table.prefix!r} (Athena would read errors as rows)",
            (error_prefix),
        )


def _iceberg_options(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """What Firehose's Iceberg destination accepts (IcebergDestinationConfiguration, apache-iceberg-*.html)."""
    backup = args.get("backup_prefix", SPEC.defaults["backup_prefix"])
    table = _table_or_none(args.get("table"))
    if isinstance(backup, str) and table is not None:
        error_prefix = args.get("error_prefix", SPEC.defaults["error_prefix"])
        data = _data_prefix(table, args.get("table_format", SPEC.defaults["table_format"]))
        for other, what in ((data, "the table's data"), (error_prefix, "the error")):
            if isinstance(other, str) and (backup.startswith(other) or other.startswith(backup)):
                yield "backup_prefix", f"outside {what} prefix {other!r}", backup
    if args.get("table_format") != layout.TABLE_FORMAT_ICEBERG:
        return
    if args.get("partition_by") == layout.PARTITION_BY_ARRIVAL_TIME:
        yield (
            "partition_by",
            f"{layout.PARTITION_BY_EVENT_TIME} when table_format is iceberg (Firehose's Iceberg destination has no "
            "dynamic partitioning and no arrival-time prefixes: an Iceberg table is partitioned by its own partition "
            "spec over its columns)",
            args["partition_by"],
        )
    if table is not None and not table.timestamp_field:
        yield (
            "table",
            "a table with a timestamp_field when table_format is iceberg (its partition spec is the hour of the "
            "event time)",
            table.name,
        )
    for key, low, high, unit in (
        ("buffer_size_mb", v.FIREHOSE_ICEBERG_MIN_BUFFER_MB, v.FIREHOSE_ICEBERG_MAX_BUFFER_MB, "MiB"),
        (
            "buffer_interval_seconds",
            v.FIREHOSE_ICEBERG_MIN_INTERVAL_SECONDS,
            v.FIREHOSE_ICEBERG_MAX_INTERVAL_SECONDS,
            "seconds",
        ),
    ):
        value = args.get(key)
        if isinstance(value, int) and not low <= value <= high:
            yield (
                key,
                f"{low}–{high} {unit} when table_format is iceberg (Firehose IcebergDestinationConfiguration "
                "BufferingHints)",
                value,
            )
    database = args.get("database_name")
    for key, value in (("database_name", database), ("table_name", args.get("table_name"))):
        if isinstance(value, str) and "-" in value:
            yield (
                key,
                "a name without '-' when table_format is iceberg (\"a hyphen (-) is not a supported character for the "
                'database and the table name in the Iceberg library", Firehose apache-iceberg-considerations.html)',
                value,
            )


def _table_or_none(raw: Any) -> Table | None:
    try:
        return Table.of(raw) if raw is not None else None
    except (schema.SchemaError, TypeError):
        return None


def _data_prefix(table: Table, table_format: Any) -> str:
    """Where the table's data lands: its prefix (Parquet) or its Iceberg location beside it."""
    return layout.iceberg_prefix(table.prefix) if table_format == layout.TABLE_FORMAT_ICEBERG else table.prefix


def _stream_choice(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """An existing stream excludes stream settings and is in the stack's region; shards go with PROVISIONED only."""
    existing = args.get("existing_stream_arn")
    match = v.ARN_PATTERN.match(existing) if isinstance(existing, str) else None
    region = v.stack_region()
    if match is not None and region and match["region"] != region:
        yield (
            "existing_stream_arn",
            f"a stream in the stack's region {region} (a Firehose delivery stream reads a Kinesis stream of its own "
            "Region only)",
            existing,
        )
    if "existing_stream_arn" in args:
        for key in STREAM_CREATION_ARGS:
            if key in args:
                yield key, "left out when existing_stream_arn is given (that stream is used as it is)", args[key]
    if "shard_count" in args and args.get("stream_mode", SPEC.defaults["stream_mode"]) != "PROVISIONED":
        yield (
            "shard_count",
            "left out unless stream_mode is PROVISIONED (on-demand streams scale themselves)",
            (args["shard_count"]),
        )


def _explicit_names(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    prefix = args.get("name_prefix")
    if isinstance(prefix, str) and v.NAME_PREFIX.problem("", prefix) is None:
        for name, limit in (
            (naming.delivery_stream_name(prefix), v.FIREHOSE_MAX_NAME),
            (naming.firehose_role_name(prefix), v.IAM_MAX_ROLE_NAME),
        ):
            if len(name) > limit:
                yield "name_prefix", f"short enough that the derived name {name!r} fits {limit} characters", prefix


class StreamingIngestArgs(TypedDict):
    """Inputs of a StreamingIngest."""

    bucket_arn: pulumi.Input[str]
    """ARN of the lake bucket Firehose writes to."""
    database_name: pulumi.Input[str]
    """Glue database holding the table Firehose converts against."""
    table: Table
    """Definition of the table the records are converted to and written as: its columns drive nothing here (Glue
    holds them), its prefix is where files go and its timestamp_field what event-time partitions come from."""
    table_name: NotRequired[pulumi.Input[str]]
    """The Glue table's name as the catalog outputs it (TelemetryCatalog's events_table_name), so Firehose is
    created after the table; it must be table's name (table.name when omitted)."""
    partition_by: NotRequired[str]
    """event_time (partitions from the table's timestamp_field with JQ) or arrival_time (Firehose's clock)."""
    table_format: NotRequired[str]
    """parquet (Parquet files in Hive partitions) or iceberg (an Apache Iceberg table Firehose writes through its
    Iceberg destination); changing it replaces the delivery stream."""
    backup_source_records: NotRequired[bool]
    """Also keep every source record, as received, GZIP-compressed JSON under backup_prefix (Firehose's S3 backup:
    Enabled for Parquet, AllData for Iceberg)."""
    backup_prefix: NotRequired[str]
    """Key prefix of the source-record backup, outside the data and error prefixes."""
    error_prefix: NotRequired[str]
    """Key prefix of records Firehose could not convert or partition, outside the table's prefix."""
    existing_stream_arn: NotRequired[str]
    """Read from this existing Kinesis stream, in the stack's region, instead of creating one."""
    stream_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key of the stream: a stream this component creates is encrypted with it (with the AWS
    managed alias/aws/kinesis when omitted); an existing stream already uses it. Firehose may decrypt with it
    through Kinesis only."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key for the Firehose log group; its key policy must let CloudWatch Logs use it."""
    name_prefix: NotRequired[str]
    """Explicit names: <name_prefix>-kinesis-to-s3 and <name_prefix>-firehose-role. Omitted: every name derives from
    this component's resource name with Pulumi's random suffix, so instances and stacks never clash."""
    stream_name: NotRequired[pulumi.Input[str]]
    """Explicit name of the stream this component creates."""
    delivery_stream_name: NotRequired[str]
    """Explicit name of the Firehose stream (overrides name_prefix's)."""
    stream_mode: NotRequired[str]
    """ON_DEMAND or PROVISIONED; plain, as it decides which stream properties are set."""
    shard_count: NotRequired[int]
    """Shards of a PROVISIONED stream."""
    retention_hours: NotRequired[int]
    """Hours Kinesis keeps records, 24–8760."""
    buffer_size_mb: NotRequired[int]
    """Firehose buffer size in MiB, 64–128 with format conversion."""
    buffer_interval_seconds: NotRequired[int]
    """Firehose buffer interval in seconds, 60–900."""
    log_retention_days: NotRequired[int]
    """Retention of the Firehose log group (a CloudWatch Logs retention value)."""
    lake_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The KMS key of a lake bucket encrypted with SSE-KMS (DataLake's kms_key_arn): Firehose writes every object
    with it and is allowed to use it, through S3 and for this bucket only."""


SPEC = v.ArgSpec(
    component="StreamingIngest",
    defaults={
        "partition_by": layout.PARTITION_BY_EVENT_TIME,
        "table_format": layout.TABLE_FORMAT_PARQUET,
        "backup_source_records": False,
        "backup_prefix": layout.BACKUP_PREFIX,
        "error_prefix": layout.ERRORS_PREFIX,
        "stream_mode": "ON_DEMAND",
        "shard_count": 1,
        "retention_hours": v.KINESIS_MIN_RETENTION_HOURS,
        "buffer_size_mb": v.FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION,
        "buffer_interval_seconds": v.FIREHOSE_MIN_INTERVAL_SECONDS_WITH_CONVERSION,
        "log_retention_days": v.DEFAULT_LOG_RETENTION_DAYS,
    },
    rules={
        "name_prefix": v.NAME_PREFIX,
        "stream_name": v.text(v.RESOURCE_NAME_PATTERN, v.KINESIS_MAX_STREAM_NAME, "letters, digits, _ . -"),
        "delivery_stream_name": v.text(v.RESOURCE_NAME_PATTERN, v.FIREHOSE_MAX_NAME, "letters, digits, _ . -"),
        "existing_stream_arn": v.arn("kinesis", "stream/"),
        "partition_by": v.one_of(*layout.PARTITION_MODES),
        "table_format": v.one_of(*layout.TABLE_FORMATS),
        "backup_source_records": v.boolean(),
        "backup_prefix": v.FOLDER,
        "error_prefix": v.FOLDER,
        "stream_mode": v.one_of(*v.KINESIS_STREAM_MODES),
        "shard_count": v.at_least(1),
        "retention_hours": v.between(v.KINESIS_MIN_RETENTION_HOURS, v.KINESIS_MAX_RETENTION_HOURS),
        "buffer_size_mb": v.between(
            v.FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION, v.FIREHOSE_MAX_BUFFER_MB, "when format conversion is on"
        ),
        "buffer_interval_seconds": v.between(
            v.FIREHOSE_MIN_INTERVAL_SECONDS_WITH_CONVERSION, v.FIREHOSE_MAX_INTERVAL_SECONDS
        ),
        "log_retention_days": v.RETENTION_DAYS,
    },
    checks=(_table_fits, _iceberg_options, _stream_choice, _explicit_names),
    allowed=v.arguments(StreamingIngestArgs),
)


class StreamingIngest(v.CheckedComponent):
    """Kinesis stream plus a Firehose that writes SNAPPY Parquet into Hive partitions of the lake, or into an Apache
    Iceberg table through Firehose's Iceberg destination."""

    _spec = SPEC

    stream_name: pulumi.Output[str]
    """Kinesis stream name."""
    stream_arn: pulumi.Output[str]
    """Kinesis stream ARN."""
    delivery_stream_name: pulumi.Output[str]
    """Firehose delivery stream name."""
    delivery_stream_arn: pulumi.Output[str]
    """Firehose delivery stream ARN."""
    firehose_role_arn: pulumi.Output[str]
    """Role Firehose assumes."""
    log_group_name: pulumi.Output[str]
    """Firehose's CloudWatch log group."""
    prefixes: pulumi.Output[list[str]]
    """The key prefixes Firehose writes under (data, errors, and the backup when on): exactly what its role may
    write."""

    def __init__(self, name: str, args: StreamingIngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:StreamingIngest", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        table = Table.of(args["table"])
        partition_by = SPEC.value(args, "partition_by")
        error_prefix = SPEC.value(args, "error_prefix")
        table_format = SPEC.value(args, "table_format")
        iceberg = table_format == layout.TABLE_FORMAT_ICEBERG
        backup = bool(SPEC.value(args, "backup_source_records"))
        backup_prefix = SPEC.value(args, "backup_prefix")
        mode_settings = extended_s3_settings(partition_by, table.prefix, table.timestamp_field or "")
        prefix = args.get("name_prefix")
        delivery_name = args.get("delivery_stream_name") or (naming.delivery_stream_name(prefix) if prefix else None)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition

        existing = args.get("existing_stream_arn")
        if existing is None:
            mode = SPEC.value(args, "stream_mode")
            stream = aws.kinesis.Stream(
                f"{name}-stream",
                name=args.get("stream_name"),
                retention_period=SPEC.value(args, "retention_hours"),
                stream_mode_details={"stream_mode": mode},
                shard_count=SPEC.value(args, "shard_count") if mode == "PROVISIONED" else None,
                encryption_type="KMS",
                kms_key_id=args.get("stream_kms_key_arn") or KINESIS_MANAGED_KEY,
                opts=child,
            )
            stream_arn, stream_name = stream.arn, stream.name
        else:
            stream_arn = pulumi.Output.from_input(existing)
            stream_name = pulumi.Output.from_input(existing.split(":stream/", 1)[1])

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-firehose-logs",
            name=naming.firehose_log_group(delivery_name) if delivery_name else None,
            name_prefix=None if delivery_name else naming.firehose_log_group(f"{name}-"),
            retention_in_days=SPEC.value(args, "log_retention_days"),
            kms_key_id=args.get("log_kms_key_arn"),
            opts=child,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-firehose-delivery-logs",
            name=FIREHOSE_LOG_STREAM,
            log_group_name=log_group.name,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-firehose-role",
            name=naming.firehose_role_name(prefix) if prefix else None,
            assume_role_policy=account.apply(lambda a: policies.to_json(policies.firehose_trust(a))),
            opts=child,
        )
        table_name = args.get("table_name", table.name)
        glue = pulumi.Output.all(partition, region, account, args["database_name"], table_name).apply(
            lambda g: policies.glue_arns(g[0], g[1], g[2], g[3], g[4])
        )
        data_prefix = _data_prefix(table, table_format)
        write_prefixes = [data_prefix, error_prefix, *([backup_prefix] if backup else [])]
        role_policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            name="firehose-delivery",
            role=role.id,
            policy=pulumi.Output.all(
                stream_arn,
                args["bucket_arn"],
                glue,
                log_group.arn,
                region,
                args.get("lake_kms_key_arn"),
                args.get("stream_kms_key_arn"),
            ).apply(
                lambda p: policies.to_json(
                    policies.firehose_policy(
                        p[0],
                        p[1],
                        p[2],
                        p[3],
                        FIREHOSE_LOG_STREAM,
                        prefixes=write_prefixes,
                        lake_kms_key_arn=p[5],
                        stream_kms_key_arn=p[6],
                        region=p[4],
                        glue_actions=policies.ICEBERG_TABLE_ACTIONS if iceberg else policies.READ_SCHEMA_ACTIONS,
                        delete_prefixes=[data_prefix] if iceberg else [],
                    )
                )
            ),
            opts=child,
        )
        lake_key = {} if args.get("lake_kms_key_arn") is None else {"kms_key_arn": args["lake_kms_key_arn"]}
        logging = {"enabled": True, "log_group_name": log_group.name, "log_stream_name": log_stream.name}
        backup_destination = {
            "role_arn": role.arn,
            "bucket_arn": args["bucket_arn"],
            "prefix": backup_prefix,
            # Failed deliveries of the backup itself go with the other errors.
            "error_output_prefix": layout.firehose_error_prefix(error_prefix),
            "compression_format": BACKUP_COMPRESSION,
            **lake_key,
        }
        destination: dict[str, Any]
        if iceberg:
            destination = {
                "destination": "iceberg",
                "iceberg_configuration": iceberg_settings(
                    role.arn,
                    pulumi.Output.format("arn:{0}:glue:{1}:{2}:catalog", partition, region, account),
                    args["database_name"],
                    table_name,
                    error_prefix,
                    buffer_size_mb=SPEC.value(args, "buffer_size_mb"),
                    buffer_interval_seconds=SPEC.value(args, "buffer_interval_seconds"),
                    logging=logging,
                    s3={**backup_destination, "bucket_arn": args["bucket_arn"]},
                    backup=backup,
                ),
            }
        else:
            destination = {
                "destination": "extended_s3",
                "extended_s3_configuration": {
                    "role_arn": role.arn,
                    "bucket_arn": args["bucket_arn"],
                    # Firehose sends SSE-KMS with this key on every object it writes (records and errors), as a lake
                    # that refuses other encryption requires.
                    **lake_key,
                    "error_output_prefix": layout.firehose_error_prefix(error_prefix),
                    "file_extension": layout.PARQUET_EXTENSION,
                    "buffering_size": SPEC.value(args, "buffer_size_mb"),
                    "buffering_interval": SPEC.value(args, "buffer_interval_seconds"),
                    # Parquet pages are SNAPPY-compressed by the serializer; a second compression would break them.
                    "compression_format": "UNCOMPRESSED",
                    "cloudwatch_logging_options": logging,
                    "data_format_conversion_configuration": {
                        "enabled": True,
                        "input_format_configuration": {"deserializer": {"open_x_json_ser_de": {}}},
                        "output_format_configuration": {"serializer": {"parquet_ser_de": {"compression": "SNAPPY"}}},
                        "schema_configuration": {
                            "database_name": args["database_name"],
                            "table_name": table_name,
                            "role_arn": role.arn,
                            "region": region,
                        },
                    },
                    # Firehose's S3 backup: the source records as received, before conversion.
                    **(
                        {"s3_backup_mode": EXTENDED_S3_BACKUP, "s3_backup_configuration": backup_destination}
                        if backup
                        else {}
                    ),
                    **mode_settings,
                },
            }
        delivery = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-delivery",
            name=delivery_name,
            kinesis_source_configuration={"kinesis_stream_arn": stream_arn, "role_arn": role.arn},
            **destination,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The role's permissions must exist before Firehose first reads the stream.
                depends_on=[role_policy],
                # A change Firehose cannot make in place replaces the stream (REPLACE_ON_CHANGES); the old one is
                # deleted first, as its name may be fixed and Firehose names are unique in an account and region.
                replace_on_changes=list(REPLACE_ON_CHANGES),
                delete_before_replace=True,
            ),
        )

        self.stream_name = stream_name
        self.stream_arn = stream_arn
        self.delivery_stream_name = delivery.name
        self.delivery_stream_arn = delivery.arn
        self.firehose_role_arn = role.arn
        self.log_group_name = log_group.name
        self.prefixes = pulumi.Output.from_input(write_prefixes)
        self.register_outputs(
            {
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
                "delivery_stream_name": self.delivery_stream_name,
                "delivery_stream_arn": self.delivery_stream_arn,
                "firehose_role_arn": self.firehose_role_arn,
                "log_group_name": self.log_group_name,
                "prefixes": self.prefixes,
            }
        )
