"""Scheduled ticks longer than one window and cron() ticks: each covers exactly the time since the previous run."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest

from functions.generator import handler as gen
from functions.generator.events import window_events
from functions.shared import domains, schedule
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import World
from tests.functions.fakes import RecordingLambda

PRODUCER, GENERATOR = "acme-telemetry-producer", "acme-telemetry-generator"
HOUR_MS = 3_600_000


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp() * 1000)


def scheduled(time_ms: int) -> dict[str, Any]:
    when = dt.datetime.fromtimestamp(time_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"source": "aws.events", "detail-type": "Scheduled Event", "time": when}


@pytest.fixture(scope="module")
def world() -> World:
    return World(5, generate_dimensions(seed=42, customers=200, titles=100, campaigns=5), 40)


def serve_all(client: RecordingLambda, request: gen.Request, world: World) -> None:
    """Run a request and then, as Lambda would, every request it sent to the generator, until none is left."""
    pending = [request]
    while pending:
        before = len(client.of(GENERATOR))
        gen.run_request(client, pending.pop(), world=world, producer_name=PRODUCER, generator_name=GENERATOR)
        for payload in client.of(GENERATOR)[before:]:
            pending.append(gen.parse_request(json.loads(payload), window_seconds=300, now=dt.datetime.now(dt.UTC)))


def delivered(client: RecordingLambda) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for p in client.of(PRODUCER) for e in json.loads(p)["events"])


@pytest.mark.parametrize("period_s", [2 * 3600, 86_400])
def test_a_rate_tick_longer_than_a_window_covers_its_whole_period_in_windows(world: World, period_s: int) -> None:
    # rate(2 hours) / rate(1 day): the tick is [time - period, time), sent out as windows of at most an hour.
    end = ms(2026, 11, 27, 0, 0)
    request = gen.parse_request(scheduled(end), window_seconds=period_s, now=dt.datetime.now(dt.UTC))
    assert (request.start_ms, request.end_ms) == (end - period_s * 1000, end)
    client = RecordingLambda()
    summary = gen.run_request(client, request, world=world, producer_name=PRODUCER, generator_name=GENERATOR)
    windows = [json.loads(p) for p in client.of(GENERATOR)]
    assert summary["windows"] == summary["dispatched"] == len(windows) == period_s // domains.MAX_WINDOW_SECONDS
    assert not client.of(PRODUCER)
    bounds = [(gen.parse_request(w, window_seconds=300, now=dt.datetime.now(dt.UTC))) for w in windows]
    assert bounds[0].start_ms == request.start_ms and bounds[-1].end_ms == end
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(bounds))
    if period_s == 2 * 3600:  # every event of the period exactly once, as one request of the whole would give
        client = RecordingLambda()
        serve_all(client, request, world)
        expected = sorted(json.dumps(e, sort_keys=True) for e in window_events(world, request.start_ms, end))
        assert delivered(client) == expected and expected


def test_a_window_of_a_split_tick_is_refused_nothing_and_generated_in_place(world: World) -> None:
    client = RecordingLambda()
    request = gen.Request(ms(2026, 11, 27, 0, 0) - HOUR_MS, ms(2026, 11, 27, 0, 0))
    summary = gen.run_request(client, request, world=world, producer_name=PRODUCER, generator_name=GENERATOR)
    assert "windows" not in summary and client.of(PRODUCER) and not client.of(GENERATOR)


@pytest.mark.parametrize(
    ("expression", "fired", "previous"),
    [
        ("cron(0/15 * * * ? *)", (2026, 11, 27, 10, 0), (2026, 11, 27, 9, 45)),
        ("cron(0 12 ? * MON-FRI *)", (2026, 11, 30, 12, 0), (2026, 11, 27, 12, 0)),  # Monday: since Friday noon
        ("cron(0 12 ? * MON-FRI *)", (2026, 12, 1, 12, 0), (2026, 11, 30, 12, 0)),
        ("cron(30 2,14 * * ? *)", (2026, 11, 27, 2, 30), (2026, 11, 26, 14, 30)),
        ("cron(0 0 L * ? *)", (2026, 12, 31, 0, 0), (2026, 11, 30, 0, 0)),
        ("cron(0 6 ? * 2#1 *)", (2026, 12, 7, 6, 0), (2026, 11, 2, 6, 0)),  # first Monday of each month
        ("cron(0 6 ? * 6L *)", (2026, 12, 25, 6, 0), (2026, 11, 27, 6, 0)),  # last Friday of each month
        ("cron(0 9 15W * ? *)", (2026, 11, 16, 9, 0), (2026, 10, 15, 9, 0)),  # 15 Nov 2026 is a Sunday
    ],
)
def test_the_previous_firing_follows_eventbridges_cron_forms(
    expression: str, fired: tuple[int, ...], previous: tuple[int, ...]
) -> None:
    cron = schedule.parse(expression)
    assert cron.previous(ms(*fired), 40 * 86_400_000) == ms(*previous)
    if (ms(*fired) - ms(*previous)) // 1000 <= domains.MAX_TICK_SECONDS:  # a schedule the stack accepts
        request = gen.parse_request(scheduled(ms(*fired)), window_seconds=300, now=dt.datetime.now(dt.UTC), cron=cron)
        assert (request.start_ms, request.end_ms) == (ms(*previous), ms(*fired))


def test_consecutive_cron_ticks_meet_without_gap_or_overlap() -> None:
    cron = schedule.parse("cron(10 8,20 ? * MON,WED,FRI *)")
    firings = [t for t in range(ms(2026, 11, 1), ms(2026, 12, 1), 60_000) if _fires(cron, t)]
    assert len(firings) == 2 * 13
    for before, after in itertools.pairwise(firings):
        request = gen.parse_request(scheduled(after), window_seconds=300, now=dt.datetime.now(dt.UTC), cron=cron)
        assert request.start_ms == before


def _fires(cron: schedule.Cron, t: int) -> bool:
    moment = dt.datetime.fromtimestamp(t / 1000, dt.UTC)
    return cron.fires_on(moment.date()) and moment.hour * 60 + moment.minute in cron.times


@pytest.mark.parametrize(
    ("expression", "gap_s"),
    [
        ("cron(0/5 * * * ? *)", 300),
        ("cron(0 10 * * ? *)", 86_400),
        ("cron(0 12 ? * MON-FRI *)", 3 * 86_400),
        ("cron(0 * ? * SUN *)", 145 * 3600),  # Sunday 23:00 to next Sunday 00:00
        ("cron(0 8 1 * ? *)", 31 * 86_400),
    ],
)
def test_the_longest_gap_between_firings_is_found_over_the_whole_calendar(expression: str, gap_s: int) -> None:
    assert schedule.parse(expression).longest_gap_seconds == gap_s


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(61 * * * ? *)", "minutes must be values 0-59, got '61'"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 ? * MON 2027)", "year must be '*'"),
        ("cron(0 12 ? * 2#6 *)", "n#k needs k from 1 to 5"),
        ("cron(0 12 ? FOO * *)", "month must be values 1-12 or names, got 'FOO'"),
        ("cron(0 12 ? * *)", "a cron() expression has 6 fields"),
    ],
)
def test_a_cron_expression_eventbridge_would_refuse_is_refused_naming_the_field(expression: str, message: str) -> None:
    with pytest.raises(schedule.CronError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        schedule.parse(expression)


def test_the_generator_reads_its_cron_schedule_and_long_window_from_its_environment() -> None:
    cfg = gen.GeneratorConfig.from_env({"SCHEDULE_EXPRESSION": "cron(0 12 ? * MON-FRI *)", "WINDOW_SECONDS": "86400"})
    assert cfg.cron == schedule.parse("cron(0 12 ? * MON-FRI *)") and cfg.window_seconds == 86_400
    with pytest.raises(ValueError, match="SCHEDULE_EXPRESSION must be an EventBridge cron"):
        gen.GeneratorConfig.from_env({"SCHEDULE_EXPRESSION": "cron(0 12 * * * *)"})
    with pytest.raises(ValueError, match="WINDOW_SECONDS must be"):
        gen.GeneratorConfig.from_env({"WINDOW_SECONDS": str(domains.MAX_TICK_SECONDS + 1)})
