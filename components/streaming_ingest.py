"""StreamingIngest: the Kinesis stream and the Firehose that lands it in the lake as partitioned Parquet."""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import naming, policies
from functions.shared import layout

KINESIS_MANAGED_KEY = "alias/aws/kinesis"
FIREHOSE_SERVICE = "firehose.amazonaws.com"
FIREHOSE_LOG_STREAM = "delivery"
JQ_ENGINE = "JQ-1.6"  # Firehose MetadataExtraction: the only JsonParsingEngine it accepts
DYNAMIC_PARTITIONING_RETRY_SECONDS = 300  # Firehose: retry duration for dynamic partitioning is 0–7200 s
DEAGGREGATION_PROCESSOR = "RecordDeAggregation"  # Firehose ProcessorType for multi-record de-aggregation
DEAGGREGATION_SUB_RECORD_TYPE = "JSON"  # SubRecordType: JSON (consecutive or newline-separated objects) or DELIMITED
DEFAULT_RETENTION_HOURS = 24
DEFAULT_BUFFER_MB = 64
DEFAULT_BUFFER_SECONDS = 60
DEFAULT_LOG_RETENTION_DAYS = 7


def extended_s3_settings(partition_by: str) -> dict[str, object]:
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
    settings: dict[str, object] = {"prefix": layout.firehose_prefix(partition_by)}
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
                        {"parameter_name": "MetadataExtractionQuery", "parameter_value": layout.jq_metadata_query()},
                        {"parameter_name": "JsonParsingEngine", "parameter_value": JQ_ENGINE},
                    ],
                },
            ],
        }
    return settings


class StreamingIngestArgs(TypedDict):
    """Inputs of a StreamingIngest."""

    name_prefix: str
    """Prefix of the delivery stream, its role and log group."""
    stream_name: pulumi.Input[str]
    """Kinesis stream name."""
    bucket_arn: pulumi.Input[str]
    """ARN of the lake bucket Firehose writes to."""
    database_name: pulumi.Input[str]
    """Glue database of the table Firehose converts against."""
    table_name: pulumi.Input[str]
    """Glue table whose schema drives the JSON-to-Parquet conversion."""
    partition_by: NotRequired[str]
    """event_time (JQ on event_timestamp, the default) or arrival_time."""
    stream_mode: NotRequired[str]
    """ON_DEMAND (default) or PROVISIONED; a plain string, as it decides which stream properties are set."""
    shard_count: NotRequired[pulumi.Input[int]]
    """Shards of a PROVISIONED stream."""
    retention_hours: NotRequired[pulumi.Input[int]]
    """Hours Kinesis keeps records, 24–8760."""
    buffer_size_mb: NotRequired[pulumi.Input[int]]
    """Firehose buffer size in MB, 64–128 with format conversion."""
    buffer_interval_seconds: NotRequired[pulumi.Input[int]]
    """Firehose buffer interval in seconds, 60–900."""
    log_retention_days: NotRequired[pulumi.Input[int]]
    """Retention of the Firehose log group."""
    lake_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The KMS key of a lake bucket encrypted with SSE-KMS (DataLake's kms_key_arn): Firehose is allowed to use
    it, through S3 and for this bucket only, to write its objects."""


class StreamingIngest(pulumi.ComponentResource):
    """Kinesis stream plus a Firehose that writes SNAPPY Parquet into Hive partitions of the lake."""

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

    def __init__(self, name: str, args: StreamingIngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme-telemetry:index:StreamingIngest", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args["name_prefix"]
        partition_by = args.get("partition_by", layout.PARTITION_BY_EVENT_TIME)
        mode_settings = extended_s3_settings(partition_by)
        delivery_name = naming.delivery_stream_name(prefix)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition

        mode = args.get("stream_mode", "ON_DEMAND")
        stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=args["stream_name"],
            retention_period=args.get("retention_hours", DEFAULT_RETENTION_HOURS),
            stream_mode_details={"stream_mode": mode},
            shard_count=args.get("shard_count") if mode == "PROVISIONED" else None,
            encryption_type="KMS",
            kms_key_id=KINESIS_MANAGED_KEY,
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-firehose-logs",
            name=naming.firehose_log_group(delivery_name),
            retention_in_days=args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS),
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
            name=naming.firehose_role_name(prefix),
            assume_role_policy=account.apply(lambda a: policies.to_json(policies.assume_role(FIREHOSE_SERVICE, a))),
            opts=child,
        )
        glue = pulumi.Output.all(partition, region, account, args["database_name"], args["table_name"]).apply(
            lambda v: policies.glue_arns(v[0], v[1], v[2], v[3], v[4])
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            name="firehose-delivery",
            role=role.id,
            policy=pulumi.Output.all(
                stream.arn, args["bucket_arn"], glue, log_group.arn, region, args.get("lake_kms_key_arn")
            ).apply(
                lambda v: policies.to_json(
                    policies.firehose_policy(
                        v[0], v[1], v[2], v[3], FIREHOSE_LOG_STREAM, lake_kms_key_arn=v[5], region=v[4]
                    )
                )
            ),
            opts=child,
        )
        delivery = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-delivery",
            name=delivery_name,
            destination="extended_s3",
            kinesis_source_configuration={"kinesis_stream_arn": stream.arn, "role_arn": role.arn},
            extended_s3_configuration={
                "role_arn": role.arn,
                "bucket_arn": args["bucket_arn"],
                "error_output_prefix": layout.FIREHOSE_ERROR_PREFIX,
                "file_extension": layout.PARQUET_EXTENSION,
                "buffering_size": args.get("buffer_size_mb", DEFAULT_BUFFER_MB),
                "buffering_interval": args.get("buffer_interval_seconds", DEFAULT_BUFFER_SECONDS),
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
                        "table_name": args["table_name"],
                        "role_arn": role.arn,
                        "region": region,
                    },
                },
                **mode_settings,
            },
            # The role's permissions must exist before Firehose first reads the stream.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )

        self.stream_name = stream.name
        self.stream_arn = stream.arn
        self.delivery_stream_name = delivery.name
        self.delivery_stream_arn = delivery.arn
        self.firehose_role_arn = role.arn
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
                "delivery_stream_name": self.delivery_stream_name,
                "delivery_stream_arn": self.delivery_stream_arn,
                "firehose_role_arn": self.firehose_role_arn,
                "log_group_name": self.log_group_name,
            }
        )
