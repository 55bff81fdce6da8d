"""The local Athena: DuckDB views registered from the one schema, named queries with Athena's SQL text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from functions.shared import layout
from functions.shared.dimensions import generate_dimensions
from functions.shared.queries import NAMED_QUERIES
from functions.shared.schema import CUSTOMERS, STREAMING_EVENTS, TABLES
from lakewriter.parquet import rows_to_arrow, write_parquet
from local.sql import DUCKDB_TYPES, connect, run_named_queries

DB = "acme_telemetry"


def _describe(con, table: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f'DESCRIBE "{DB}"."{table}"').fetchall()]


def test_empty_lake_views_have_catalog_columns_types_and_string_partitions(tmp_path: Path) -> None:
    con = connect(tmp_path, DB)
    for table in TABLES:
        expected = [(c.name, DUCKDB_TYPES[c.type]) for c in table.columns]
        expected += [(c.name, "VARCHAR") for c in table.partition_keys]
        assert _describe(con, table.name) == expected
        assert con.execute(f'SELECT COUNT(*) FROM "{DB}"."{table.name}"').fetchone() == (0,)


def test_every_named_query_runs_on_an_empty_lake(tmp_path: Path) -> None:
    con = connect(tmp_path, DB)
    results = run_named_queries(con, DB)
    assert [r.query.name for r in results] == [q.name for q in NAMED_QUERIES]
    assert all(r.columns for r in results)


def test_unknown_query_name_is_rejected_with_the_allowed_names(tmp_path: Path) -> None:
    con = connect(tmp_path, DB)
    with pytest.raises(ValueError, match=r"--query must be one of .*total_events.*nope"):
        run_named_queries(con, DB, ["total_events", "nope"])


def test_views_read_partition_values_from_hive_paths_as_strings(tmp_path: Path) -> None:
    dims = generate_dimensions(3, customers=5, titles=5, campaigns=2)
    (tmp_path / "customers").mkdir()
    write_parquet(rows_to_arrow(CUSTOMERS, dims.customers), str(tmp_path / "customers" / "customers.parquet"))
    row = {c.name: None for c in STREAMING_EVENTS.columns}
    row.update(event_id="e1", event_timestamp="2026-03-04T05:06:07.089Z", customer_id=dims.customers[0]["customer_id"])
    values = layout.partition_values(row["event_timestamp"])
    path = tmp_path / layout.partition_path(values) / "part.parquet"
    path.parent.mkdir(parents=True)
    write_parquet(rows_to_arrow(STREAMING_EVENTS, [row]), str(path))

    con = connect(tmp_path, DB)
    got = con.execute(f'SELECT event_id, year, month, day, hour FROM "{DB}".streaming_events').fetchall()
    assert got == [("e1", "2026", "03", "04", "05")]
    joined = con.execute(
        f'SELECT c.first_name FROM "{DB}".streaming_events e JOIN "{DB}".customers c USING (customer_id)'
    ).fetchall()
    assert joined == [(dims.customers[0]["first_name"],)]


def test_current_date_is_utc_whatever_the_machines_time_zone(tmp_path: Path) -> None:
    con = connect(tmp_path, DB)
    assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    assert con.execute("SELECT CAST(current_date AS VARCHAR)").fetchone()[0] in {
        (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=s)).date().isoformat() for s in (-5, 0, 5)
    }


def test_named_queries_divide_in_double_because_athena_keeps_a_decimal_quotient_at_one_scale() -> None:
    # Trino (Athena v3): DECIMAL x / DECIMAL y has scale max(sx, sy), so SUM(seconds) / 3600.0 keeps one
    # decimal there while DuckDB computes a DOUBLE: the same SQL would answer differently.
    for query in NAMED_QUERIES:
        assert not re.search(r"(?<![\w.])\d+\.\d+(?![\w.])", query.sql("db")), query.name


@pytest.mark.parametrize("database", ["order", "2024lake"])
def test_named_queries_run_for_a_database_named_like_a_keyword_or_starting_with_a_digit(
    tmp_path: Path, database: str
) -> None:
    # Athena's SELECT needs such names quoted; the queries quote the database for both engines.
    con = connect(tmp_path, database)
    results = run_named_queries(con, database)
    assert [r.query.name for r in results] == [q.name for q in NAMED_QUERIES]
    assert all(f'"{database}".' in q.sql(database) for q in NAMED_QUERIES)
