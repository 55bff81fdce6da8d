"""Reusable Pulumi components of the ACME telemetry stack.

Each component takes a TypedDict of inputs, so the package can also be served as a Pulumi component provider
(see `provider.py`). Import them into any Pulumi Python project:

    from components import DataLake, TelemetryCatalog, StreamingIngest, ScheduledGenerator

The component modules keep their annotations evaluated (no `from __future__ import annotations`) because the
provider's schema analyzer reads the real types from them.
"""

from components.catalog import TelemetryCatalog, TelemetryCatalogArgs
from components.data_lake import DataLake, DataLakeArgs
from components.scheduled_generator import ScheduledGenerator, ScheduledGeneratorArgs
from components.streaming_ingest import StreamingIngest, StreamingIngestArgs

COMPONENTS = (DataLake, TelemetryCatalog, StreamingIngest, ScheduledGenerator)

__all__ = [
    "COMPONENTS",
    "DataLake",
    "DataLakeArgs",
    "ScheduledGenerator",
    "ScheduledGeneratorArgs",
    "StreamingIngest",
    "StreamingIngestArgs",
    "TelemetryCatalog",
    "TelemetryCatalogArgs",
]
