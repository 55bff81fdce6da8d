"""End to end: generator -> producer -> Kinesis (moto) -> local Firehose -> lake -> DuckDB, plus a backfill."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.shared import layout
from functions.shared.queries import INCIDENT_QUERIES, NAMED_QUERIES
from functions.shared.schema import STREAMING_EVENTS
from lakewriter.parquet import arrow_schema
from local.delivery import ERROR_TYPE_CONVERSION
from local.marker import LAKE_MARKER, LakeError
from local.moto_setup import LocalStack
from local.pipeline import RunReport, run_pipeline
from local.plan import plan_backfill, plan_ticks
from local.settings import load_settings
from local.sql import connect, run_named_queries

pytestmark = pytest.mark.e2e

_MIDNIGHT = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
NOW = max(dt.datetime.now(dt.UTC), _MIDNIGHT + dt.timedelta(hours=2))
"""Now, but never so early in the UTC day that the streamed ticks would all fall on yesterday."""
EVENTS = 3_000
"""About this many streamed events: 15 ticks at BATCH."""
BATCH = 200
BACKFILL_DAYS = 2
BAD_EVENT_ID = "injected-bad-record"


def _inject_bad_record(stack: LocalStack) -> None:
    """A record that passes the producer's path unchecked (written straight to the stream) and fails conversion."""
    bad = dict.fromkeys(STREAMING_EVENTS.column_names)
    bad.update(event_id=BAD_EVENT_ID, event_timestamp=NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z"), error_count="three")
    stack.kinesis.put_record(
        StreamName=stack.settings.stream_name, Data=json.dumps(bad).encode() + b"\n", PartitionKey="bad"
    )


@pytest.fixture(scope="module")
def settings():
    return load_settings("dev").but(batch_size=BATCH)


@pytest.fixture(scope="module")
def lake_run(settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    lake = tmp_path_factory.mktemp("e2e") / "lake"
    report = run_pipeline(
        settings,
        lake,
        events=EVENTS,
        seed=11,
        backfill_days=BACKFILL_DAYS,
        now=NOW,
        before_delivery=_inject_bad_record,
    )
    return lake, report


def _telemetry_files(lake: Path) -> list[Path]:
    return sorted((lake / layout.TELEMETRY_PREFIX).rglob("*.parquet"))


def _streamed_files(lake: Path, settings) -> list[Path]:
    return [p for p in _telemetry_files(lake) if p.name.startswith(settings.delivery_stream_name + "-")]


def test_every_generated_event_lands_in_the_lake_exactly_once(lake_run, settings) -> None:
    lake, report = lake_run
    assert report.ticks == 15 and report.events_generated > 1000
    assert len(report.event_ids) == report.events_generated == len(set(report.event_ids))
    landed = [
        eid
        for p in _streamed_files(lake, settings)
        for eid in pq.read_table(p, columns=["event_id"])["event_id"].to_pylist()
    ]
    assert Counter(landed) == Counter(report.event_ids)
    assert report.delivered == report.events_generated and report.dead_letters == 0


def test_only_the_injected_bad_record_lands_in_errors_with_its_reason(lake_run) -> None:
    lake, report = lake_run
    assert report.errors == 1
    files = [p for p in (lake / layout.ERRORS_PREFIX).rglob("*") if p.is_file()]
    assert len(files) == 1
    assert files[0].relative_to(lake / layout.ERRORS_PREFIX).parts[0] == ERROR_TYPE_CONVERSION
    (document,) = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert "error_count" in document["lastErrorMessage"] and "int" in document["lastErrorMessage"]
    assert json.loads(base64.b64decode(document["rawData"]))["event_id"] == BAD_EVENT_ID


def test_a_clean_run_writes_nothing_to_errors(settings, tmp_path: Path) -> None:
    report = run_pipeline(settings, tmp_path / "lake", events=400, seed=5, now=NOW)
    assert (report.delivered, report.errors) == (report.events_generated, 0)
    assert not (tmp_path / "lake" / layout.ERRORS_PREFIX).exists()


def test_every_parquet_file_has_the_catalog_schema_column_for_column(lake_run) -> None:
    lake, report = lake_run
    files = _telemetry_files(lake)
    assert len(files) >= report.files + report.backfill_files
    expected = arrow_schema(STREAMING_EVENTS)
    for path in files:
        assert pq.read_schema(path).remove_metadata().equals(expected.remove_metadata()), path


def test_each_rows_partition_equals_its_event_timestamp_hour(lake_run, settings) -> None:
    lake, _ = lake_run
    con = connect(lake, settings.database_name)
    db = settings.database_name
    total, mismatched = con.execute(
        f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE year <> substr(event_timestamp, 1, 4)
               OR month <> substr(event_timestamp, 6, 2) OR day <> substr(event_timestamp, 9, 2)
               OR hour <> substr(event_timestamp, 12, 2))
            FROM {db}.streaming_events"""
    ).fetchone()
    assert total == lake_run[1].events_generated + lake_run[1].backfill_events
    assert mismatched == 0


def test_backfill_covers_the_days_before_the_run(lake_run, settings) -> None:
    lake, report = lake_run
    assert report.backfill_events > BACKFILL_DAYS * 288 * BATCH * 0.8
    con = connect(lake, settings.database_name)
    days = {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT year || '-' || month || '-' || day FROM {settings.database_name}.streaming_events "
            f"WHERE event_id NOT IN (SELECT UNNEST(?))",
            [report.event_ids],
        ).fetchall()
    }
    expected = {(NOW.date() - dt.timedelta(days=d)).isoformat() for d in range(BACKFILL_DAYS + 1)}
    assert days == expected  # the days before, and today up to the first tick


def test_every_named_query_returns_rows_and_joins_match_every_event(lake_run, settings) -> None:
    lake, _ = lake_run
    con = connect(lake, settings.database_name)
    results = {r.query.name: r for r in run_named_queries(con, settings.database_name)}
    assert set(results) == {q.name for q in NAMED_QUERIES}
    # The anomaly query scores hours with MIN_BASELINE_POINTS earlier days: this lake holds minutes. The events carry
    # no ads until the generator and kernel emit them (docs/ads.md, "Wiring"): the ad queries that count ad events
    # may be empty (the reconciliation lists the campaigns live in the lake's days).
    may_be_empty = {q.name for q in INCIDENT_QUERIES} | {"ad_reach_and_frequency", "ad_completion_by_device"}
    for name, result in results.items():
        assert result.rows or name in may_be_empty, f"named query {name} returned no rows"
    coverage = dict(zip(results["join_coverage"].columns, results["join_coverage"].rows[0], strict=True))
    assert coverage["pct_with_customer"] == 100.0 and coverage["pct_with_title"] == 100.0
    total = dict(zip(results["total_events"].columns, results["total_events"].rows[0], strict=True))
    assert total["events"] == lake_run[1].events_generated + lake_run[1].backfill_events


def test_a_second_run_adds_only_what_the_lake_lacks(settings, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = run_pipeline(settings, lake, ticks=2, seed=9, now=NOW)
    again = run_pipeline(settings, lake, ticks=2, seed=9, now=NOW)  # the same ticks: nothing new to stream
    later = run_pipeline(settings, lake, ticks=1, now=NOW + dt.timedelta(minutes=16))  # the lake's seed; a gap
    assert (first.run_number, again.run_number, later.run_number) == (0, 1, 2)
    assert (again.ticks, again.events_generated) == (0, 0)
    assert later.ticks == 1 and later.backfill_events > 0  # the 10 minutes since the first run, backfilled
    assert not set(first.event_ids) & set(later.event_ids)
    con = connect(lake, settings.database_name)
    (total, distinct) = con.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT event_id) FROM {settings.database_name}.streaming_events"
    ).fetchone()
    assert total == distinct == first.events_generated + later.events_generated + later.backfill_events


def test_backfill_and_live_ticks_meet_without_gap_or_overlap(settings, tmp_path: Path) -> None:
    from functions.generator.events import epoch_ms, window_events
    from functions.shared.world import World

    quiet = settings.but(batch_size=20)
    report = run_pipeline(quiet, tmp_path / "lake", ticks=3, seed=4, backfill_days=1, now=NOW)
    con = connect(tmp_path / "lake", quiet.database_name)
    lake = {r[0] for r in con.execute(f"SELECT event_id FROM {quiet.database_name}.streaming_events").fetchall()}
    assert report.backfill_events + report.events_generated == len(lake)
    start = epoch_ms(_MIDNIGHT - dt.timedelta(days=1))
    end = epoch_ms(NOW) // 300_000 * 300_000
    world = World(4, LocalStack(quiet, tmp_path, seed=4).dims, 20)
    assert lake == {e["event_id"] for e in window_events(world, start, end)}


def test_a_lake_of_another_world_is_refused(settings, tmp_path: Path) -> None:
    run_pipeline(settings, tmp_path / "lake", ticks=1, seed=1, now=NOW)
    with pytest.raises(LakeError, match=r"--seed 2: the lake .* holds world 1"):
        run_pipeline(settings, tmp_path / "lake", ticks=1, seed=2, now=NOW)


def test_a_lake_directory_holding_something_else_is_refused(settings, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a lake")
    with pytest.raises(LakeError, match="holds something else"):
        run_pipeline(settings, tmp_path, events=10)
    assert not (tmp_path / LAKE_MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_ticks_and_events_plan_whole_ticks() -> None:
    assert plan_ticks(None, None, 1000, 300) == 3
    assert plan_ticks(2, None, 500, 300) == 2
    assert plan_ticks(None, 2500, 1000, 300) == 3
    assert plan_ticks(None, 2500, 1000, 600) == 2
    with pytest.raises(ValueError, match="--ticks or --events"):
        plan_ticks(1, 1, 1000, 300)
    with pytest.raises(ValueError, match="--events must be"):
        plan_ticks(None, -1, 1000, 300)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backfill_days": -1}, "--backfill-days must be ≥ 0, got -1"),
        ({"backfill_days": 800_000}, "lies outside the years Athena's partition projection reads"),
        ({"seed": -1}, "--seed must be an integer from 0 to"),
    ],
)
def test_bad_backfill_options_are_refused_before_the_lake_is_touched(
    settings, tmp_path: Path, kwargs: dict, message: str
) -> None:
    lake = tmp_path / "lake"
    with pytest.raises(ValueError, match=re.escape(message)):
        run_pipeline(settings, lake, events=10, **kwargs)
    assert not lake.exists()


def test_a_backfill_may_reach_back_to_the_first_projected_year_and_no_further(settings) -> None:
    today = dt.date(settings.projection_year_start + 1, 3, 1)
    days = (today - dt.date(settings.projection_year_start, 1, 1)).days
    assert plan_backfill(days, today, settings) == dt.datetime(settings.projection_year_start, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match=f"--backfill-days must be at most {days}"):
        plan_backfill(days + 1, today, settings)


def test_a_cron_scheduled_stack_runs_with_the_generators_default_window(settings, tmp_path: Path) -> None:
    cron = settings.but(schedule_expression="cron(0/15 * * * ? *)", window_seconds=None)
    report = run_pipeline(cron, tmp_path / "lake", ticks=2, seed=3, now=NOW)
    assert report.ticks == 2 and report.events_generated == report.delivered > 0 and report.errors == 0


@pytest.mark.parametrize("name", ["br[1]", "star*", "hour=99", "back\\slash"])
def test_lake_paths_duckdb_would_misread_are_refused(settings, tmp_path: Path, name: str) -> None:
    with pytest.raises(LakeError, match=r"--lake .* the path may not contain"):
        run_pipeline(settings, tmp_path / name / "lake", events=10)
    assert list(tmp_path.iterdir()) == []


def test_a_lake_below_a_file_is_refused_naming_lake(settings, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LakeError, match=r"--lake .*afile/sub cannot be used"):
        run_pipeline(settings, tmp_path / "afile" / "sub", events=10)


def test_an_unknown_stack_is_refused_listing_the_stacks() -> None:
    with pytest.raises(ValueError, match=r"--stack 'nosuch': .* stacks here: dev, staging"):
        load_settings("nosuch")


def test_a_tick_split_into_shards_reports_the_events_and_payloads_its_shards_made(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    from functions.generator.events import epoch_ms, window_events
    from functions.generator.handler import run_request
    from local import moto_setup

    quiet = settings.but(batch_size=20)
    # A window above 5 events is sharded (the handler's split at MAX_SHARD_EVENTS, made small).
    monkeypatch.setattr(moto_setup, "run_request", functools.partial(run_request, max_shard_events=5))
    # Prime time in the Americas: the window holds well over 5 events whatever the wall clock says.
    end = epoch_ms(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC))
    with LocalStack(quiet, tmp_path, seed=4) as stack:
        summary = stack.tick(end - 300_000, end)
        made = len(window_events(stack.world, end - 300_000, end))
        assert summary["shards"] > 1 and summary["dispatched"] == summary["shards"]
        assert summary["events"] == made == len(stack.lambda_client.accepted_event_ids) > 5
        assert summary["payloads"] >= summary["shards"] - 1
