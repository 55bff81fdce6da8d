"""StreamingIngest: a Kinesis stream (new or existing) and the Firehose that lands it in the lake as Parquet."""

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
    """What the Iceberg destination accepts (its delivery is built in the next step of issue 18)."""
    if args.get("table_format") == layout.TABLE_FORMAT_ICEBERG:
        yield "table_format", f"{layout.TABLE_FORMAT_PARQUET} in this version", args["table_format"]


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
    """Kinesis stream plus a Firehose that writes SNAPPY Parquet into Hive partitions of the lake."""

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
    """The key prefixes Firehose writes under (data, errors): exactly what its role may write."""

    def __init__(self, name: str, args: StreamingIngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:StreamingIngest", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        table = Table.of(args["table"])
        partition_by = SPEC.value(args, "partition_by")
        error_prefix = SPEC.value(args, "error_prefix")
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
        write_prefixes = [table.prefix, error_prefix]
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
                    )
                )
            ),
            opts=child,
        )
        delivery = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-delivery",
            name=delivery_name,
            destination="extended_s3",
            kinesis_source_configuration={"kinesis_stream_arn": stream_arn, "role_arn": role.arn},
            extended_s3_configuration={
                "role_arn": role.arn,
                "bucket_arn": args["bucket_arn"],
                # Firehose sends SSE-KMS with this key on every object it writes (records and errors), as a lake
                # that refuses other encryption requires.
                **({} if args.get("lake_kms_key_arn") is None else {"kms_key_arn": args["lake_kms_key_arn"]}),
                "error_output_prefix": layout.firehose_error_prefix(error_prefix),
                "file_extension": layout.PARQUET_EXTENSION,
                "buffering_size": SPEC.value(args, "buffer_size_mb"),
                "buffering_interval": SPEC.value(args, "buffer_interval_seconds"),
                # Parquet pages are SNAPPY-compressed by the serializer; a second compression would break them.
                "compression_format": "UNCOMPRESSED",
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": log_group.name,
                    "log_stream_name": log_stream.name,
                },
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
                **mode_settings,
            },
            # The role's permissions must exist before Firehose first reads the stream.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
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
