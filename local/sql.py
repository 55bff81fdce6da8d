"""The local Athena: DuckDB views over the lake, registered from the catalog definitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

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


def connect(lake: Path, database: str, tables: Iterable[Table] = TABLES) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the catalog's tables as views over the lake directory."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena evaluates current_date in UTC; so must the local lake
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(database)}")
    for table in tables:
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
