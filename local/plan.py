"""What a local run streams and backfills: ticks on the schedule's boundaries, history from midnight D days ago."""

from __future__ import annotations

import datetime as dt
import math

from local.settings import LocalSettings

MAX_TICKS = 288
"""Ticks one run may stream: a day of the default 5-minute schedule, about a minute of work at the default
batchSize. Longer history is what `--backfill-days` writes, hundreds of times faster."""


def plan_ticks(ticks: int | None, events: int | None, batch_size: int, window_seconds: int) -> int:
    """Schedule ticks to run for `--ticks N`, or for `--events N` (about N events at the world's mean rate)."""
    if ticks is not None and events is not None:
        raise ValueError("give --ticks or --events, not both")
    if events is not None:
        if events < 0:
            raise ValueError(f"--events must be ≥ 0, got {events}")
        needed = math.ceil(events / (batch_size * window_seconds / 300))
        if needed > MAX_TICKS:
            raise ValueError(
                f"--events {events:,} needs {needed:,} ticks; a run streams at most {MAX_TICKS} "
                "(use --backfill-days for longer history)"
            )
        return needed
    ticks = 3 if ticks is None else ticks
    if not 0 <= ticks <= MAX_TICKS:
        raise ValueError(
            f"--ticks must be 0–{MAX_TICKS} (a run streams at most {MAX_TICKS}; use --backfill-days for longer "
            f"history), got {ticks:,}"
        )
    return ticks


def plan_backfill(days: int, today: dt.date, settings: LocalSettings) -> dt.datetime | None:
    """Start of the history `--backfill-days` asks for (midnight UTC, D days before today), or None.

    Checked before the lake is touched, so a bad value writes nothing.
    """
    if days < 0:
        raise ValueError(f"--backfill-days must be ≥ 0, got {days}")
    if not days:
        return None
    earliest = dt.date(settings.projection_year_start, 1, 1)
    if days > (today - earliest).days:
        raise ValueError(
            f"--backfill-days must be at most {(today - earliest).days}: history before {earliest} lies outside "
            f"the years Athena's partition projection reads (projectionYearStart {settings.projection_year_start})"
        )
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), tzinfo=dt.UTC)


def ms(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def moment(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
