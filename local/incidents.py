"""How well the anomaly query finds the seeded incidents: found, missed and false alarms, scored against the answer key.

`python -m local incidents --lake DIR` runs the `qoe_anomalies` query on a lake, reads the lake's `incidents` table
and matches the two. An alert (one flagged hour of one scope, any metric) is explained by an incident when its hour
overlaps the incident's window (stretched by MATCH_GRACE_MS) and no scope field of the two differs: the incident's
sessions are part of the alert's cohort (an ISP outage lifts its OS cohorts' failures too). An incident is found when
an alert it explains also shares a scope field with it (an alert in its own country, ISP or OS + version); an alert
no incident explains is a false alarm. Only incidents inside the stretch the query scores count (after the baseline's
first days, within its recent-days window). docs/incidents.md describes the method and the measured scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.shared.incidents import HOUR_MS, INCIDENT_TYPES
from functions.shared.queries import INCIDENT_QUERIES, MIN_BASELINE_POINTS, RECENT_DAYS

if TYPE_CHECKING:
    import duckdb

ANOMALY_QUERY = INCIDENT_QUERIES[0]
MATCH_GRACE_MS = HOUR_MS
"""An alert up to an hour after an incident's end still belongs to it: plays attempted in the window end (and fail)
after it, and cells are whole hours."""
SCOPE_FIELDS = ("country", "isp", "device_os", "app_version")


@dataclass(frozen=True)
class Alert:
    """One flagged (hour, scope) cell: the metrics that flagged it and the largest z."""

    hour_ms: int
    scope_type: str
    scope: str
    metrics: tuple[str, ...]
    z: float

    @property
    def fields(self) -> Mapping[str, str]:
        """The scope as incident scope fields: country; country and isp; device_os; device_os and app_version."""
        return scope_fields(self.scope_type, self.scope)


def scope_fields(scope_type: str, scope: str) -> Mapping[str, str]:
    if scope_type == "country":
        return {"country": scope}
    if scope_type == "isp":
        country, _, isp = scope.partition(" / ")
        return {"country": country, "isp": isp}
    if scope_type == "os":
        return {"device_os": scope}
    if scope_type == "app":
        device_os, _, version = scope.rpartition(" ")  # OS names have spaces ("Roku OS"), versions do not
        return {"device_os": device_os, "app_version": version}
    raise ValueError(f"scope_type must be one of country, isp, os, app, got {scope_type!r}")


@dataclass(frozen=True)
class KnownIncident:
    """One row of the incidents table, with its window in epoch ms."""

    incident_id: str
    incident_type: str
    severity: str
    start_ms: int
    end_ms: int
    scope: Mapping[str, str]
    description: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> KnownIncident:
        return cls(
            incident_id=row["incident_id"],
            incident_type=row["incident_type"],
            severity=row["severity"],
            start_ms=iso_ms(row["start_time"]),
            end_ms=iso_ms(row["end_time"]),
            scope={k: row[k] for k in SCOPE_FIELDS if row.get(k) is not None},
            description=row.get("description") or "",
        )


def iso_ms(text: str) -> int:
    """Epoch ms of an ISO 8601 UTC time ('2026-11-20T01:06:00.000Z' or '2026-11-20 01:00:00')."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def explains(incident: KnownIncident, alert: Alert) -> bool:
    """Whether the alert's hour overlaps the incident's (stretched) window and no scope field of the two differs."""
    if not (alert.hour_ms < incident.end_ms + MATCH_GRACE_MS and alert.hour_ms + HOUR_MS > incident.start_ms):
        return False
    fields = alert.fields
    return all(fields[k] == incident.scope[k] for k in fields if k in incident.scope)


def detects(incident: KnownIncident, alert: Alert) -> bool:
    """Whether the alert explained by the incident is also in its own scope: they share a scope field."""
    return explains(incident, alert) and any(k in incident.scope for k in alert.fields)


@dataclass
class TypeScore:
    incidents: int = 0
    found: int = 0


@dataclass
class Score:
    """The anomaly query against the answer key over the scored stretch."""

    scored_from_ms: int
    scored_until_ms: int
    incidents: int
    found: list[tuple[KnownIncident, int]]
    """Found incidents, each with its detection delay (ms from its start to the first explaining alert's hour end)."""
    missed: list[KnownIncident]
    alerts: int
    true_alerts: int
    false_alarms: list[Alert]
    false_alarm_episodes: int
    """False alarms of one scope in consecutive hours counted once."""
    by_type: dict[str, TypeScore] = field(default_factory=dict)
    by_severity: dict[str, TypeScore] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return len(self.found) / self.incidents if self.incidents else 0.0

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 0.0


def score(
    alerts: Sequence[Alert], incidents: Iterable[KnownIncident], scored_from_ms: int, scored_until_ms: int
) -> Score:
    """Match alerts to the incidents overlapping [scored_from_ms, scored_until_ms)."""
    key = [i for i in incidents if i.start_ms < scored_until_ms and i.end_ms > scored_from_ms]
    key.sort(key=lambda i: (i.start_ms, i.incident_id))
    found, missed = [], []
    by_type = {t: TypeScore() for t in INCIDENT_TYPES}
    by_severity: dict[str, TypeScore] = {}
    for incident in key:
        hits = [a for a in alerts if detects(incident, a)]
        for table, name in ((by_type, incident.incident_type), (by_severity, incident.severity)):
            table.setdefault(name, TypeScore()).incidents += 1
            table[name].found += bool(hits)
        if hits:
            first = min(a.hour_ms for a in hits)
            found.append((incident, max(0, first + HOUR_MS - incident.start_ms)))
        else:
            missed.append(incident)
    every = list(incidents)
    false = [a for a in alerts if not any(explains(i, a) for i in every)]
    episodes = {(a.scope_type, a.scope, a.hour_ms) for a in false}
    starts = sum(1 for s, sc, h in episodes if (s, sc, h - HOUR_MS) not in episodes)
    return Score(
        scored_from_ms=scored_from_ms,
        scored_until_ms=scored_until_ms,
        incidents=len(key),
        found=found,
        missed=missed,
        alerts=len(alerts),
        true_alerts=len(alerts) - len(false),
        false_alarms=false,
        false_alarm_episodes=starts,
        by_type=by_type,
        by_severity=by_severity,
    )


def alerts_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """The query's (hour, scope, metric) rows as one Alert per (hour, scope)."""
    cells: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["hour"], row["scope_type"], row["scope"]), []).append(row)
    return [
        Alert(iso_ms(hour), scope_type, scope, tuple(r["metric"] for r in found), max(float(r["z"]) for r in found))
        for (hour, scope_type, scope), found in sorted(cells.items())
    ]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def score_connection(con: duckdb.DuckDBPyConnection, database: str, now: dt.datetime | None = None) -> Score:
    """Run the anomaly query where `con` holds the catalog's tables and score it against their incidents table.

    The scored stretch starts MIN_BASELINE_POINTS days after the first event the query reads (earlier cells have
    no baseline) and ends at the end of the last event's hour.
    """
    alerts = alerts_from_rows(_rows(con, ANOMALY_QUERY.sql(database)))
    quoted = '"' + database.replace('"', '""') + '"'
    incidents = [KnownIncident.from_row(r) for r in _rows(con, f"SELECT * FROM {quoted}.incidents")]
    today = (now or dt.datetime.now(dt.UTC)).date()
    window_from = (today - dt.timedelta(days=RECENT_DAYS - 1)).isoformat()
    first, last = con.execute(
        f"SELECT MIN(event_timestamp), MAX(event_timestamp) FROM {quoted}.streaming_events WHERE event_timestamp >= ?",
        [window_from],
    ).fetchone()
    if first is None:
        return score(alerts, incidents, 0, 0)
    scored_from = (iso_ms(first) // HOUR_MS) * HOUR_MS + MIN_BASELINE_POINTS * 24 * HOUR_MS
    scored_until = (iso_ms(last) // HOUR_MS + 1) * HOUR_MS
    return score(alerts, incidents, scored_from, max(scored_from, scored_until))


def score_lake(lake: Path, database: str) -> Score:
    """score_connection over a local lake (`python -m local incidents`)."""
    from local.sql import connect

    return score_connection(connect(lake, database), database)


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def report_lines(result: Score) -> list[str]:
    """The score as text: totals, per type and severity, the missed incidents and the false alarms' scopes."""
    lines = [
        f"scored {_when(result.scored_from_ms)} to {_when(result.scored_until_ms)} UTC: "
        f"{len(result.found)} of {result.incidents} incidents found ({result.recall:.0%}), "
        f"{len(result.missed)} missed; "
        f"{result.alerts} alert cells, {result.true_alerts} explained ({result.precision:.0%}), "
        f"{len(result.false_alarms)} false alarm cells in {result.false_alarm_episodes} episode(s)"
    ]
    for title, table in (("type", result.by_type), ("severity", result.by_severity)):
        parts = [f"{name} {s.found}/{s.incidents}" for name, s in table.items() if s.incidents]
        lines.append(f"found by {title}: " + (", ".join(parts) or "none"))
    if result.found:
        delays = sorted(d for _, d in result.found)
        lines.append(
            "detection delay (to the end of the first flagged hour): "
            f"median {delays[len(delays) // 2] / 60_000:.0f} min"
        )
    for incident in result.missed:
        lines.append(
            f"missed {incident.incident_id} {incident.incident_type} ({incident.severity}) "
            f"{_when(incident.start_ms)}-{_when(incident.end_ms)[11:]}: {incident.description}"
        )
    scopes: dict[str, int] = {}
    for alert in result.false_alarms:
        scopes[f"{alert.scope_type} {alert.scope}"] = scopes.get(f"{alert.scope_type} {alert.scope}", 0) + 1
    if scopes:
        worst = sorted(scopes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        lines.append("false alarms by scope: " + ", ".join(f"{s} x{n}" for s, n in worst))
    return lines
