"""IoT sensor readings: a lake, a catalog and a stream-to-Parquet ingest, from acme-telemetry's components."""

from typing import Any

import pulumi
from readings import QUERIES, READINGS

from components import DataLake, StreamingIngest, TelemetryCatalog

config = pulumi.Config()


def given(**values: Any) -> dict[str, Any]:
    """The arguments config sets; the rest keep the component's defaults."""
    return {key: value for key, value in values.items() if value not in (None, "")}


lake_args = given(existing_bucket_name=config.get("existingBucketName"))
ingest_args = given(
    partition_by=config.get("partitionBy"),
    buffer_interval_seconds=config.get_int("bufferIntervalSeconds"),
    retention_hours=config.get_int("retentionHours"),
)
# Config errors surface before any resource is registered, naming the argument, its value and the rule.
DataLake.validate("sensors-lake", lake_args)
StreamingIngest.validate("sensors-ingest", {**ingest_args, "table": READINGS})

# No physical names are given: each derives from its resource name, so this stack never clashes with another.
lake = DataLake("sensors-lake", lake_args)
catalog = TelemetryCatalog(
    "sensors-catalog",
    {"bucket_name": lake.bucket_name, "tables": [READINGS], "named_queries": list(QUERIES)},
)
ingest = StreamingIngest(
    "sensors-ingest",
    {
        **ingest_args,
        "bucket_arn": lake.bucket_arn,
        "database_name": catalog.database_name,
        "table": READINGS,
        "table_name": catalog.events_table_name,
    },
)

pulumi.export("bucketName", lake.bucket_name)
pulumi.export("streamName", ingest.stream_name)
pulumi.export("deliveryStreamName", ingest.delivery_stream_name)
pulumi.export("databaseName", catalog.database_name)
pulumi.export("tableNames", catalog.table_names)
pulumi.export("workgroupName", catalog.workgroup_name)
