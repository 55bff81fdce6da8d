"""ACME telemetry stack: read and check config, compose the components, export the outputs."""

import os

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components import (
    AccessLogBucket,
    DataLake,
    PipelineAlarms,
    PipelineDashboard,
    ScheduledGenerator,
    StackKey,
    StreamingIngest,
    TelemetryCatalog,
    alarms,
    catalog,
    data_lake,
    scheduled_generator,
    streaming_ingest,
)
from components import access_logs as access_logs_module
from functions.shared import layout, queries, schema
from stack.settings import CUSTOMER_MANAGED, KEYS, PROJECT, Settings

config = pulumi.Config()
region = pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
# Every key set in this project's namespace, so that a misspelled key is reported rather than ignored.
given = {k.split(":", 1)[1] for k in {**get_config_env(), **CONFIG.get()} if k.startswith(f"{PROJECT}:")}
# Raises ConfigError naming every bad key before a single resource is registered.
settings = Settings.from_config({key: config.get(key) for key in given | {key.name for key in KEYS}}, region)

# encryptionKey: AWS managed keys (None), one key this stack creates, or an existing key's ARN.
kms_key_arn: pulumi.Output[str] | str | None = None
if settings.key_mode == CUSTOMER_MANAGED:
    kms_key_arn = StackKey(
        "key", {"description": f"{PROJECT} {pulumi.get_stack()}: stream, lake, queue, topic, logs, Lambda environment"}
    ).key_arn
elif settings.key_mode == "existing":
    kms_key_arn = settings.encryption_key
keyed = {} if kms_key_arn is None else {"kms_key_arn": kms_key_arn}

lake_args = settings.args_for(data_lake.SPEC)
# Kept by default; a stack that lets `pulumi destroy` delete the lake must let it empty the bucket first.
lake_args["force_destroy"] = not settings.lake_retain_on_destroy
lake_args["transition_prefixes"] = [table.prefix for table in schema.TABLES]
lake = DataLake("lake", {**lake_args, **keyed})
access_logs = AccessLogBucket(
    "access-logs",
    {
        "source_bucket_names": [lake.bucket_name],
        "bucket_name_prefix": f"{settings.name_prefix}-access-logs-"[: access_logs_module.BUCKET_PREFIX_MAX],
        "retain_on_delete": settings.lake_retain_on_destroy,
        "force_destroy": not settings.lake_retain_on_destroy,
    },
)
catalog_ = TelemetryCatalog(
    "catalog",
    {
        **settings.args_for(catalog.SPEC),
        "tables": list(schema.TABLES),
        "named_queries": list(queries.NAMED_QUERIES),
        "description": schema.DATABASE_DESCRIPTION,
        "upload_dimensions": True,
        "bucket_name": lake.bucket_name,
        "workgroup_name": settings.workgroup_name,
    },
)
ingest = StreamingIngest(
    "ingest",
    {
        **settings.args_for(streaming_ingest.SPEC),
        "stream_name": settings.stream_name,
        "bucket_arn": lake.bucket_arn,
        "table": schema.STREAMING_EVENTS,
        "database_name": catalog_.database_name,
        "table_name": catalog_.events_table_name,
        **(
            {}
            if kms_key_arn is None
            else {"stream_kms_key_arn": kms_key_arn, "lake_kms_key_arn": kms_key_arn, "log_kms_key_arn": kms_key_arn}
        ),
    },
)
generator_args = {**settings.args_for(scheduled_generator.SPEC), "stream_name": ingest.stream_name}
if settings.window_seconds is not None:
    generator_args["window_seconds"] = settings.window_seconds
generator = ScheduledGenerator("generator", {**generator_args, **keyed, "stream_arn": ingest.stream_arn})

watched = [
    {
        "label": "generator",
        "function_name": generator.generator_function_name,
        "timeout_seconds": settings.lambda_timeout_seconds,
    },
    {
        "label": "producer",
        "function_name": generator.producer_function_name,
        "timeout_seconds": settings.lambda_timeout_seconds,
    },
]
dead_letter_queue_name = generator.dead_letter_queue_arn.apply(lambda arn: arn.split(":")[-1])
alarm_args = {
    **settings.args_for(alarms.SPEC),
    "stream_name": ingest.stream_name,
    "delivery_stream_name": ingest.delivery_stream_name,
    "functions": watched,
    "dead_letter_queue_name": dead_letter_queue_name,
    "schedule_enabled": settings.schedule_enabled,
    "stream_retention_hours": settings.kinesis_retention_hours,
    "buffer_interval_seconds": settings.firehose_buffer_interval_seconds,
    "dynamic_partitioning": settings.partition_by == "event_time",
    "alarm_name_prefix": settings.name_prefix,
    "error_prefix": layout.ERRORS_PREFIX,
}
if settings.window_seconds is not None:
    alarm_args["schedule_period_seconds"] = settings.window_seconds
if kms_key_arn is not None and "alarm_topic_arn" not in alarm_args:
    alarm_args["kms_key_arn"] = kms_key_arn
pipeline_alarms = PipelineAlarms("alarms", alarm_args)
dashboard = PipelineDashboard(
    "dashboard",
    {
        "stream_name": ingest.stream_name,
        "delivery_stream_name": ingest.delivery_stream_name,
        "functions": watched,
        "dead_letter_queue_name": dead_letter_queue_name,
        "generator_log_group_name": generator.generator_log_group_name,
        "alarm_arns": pipeline_alarms.alarm_arns,
        "dashboard_name": f"{settings.name_prefix}-pipeline",
        "metric_namespace": f"{PROJECT}/{settings.name_prefix}",
    },
)

pulumi.export("region", settings.region)
pulumi.export("streamName", ingest.stream_name)
pulumi.export("streamArn", ingest.stream_arn)
pulumi.export("deliveryStreamName", ingest.delivery_stream_name)
pulumi.export("bucketName", lake.bucket_name)
pulumi.export("glueDatabaseName", catalog_.database_name)
pulumi.export("glueTableNames", catalog_.table_names)
pulumi.export("athenaWorkgroup", catalog_.workgroup_name)
pulumi.export("athenaNamedQueries", catalog_.named_query_names)
pulumi.export("athenaQuery", catalog_.database_name.apply(queries.READY_QUERY.sql))
pulumi.export("generatorFunctionName", generator.generator_function_name)
pulumi.export("producerFunctionName", generator.producer_function_name)
pulumi.export("deadLetterQueueUrl", generator.dead_letter_queue_url)
pulumi.export("scheduleExpression", settings.schedule_expression)
pulumi.export("scheduleEnabled", settings.schedule_enabled)
pulumi.export("partitionBy", settings.partition_by)
pulumi.export("dashboardUrl", dashboard.dashboard_url)
pulumi.export("alarmTopicArn", pipeline_alarms.topic_arn)
pulumi.export("alarmNames", pipeline_alarms.alarm_names)
pulumi.export("accessLogBucketName", access_logs.bucket_name)
pulumi.export("encryptionKeyArn", kms_key_arn)
