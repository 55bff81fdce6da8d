"""The whole data path on one machine: generator -> producer -> Kinesis (moto) -> delivery -> lake -> DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from functions.shared.dimensions import Dimensions
from functions.shared.domains import DEFAULT_WINDOW_SECONDS
from functions.shared.schema import DIMENSION_TABLES
from functions.shared.world import check_world_seed
from lakewriter.parquet import dimension_parquet
from local.marker import LAKE_MARKER, Coverage, LakeError, lake_coverage, open_lake, record_coverage
from local.moto_setup import LocalStack
from local.plan import moment, ms, plan_backfill, plan_ticks
from local.settings import LocalSettings


def write_dimensions(lake: Path, dims: Dimensions) -> list[Path]:
    """Write the dimension tables where the stack uploads them: `<prefix><table>.parquet`."""
    written = []
    blobs = dimension_parquet(dims)
    for table in DIMENSION_TABLES:
        path = lake / table.prefix / f"{table.name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blobs[table.name])
        written.append(path)
    return written


@dataclass
class RunReport:
    """What a local run did."""

    lake: Path
    run_number: int
    ticks: int = 0
    events_generated: int = 0
    payloads: int = 0
    put_calls: int = 0
    delivered: int = 0
    errors: int = 0
    dead_letters: int = 0
    files: int = 0
    backfill_events: int = 0
    backfill_files: int = 0
    event_ids: list[str] = field(default_factory=list)


def run_pipeline(
    settings: LocalSettings,
    lake: Path,
    *,
    ticks: int | None = None,
    events: int | None = None,
    seed: int | None = None,
    backfill_days: int = 0,
    now: dt.datetime | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    before_delivery: Callable[[LocalStack], None] | None = None,
) -> RunReport:
    """Stream the schedule's last ticks before `now` through the local stack, and backfill the history before them.

    Ticks end on the schedule's period boundaries (the last at or before `now`); the backfill writes the same
    world from midnight `backfill_days` ago up to the first tick. The lake remembers the stretch of the world it
    holds, so a later run streams only what it lacks: its ticks start where the last run's ended (a gap since
    then is backfilled), and no event is ever written twice.
    """
    window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    period_ms = window_seconds * 1000
    tick_count = plan_ticks(ticks, events, settings.batch_size, window_seconds)
    now = now or dt.datetime.now(dt.UTC)
    history_from = plan_backfill(backfill_days, now.date(), settings)
    if seed is not None:
        check_world_seed("--seed", seed)
    before = lake_coverage(lake) if (lake / LAKE_MARKER).is_file() else None
    # --seed, else the world the lake already holds, else the stack's worldSeed (as its generator would use).
    world_seed = seed if seed is not None else before.seed if before else settings.world_seed
    if before is not None and before.seed != world_seed:
        raise LakeError(
            f"--seed {world_seed}: the lake {lake} holds world {before.seed}; use that seed or another --lake"
        )
    end_ms = ms(now) // period_ms * period_ms
    ticks_from = end_ms - tick_count * period_ms
    # What this run writes: the ticks' windows and history, less what the lake already holds, with no gap.
    windows = [(max(s, before.until_ms if before else s), s + period_ms) for s in range(ticks_from, end_ms, period_ms)]
    windows = [(s, e) for s, e in windows if s < e]
    history: list[tuple[int, int]] = []
    want_from = ms(history_from) if history_from else None
    if before is None:
        if want_from is not None and want_from < ticks_from:
            history.append((want_from, ticks_from))
    else:
        if want_from is not None and want_from < before.from_ms:
            history.append((want_from, min(before.from_ms, ticks_from)))
        if before.until_ms < ticks_from:
            history.append((before.until_ms, ticks_from))

    run_number = open_lake(lake, settings)
    report = RunReport(lake=lake, run_number=run_number)
    progress = on_progress or (lambda _stage, _done, _total: None)

    with LocalStack(settings, lake, seed=world_seed, run_number=run_number) as stack:
        write_dimensions(lake, stack.dims)
        for i, (start, end) in enumerate(windows):
            summary = stack.tick(start, end)
            report.ticks += 1
            report.events_generated += summary.get("events", 0)
            report.payloads += summary.get("payloads", 0)
            progress("ticks", i + 1, len(windows))
        if before_delivery:
            before_delivery(stack)
        stats = stack.deliver()
        report.put_calls = stack.lambda_client.put_calls
        report.dead_letters = len(stack.lambda_client.dead_letters)
        report.event_ids = list(stack.lambda_client.accepted_event_ids)
        report.delivered, report.errors, report.files = stats.delivered, stats.errors, len(stats.files)

        if history:
            from lakewriter.backfill import run_backfill  # numpy/pyarrow path, only when asked for

            for start, end in history:
                result = run_backfill(
                    moment(start),
                    moment(end),
                    seed=world_seed,
                    batch_size=settings.batch_size,
                    out=str(lake),
                    dims=stack.dims,
                    progress=lambda done, total: progress("backfill", done, total),
                )
                report.backfill_events += result.events
                report.backfill_files += result.files
        covered = [*history, *windows]
        if covered:
            low = min(s for s, _ in covered)
            high = max(e for _, e in covered)
            if before is not None:
                low, high = min(low, before.from_ms), max(high, before.until_ms)
            record_coverage(lake, Coverage(world_seed, low, high))
    return report
