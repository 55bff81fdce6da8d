"""Measure what a live surge does to each country's attempts: the same world streamed with its incidents and without.

    python bench/surge_attempts.py [--stack dev] [--seed 1] [--day 2026-12-02]

Builds the stack's world as `python -m local run` does (its dimensions and batchSize), takes the first live surge
starting on `--day` (UTC) and streams the surge's window tick by tick twice: as the world is, and with no incidents.
Prints, per country, the attempts (start, start_failed or exit_before_start events whose attempt time, the event's
time less its start-up, lies in the surge's window) of both and their ratio, beside the surge's volume factor: the
scope's ratio should be about the factor and every other country's 1 (docs/incidents.md).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from functions.generator.events import clear_window_cache, window_events  # noqa: E402
from functions.shared.dimensions import generate_dimensions  # noqa: E402
from functions.shared.incidents import Incident  # noqa: E402
from functions.shared.world import World  # noqa: E402
from local.settings import dimension_seed, load_settings  # noqa: E402

TICK_MS = 300_000
ATTEMPTS = ("start", "start_failed", "exit_before_start")


def attempts(world: World, surge: Incident) -> collections.Counter[str]:
    """Per country, the attempts in the surge's window, streamed tick by tick from a cold cache."""
    clear_window_cache()
    counts: collections.Counter[str] = collections.Counter()
    start = surge.start_ms - surge.start_ms % TICK_MS
    for t in range(start, surge.end_ms + 2 * TICK_MS, TICK_MS):
        for ev in window_events(world, t, t + TICK_MS):
            if ev["event_type"] in ATTEMPTS:
                at = int(dt.datetime.fromisoformat(ev["event_timestamp"]).timestamp() * 1000) - ev["startup_time_ms"]
                if surge.start_ms <= at < surge.end_ms:
                    counts[ev["country"]] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--day", default="2026-12-02", help="UTC day a live surge starts on")
    args = parser.parse_args(argv)
    settings = load_settings(args.stack)
    dims = generate_dimensions(
        dimension_seed(settings), settings.customer_count, settings.title_count, settings.campaign_count
    )
    world = World(args.seed, dims, settings.batch_size)
    day_ms = int(dt.datetime.fromisoformat(args.day).replace(tzinfo=dt.UTC).timestamp() * 1000)
    surges = [
        i for i in world.incidents(day_ms, day_ms + 86_400_000) if i.volume_permille != 1000 and i.start_ms >= day_ms
    ]
    if not surges:
        print(f"no live surge starts on {args.day} in seed {args.seed}'s world", file=sys.stderr)
        return 1
    surge = surges[0]
    began = time.perf_counter()
    shaped = attempts(world, surge)
    calm_world = World(args.seed, dims, settings.batch_size)
    calm_world.incidents = lambda start_ms, end_ms: ()  # type: ignore[method-assign]
    calm = attempts(calm_world, surge)
    when = dt.datetime.fromtimestamp(surge.start_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
    print(
        f"{surge.incident_id} in {surge.country} from {when} UTC for {(surge.end_ms - surge.start_ms) / 3.6e6:.1f} h, "
        f"volume x{surge.volume_permille / 1000:g}; {len(dims.customers):,} customers, batchSize "
        f"{settings.batch_size:,} ({time.perf_counter() - began:.0f} s)"
    )
    for country in sorted(calm, key=lambda c: -calm[c]):
        print(f"  {country}: {calm[country]:,} attempts without incidents, {shaped[country]:,} with: "
              f"x{shaped[country] / calm[country]:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
