"""A lake's streamed table as an Apache Iceberg table (pyiceberg), on a local filesystem.

The catalog is pyiceberg's SQL catalog on a SQLite file inside the lake directory; the table lives where the AWS
table does, beside the Parquet layout (`telemetry-iceberg/data/…`, `telemetry-iceberg/metadata/…`), with the same
schema and partition spec as the AWS table (`components.iceberg`, from the one table definition in
`functions.shared.schema`): the catalog's columns, partitioned by truncate[13] of the ISO 8601 event time, its hour.

This project's writers (the local Firehose, the backfill) write the data files themselves into the table's data
folder, and one Iceberg commit (`add_files`) per stretch makes them part of the table: atomic by itself, and tagged
with the lake journal's commit id, so recovery after a crash can tell whether it happened (`IcebergCommit`).

`compact` does what AWS Glue's table optimizers do for the AWS table: rewrites small files into larger ones
(same rows), expires old snapshots and deletes the files only they referenced, and deletes orphan files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from components import iceberg as aws
from functions.shared import layout
from functions.shared.schema import STREAMING_EVENTS, Table
from lakewriter import faults
from lakewriter.parquet import COMPRESSION
from local.lake_files import ICEBERG_CATALOG

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table as IcebergTable

CATALOG_FILE = ICEBERG_CATALOG
"""The SQL catalog's SQLite database, in the lake's root."""
CATALOG_NAME = "acme-telemetry-local"
COMMIT_PROPERTY = "acme-telemetry.commit"
"""Snapshot summary property holding the lake journal's commit id (what recovery looks for)."""

# Snapshot retention and orphan-file deletion as the AWS table's Glue optimizers are configured (the AWS side's
# constants, Glue's defaults): snapshots older than snapshotRetentionPeriodInDays (5) are expired, but at least
# numberOfSnapshotsToRetain (1) are kept, and cleanExpiredFiles deletes the files only expired snapshots referenced
# (Glue API reference, IcebergRetentionConfiguration: "If an input is not provided, the corresponding Iceberg table
# configuration field will be used or if not present, the default value 5 will be used"); so, as there, the table
# properties history.expire.max-snapshot-age-ms and history.expire.min-snapshots-to-keep win when set. Files no
# snapshot references are deleted after orphanFileRetentionPeriodInDays (3) under the table's location (Glue API
# reference, IcebergOrphanFileDeletionConfiguration).
SNAPSHOT_RETENTION_DAYS = aws.SNAPSHOT_RETENTION_DAYS
SNAPSHOTS_TO_RETAIN = aws.SNAPSHOTS_TO_RETAIN
ORPHAN_FILE_RETENTION_DAYS = aws.ORPHAN_FILE_RETENTION_DAYS
MAX_SNAPSHOT_AGE_PROPERTY = "history.expire.max-snapshot-age-ms"
MIN_SNAPSHOTS_PROPERTY = "history.expire.min-snapshots-to-keep"

TARGET_FILE_SIZE_PROPERTY = "write.target-file-size-bytes"
TARGET_FILE_SIZE_BYTES = 512 * 1024 * 1024
"""Iceberg's default write.target-file-size-bytes (512 MiB), the size Glue's compaction aims for."""
SMALL_FILE_SHARE = 0.75
"""Glue's compaction takes files smaller than 75% of the target size (AWS prescriptive guidance, "Maintenance with
the AWS Glue Data Catalog table optimizer")."""
MIN_INPUT_FILES = 2
"""Small files a partition needs before it is compacted. Glue's minInputFiles default is 100 (same source): a
laptop's lake never has that many in one hour, and `local compact` runs on demand, so here two are enough."""

_PYICEBERG_TYPES = {
    "string": "StringType",
    "int": "IntegerType",
    "long": "LongType",
    "double": "DoubleType",
    "boolean": "BooleanType",
}
"""Iceberg primitive type (the values of components.iceberg.ICEBERG_TYPES) -> pyiceberg's class of it."""

logging.getLogger("pyiceberg.io.pyarrow").setLevel(logging.ERROR)
"""pyiceberg warns for every column a data file has no statistics for: the backfill writes them only where they
can prune (its STATISTICS_COLUMNS), on purpose."""


class IcebergLakeError(ValueError):
    """The lake's Iceberg catalog or table cannot be used."""


def iceberg_schema(table: Table = STREAMING_EVENTS) -> Schema:
    """The table's Iceberg schema, as the AWS table's (`components.iceberg.iceberg_columns`), in pyiceberg's form."""
    from pyiceberg import types
    from pyiceberg.schema import Schema

    return Schema(
        *(
            types.NestedField(
                f["id"], f["name"], getattr(types, _PYICEBERG_TYPES[f["type"]])(), f["required"], doc=f.get("doc")
            )
            for f in aws.iceberg_columns(table)
        )
    )


def _partition_spec(table: Table) -> Any:
    """The AWS table's partition spec (`components.iceberg.partition_spec`) in pyiceberg's form."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import parse_transform

    if table.timestamp_field is None:
        raise IcebergLakeError(f"table {table.name}: an Iceberg table needs a timestamp_field to partition by")
    return PartitionSpec(
        *(
            PartitionField(f["source_id"], f["field_id"], parse_transform(f["transform"]), f["name"])
            for f in aws.partition_spec(table)["fields"]
        )
    )


def table_location(lake: Path, table: Table = STREAMING_EVENTS) -> Path:
    """Where the table lives in the lake: beside the Parquet layout, as in the AWS lake (layout.iceberg_prefix)."""
    return lake.resolve() / layout.iceberg_prefix(table.prefix).rstrip("/")


def local_path(location: str) -> str:
    """A filesystem path from an Iceberg location (a `file:` URI or a plain path)."""
    if location.startswith("file:"):
        return urllib.parse.unquote(urllib.parse.urlparse(location).path)
    return location


@contextlib.contextmanager
def _named_errors(lake: Path) -> Iterator[None]:
    """Turn what a damaged catalog or table raises into one IcebergLakeError naming the catalog."""
    try:
        yield
    except IcebergLakeError:
        raise
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            raise  # a full disk or a refused write: the caller's to report
        raise IcebergLakeError(
            f"{lake / CATALOG_FILE}: the Iceberg table is damaged ({exc.filename or exc} is missing); "
            "restore the lake, or use another --lake"
        ) from None
    except Exception as exc:  # sqlalchemy's DatabaseError, pyiceberg's own errors, a malformed metadata file
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IcebergLakeError(
            f"{lake / CATALOG_FILE}: damaged Iceberg catalog ({type(exc).__name__}: {detail}); "
            "restore it, or use another --lake"
        ) from None


def catalog(lake: Path) -> SqlCatalog:
    """The lake's SQL catalog (created, with its tables, on first use)."""
    from pyiceberg.catalog.sql import SqlCatalog

    root = lake.resolve()
    with _named_errors(lake):
        return SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{root / CATALOG_FILE}", warehouse=root.as_uri())


def open_table(lake: Path, database: str, table: Table = STREAMING_EVENTS, *, create: bool = True) -> IcebergTable:
    """The lake's Iceberg table of `table`: created if missing (when `create`), evolved to the definition's columns.

    A column added to the definition is added to the table (old data files read it as null); a column whose type
    changed is refused, naming it: Iceberg allows only widening promotions, which Athena would see as a new type.
    """
    from pyiceberg.exceptions import NoSuchTableError

    if not create and not (lake / CATALOG_FILE).is_file():
        raise IcebergLakeError(f"--lake {lake} has no Iceberg catalog ({CATALOG_FILE})")
    cat = catalog(lake)
    wanted = iceberg_schema(table)
    with _named_errors(lake):
        try:
            iceberg = cat.load_table((database, table.name))
        except NoSuchTableError:
            if not create:
                raise IcebergLakeError(
                    f"--lake {lake}: the Iceberg catalog has no table {database}.{table.name}"
                ) from None
            faults.step("create iceberg table")
            cat.create_namespace_if_not_exists(database)
            return cat.create_table(
                (database, table.name),
                schema=wanted,
                partition_spec=_partition_spec(table),
                location=table_location(lake, table).as_uri(),
                properties={"format-version": aws.ICEBERG_FORMAT_VERSION, **aws.TABLE_PROPERTIES},
            )
        have = {f.name: f for f in iceberg.schema().fields}
        changed = [
            f"{f.name} ({have[f.name].field_type} in the table, {f.field_type} in the definition)"
            for f in wanted.fields
            if f.name in have and have[f.name].field_type != f.field_type
        ]
        if changed:
            raise IcebergLakeError(
                f"--lake {lake}: the definition of {table.name} changes the type of {', '.join(changed)}; an "
                "Iceberg column's type may not change (add a column instead), so use another --lake"
            )
        if any(f.name not in have for f in wanted.fields):
            faults.step("evolve iceberg schema")
            with iceberg.update_schema() as update:
                update.union_by_name(wanted)
            iceberg = cat.load_table((database, table.name))
    return iceberg


def commit_ids(iceberg: IcebergTable) -> set[str]:
    """The journal commit ids of the table's snapshots."""
    return {
        s.summary.additional_properties[COMMIT_PROPERTY]
        for s in iceberg.metadata.snapshots
        if s.summary is not None and COMMIT_PROPERTY in s.summary.additional_properties
    }


@dataclass
class IcebergCommit:
    """The Iceberg half of a journaled stretch: add the stretch's data files (or replace `replaces` by them) in one
    commit tagged with the journal's commit id; and, after a crash, whether that commit happened."""

    lake: Path
    database: str
    table: Table = STREAMING_EVENTS
    replaces: Sequence[DataFile] = ()
    """Data files the new ones replace (compaction); none for an append."""
    snapshot_id: int | None = None
    """The snapshot the commit made."""

    def data_files(self, record: Mapping[str, Any]) -> list[str]:
        data = f"{layout.iceberg_prefix(self.table.prefix)}{layout.ICEBERG_DATA_DIR}"
        return [
            str(self.lake.resolve() / f)
            for f in record.get("files", [])
            if f.startswith(data) and f.endswith(layout.PARQUET_EXTENSION)
        ]

    def commit(self, record: Mapping[str, Any]) -> None:
        files = self.data_files(record)
        if not files and not self.replaces:
            return
        iceberg = open_table(self.lake, self.database, self.table)
        properties = {COMMIT_PROPERTY: str(record["commit"])}
        faults.step("iceberg commit")
        with _named_errors(self.lake):
            if not self.replaces:
                iceberg.add_files(files, snapshot_properties=properties, check_duplicate_files=False)
            else:
                from pyiceberg.io.pyarrow import parquet_file_to_data_file

                with iceberg.transaction() as txn, txn.update_snapshot(properties).overwrite() as rewrite:
                    for old in self.replaces:
                        rewrite.delete_data_file(old)
                    for path in files:
                        rewrite.append_data_file(parquet_file_to_data_file(iceberg.io, txn.table_metadata, path))
            iceberg = iceberg.refresh()
        self.snapshot_id = iceberg.metadata.current_snapshot_id

    def committed(self, record: Mapping[str, Any]) -> bool:
        if not self.data_files(record) and not self.replaces:
            return True  # nothing to commit: the stretch's files alone decide
        if not (self.lake / CATALOG_FILE).is_file():
            return False
        try:
            iceberg = open_table(self.lake, self.database, self.table, create=False)
        except IcebergLakeError as exc:
            if "has no table" in str(exc):
                return False
            raise
        return str(record["commit"]) in commit_ids(iceberg)


def scan_files(
    iceberg: IcebergTable, *, snapshot_id: int | None = None, as_of: dt.datetime | None = None
) -> tuple[list[str], bool]:
    """(data file paths, whether any carries delete files) of the table now, at a snapshot or as of a moment."""
    if as_of is not None:
        snapshot = iceberg.snapshot_as_of_timestamp(int(as_of.timestamp() * 1000))
        if snapshot is None:
            first = min((s.timestamp_ms for s in iceberg.metadata.snapshots), default=None)
            since = "" if first is None else f"; its oldest kept snapshot is of {_iso(first)}"
            raise IcebergLakeError(f"as of {as_of.isoformat()}: the table had no snapshot yet{since}")
        snapshot_id = snapshot.snapshot_id
    elif snapshot_id is not None and iceberg.snapshot_by_id(snapshot_id) is None:
        kept = ", ".join(str(s.snapshot_id) for s in iceberg.metadata.snapshots) or "none"
        raise IcebergLakeError(f"snapshot id {snapshot_id} is not in the table (kept snapshots: {kept})")
    tasks = list(iceberg.scan(snapshot_id=snapshot_id).plan_files())
    return sorted(local_path(t.file.file_path) for t in tasks), any(t.delete_files for t in tasks)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of the table, for listing and time travel."""

    snapshot_id: int
    committed_at: dt.datetime
    operation: str
    records: int
    data_files: int


def snapshots(iceberg: IcebergTable) -> list[SnapshotInfo]:
    """The table's kept snapshots, oldest first."""
    out = []
    for s in sorted(iceberg.metadata.snapshots, key=lambda s: s.timestamp_ms):
        summary = s.summary.additional_properties if s.summary is not None else {}
        out.append(
            SnapshotInfo(
                s.snapshot_id,
                dt.datetime.fromtimestamp(s.timestamp_ms / 1000, tz=dt.UTC),
                str(s.summary.operation.value) if s.summary is not None else "",
                int(summary.get("total-records", 0)),
                int(summary.get("total-data-files", 0)),
            )
        )
    return out


# --- maintenance: what Glue's table optimizers do ---------------------------------------------------------------


@dataclass
class CompactionPlan:
    """Small files grouped for rewriting, per partition: each group becomes one file."""

    groups: list[list[DataFile]] = field(default_factory=list)

    @property
    def inputs(self) -> int:
        return sum(len(g) for g in self.groups)


def plan_compaction(iceberg: IcebergTable) -> CompactionPlan:
    """Bin-pack each partition's small files (under 75% of the target size) into groups of at most the target size;
    groups of fewer than MIN_INPUT_FILES are left alone. Partitions with delete files are left alone too."""
    target = int(iceberg.properties.get(TARGET_FILE_SIZE_PROPERTY, TARGET_FILE_SIZE_BYTES))
    by_partition: dict[str, list[DataFile]] = defaultdict(list)
    skipped: set[str] = set()
    for task in iceberg.scan().plan_files():
        key = str(Path(local_path(task.file.file_path)).parent)
        if task.delete_files:
            skipped.add(key)
        if task.file.file_size_in_bytes < SMALL_FILE_SHARE * target:
            by_partition[key].append(task.file)
    plan = CompactionPlan()
    for key in sorted(set(by_partition) - skipped):
        group: list[DataFile] = []
        size = 0
        for data_file in sorted(by_partition[key], key=lambda f: f.file_path):
            if group and size + data_file.file_size_in_bytes > target:
                plan.groups.append(group)
                group, size = [], 0
            group.append(data_file)
            size += data_file.file_size_in_bytes
        plan.groups.append(group)
    plan.groups = [g for g in plan.groups if len(g) >= MIN_INPUT_FILES]
    return plan


def target_schema(iceberg: IcebergTable) -> pa.Schema:
    """Arrow schema of a data file written now: the table's current columns (evolved ones included)."""
    from pyiceberg import types

    arrow = {
        types.StringType: pa.string(),
        types.IntegerType: pa.int32(),
        types.LongType: pa.int64(),
        types.DoubleType: pa.float64(),
        types.BooleanType: pa.bool_(),
    }
    return pa.schema(pa.field(f.name, arrow[type(f.field_type)]) for f in iceberg.schema().fields)


def rewrite_group(group: Sequence[DataFile], schema: pa.Schema, into: Path) -> Path:
    """Write the rows of `group`'s files, in order, as one SNAPPY Parquet file in `into` with `schema` (columns a
    file lacks, added to the table after it was written, are null)."""
    tables = [pq.read_table(local_path(f.file_path)) for f in group]
    rows = pa.concat_tables(tables, promote_options="permissive")
    columns = [
        rows.column(f.name).cast(f.type) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    name = f"compacted-{uuid.uuid4().hex}{layout.PARQUET_EXTENSION}"
    path = into / name
    path.parent.mkdir(parents=True, exist_ok=True)
    faults.step("write compacted file")
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), path, compression=COMPRESSION, store_schema=False)
    return path


def referenced_files(iceberg: IcebergTable) -> set[str]:
    """Every file a kept snapshot or metadata file of the table needs: data files, manifests, manifest lists,
    metadata files (current and logged)."""
    io = iceberg.io
    files = {local_path(iceberg.metadata_location)}
    files |= {local_path(entry.metadata_file) for entry in iceberg.metadata.metadata_log}
    for snapshot in iceberg.metadata.snapshots:
        files.add(local_path(snapshot.manifest_list))
        for manifest in snapshot.manifests(io):
            files.add(local_path(manifest.manifest_path))
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                files.add(local_path(entry.data_file.file_path))
    return {str(Path(f).resolve()) for f in files}


@dataclass
class MaintenanceReport:
    """What `expire_and_clean` did."""

    expired_snapshots: int = 0
    expired_files: int = 0
    orphan_files: int = 0
    kept_snapshots: int = 0


def expire_and_clean(lake: Path, iceberg: IcebergTable, now: dt.datetime) -> MaintenanceReport:
    """Expire snapshots and delete the files only they referenced, then orphan files, as Glue's optimizers do."""
    report = MaintenanceReport()
    max_age_ms = int(iceberg.properties.get(MAX_SNAPSHOT_AGE_PROPERTY, SNAPSHOT_RETENTION_DAYS * 86_400_000))
    keep = int(iceberg.properties.get(MIN_SNAPSHOTS_PROPERTY, SNAPSHOTS_TO_RETAIN))
    now_ms = int(now.timestamp() * 1000)
    ordered = sorted(iceberg.metadata.snapshots, key=lambda s: s.timestamp_ms)
    newest = {s.snapshot_id for s in ordered[-keep:]} if keep > 0 else set()
    expire = [
        s.snapshot_id
        for s in ordered
        if s.snapshot_id not in newest
        and s.timestamp_ms < now_ms - max_age_ms
        and s.snapshot_id != iceberg.metadata.current_snapshot_id
    ]
    with _named_errors(lake):
        before = referenced_files(iceberg)
        if expire:
            faults.step("expire snapshots")
            iceberg.maintenance.expire_snapshots().by_ids(expire).commit()
            iceberg = iceberg.refresh()
        after = referenced_files(iceberg)
    report.expired_snapshots = len(expire)
    report.kept_snapshots = len(iceberg.metadata.snapshots)
    for path in sorted(before - after - {str(Path(local_path(iceberg.metadata_location)).resolve())}):
        if path.endswith(".metadata.json"):
            continue  # an older metadata file is the table's history, not an expired snapshot's
        faults.step("delete expired file")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            report.expired_files += 1
    oldest = now.timestamp() - ORPHAN_FILE_RETENTION_DAYS * 86_400
    location = Path(local_path(iceberg.location()))
    for directory, _, names in os.walk(location):
        for name in names:
            path = Path(directory) / name
            resolved = str(path.resolve())
            if resolved in after:
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < oldest:
                    faults.step("delete orphan file")
                    path.unlink()
                    report.orphan_files += 1
    return report
