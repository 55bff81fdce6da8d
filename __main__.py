"""ACME telemetry stack: read and check config, compose the four components, export the outputs."""

import os

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components import (
    DataLake,
    ScheduledGenerator,
    StreamingIngest,
    TelemetryCatalog,
    catalog,
    data_lake,
    scheduled_generator,
    streaming_ingest,
)
from components.settings import KEYS, PROJECT, Settings
from functions.shared import queries

config = pulumi.Config()
region = pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
# Every key set in this project's namespace, so that a misspelled key is reported rather than ignored.
given = {k.split(":", 1)[1] for k in {**get_config_env(), **CONFIG.get()} if k.startswith(f"{PROJECT}:")}
# Raises ConfigError naming every bad key before a single resource is registered.
settings = Settings.from_config({key: config.get(key) for key in given | {key.name for key in KEYS}}, region)

lake = DataLake("lake", settings.args_for(data_lake.SPEC))
catalog_ = TelemetryCatalog(
    "catalog",
    {
        **settings.args_for(catalog.SPEC),
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
        "database_name": catalog_.database_name,
        "table_name": catalog_.events_table_name,
    },
)
generator_args = {**settings.args_for(scheduled_generator.SPEC), "stream_name": ingest.stream_name}
if settings.window_seconds is not None:
    generator_args["window_seconds"] = settings.window_seconds
generator = ScheduledGenerator("generator", {**generator_args, "stream_arn": ingest.stream_arn})

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
