"""An incident shapes exactly the sessions in its window and scope, by its factors: the same world streamed with its
incidents and without them (docs/incidents.md, docs/player.md)."""

from __future__ import annotations

import collections
import datetime as dt
import functools

from functions.generator.events import clear_window_cache, window_events
from functions.shared.incidents import Incident
from functions.shared.world import World
from tests.functions.test_player import HOUR_MS, WEEK_START_MS, dims

TICK_MS = 300_000
SCOPE_FIELDS = ("country", "state", "isp", "device_os", "app_version")


def _sessions(world: World, start_ms: int, end_ms: int) -> dict[str, list[dict]]:
    """Every session's events in [start_ms, end_ms), streamed tick by tick, by session id."""
    clear_window_cache()
    sessions: dict[str, list[dict]] = collections.defaultdict(list)
    for t in range(start_ms, end_ms, TICK_MS):
        for ev in window_events(world, t, t + TICK_MS):
            sessions[ev["session_id"]].append(ev)
    return sessions


def _attempt_ms(first: dict) -> int | None:
    """When the session's attempt began (its first event's time less its start-up), if its first event is one."""
    if first["event_type"] not in ("start", "start_failed", "exit_before_start"):
        return None
    return int(dt.datetime.fromisoformat(first["event_timestamp"]).timestamp() * 1000) - first["startup_time_ms"]


@functools.cache
def _outage() -> tuple[Incident, dict[str, list[dict]], dict[str, list[dict]]]:
    """Seed 1's first ISP outage of the week, and the sessions of its hours with incidents and without any."""
    world = World(1, dims(), 500)
    calm = World(1, dims(), 500)
    calm.incidents = lambda start_ms, end_ms: ()  # type: ignore[method-assign]
    week = world.incidents(WEEK_START_MS, WEEK_START_MS + 7 * 86_400_000)
    outage = next(i for i in week if i.incident_type == "isp_outage")
    start = outage.start_ms - outage.start_ms % HOUR_MS - HOUR_MS
    end = outage.end_ms - outage.end_ms % HOUR_MS + 2 * HOUR_MS
    return outage, _sessions(world, start, end), _sessions(calm, start, end)


def _in_scope(ev: dict, incident: Incident) -> bool:
    return all(getattr(incident, f) is None or getattr(incident, f) == ev[f] for f in SCOPE_FIELDS)


def test_an_isp_outage_leaves_every_session_outside_its_scope_as_it_was() -> None:
    outage, shaped, calm = _outage()
    outside = [k for k, evs in shaped.items() if not _in_scope(evs[0], outage)]
    assert len(outside) > 1000
    assert all(shaped[k] == calm[k] for k in outside)


def test_an_isp_outage_leaves_its_scopes_sessions_before_it_as_they_were_and_after_it_only_binge_links() -> None:
    outage, shaped, calm = _outage()
    scoped = {k: evs for k, evs in calm.items() if _in_scope(evs[0], outage)}
    before = [k for k, evs in scoped.items() if (_attempt_ms(evs[0]) or 0) < outage.start_ms]
    assert len(before) > 100 and all(shaped.get(k) == scoped[k] for k in before)
    after = [k for k, evs in scoped.items() if (_attempt_ms(evs[0]) or 0) >= outage.end_ms]
    changed = [k for k in after if shaped.get(k) != scoped[k]]
    # A chain's next episode follows the link before it, whose failure, error or stalls the outage changed.
    assert all(scoped[k][0]["title_type"] == "series" for k in changed)


def test_an_isp_outage_multiplies_start_up_failures_stalls_and_errors_of_its_sessions() -> None:
    outage, shaped, calm = _outage()
    assert min(outage.startup_permille, outage.stall_permille, outage.start_fail_permille, outage.error_permille) > 1000
    hit = [
        k
        for k, evs in calm.items()
        if _in_scope(evs[0], outage) and outage.start_ms <= (_attempt_ms(evs[0]) or -1) < outage.end_ms and k in shaped
    ]  # (a binge link after a link the outage failed is not attempted at all)
    assert len(hit) >= 100
    # Start-up: the draw's time times the factor, exactly (below the 60 s cap).
    exact = [
        (shaped[k][0]["startup_time_ms"], calm[k][0]["startup_time_ms"])
        for k in hit
        if shaped[k][0]["event_type"] == calm[k][0]["event_type"] in ("start", "start_failed")
    ]
    assert len(exact) >= 50
    assert all(s == min(60_000, c * outage.startup_permille // 1000) for s, c in exact)

    def count(sessions: dict[str, list[dict]], kind: str) -> int:
        return sum(ev["event_type"] == kind for k in hit for ev in sessions[k])

    assert count(shaped, "start_failed") >= 10 * max(1, count(calm, "start_failed"))
    assert count(shaped, "error") >= 5 * max(1, count(calm, "error"))
    # Stalls: the same plays (same end, same time played) stall more, never less.
    same = [
        (shaped[k][-1], calm[k][-1])
        for k in hit
        if shaped[k][0]["event_type"] == calm[k][0]["event_type"] == "start"
        and shaped[k][-1]["event_type"] == calm[k][-1]["event_type"] != "error"
        and shaped[k][-1]["watch_duration_seconds"] == calm[k][-1]["watch_duration_seconds"]
    ]
    assert len(same) >= 30
    assert all(s["buffering_events"] >= c["buffering_events"] for s, c in same)
    stalled = sum(s["buffering_duration_seconds"] for s, _ in same)
    assert stalled > 1.5 * sum(c["buffering_duration_seconds"] for _, c in same)
