"""The local Athena: DuckDB views over the lake, registered from the catalog definitions.

In an Iceberg lake the events table is a view over the data files of the table's snapshot (the current one, or one
picked by id or time for time travel), listed by pyiceberg's scan plan: DuckDB's own iceberg extension is a
download this tool does not rely on. The view shows the table as the Parquet lake's view does (year/month/day/hour
taken from the event time by the partition slices), so the named queries run unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from functions.shared import layout
from functions.shared.queries import NAMED_QUERIES_BY_NAME, NamedQuery
from functions.shared.schema import TABLES, Table

DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
"""Glue type -> the DuckDB type Athena's reading of it corresponds to."""


@dataclass(frozen=True)
class QueryResult:
    """Rows of one named query, with its column names."""

    query: NamedQuery
    columns: list[str]
    rows: list[tuple]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(table: Table, database: str, lake: Path) -> str:
    """CREATE VIEW statement exposing `table` the way the Glue table shows it to Athena.

    Columns come in catalog order with catalog types; partition keys follow as strings, as Athena sees
    them with partition projection. A table with no files yet is an empty view of the same shape.
    """
    all_columns = list(table.columns) + list(table.partition_keys)
    name = f"{_quote(database)}.{_quote(table.name)}"
    files = sorted((lake / table.prefix).rglob("*.parquet")) if (lake / table.prefix).is_dir() else []
    if not files:
        select = ", ".join(f"CAST(NULL AS {DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}" for c in all_columns)
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {select} WHERE false"
    pattern = _literal(str(lake / table.prefix) + "/**/*.parquet")
    options = "union_by_name = true"
    if table.partition_keys:
        hive_types = ", ".join(f"{_literal(c.name)}: 'VARCHAR'" for c in table.partition_keys)
        options += f", hive_partitioning = true, hive_types = {{{hive_types}}}"
    else:
        options += ", hive_partitioning = false"
    select = ", ".join(f"CAST({_quote(c.name)} AS {DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}" for c in all_columns)
    return f"CREATE OR REPLACE VIEW {name} AS SELECT {select} FROM read_parquet({pattern}, {options})"


def _iceberg_columns(table: Table, present: set[str]) -> str:
    """SELECT list showing an Iceberg data file's columns as the Glue table shows the Parquet lake's: the Hive
    partition keys (year, month, day, hour) are the slices of the event time the Parquet layout takes them from."""
    exprs = []
    for c in table.columns:
        # A column added to the table after these files were written reads as null, as Iceberg reads it.
        source = _quote(c.name) if c.name in present else "NULL"
        exprs.append(f"CAST({source} AS {DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}")
    slices = {name: (start, end) for name, start, end in layout.PARTITION_SLICES}
    for key in table.partition_keys:
        start, end = slices[key.name]
        exprs.append(f"substr({_quote(table.timestamp_field or '')}, {start + 1}, {end - start}) AS {_quote(key.name)}")
    return ", ".join(exprs)


def iceberg_view(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    database: str,
    lake: Path,
    *,
    snapshot_id: int | None = None,
    as_of: dt.datetime | None = None,
    namespace: str | None = None,
) -> None:
    """Create the view of `table`, an Iceberg table of the lake, at its current snapshot (or one for time travel);
    `namespace`: the table's in the lake's catalog (default: `database`)."""
    from local import iceberg

    name = f"{_quote(database)}.{_quote(table.name)}"
    handle = iceberg.open_table(lake, namespace or database, table, create=False)
    files, deletes = iceberg.scan_files(handle, snapshot_id=snapshot_id, as_of=as_of)
    if deletes:  # row-level deletes (not written by this tool): let pyiceberg apply them
        rows = handle.scan(snapshot_id=snapshot_id or _snapshot_at(handle, as_of)).to_arrow()
        con.register(f"_{table.name}_rows", rows)
        source, present = f"_{table.name}_rows", set(rows.column_names)
    elif files:
        source = f"read_parquet([{', '.join(_literal(f) for f in files)}], union_by_name = true)"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    else:
        all_columns = list(table.columns) + list(table.partition_keys)
        select = ", ".join(f"CAST(NULL AS {DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}" for c in all_columns)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {select} WHERE false")
        return
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {_iceberg_columns(table, present)} FROM {source}")


def _snapshot_at(handle: object, as_of: dt.datetime | None) -> int | None:
    if as_of is None:
        return None
    snapshot = handle.snapshot_as_of_timestamp(int(as_of.timestamp() * 1000))  # type: ignore[attr-defined]
    return snapshot.snapshot_id if snapshot is not None else None


def connect(
    lake: Path,
    database: str,
    tables: Iterable[Table] = TABLES,
    *,
    snapshot_id: int | None = None,
    as_of: dt.datetime | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the catalog's tables as views over the lake directory.

    In an Iceberg lake the streamed table reads the table's current snapshot, or the one `snapshot_id` names, or
    the one current at `as_of` (time travel); the dimension tables are files either way.
    """
    from local.marker import lake_database, lake_table_format

    iceberg_lake = lake_table_format(lake) == layout.TABLE_FORMAT_ICEBERG
    if (snapshot_id is not None or as_of is not None) and not iceberg_lake:
        raise ValueError(f"--lake {lake} is a parquet lake: only an Iceberg lake keeps snapshots to travel to")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena evaluates current_date in UTC; so must the local lake
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(database)}")
    for table in tables:
        if iceberg_lake and table.timestamp_field is not None and table.partition_keys:
            namespace = lake_database(lake)
            iceberg_view(con, table, database, lake, snapshot_id=snapshot_id, as_of=as_of, namespace=namespace)
        else:
            con.execute(view_sql(table, database, lake))
    return con


def run_named_queries(
    con: duckdb.DuckDBPyConnection, database: str, names: Iterable[str] | None = None
) -> list[QueryResult]:
    """Run the workgroup's named queries (all, or those named) with the same SQL text Athena gets."""
    chosen = list(names) if names else list(NAMED_QUERIES_BY_NAME)
    unknown = [n for n in chosen if n not in NAMED_QUERIES_BY_NAME]
    if unknown:
        raise ValueError(f"--query must be one of {sorted(NAMED_QUERIES_BY_NAME)}, got {unknown}")
    results = []
    for name in chosen:
        query = NAMED_QUERIES_BY_NAME[name]
        cursor = con.execute(query.sql(database))
        columns = [d[0] for d in cursor.description]
        results.append(QueryResult(query, columns, cursor.fetchall()))
    return results
