"""The QoE and anomaly queries in DuckDB, on hand-built events with the issue 17 player columns and known answers."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from functions.shared import queries
from functions.shared.queries import (
    ANOMALY_SQL,
    INCIDENT_QUERIES,
    INCIDENTS_OVERVIEW,
    QOE_QUERIES,
    NamedQuery,
)
from functions.shared.schema import INCIDENTS, STREAMING_EVENTS
from local.sql import DUCKDB_TYPES

DB = "db"
CONTRACT_COLUMNS = {
    "startup_time_ms": "INTEGER",
    "bitrate_kbps": "INTEGER",
    "error_code": "VARCHAR",
    "campaign_id": "VARCHAR",
    "ad_position": "VARCHAR",
    "ad_duration_seconds": "INTEGER",
}
"""The streaming_events columns the issue 17 contract appends, which the queries read."""
COLUMNS = {
    **{c.name: DUCKDB_TYPES[c.type] for c in STREAMING_EVENTS.columns},
    **{c.name: "VARCHAR" for c in STREAMING_EVENTS.partition_keys},
}


def _connect(rows: list[dict], incidents: list[dict] | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE SCHEMA {DB}")
    con.execute(f"CREATE TABLE {DB}.streaming_events ({', '.join(f'{n} {t}' for n, t in COLUMNS.items())})")
    if rows:
        full = [{name: row.get(name) for name in COLUMNS} for row in rows]
        arrow = pa.Table.from_pylist(full)  # noqa: F841 (read by DuckDB's replacement scan)
        con.execute(f"INSERT INTO {DB}.streaming_events SELECT {', '.join(COLUMNS)} FROM arrow")
    cols = ", ".join(f"{c.name} {DUCKDB_TYPES[c.type]}" for c in INCIDENTS.columns)
    con.execute(f"CREATE TABLE {DB}.incidents ({cols})")
    for row in incidents or []:
        con.execute(
            f"INSERT INTO {DB}.incidents VALUES ({', '.join('?' for _ in INCIDENTS.columns)})", list(row.values())
        )
    return con


def _run(con: duckdb.DuckDBPyConnection, query: NamedQuery) -> list[dict]:
    cursor = con.execute(query.sql(DB))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _event(at: dt.datetime, event_type: str, **values: object) -> dict:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return {
        "event_type": event_type,
        "event_timestamp": stamp,
        "year": stamp[0:4],
        "month": stamp[5:7],
        "day": stamp[8:10],
        "hour": stamp[11:13],
        **values,
    }


COHORTS = (
    {"country": "US", "isp": "Comcast", "device_type": "tv", "device_os": "Roku OS", "app_version": "6.0.0",
     "connection_type": "cable"},
    {"country": "US", "isp": "Verizon", "device_type": "mobile", "device_os": "iOS", "app_version": "5.14.1",
     "connection_type": "5g"},
    {"country": "GB", "isp": "BT", "device_type": "web", "device_os": "Windows", "app_version": "5.13.0",
     "connection_type": "fiber"},
)  # fmt: skip


def _sessions(
    start: dt.datetime, hours: int, per_hour: int, *, fail: float = 0.01, seed: int = 1, cohort: dict | None = None
) -> Iterator[dict]:
    """Sessions of a steady world: start (start-up ~2 s), then stop with ~0.4 % of its time stalled."""
    rng = random.Random(seed)
    for h in range(hours):
        hour = start + dt.timedelta(hours=h)
        for who in [cohort] if cohort else COHORTS:
            for _ in range(per_hour):
                at = hour + dt.timedelta(seconds=rng.randrange(3000))
                startup = int(rng.lognormvariate(7.6, 0.5))
                if rng.random() < fail:
                    yield _event(at, "start_failed", startup_time_ms=startup, error_code="MEDIA_ERR_NETWORK", **who)
                    continue
                yield _event(at, "start", startup_time_ms=startup, bitrate_kbps=4000, **who)
                played = rng.randrange(300, 1200)
                stalled = played * rng.uniform(0.002, 0.006)
                yield _event(
                    at + dt.timedelta(seconds=10),
                    "stop",
                    bitrate_kbps=4000,
                    watch_duration_seconds=played,
                    buffering_duration_seconds=stalled,
                    buffering_events=1,
                    **who,
                )


TODAY = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_qoe_queries_keep_to_the_sql_both_engines_accept() -> None:
    # No decimal literal (Trino keeps a DECIMAL quotient at one scale), a partition filter on the events table, and
    # no function one of the engines lacks (DuckDB's median/quantile/mad, Trino's approx_percentile).
    for query in (*QOE_QUERIES, *INCIDENT_QUERIES, INCIDENTS_OVERVIEW):
        sql = query.sql("db")
        assert not re.search(r"(?<![\w.])\d+\.\d+(?![\w.])", sql), query.name
        assert not re.search(r"\b(median|quantile\w*|mad|approx_\w+|percentile\w*|list|struct_\w+)\s*\(", sql)
        if "streaming_events" in sql:
            assert "concat(year, '-', month, '-', day) >=" in sql, query.name


def test_the_schema_has_the_contract_columns_the_queries_read() -> None:
    assert {name: COLUMNS[name] for name in CONTRACT_COLUMNS} == CONTRACT_COLUMNS


def test_qoe_and_incident_queries_are_named_queries() -> None:
    assert {q.name for q in (*QOE_QUERIES, *INCIDENT_QUERIES, INCIDENTS_OVERVIEW)} <= set(queries.NAMED_QUERIES_BY_NAME)


def test_startup_percentiles_and_failure_shares_per_device_are_exact() -> None:
    at = TODAY - dt.timedelta(days=1)
    rows = [_event(at, "start", device_type="tv", startup_time_ms=ms) for ms in range(100, 2100, 100)]  # 20 starts
    rows += [_event(at, "start_failed", device_type="tv", startup_time_ms=5000, error_code="X")] * 4
    rows += [_event(at, "exit_before_start", device_type="tv", startup_time_ms=8000)]
    rows += [_event(at, "start", device_type="mobile", startup_time_ms=3000)]
    rows += [_event(at, "pause", device_type="tv")]  # not an attempt
    rows += [_event(at - dt.timedelta(days=40), "start_failed", device_type="tv", startup_time_ms=1)]  # too old
    got = _run(_connect(rows), queries.QOE_QUERIES[0])
    assert got == [
        # nearest rank: p50 = 10th of 20 (1000 ms), p95 = 19th (1900 ms); 4 of 25 attempts failed, 1 left
        {"device_type": "tv", "attempts": 25, "startup_p50_ms": 1000, "startup_p95_ms": 1900,
         "start_failure_pct": 16.0, "exit_before_start_pct": 4.0},
        {"device_type": "mobile", "attempts": 1, "startup_p50_ms": 3000, "startup_p95_ms": 3000,
         "start_failure_pct": 0.0, "exit_before_start_pct": 0.0},
    ]  # fmt: skip


def test_startup_by_isp_groups_by_country_and_isp() -> None:
    at = TODAY - dt.timedelta(hours=5)
    rows = [_event(at, "start", country="GB", isp="Vodafone", startup_time_ms=1000)] * 3
    rows += [_event(at, "start_failed", country="DE", isp="Vodafone", startup_time_ms=2000)]
    got = {(r["country"], r["isp"]): r for r in _run(_connect(rows), QOE_QUERIES[1])}
    assert got[("GB", "Vodafone")]["attempts"] == 3 and got[("GB", "Vodafone")]["start_failure_pct"] == 0.0
    assert got[("DE", "Vodafone")]["start_failure_pct"] == 100.0 and got[("DE", "Vodafone")]["startup_p50_ms"] is None


def test_rebuffering_ratio_is_stalled_over_played_plus_stalled_time_of_ended_plays() -> None:
    at = TODAY - dt.timedelta(days=2)
    rows = [
        _event(at, "stop", connection_type="dsl", watch_duration_seconds=990, buffering_duration_seconds=10.0,
               buffering_events=2),
        _event(at, "error", connection_type="dsl", watch_duration_seconds=0, buffering_duration_seconds=0.0,
               buffering_events=0, error_code="MEDIA_ERR_DECODE"),
        _event(at, "pause", connection_type="dsl", watch_duration_seconds=500, buffering_duration_seconds=99.0,
               buffering_events=9),  # not a play's end: its counters are not final
        _event(at, "complete", connection_type="fiber", watch_duration_seconds=1000, buffering_duration_seconds=0.0,
               buffering_events=0),
    ]  # fmt: skip
    got = _run(_connect(rows), QOE_QUERIES[2])
    assert got == [
        {"connection_type": "dsl", "plays": 2, "rebuffering_ratio_pct": 1.0, "plays_with_stall_pct": 50.0,
         "stalls_per_play": 1.0, "playback_failure_pct": 50.0},
        {"connection_type": "fiber", "plays": 1, "rebuffering_ratio_pct": 0.0, "plays_with_stall_pct": 0.0,
         "stalls_per_play": 0.0, "playback_failure_pct": 0.0},
    ]  # fmt: skip


def test_bitrate_by_device_averages_the_events_that_carry_one() -> None:
    at = TODAY - dt.timedelta(days=3)
    rows = [
        _event(at, "start", device_type="tv", bitrate_kbps=3000),
        _event(at, "bitrate_change", device_type="tv", bitrate_kbps=6000),
        _event(at, "start_failed", device_type="tv"),  # no bitrate: not averaged
        _event(at, "start", device_type="mobile", bitrate_kbps=1000),
    ]
    got = _run(_connect(rows), QOE_QUERIES[3])
    assert got == [
        {"device_type": "tv", "avg_bitrate_kbps": 4500.0, "min_bitrate_kbps": 3000, "max_bitrate_kbps": 6000,
         "bitrate_changes_per_play": 1.0},
        {"device_type": "mobile", "avg_bitrate_kbps": 1000.0, "min_bitrate_kbps": 1000, "max_bitrate_kbps": 1000,
         "bitrate_changes_per_play": 0.0},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def steady() -> list[dict]:
    """Ten steady days of three cohorts, 40 attempts an hour each, ending an hour before today's midnight."""
    return list(_sessions(TODAY - dt.timedelta(days=10), 10 * 24 - 1, 40))


def _anomalies(rows: list[dict]) -> list[dict]:
    return _run(_connect(rows), INCIDENT_QUERIES[0])


def test_a_steady_world_raises_few_anomalies(steady: list[dict]) -> None:
    flagged = _anomalies(steady)
    hours = 10 * 24 - 1 - queries.MIN_BASELINE_POINTS * 24
    cells = len(queries.ANOMALY_SCOPES) * 3 * len(queries.ANOMALY_METRICS) * hours
    assert len(flagged) <= cells // 500, flagged[:5]


def test_an_isp_outage_is_flagged_in_its_isp_and_country_at_its_hours(steady: list[dict]) -> None:
    outage = TODAY - dt.timedelta(days=2) + dt.timedelta(hours=20)
    comcast = COHORTS[0]
    rows = [r for r in steady if not (r["isp"] == "Comcast" and outage <= _at(r) < outage + dt.timedelta(hours=2))]
    rows += _sessions(outage, 2, 40, fail=0.3, seed=9, cohort=comcast)
    flagged = _anomalies(rows)
    hours = {outage.strftime("%Y-%m-%d %H:00:00"), (outage + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:00:00")}
    hits = {(r["hour"], r["scope_type"], r["scope"]) for r in flagged if r["metric"] == "start_failure_rate"}
    for hour in hours:
        assert (hour, "isp", "US / Comcast") in hits
        assert (hour, "app", "Roku OS 6.0.0") in hits
    assert not any(r["scope"] in ("GB", "GB / BT", "US / Verizon") and r["hour"] in hours for r in flagged)
    one = next(r for r in flagged if r["scope"] == "US / Comcast" and r["metric"] == "start_failure_rate")
    assert one["value"] > 0.15 and one["baseline"] < 0.05 and one["z"] >= 3.5 and one["baseline_points"] == 7


def test_a_volume_surge_is_flagged_on_its_share_of_attempts(steady: list[dict]) -> None:
    surge = TODAY - dt.timedelta(days=1) + dt.timedelta(hours=21)
    rows = steady + list(_sessions(surge, 1, 120, seed=5, cohort=COHORTS[2]))
    flagged = _anomalies(rows)
    hour = surge.strftime("%Y-%m-%d %H:00:00")
    assert any(r["hour"] == hour and r["scope"] == "GB" and r["metric"] == "attempt_share" for r in flagged)


def test_a_crashing_new_app_version_too_small_to_score_is_flagged_on_its_os(steady: list[dict]) -> None:
    """Its own cells are under MIN_ATTEMPTS (and have no history); its OS's start failures rise far past OS_Z."""
    crash = TODAY - dt.timedelta(days=2) + dt.timedelta(hours=14)
    new_version = dict(COHORTS[1], app_version="5.15.0")
    rows = steady + list(_sessions(crash, 2, queries.MIN_ATTEMPTS - 5, fail=0.9, seed=3, cohort=new_version))
    flagged = _anomalies(rows)
    hours = {(crash + dt.timedelta(hours=h)).strftime("%Y-%m-%d %H:00:00") for h in range(2)}
    on_os = {r["hour"] for r in flagged if r["scope_type"] == "os" and r["scope"] == "iOS"}
    assert hours <= on_os
    assert all(r["metric"] in queries.OS_METRICS for r in flagged if r["scope_type"] == "os")
    assert not any(r["scope"] == "iOS 5.15.0" for r in flagged)


def test_a_moderate_rise_is_flagged_on_its_isp_and_app_but_not_on_its_os(steady: list[dict]) -> None:
    """z about 5: past ANOMALY_Z in the cohort's own cells, under OS_Z in its OS's (an OS pools every market)."""
    hour = TODAY - dt.timedelta(days=2) + dt.timedelta(hours=9)
    verizon = COHORTS[1]
    rows = [r for r in steady if not (r["isp"] == "Verizon" and hour <= _at(r) < hour + dt.timedelta(hours=1))]
    rows += _sessions(hour, 1, 40, fail=0.2, seed=11, cohort=verizon)
    flagged = [r for r in _anomalies(rows) if r["hour"] == hour.strftime("%Y-%m-%d %H:00:00")]
    scopes = {(r["scope_type"], r["scope"]) for r in flagged if r["metric"] == "start_failure_rate"}
    assert ("isp", "US / Verizon") in scopes and ("app", "iOS 5.14.1") in scopes
    assert ("os", "iOS") not in scopes
    z = next(r["z"] for r in flagged if r["scope"] == "US / Verizon" and r["metric"] == "start_failure_rate")
    assert queries.ANOMALY_Z[0] / queries.ANOMALY_Z[1] <= z < queries.OS_Z[0] / queries.OS_Z[1]


def test_cells_under_the_minimum_attempts_are_not_scored(steady: list[dict]) -> None:
    outage = TODAY - dt.timedelta(days=2) + dt.timedelta(hours=3)
    small = [dict(r, isp="Tiny", country="US") for r in _sessions(outage, 1, queries.MIN_ATTEMPTS - 1, fail=1.0)]
    for days in range(1, 8):
        small += [dict(r, isp="Tiny") for r in _sessions(outage - dt.timedelta(days=days), 1, 10, cohort=COHORTS[0])]
    flagged = _anomalies(steady + small)
    assert not any(r["scope"] == "US / Tiny" for r in flagged)


def test_incidents_overview_counts_the_answer_key_by_type_and_severity() -> None:
    from functions.shared.dimensions import generate_incidents

    rows = generate_incidents(1)
    got = _run(_connect([], rows), INCIDENTS_OVERVIEW)
    assert sum(r["incidents"] for r in got) == len(rows)
    outages = [r for r in got if r["incident_type"] == "isp_outage"]
    assert {r["severity"] for r in outages} == {"minor", "major", "critical"}
    assert all(1 <= r["avg_hours"] <= 4 for r in outages)


def _at(row: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(row["event_timestamp"].replace("Z", "+00:00"))


def test_the_anomaly_sql_is_the_named_query() -> None:
    assert INCIDENT_QUERIES[0].sql_template == ANOMALY_SQL
