"""The ad named queries: reach and frequency, completion by device, delivery against the campaigns table.

These tests give DuckDB tables of the schema's columns and hold each query's answer on hand-made events.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from functions.shared import domains
from functions.shared.queries import AD_QUERIES, ALL_HISTORY
from functions.shared.schema import CAMPAIGNS, STREAMING_EVENTS
from local.sql import DUCKDB_TYPES

DB = "acme"
AD_COLUMNS = {"campaign_id": "string", "ad_position": "string", "ad_duration_seconds": "int"}
QUERIES = {q.name: q for q in AD_QUERIES}


def _columns() -> list[tuple[str, str]]:
    cols = [(c.name, c.type) for c in STREAMING_EVENTS.columns]
    cols += [(n, t) for n, t in AD_COLUMNS.items() if n not in dict(cols)]
    return cols + [(c.name, "string") for c in STREAMING_EVENTS.partition_keys]


def _lake(events: list[dict], campaigns: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{DB}"')
    for table, cols in (("streaming_events", _columns()), ("campaigns", [(c.name, c.type) for c in CAMPAIGNS.columns])):
        con.execute(f'CREATE TABLE "{DB}".{table} ({", ".join(f"{n} {DUCKDB_TYPES[t]}" for n, t in cols)})')
        for row in events if table == "streaming_events" else campaigns:
            names = [n for n, _ in cols]
            con.execute(
                f'INSERT INTO "{DB}".{table} VALUES ({", ".join("?" for _ in names)})', [row.get(n) for n in names]
            )
    return con


def _ad(
    kind: str, customer: str, campaign: str, device: str, day: dt.date, n: int, seconds: int = 30, hour: int = 20
) -> dict:
    return {
        "event_id": f"e{n}",
        "event_type": kind,
        "event_timestamp": f"{day.isoformat()}T{hour:02d}:00:{n % 60:02d}.000Z",
        "customer_id": customer,
        "session_id": f"s-{customer}",
        "device_type": device,
        "campaign_id": campaign,
        "ad_position": "mid_roll",
        "ad_duration_seconds": seconds,
        "year": f"{day.year:04d}",
        "month": f"{day.month:02d}",
        "day": f"{day.day:02d}",
        "hour": f"{hour:02d}",
    }


def _campaign(campaign_id: str, start: dt.date, end: dt.date, impressions: int) -> dict:
    return {
        "campaign_id": campaign_id,
        "campaign_name": f"name {campaign_id}",
        "advertiser_name": "Lopez Motors",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "impressions": impressions,
        "unique_viewers": 2,
    }


TODAY = dt.datetime.now(dt.UTC).date()


def _run(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    cur = con.execute(QUERIES[name].sql(DB))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_reach_frequency_and_completion_per_campaign_count_impressions_as_ad_starts() -> None:
    events = [
        _ad("ad_start", "c1", "camp_0001", "tv", TODAY, 1),
        _ad("ad_complete", "c1", "camp_0001", "tv", TODAY, 2),
        _ad("ad_start", "c1", "camp_0001", "tv", TODAY, 3),
        _ad("ad_start", "c2", "camp_0001", "mobile", TODAY, 4),
        _ad("ad_complete", "c2", "camp_0001", "mobile", TODAY, 5),
        _ad("ad_start", "c2", "camp_0002", "mobile", TODAY, 6),
        # Outside the last 30 days: not counted.
        _ad("ad_start", "c3", "camp_0002", "tv", TODAY - dt.timedelta(days=40), 7),
    ]
    rows = _run(_lake(events, [_campaign("camp_0001", TODAY, TODAY, 3)]), "ad_reach_and_frequency")
    assert [(r["campaign_id"], r["impressions"], r["reach"], r["frequency"], r["completion_pct"]) for r in rows] == [
        ("camp_0001", 3, 2, 1.5, 66.7),
        ("camp_0002", 1, 1, 1.0, 0.0),
    ]
    assert rows[0]["advertiser_name"] == "Lopez Motors" and rows[1]["campaign_name"] is None


def test_completion_by_device_divides_completed_by_started_ads_per_screen() -> None:
    events = [_ad("ad_start", "c1", "camp_0001", "tv", TODAY, i) for i in range(4)]
    events += [_ad("ad_complete", "c1", "camp_0001", "tv", TODAY, 10 + i) for i in range(3)]
    events += [_ad("ad_start", "c2", "camp_0001", "mobile", TODAY, 20 + i, seconds=15) for i in range(2)]
    rows = _run(_lake(events, []), "ad_completion_by_device")
    assert [(r["device_type"], r["ads_started"], r["ads_completed"], r["completion_pct"]) for r in rows] == [
        ("tv", 4, 3, 75.0),
        ("mobile", 2, 0, 0.0),
    ]
    assert rows[0]["ad_minutes_booked"] == 2.0 and rows[1]["ad_minutes_booked"] == 0.5


def test_reconciliation_prorates_the_tables_flight_figure_to_the_days_the_lake_holds() -> None:
    first = TODAY - dt.timedelta(days=9)
    events = [_ad("ad_start", "c1", "camp_0001", "tv", first + dt.timedelta(days=i % 10), i) for i in range(50)]
    # The lake's first hour and its last: it holds ten whole days.
    events += [_ad("start", "c2", None, "tv", first, 90, hour=0), _ad("start", "c2", None, "tv", TODAY, 91, hour=23)]
    campaigns = [
        # A 40-day flight of 200 impressions of which the lake holds 10 days: expect 50.
        _campaign("camp_0001", first - dt.timedelta(days=30), TODAY, 200),
        # Live in the lake's days but delivered nothing.
        _campaign("camp_0002", first, first, 7),
        # Over before the lake starts: not listed.
        _campaign("camp_0003", first - dt.timedelta(days=100), first - dt.timedelta(days=1), 999),
    ]
    rows = _run(_lake(events, campaigns), "ad_delivery_reconciliation")
    got = [
        (
            r["campaign_id"],
            r["flight_days"],
            r["days_in_lake"],
            r["expected_impressions"],
            r["delivered_impressions"],
            r["ratio"],
        )
        for r in rows
    ]
    assert got == [("camp_0001", 40, 10, 50.0, 50, 1.0), ("camp_0002", 1, 1, 7.0, 0, 0.0)]


def test_reconciliation_counts_the_lakes_first_and_last_day_by_the_hours_they_hold() -> None:
    """A lake written up to 11:59 today holds half of today: a flight's expected impressions count half of it."""
    first = TODAY - dt.timedelta(days=3)
    events = [_ad("ad_start", "c1", "camp_0001", "tv", first, 0, hour=0)]
    events += [_ad("ad_start", "c1", "camp_0001", "tv", TODAY, 1, hour=11)]
    # A 10-day flight of 100 impressions: the lake holds 3 whole days and half of a fourth.
    rows = _run(
        _lake(events, [_campaign("camp_0001", first, first + dt.timedelta(days=9), 100)]), "ad_delivery_reconciliation"
    )
    assert [(r["days_in_lake"], r["expected_impressions"]) for r in rows] == [(3.5, 35.0)]


@pytest.mark.parametrize("query", AD_QUERIES, ids=[q.name for q in AD_QUERIES])
def test_ad_queries_keep_the_rules_both_engines_need(query) -> None:
    sql = query.sql("db")
    assert not re.search(r"(?<![\w.])\d+\.\d+(?![\w.])", sql)  # no DECIMAL literal (test_sql explains)
    filtered = re.search(r"WHERE[\s\S]*\byear\b[\s\S]*\b(month|day)\b", sql) is not None
    assert filtered or ALL_HISTORY in query.description
    assert '"db".' in sql


def test_ad_queries_are_named_queries_of_the_workgroup_and_read_columns_the_schema_has() -> None:
    from functions.shared.queries import NAMED_QUERIES_BY_NAME

    assert all(NAMED_QUERIES_BY_NAME[q.name] is q for q in AD_QUERIES)
    assert set(domains.AD_EVENT_FIELDS) <= set(STREAMING_EVENTS.column_names)
