"""Scoring the anomaly query against the incidents table: matching by scope and time, found, missed, false alarms."""

from __future__ import annotations

import datetime as dt

import pytest

from functions.shared.incidents import HOUR_MS
from local import incidents as scoring
from local.incidents import Alert, KnownIncident, alerts_from_rows, detects, explains, scope_fields, score
from tests.local.test_qoe_queries import COHORTS, TODAY, _connect, _sessions

T0 = 1_800_000_000_000 // HOUR_MS * HOUR_MS


def _incident(incident_type: str = "isp_outage", start: int = T0, hours: float = 2, **scope: str) -> KnownIncident:
    return KnownIncident(
        incident_id=f"inc_{incident_type}_{start}",
        incident_type=incident_type,
        severity="major",
        start_ms=start,
        end_ms=start + int(hours * HOUR_MS),
        scope=scope or {"country": "US", "isp": "Comcast"},
    )


def _alert(hour_ms: int, scope_type: str = "isp", scope: str = "US / Comcast") -> Alert:
    return Alert(hour_ms, scope_type, scope, ("start_failure_rate",), 9.0)


def test_scopes_read_back_into_incident_fields() -> None:
    assert scope_fields("country", "US") == {"country": "US"}
    assert scope_fields("isp", "US / AT&T") == {"country": "US", "isp": "AT&T"}
    assert scope_fields("app", "Roku OS 6.0.0") == {"device_os": "Roku OS", "app_version": "6.0.0"}
    with pytest.raises(ValueError, match="scope_type must be one of country, isp, os, app, got 'city'"):
        scope_fields("city", "Paris")


def test_an_alert_matches_in_the_window_stretched_by_an_hour_and_not_outside() -> None:
    outage = _incident(start=T0 + 30 * 60_000)  # 00:30-02:30
    assert explains(outage, _alert(T0))  # 00:00-01:00 overlaps the start
    assert explains(outage, _alert(T0 + 3 * HOUR_MS))  # 03:00: within the hour's grace after 02:30
    assert not explains(outage, _alert(T0 + 4 * HOUR_MS))
    assert not explains(outage, _alert(T0 - HOUR_MS))  # ends 00:00, before 00:30


@pytest.mark.parametrize(
    ("incident_scope", "scope_type", "scope", "explained", "detected"),
    [
        ({"country": "US", "isp": "Comcast"}, "country", "US", True, True),  # an outage shows in its country
        ({"country": "US", "isp": "Comcast"}, "isp", "US / Verizon", False, False),
        ({"country": "US", "isp": "Comcast", "state": "NY"}, "isp", "US / Comcast", True, True),
        ({"country": "US", "isp": "Comcast"}, "app", "iOS 6.0.0", True, False),  # its iOS viewers are in the cohort
        ({"country": "US"}, "isp", "US / Verizon", True, True),  # a country-wide degradation shows in each ISP
        ({"country": "US"}, "isp", "GB / BT", False, False),
        ({"device_os": "iOS", "app_version": "6.0.0"}, "app", "iOS 6.0.0", True, True),
        ({"device_os": "iOS", "app_version": "6.0.0"}, "app", "iOS 5.14.1", False, False),
        ({"device_os": "iOS", "app_version": "6.0.0"}, "country", "US", True, False),
    ],
)
def test_an_incident_explains_alerts_in_cohorts_holding_its_sessions_and_is_detected_in_its_own_scope(
    incident_scope: dict, scope_type: str, scope: str, explained: bool, detected: bool
) -> None:
    incident, alert = _incident(**incident_scope), _alert(T0, scope_type, scope)
    assert (explains(incident, alert), detects(incident, alert)) == (explained, detected)


def test_the_score_counts_found_missed_and_false_alarm_episodes() -> None:
    outage = _incident(start=T0 + 10 * 60_000)
    crash = _incident("app_crash", T0 + 5 * HOUR_MS, 3, device_os="iOS", app_version="6.0.0")
    before = _incident("cdn_degradation", T0 - 48 * HOUR_MS, 1, country="GB")  # outside the scored stretch
    alerts = [
        _alert(T0 + HOUR_MS),  # the outage, first flagged in its second hour
        _alert(T0 + 2 * HOUR_MS, "country", "US"),  # the outage again
        _alert(T0 + 20 * HOUR_MS, "country", "DE"),  # false: an episode of two hours
        _alert(T0 + 21 * HOUR_MS, "country", "DE"),
        _alert(T0 + 23 * HOUR_MS, "country", "DE"),  # false: a second episode
    ]
    result = score(alerts, [outage, crash, before], T0, T0 + 24 * HOUR_MS)
    assert result.incidents == 2
    assert [(i.incident_id, delay) for i, delay in result.found] == [(outage.incident_id, 2 * HOUR_MS - 10 * 60_000)]
    assert result.missed == [crash]
    assert (result.alerts, result.true_alerts, len(result.false_alarms)) == (5, 2, 3)
    assert result.false_alarm_episodes == 2
    assert (result.recall, result.precision) == (0.5, 0.4)
    assert (result.by_type["isp_outage"].found, result.by_type["app_crash"].found) == (1, 0)
    assert result.by_severity["major"].incidents == 2
    lines = scoring.report_lines(result)
    assert lines[0].endswith("1 of 2 incidents found (50%), 1 missed; 5 alert cells, 2 explained (40%), 3 false alarm "
                             "cells in 2 episode(s)")  # fmt: skip
    assert any(line.startswith(f"missed {crash.incident_id} app_crash") for line in lines)


def test_query_rows_become_one_alert_per_hour_and_scope() -> None:
    rows = [
        {"hour": "2026-12-01 20:00:00", "scope_type": "isp", "scope": "US / Comcast", "metric": "error_rate", "z": 4},
        {"hour": "2026-12-01 20:00:00", "scope_type": "isp", "scope": "US / Comcast", "metric": "attempts", "z": 7.5},
        {"hour": "2026-12-01 21:00:00", "scope_type": "country", "scope": "US", "metric": "attempts", "z": 3.5},
    ]
    alerts = alerts_from_rows(rows)
    at = int(dt.datetime(2026, 12, 1, 20, tzinfo=dt.UTC).timestamp() * 1000)
    assert alerts == [
        Alert(at, "isp", "US / Comcast", ("error_rate", "attempts"), 7.5),
        Alert(at + HOUR_MS, "country", "US", ("attempts",), 3.5),
    ]


def _row(incident: KnownIncident, **scope: str | None) -> dict:
    def iso(ms: int) -> str:
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {
        "incident_id": incident.incident_id,
        "incident_type": incident.incident_type,
        "start_time": iso(incident.start_ms),
        "end_time": iso(incident.end_ms),
        "severity": incident.severity,
        "country": scope.get("country"),
        "state": None,
        "isp": scope.get("isp"),
        "device_os": scope.get("device_os"),
        "app_version": scope.get("app_version"),
        "startup_permille": 1000,
        "start_fail_permille": 20000,
        "stall_permille": 1000,
        "error_permille": 1000,
        "volume_permille": 1000,
        "bitrate_permille": 1000,
        "description": "test",
    }


def test_the_query_on_a_lake_finds_an_injected_outage_and_misses_one_that_left_no_trace() -> None:
    start = TODAY - dt.timedelta(days=10)
    outage_at = TODAY - dt.timedelta(days=2) + dt.timedelta(hours=20)
    rows = [
        r
        for r in _sessions(start, 10 * 24 - 1, 40)
        if not (r["isp"] == "Comcast" and outage_at <= dt.datetime.fromisoformat(r["event_timestamp"]) < outage_at
                + dt.timedelta(hours=2))
    ]  # fmt: skip
    rows += _sessions(outage_at, 2, 40, fail=0.3, seed=9, cohort=COHORTS[0])
    at_ms = int(outage_at.timestamp() * 1000)
    outage = _incident(start=at_ms + 5 * 60_000, hours=1.5)
    quiet = _incident("cdn_degradation", at_ms - 30 * HOUR_MS, 2, country="GB")  # nothing was injected
    early = _incident("live_surge", int(start.timestamp() * 1000) + HOUR_MS, 2, country="US")  # before any baseline
    con = _connect(
        rows,
        [
            _row(outage, country="US", isp="Comcast"),
            _row(quiet, country="GB"),
            _row(early, country="US"),
        ],
    )
    result = scoring.score_connection(con, "db")
    assert result.scored_from_ms == int(start.timestamp() * 1000) + 3 * 24 * HOUR_MS
    assert [i.incident_id for i, _ in result.found] == [outage.incident_id]
    assert [i.incident_id for i in result.missed] == [quiet.incident_id]
    assert result.false_alarm_episodes <= 2


def test_the_cli_prints_the_score(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:
    from local.__main__ import main

    seen = {}

    def fake(lake, database):
        seen["args"] = (lake, database)
        return score([_alert(T0)], [_incident()], T0, T0 + HOUR_MS)

    monkeypatch.setattr(scoring, "score_lake", fake)
    assert main(["incidents", "--lake", str(tmp_path)]) == 0
    assert seen["args"] == (tmp_path, "acme_telemetry")
    assert "1 of 1 incidents found (100%)" in capsys.readouterr().out
