"""IoT sensor readings: a stream landed as a queryable, watched Parquet table, from acme-telemetry's StreamingLake."""

from typing import Any

import pulumi
from readings import QUERIES, READINGS

from components import StreamingLake

config = pulumi.Config()


def given(**values: Any) -> dict[str, Any]:
    """The arguments config sets; the rest keep the component's defaults."""
    return {key: value for key, value in values.items() if value not in (None, "")}


args = given(
    existing_bucket_name=config.get("existingBucketName"),
    partition_by=config.get("partitionBy"),
    buffer_interval_seconds=config.get_int("bufferIntervalSeconds"),
    retention_hours=config.get_int("retentionHours"),
)
# No physical names are given: each derives from the resource name, so this stack never clashes with another.
# Bad config fails here, before any resource is registered, naming the argument, its value and the rule.
sensors = StreamingLake("sensors", {**args, "table": READINGS, "named_queries": list(QUERIES)})

pulumi.export("bucketName", sensors.bucket_name)
pulumi.export("streamName", sensors.stream_name)
pulumi.export("deliveryStreamName", sensors.delivery_stream_name)
pulumi.export("databaseName", sensors.database_name)
pulumi.export("tableNames", sensors.table_names)
pulumi.export("workgroupName", sensors.workgroup_name)
pulumi.export("dashboardUrl", sensors.dashboard_url)
