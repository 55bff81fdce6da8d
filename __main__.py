"""ACME telemetry stack: read and check config, build one StreamingLake and the generator that feeds it, export."""

import os

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components import (
    AccessLogBucket,
    ScheduledGenerator,
    StackKey,
    StreamingLake,
    alarms,
    catalog,
    data_lake,
    naming,
    scheduled_generator,
    streaming_ingest,
)
from components import access_logs as access_logs_module
from components import dashboard as dashboard_module
from components.streaming_lake import ROLES
from functions.shared import queries, schema
from stack.settings import CUSTOMER_MANAGED, KEYS, PROJECT, Settings

config = pulumi.Config()
region = pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
# Every key set in this project's namespace, so that a misspelled key is reported rather than ignored.
given = {k.split(":", 1)[1] for k in {**get_config_env(), **CONFIG.get()} if k.startswith(f"{PROJECT}:")}
# Raises ConfigError naming every bad key before a single resource is registered.
settings = Settings.from_config({key: config.get(key) for key in given | {key.name for key in KEYS}}, region)
for note in settings.notes:
    pulumi.log.warn(note)
for line in settings.info:
    pulumi.log.info(line)

# encryptionKey: AWS managed keys (None), one key this stack creates, or an existing key's ARN.
kms_key_arn: pulumi.Output[str] | str | None = None
if settings.key_mode == CUSTOMER_MANAGED:
    kms_key_arn = StackKey(
        "key",
        {
            "description": f"{PROJECT} {pulumi.get_stack()}: stream, lake, queue, topic, logs, Lambda environment",
            # A kept lake stays readable only while its key exists.
            "retain_on_delete": settings.lake_retain_on_destroy,
        },
    ).key_arn
elif settings.key_mode == "existing":
    kms_key_arn = settings.encryption_key
keyed: dict[str, pulumi.Input[str]] = {} if kms_key_arn is None else {"kms_key_arn": kms_key_arn}

# The generator's names follow the stack's <namePrefix>-<role> scheme, so the pipeline can watch its functions and
# dead-letter queue by name before the generator (which needs the stream) is built.
watched = [
    {"label": role, "function_name": function, "timeout_seconds": settings.lambda_timeout_seconds}
    for role, function in (
        ("generator", settings.generator_function_name),
        ("producer", settings.producer_function_name),
    )
]
# Every argument config sets or derives for each part of the pipeline, as config validation checked them by the
# parts' own rules; StreamingLake wires the rest (the alarms' retention and partitioning follow the ingest's settings,
# the catalog keeps its dimension files when the lake is kept).
WIRED_BY_PIPELINE = frozenset({"stream_retention_hours", "dynamic_partitioning", "retain_objects_on_delete"})
configured = {
    arg: value
    for spec in (data_lake.SPEC, catalog.SPEC, streaming_ingest.SPEC, alarms.SPEC, dashboard_module.SPEC)
    for arg, value in settings.component_args(spec).items()
    if arg not in WIRED_BY_PIPELINE
}
pipeline_args = {
    **configured,
    **keyed,
    "table": schema.STREAMING_EVENTS,
    "tables": list(schema.TABLES),
    "named_queries": list(queries.NAMED_QUERIES),
    "description": schema.DATABASE_DESCRIPTION,
    "upload_dimensions": True,
    "stream_name": settings.stream_name,
    "workgroup_name": settings.workgroup_name,
    "functions": watched,
    "dead_letter_queue_name": naming.dead_letter_queue_name(settings.name_prefix),
    "generator_log_group_name": naming.lambda_log_group(settings.generator_function_name),
    # These five were built at the stack's root before StreamingLake: aliases move them, nothing is replaced.
    "moved_from_root": {role: role for role in ROLES},
}
pipeline = StreamingLake("telemetry", pipeline_args)

generator_args = {**settings.component_args(scheduled_generator.SPEC), "stream_name": pipeline.stream_name}
generator = ScheduledGenerator("generator", {**generator_args, **keyed, "stream_arn": pipeline.stream_arn})
# Every bucket of the stack logs its requests: the lake and the generator's state bucket.
access_logs = AccessLogBucket(
    "access-logs",
    {
        "source_bucket_names": [pipeline.bucket_name, generator.state_bucket_name],
        **settings.component_args(access_logs_module.SPEC),
    },
)

pulumi.export("region", settings.region)
pulumi.export("streamName", pipeline.stream_name)
pulumi.export("streamArn", pipeline.stream_arn)
pulumi.export("deliveryStreamName", pipeline.delivery_stream_name)
pulumi.export("bucketName", pipeline.bucket_name)
pulumi.export("glueDatabaseName", pipeline.database_name)
pulumi.export("glueTableNames", pipeline.table_names)
pulumi.export("athenaWorkgroup", pipeline.workgroup_name)
pulumi.export("athenaNamedQueries", pipeline.named_query_names)
pulumi.export("athenaQuery", pipeline.database_name.apply(queries.READY_QUERY.sql))
pulumi.export("generatorFunctionName", generator.generator_function_name)
pulumi.export("producerFunctionName", generator.producer_function_name)
pulumi.export("deadLetterQueueUrl", generator.dead_letter_queue_url)
pulumi.export("generatorStateBucketName", generator.state_bucket_name)
pulumi.export("scheduleExpression", settings.schedule_expression)
pulumi.export("scheduleEnabled", settings.schedule_enabled)
pulumi.export("partitionBy", settings.partition_by)
pulumi.export("dashboardUrl", pipeline.dashboard_url)
pulumi.export("alarmTopicArn", pipeline.alarm_topic_arn)
pulumi.export("alarmNames", pipeline.alarm_names)
pulumi.export("accessLogBucketName", access_logs.bucket_name)
pulumi.export("encryptionKeyArn", kms_key_arn)
