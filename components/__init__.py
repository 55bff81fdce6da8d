"""Reusable Pulumi components of the ACME telemetry stack.

Each component takes a TypedDict of inputs, so the package can also be served as a Pulumi component provider
(`provider/`, added with `pulumi package add <repo>/provider@<tag>`). Import them into any Pulumi Python project:

    from components import StreamingLake, ScheduledGenerator, Table, Column

`StreamingLake` builds a whole pipeline (lake, catalog, ingest, alarms, dashboard) from one table definition; its
children (`DataLake`, `TelemetryCatalog`, `StreamingIngest`, `PipelineAlarms`, `PipelineDashboard`) are usable alone.

Each validates its own plain arguments when constructed (`ArgumentError` names the argument, its value and the
rule) and takes its data definition (`Table`, the project's one schema type) as an argument.

The component modules keep their annotations evaluated (no `from __future__ import annotations`) because the
provider's schema analyzer reads the real types from them.
"""

from components.access_logs import AccessLogBucket, AccessLogBucketArgs
from components.alarms import PipelineAlarms, PipelineAlarmsArgs, WatchedFunction
from components.catalog import TelemetryCatalog, TelemetryCatalogArgs
from components.dashboard import PipelineDashboard, PipelineDashboardArgs
from components.data_lake import DataLake, DataLakeArgs
from components.encryption import StackKey, StackKeyArgs
from components.scheduled_generator import ScheduledGenerator, ScheduledGeneratorArgs
from components.streaming_ingest import StreamingIngest, StreamingIngestArgs
from components.streaming_lake import StreamingLake, StreamingLakeArgs
from components.validation import ArgumentError, document_arguments
from functions.shared.queries import NamedQuery
from functions.shared.schema import Column, Table

COMPONENTS = (
    StreamingLake,
    DataLake,
    TelemetryCatalog,
    StreamingIngest,
    ScheduledGenerator,
    PipelineAlarms,
    PipelineDashboard,
    StackKey,
    AccessLogBucket,
)

ARGUMENT_TYPES = (
    StreamingLakeArgs,
    DataLakeArgs,
    TelemetryCatalogArgs,
    StreamingIngestArgs,
    ScheduledGeneratorArgs,
    PipelineAlarmsArgs,
    PipelineDashboardArgs,
    StackKeyArgs,
    AccessLogBucketArgs,
    WatchedFunction,
)
"""Every TypedDict of inputs: `help()` shows each field's doc, `typing.get_type_hints` resolves them."""
for _args in ARGUMENT_TYPES:
    document_arguments(_args)

__all__ = [
    "COMPONENTS",
    "AccessLogBucket",
    "AccessLogBucketArgs",
    "ArgumentError",
    "Column",
    "DataLake",
    "DataLakeArgs",
    "NamedQuery",
    "PipelineAlarms",
    "PipelineAlarmsArgs",
    "PipelineDashboard",
    "PipelineDashboardArgs",
    "ScheduledGenerator",
    "ScheduledGeneratorArgs",
    "StackKey",
    "StackKeyArgs",
    "StreamingIngest",
    "StreamingIngestArgs",
    "StreamingLake",
    "StreamingLakeArgs",
    "Table",
    "TelemetryCatalog",
    "TelemetryCatalogArgs",
    "WatchedFunction",
]
