"""What a local run streams and backfills: ticks on the schedule's boundaries, history from midnight D days ago."""

from __future__ import annotations

import datetime as dt
import math

from functions.generator.events import epoch_ms
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
    """Milliseconds since the epoch of a timezone-aware moment (the generator's own conversion)."""
    return epoch_ms(moment, "moment")


def moment(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def _subtract(low: int, high: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[low, high) less the stretches in `taken`, as sorted disjoint stretches."""
    out, at = [], low
    for a, b in sorted(taken):
        if b <= at or a >= high:
            continue
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < high:
        out.append((at, high))
    return out


def plan_stretches(
    *,
    taken: list[tuple[int, int]],
    ticks_from: int,
    end_ms: int,
    period_ms: int,
    want_from: int | None,
    max_history_ms: int,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(tick windows to stream, history ranges to backfill): what the lake lacks, with no gap, in time order.

    The run wants the ticks [ticks_from, end_ms), history from `want_from`, and everything between what the lake
    already holds (`taken`: whole or held stretches) and the ticks. Each tick window that is wholly or partly
    missing is streamed (its missing part); missing time before the ticks is backfilled in ranges of at most
    `max_history_ms`.
    """
    starts = [ticks_from, *([want_from] if want_from is not None else []), *(a for a, _ in taken if a < end_ms)]
    missing = _subtract(min(starts), end_ms, taken)
    windows = []
    for start in range(ticks_from, end_ms, period_ms):
        for a, b in missing:
            low, high = max(a, start), min(b, start + period_ms)
            if low < high:
                windows.append((low, high))
    history = []
    for a, b in missing:
        low, high = a, min(b, ticks_from)
        while low < high:
            history.append((low, min(high, low + max_history_ms)))
            low = history[-1][1]
    return windows, history
