"""Seeded incidents: a pure function of seed and time, scoped to values the world produces, sized within their bands."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from functions.shared import domains, geography
from functions.shared.calendar import utc_offset_at
from functions.shared.dimensions import INCIDENTS_FROM, INCIDENTS_UNTIL, generate_incidents
from functions.shared.incidents import (
    DAY_MS,
    HOUR_MS,
    INCIDENT_TYPES,
    MAX_DURATION_MS,
    MAX_VOLUME_PERMILLE,
    SEVERITIES,
    SIZING,
    UNCHANGED,
    WEEK_MS,
    Incident,
    incidents_between,
    incidents_of_week,
    week_of,
    week_start_ms,
)
from functions.shared.schema import INCIDENTS, validate_record

ROOT = Path(__file__).resolve().parents[2]
START = int(dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp() * 1000)
"""A Monday."""
YEAR = 52 * WEEK_MS


@pytest.fixture(scope="module")
def year() -> tuple[Incident, ...]:
    return incidents_between(1, START, START + YEAR)


def test_same_seed_and_window_give_the_same_incidents() -> None:
    assert incidents_between(7, START, START + 4 * WEEK_MS) == incidents_between(7, START, START + 4 * WEEK_MS)


def test_another_seed_gives_other_incidents() -> None:
    assert incidents_between(1, START, START + 4 * WEEK_MS) != incidents_between(2, START, START + 4 * WEEK_MS)


@pytest.mark.parametrize("piece_ms", [5 * 60_000, HOUR_MS, 7 * HOUR_MS, DAY_MS, 3 * DAY_MS + 12_345])
def test_any_cutting_of_a_window_gives_the_same_incidents(piece_ms: int) -> None:
    start, end = START + 3 * HOUR_MS, START + 5 * WEEK_MS
    whole = incidents_between(3, start, end)
    pieces: dict[str, Incident] = {}
    for t in range(start, end, piece_ms):
        for incident in incidents_between(3, t, min(t + piece_ms, end)):
            pieces[incident.incident_id] = incident
    assert whole == tuple(sorted(pieces.values(), key=lambda i: (i.start_ms, i.incident_id)))


def test_a_window_holds_exactly_the_incidents_overlapping_it(year: tuple[Incident, ...]) -> None:
    for incident in year[10:40]:
        assert incident in incidents_between(1, incident.end_ms - 1, incident.end_ms)
        assert incident in incidents_between(1, incident.start_ms, incident.start_ms + 1)
        assert incident not in incidents_between(1, incident.end_ms, incident.end_ms + HOUR_MS)
        assert incident not in incidents_between(1, incident.start_ms - HOUR_MS, incident.start_ms)


def test_incidents_come_by_start_with_unique_ids(year: tuple[Incident, ...]) -> None:
    assert [i.start_ms for i in year] == sorted(i.start_ms for i in year)
    assert len({i.incident_id for i in year}) == len(year)
    assert all(i.incident_id.startswith("inc_") and len(i.incident_id) == 20 for i in year)


def test_a_few_incidents_a_week_of_every_type(year: tuple[Incident, ...]) -> None:
    per_week = [len(incidents_of_week(1, w)) for w in range(week_of(START), week_of(START + YEAR))]
    assert all(3 <= n <= 6 for n in per_week), per_week
    by_type = Counter(i.incident_type for i in year)
    assert set(by_type) == set(INCIDENT_TYPES)
    for incident_type, sizing in SIZING.items():
        assert sizing.per_week.low * 50 <= by_type[incident_type] <= sizing.per_week.high * 54


def test_scopes_are_values_the_world_produces(year: tuple[Incident, ...]) -> None:
    app_os = {os for d in ("mobile", "tablet", "tv") for os in domains.DEVICE_OS[d]}
    for i in year:
        if i.incident_type == "app_crash":
            assert (i.country, i.state, i.isp) == (None, None, None)
            assert i.device_os in app_os and i.app_version in domains.APP_VERSIONS
            continue
        assert i.country in geography.COUNTRY_SHARES
        assert (i.device_os, i.app_version) == (None, None)
        if i.incident_type == "isp_outage":
            assert i.isp in geography.HOME_ISPS[i.country]
            assert i.state is None or i.state in {m.state for m in geography.METROS_BY_COUNTRY[i.country]}
        else:
            assert (i.state, i.isp) == (None, None)
    outages = [i for i in year if i.incident_type == "isp_outage"]
    assert any(i.state for i in outages) and any(i.state is None for i in outages)


def test_windows_and_factors_are_within_their_bands(year: tuple[Incident, ...]) -> None:
    for i in year:
        sizing = SIZING[i.incident_type]
        minutes = (i.end_ms - i.start_ms) // 60_000
        assert sizing.duration_min.low <= minutes <= sizing.duration_min.high
        assert i.end_ms - i.start_ms <= MAX_DURATION_MS
        assert i.start_ms % 60_000 == 0
        for name, value in (
            ("startup", i.startup_permille),
            ("start_fail", i.start_fail_permille),
            ("stall", i.stall_permille),
            ("error", i.error_permille),
            ("volume", i.volume_permille),
        ):
            band = getattr(sizing, name)
            assert band.low <= value <= band.high, (i, name)
            assert value >= UNCHANGED
        assert sizing.bitrate.low <= i.bitrate_permille <= sizing.bitrate.high <= UNCHANGED, i
        assert i.volume_permille <= MAX_VOLUME_PERMILLE
        if i.incident_type != "live_surge":
            assert i.volume_permille == UNCHANGED
        assert i.severity in SEVERITIES
        assert i.description


def _local_hour(i: Incident) -> int:
    metros = geography.METROS_BY_COUNTRY[i.country]
    metro = next((m for m in metros if m.state == i.state), None) if i.state else None
    tz = (metro or max(metros, key=lambda m: m.weight)).timezone
    return ((i.start_ms // 60_000 + utc_offset_at(tz, i.start_ms // 60_000)) // 60) % 24


def test_local_incidents_start_at_their_local_hours(year: tuple[Incident, ...]) -> None:
    """CDN degradations and live events start in the local evening, ISP outages in the morning or evening."""
    for i in year:
        hours = SIZING[i.incident_type].local_start_hours
        if hours is not None:
            assert _local_hour(i) in hours, (i, _local_hour(i))


def test_every_severity_occurs_and_follows_the_primary_factor(year: tuple[Incident, ...]) -> None:
    assert set(Counter(i.severity for i in year)) == set(SEVERITIES)
    for incident_type in INCIDENT_TYPES:
        of_type = [i for i in year if i.incident_type == incident_type]
        primary = SIZING[incident_type].primary + "_permille"
        by_severity = {s: [getattr(i, primary) for i in of_type if i.severity == s] for s in SEVERITIES}
        present = [values for values in by_severity.values() if values]
        assert all(max(a) < min(b) for a, b in itertools.pairwise(present)), incident_type


def test_weeks_run_monday_to_monday() -> None:
    assert dt.datetime.fromtimestamp(week_start_ms(week_of(START)) / 1000, dt.UTC).weekday() == 0
    assert week_of(START) == week_of(START + WEEK_MS - 1) == week_of(START + WEEK_MS) - 1


def test_in_scope_needs_the_window_and_every_set_field() -> None:
    outage = Incident(
        "inc_0", "isp_outage", 1000, 2000, "major", "US", "NY", "Comcast", None, None, 1, 1, 1, 1, 1000, 1000, "x"
    )
    assert outage.in_scope(1000, "US", "NY", "Comcast", "iOS", "6.0.0")
    assert not outage.in_scope(2000, "US", "NY", "Comcast")
    assert not outage.in_scope(999, "US", "NY", "Comcast")
    assert not outage.in_scope(1500, "US", "CA", "Comcast")
    assert not outage.in_scope(1500, "CA", "NY", "Comcast")


def test_an_empty_window_has_no_incidents_and_a_bad_seed_is_refused() -> None:
    assert incidents_between(1, START, START) == ()
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        incidents_between(-1, START, START + DAY_MS)


def test_the_module_needs_only_the_standard_library() -> None:
    """It ships to Lambda and the generator reads it per tick: importing it loads no third-party package."""
    code = (
        "import sys; before = set(sys.modules); import functions.shared.incidents; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] not in sys.stdlib_module_names "
        "and m.split('.')[0] != 'functions' and not m.startswith('_sysconfigdata')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_incidents_table_lists_the_worlds_incidents_over_its_range_in_schema() -> None:
    rows = generate_incidents(1)
    expected = incidents_between(
        1,
        _ms(dt.datetime.combine(INCIDENTS_FROM, dt.time(), dt.UTC)),
        _ms(dt.datetime.combine(INCIDENTS_UNTIL, dt.time(), dt.UTC)),
    )
    assert [r["incident_id"] for r in rows] == [i.incident_id for i in expected]
    assert 3 * 52 * 3 < len(rows) < 6 * 52 * 5
    for row, incident in zip(rows, expected, strict=True):
        validate_record(INCIDENTS, row)
        assert list(row) == list(INCIDENTS.column_names)
        assert _ms(dt.datetime.fromisoformat(row["start_time"])) == incident.start_ms
        assert _ms(dt.datetime.fromisoformat(row["end_time"])) == incident.end_ms
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["start_time"]) for r in rows)
    assert generate_incidents(1) == rows and generate_incidents(2) != rows


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
