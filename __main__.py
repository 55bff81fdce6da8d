"""ACME telemetry stack: read and check config, compose the four components, export the outputs."""

import os

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components import (
    DataLake,
    DataLakeArgs,
    ScheduledGenerator,
    ScheduledGeneratorArgs,
    StreamingIngest,
    StreamingIngestArgs,
    TelemetryCatalog,
)
from components.settings import KEYS, PROJECT, Settings
from functions.shared import queries

config = pulumi.Config()
region = pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
# Every key set in this project's namespace, so that a misspelled key is reported rather than ignored.
given = {k.split(":", 1)[1] for k in {**get_config_env(), **CONFIG.get()} if k.startswith(f"{PROJECT}:")}
# Raises ConfigError naming every bad key before a single resource is registered.
settings = Settings.from_config({key: config.get(key) for key in given | {key.name for key in KEYS}}, region)

lake_args: DataLakeArgs = {
    "transition_days": settings.lake_transition_days,
    "transition_storage_class": settings.lake_transition_storage_class,
    "noncurrent_version_expiration_days": settings.noncurrent_version_expiration_days,
    "abort_incomplete_multipart_days": settings.abort_incomplete_multipart_days,
}
if settings.bucket_name:
    lake_args["bucket_name"] = settings.bucket_name
else:
    lake_args["bucket_name_prefix"] = settings.bucket_name_prefix
lake = DataLake("lake", lake_args)

catalog = TelemetryCatalog(
    "catalog",
    {
        "bucket_name": lake.bucket_name,
        "database_name": settings.database_name,
        "workgroup_name": settings.workgroup_name,
        "bytes_scanned_cutoff_mb": settings.athena_bytes_scanned_cutoff_mb,
        "projection_year_start": settings.projection_year_start,
        "projection_year_end": settings.projection_year_end,
        "dimension_seed": settings.dimension_seed,
        "customer_count": settings.customer_count,
        "title_count": settings.title_count,
        "campaign_count": settings.campaign_count,
    },
)

ingest_args: StreamingIngestArgs = {
    "name_prefix": settings.name_prefix,
    "stream_name": settings.stream_name,
    "bucket_arn": lake.bucket_arn,
    "database_name": catalog.database_name,
    "table_name": catalog.events_table_name,
    "partition_by": settings.partition_by,
    "stream_mode": settings.kinesis_stream_mode,
    "retention_hours": settings.kinesis_retention_hours,
    "buffer_size_mb": settings.firehose_buffer_size_mb,
    "buffer_interval_seconds": settings.firehose_buffer_interval_seconds,
    "log_retention_days": settings.firehose_log_retention_days,
}
if settings.kinesis_shard_count is not None:
    ingest_args["shard_count"] = settings.kinesis_shard_count
ingest = StreamingIngest("ingest", ingest_args)

generator_args: ScheduledGeneratorArgs = {
    "name_prefix": settings.name_prefix,
    "stream_name": ingest.stream_name,
    "stream_arn": ingest.stream_arn,
    "runtime": settings.lambda_runtime,
    "architecture": settings.lambda_architecture,
    "memory_mb": settings.lambda_memory_mb,
    "timeout_seconds": settings.lambda_timeout_seconds,
    "batch_size": settings.batch_size,
    "schedule_expression": settings.schedule_expression,
    "schedule_enabled": settings.schedule_enabled,
    "dimension_seed": settings.dimension_seed,
    "customer_count": settings.customer_count,
    "title_count": settings.title_count,
    "log_retention_days": settings.lambda_log_retention_days,
    "max_retry_attempts": settings.producer_max_retry_attempts,
    "max_event_age_seconds": settings.max_event_age_seconds,
}
if settings.window_seconds is not None:
    generator_args["window_seconds"] = settings.window_seconds
generator = ScheduledGenerator("generator", generator_args)

pulumi.export("region", settings.region)
pulumi.export("streamName", ingest.stream_name)
pulumi.export("streamArn", ingest.stream_arn)
pulumi.export("deliveryStreamName", ingest.delivery_stream_name)
pulumi.export("bucketName", lake.bucket_name)
pulumi.export("glueDatabaseName", catalog.database_name)
pulumi.export("glueTableNames", catalog.table_names)
pulumi.export("athenaWorkgroup", catalog.workgroup_name)
pulumi.export("athenaNamedQueries", catalog.named_query_names)
pulumi.export("athenaQuery", catalog.database_name.apply(queries.READY_QUERY.sql))
pulumi.export("generatorFunctionName", generator.generator_function_name)
pulumi.export("producerFunctionName", generator.producer_function_name)
pulumi.export("deadLetterQueueUrl", generator.dead_letter_queue_url)
pulumi.export("scheduleExpression", settings.schedule_expression)
pulumi.export("scheduleEnabled", settings.schedule_enabled)
pulumi.export("partitionBy", settings.partition_by)
