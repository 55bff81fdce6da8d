"""The local Athena: DuckDB views registered from the one schema, named queries with Athena's SQL text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from functions.shared import layout
from functions.shared.dimensions import generate_dimensions
from functions.shared.queries import ALL_HISTORY, NAMED_QUERIES, RECENT_DAYS
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


def test_every_query_on_the_partitioned_table_filters_partitions_unless_it_says_it_scans_all_history() -> None:
    # Without a partition filter Athena plans every projected hour of every year (issue 11).
    for query in NAMED_QUERIES:
        sql = query.sql("db")
        if "streaming_events" not in sql:
            continue
        filtered = re.search(r"WHERE[\s\S]*\byear\b[\s\S]*\b(month|day)\b", sql) is not None
        assert filtered or ALL_HISTORY in query.description, query.name


def _event_on(day: dt.date, event_id: str, customer_id: str) -> dict:
    row = {c.name: None for c in STREAMING_EVENTS.columns}
    row.update(
        event_id=event_id,
        event_type="stop",
        event_timestamp=f"{day.isoformat()}T12:00:00.000Z",
        customer_id=customer_id,
        connection_type="wifi",
        title_type="movie",
        watch_duration_seconds=60,
    )
    return row


def test_windowed_queries_read_the_last_30_days_and_total_events_all_history_in_duckdb(tmp_path: Path) -> None:
    dims = generate_dimensions(3, customers=5, titles=5, campaigns=2)
    (tmp_path / "customers").mkdir()
    write_parquet(rows_to_arrow(CUSTOMERS, dims.customers), str(tmp_path / "customers" / "customers.parquet"))
    today = dt.datetime.now(dt.UTC).date()
    days = {
        "first-day": today - dt.timedelta(days=RECENT_DAYS - 1),
        "day-before": today - dt.timedelta(days=RECENT_DAYS),
    }
    days["long-ago"] = today - dt.timedelta(days=400)  # in an earlier year: the year bound keeps it out too
    for event_id, day in days.items():
        row = _event_on(day, event_id, dims.customers[0]["customer_id"])
        path = tmp_path / layout.partition_path(layout.partition_values(row["event_timestamp"])) / "part.parquet"
        path.parent.mkdir(parents=True)
        write_parquet(rows_to_arrow(STREAMING_EVENTS, [row]), str(path))

    con = connect(tmp_path, DB)
    results = {r.query.name: r for r in run_named_queries(con, DB)}
    assert results["total_events"].rows == [(3,)]
    assert results["events_by_type"].rows == [("stop", 1)]
    assert results["quality_of_experience_by_connection"].rows[0][:2] == ("wifi", 1)
    assert results["join_coverage"].rows[0][0] == 1
