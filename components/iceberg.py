"""A Table as an Apache Iceberg table in the Glue Data Catalog: its schema, partition spec and table optimizers.

Pure functions of the one schema definition (functions/shared/schema.py), so tests read what Glue receives without
AWS. Glue creates the table's first metadata file itself from CreateTable's OpenTableFormatInput > IcebergInput
(MetadataOperation CREATE) with a CreateIcebergTableInput: Location, Schema, PartitionSpec (IcebergPartitionField:
SourceId, Transform, Name, FieldId) and Properties (AWS Glue API reference, CreateTable / IcebergInput /
CreateIcebergTableInput; pulumi-aws glue.CatalogTable open_table_format_input.iceberg_input.iceberg_table_input). That
is an Iceberg table created through the catalog's own Iceberg support, as Firehose needs ("Firehose streams only
support delivery to databases and tables that are created through Iceberg's GlueCatalog API", Firehose developer
guide, apache-iceberg-considerations.html), not a Hive table with Iceberg parameters typed in.
"""

from __future__ import annotations

from typing import Any

from functions.shared import layout
from functions.shared.schema import Table

ICEBERG_FORMAT_VERSION = "2"
"""Firehose developer guide, apache-iceberg-prereq.html: "Firehose only supports V2 table format. Do not create tables
in V1 format" (and Glue's IcebergInput Version defaults to 2)."""
METADATA_OPERATION = "CREATE"  # Glue IcebergInput.MetadataOperation: CREATE is its only value
FIRST_FIELD_ID = 1  # Iceberg spec: schema field ids are unique positive integers

ICEBERG_TYPES = {"string": "string", "int": "int", "bigint": "long", "double": "double", "boolean": "boolean"}
"""Glue/Hive column type -> Iceberg primitive type (Iceberg spec, "Schemas and Data Types"; Athena maps them back:
long is BIGINT, string VARCHAR)."""

TABLE_PROPERTIES = {"write.format.default": "parquet", "write.parquet.compression-codec": "snappy"}
"""Iceberg table properties: Parquet data files ("Firehose writes data to Apache Iceberg Tables in Parquet format",
apache-iceberg-prereq.html), SNAPPY like the Parquet layout."""

# Glue table optimizers (Glue developer guide: "Optimizing Iceberg tables", compaction-management.html,
# snapshot retention and orphan file deletion pages; pulumi-aws glue.CatalogTableOptimizer).
OPTIMIZER_TYPES = ("compaction", "retention", "orphan_file_deletion")
"""CatalogTableOptimizer.type: the three optimizers Glue runs on an Iceberg table."""
SNAPSHOT_RETENTION_DAYS = 5
"""Snapshots younger than this are kept (Glue's default, 5 days): time travel reaches back five days."""
SNAPSHOTS_TO_RETAIN = 1
"""Glue keeps at least this many snapshots whatever their age (its default, 1)."""
ORPHAN_FILE_RETENTION_DAYS = 3
"""Unreferenced files younger than this are kept (Glue's default, 3 days): a Firehose commit in flight writes its
data files before the snapshot that references them, so they must not be deleted as orphans meanwhile."""
OPTIMIZER_RUN_HOURS = 24
"""Retention and orphan file deletion run once a day (Glue's default run rate); compaction runs as Glue decides."""


def iceberg_columns(table: Table) -> list[dict[str, Any]]:
    """Iceberg schema fields of the table's columns and then its Hive partition keys as ordinary columns (Athena shows
    a Hive table's partition keys as columns; keeping them lets every query written for the Parquet layout run on the
    Iceberg table unchanged), ids from 1 in order, nullable."""
    fields = []
    for offset, col in enumerate(table.columns + table.partition_keys):
        field: dict[str, Any] = {
            "id": FIRST_FIELD_ID + offset,
            "name": col.name,
            "type": ICEBERG_TYPES[col.type],
            "required": False,
        }
        if col.comment:
            field["doc"] = col.comment
        fields.append(field)
    return fields


def iceberg_schema(table: Table) -> dict[str, Any]:
    """The table's Iceberg schema (schema id 0, a struct of its columns)."""
    return {"schema_id": 0, "type": "struct", "fields": iceberg_columns(table)}


def partition_spec(table: Table) -> dict[str, Any]:
    """The Iceberg partition spec: the hour of the table's event-time column (layout.ICEBERG_PARTITION_TRANSFORM)."""
    if not table.timestamp_field:
        raise ValueError(f"table {table.name} has no timestamp_field to partition an Iceberg table by")
    source = next(f["id"] for f in iceberg_columns(table) if f["name"] == table.timestamp_field)
    return {
        "spec_id": 0,
        "fields": [
            {
                "source_id": source,
                "transform": layout.ICEBERG_PARTITION_TRANSFORM,
                "name": layout.iceberg_partition_name(table.timestamp_field),
                "field_id": layout.ICEBERG_PARTITION_FIELD_ID,
            }
        ],
    }


def table_location(bucket: str, table: Table) -> str:
    """s3:// location of the Iceberg table of `table` (beside its Parquet prefix: layout.iceberg_prefix)."""
    return f"s3://{bucket}/{layout.iceberg_prefix(table.prefix)}"


def optimizer_configuration(optimizer: str, role_arn: Any, location: Any) -> dict[str, Any]:
    """CatalogTableOptimizer.configuration of one optimizer type."""
    config: dict[str, Any] = {"enabled": True, "role_arn": role_arn}
    if optimizer == "retention":
        config["retention_configuration"] = {
            "iceberg_configuration": {
                "snapshot_retention_period_in_days": SNAPSHOT_RETENTION_DAYS,
                "number_of_snapshots_to_retain": SNAPSHOTS_TO_RETAIN,
                # Expired snapshots' data and metadata files are deleted too, not only forgotten.
                "clean_expired_files": True,
                "run_rate_in_hours": OPTIMIZER_RUN_HOURS,
            }
        }
    elif optimizer == "orphan_file_deletion":
        config["orphan_file_deletion_configuration"] = {
            "iceberg_configuration": {
                "orphan_file_retention_period_in_days": ORPHAN_FILE_RETENTION_DAYS,
                "location": location,
                "run_rate_in_hours": OPTIMIZER_RUN_HOURS,
            }
        }
    return config
