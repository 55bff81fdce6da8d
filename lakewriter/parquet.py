"""Parquet writers for the lake: Arrow schemas from the one table schema, SNAPPY files, byte-stable output.

Not Lambda code (pyarrow). The stack uploads `dimension_parquet(...)` as S3 objects, so the same
rows must always give the same bytes or every `pulumi up` would show a diff.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.fs
import pyarrow.parquet as pq

from functions.shared.dimensions import Dimensions, generate_incidents
from functions.shared.schema import CAMPAIGNS, GLUE_TYPES, INCIDENTS, TITLES, Table

COMPRESSION = "SNAPPY"
"""The lake's Parquet codec (Firehose's record format conversion writes SNAPPY too)."""

_ARROW_TYPES: Mapping[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}


def arrow_type(glue_type: str) -> pa.DataType:
    """Arrow type of a Glue/Hive column type."""
    try:
        return _ARROW_TYPES[glue_type]
    except KeyError:
        raise ValueError(f"glue_type must be one of {sorted(_ARROW_TYPES)}, got {glue_type!r}") from None


def arrow_schema(table: Table, with_partitions: bool = False) -> pa.Schema:
    """Arrow schema of a table in catalog order; partition keys (strings, as in the Hive paths) last."""
    fields = [pa.field(c.name, arrow_type(c.type)) for c in table.columns]
    if with_partitions:
        fields += [pa.field(c.name, pa.string()) for c in table.partition_keys]
    return pa.schema(fields)


def rows_to_arrow(table: Table, rows: Sequence[dict]) -> pa.Table:
    """Arrow table of row dicts, columns in schema order with schema types; keys outside the columns are ignored."""
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        name = field.name
        try:
            values = [row[name] for row in rows]
        except KeyError:
            index = next(i for i, row in enumerate(rows) if name not in row)
            raise ValueError(f"{table.name} row {index} is missing column {name!r}") from None
        _check_types(table, table.column(name).type, name, values)
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError) as exc:  # e.g. a lone surrogate
            raise ValueError(f"{table.name} column {name!r} ({field.type}) cannot hold its values: {exc}") from exc
    return pa.Table.from_arrays(arrays, schema=schema)


_EXACT_TYPES: Mapping[str, frozenset[type]] = {
    glue: frozenset({*GLUE_TYPES[glue], type(None)}) for glue in _ARROW_TYPES
}


def _check_types(table: Table, glue_type: str, name: str, values: list) -> None:
    """Raise ValueError at the first value the column's type does not take, rather than let Arrow convert it.

    Arrow would silently truncate 95.7 in an int column to 95 and turn True into 1.0 in a double column.
    """
    if _EXACT_TYPES[glue_type].issuperset(map(type, values)):
        return
    allowed = GLUE_TYPES[glue_type]
    for index, value in enumerate(values):
        if value is not None and (
            not isinstance(value, allowed) or (isinstance(value, bool) and glue_type != "boolean")
        ):
            raise ValueError(
                f"{table.name} row {index} column {name!r} must be {glue_type} or null, "
                f"got {type(value).__name__} {value!r}"
            )


def _write(arrow_table: pa.Table, where: object, filesystem: pyarrow.fs.FileSystem | None = None) -> None:
    # Fixed options only: no timestamps or random ids end up in the file, so equal tables give equal bytes.
    pq.write_table(arrow_table, where, filesystem=filesystem, compression=COMPRESSION)


def parquet_bytes(arrow_table: pa.Table) -> bytes:
    """The table as a SNAPPY Parquet file in memory; identical input gives identical bytes."""
    sink = pa.BufferOutputStream()
    _write(arrow_table, sink)
    return sink.getvalue().to_pybytes()


def write_parquet(arrow_table: pa.Table, path: str, filesystem: pyarrow.fs.FileSystem | None = None) -> None:
    """Write the table as a SNAPPY Parquet file at `path` (local, creating parent directories, or on `filesystem`)."""
    if filesystem is None:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
    _write(arrow_table, path, filesystem)


def dimension_parquet(dims: Dimensions, world_seed: int) -> dict[str, bytes]:
    """Parquet bytes of the titles, campaigns and incidents tables, keyed by table name (the customers table is
    written in parts: lakewriter.customers); the incidents are those of world `world_seed`."""
    return {
        TITLES.name: parquet_bytes(rows_to_arrow(TITLES, dims.titles)),
        CAMPAIGNS.name: parquet_bytes(rows_to_arrow(CAMPAIGNS, dims.campaigns)),
        INCIDENTS.name: parquet_bytes(rows_to_arrow(INCIDENTS, generate_incidents(world_seed))),
    }
