"""Measure the two constants that turn batchSize into an audience: hours per batch unit and the admitted shares.

    python bench/calibrate_audience.py [--customers 2400] [--densities 1.2,2.0,2.9] [--week 2026-11-02] [--rounds 6]

`households.VIEWING_HOURS_PER_BATCH_UNIT` is the viewing hours a day that one unit of batchSize (mean events per
5 minutes) makes: it follows from the events a session carries and how long plays run, both set elsewhere (world.py,
player.py, plays.py, the catalogue), so whenever those move it must be measured again. `households.ADMITTED_SHARES`
is the share of an hour's candidate sessions the admission pass (concurrency.py) plays at the hour's load (hours a
subscriber streams a day times the hour's intensity). The shares are a fixed point: the pass refuses more candidates
the more there are, and the candidate rate is the played rate divided by the table's share. So the table is
measured in rounds, each run with the last round's table, until it stops moving.

Loads are in units of `subscriber_hours`, which reads VIEWING_HOURS_PER_BATCH_UNIT: the hours are measured first
and set before the shares' rounds. Prints both as Python to paste into households.py, and the measured figures
(events per session against world.EVENTS_PER_SESSION, hours per subscriber against TARGET_HOURS_PER_SUBSCRIBER).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from functions.shared import domains, households  # noqa: E402
from functions.shared import world as wm  # noqa: E402
from functions.shared.dimensions import generate_dimensions  # noqa: E402
from lakewriter.backfill import model  # noqa: E402

HOUR_SLOTS = 60
AD_CODES = [wm.EVENT_KINDS.index(t) for t in domains.AD_EVENT_TYPES]


def _world(customers: int, batch_size: int, seed: int) -> tuple[wm.World, model.Catalog]:
    dims = generate_dimensions(customers=customers, delivery=False)
    model._admissions.clear()
    return wm.World(seed, dims, batch_size), model.Catalog.from_dimensions(dims)


def _first_slot(week: dt.date) -> int:
    return int(dt.datetime.combine(week, dt.time(), tzinfo=dt.UTC).timestamp()) // 60


def hours_and_events(customers: int, batch_size: int, seed: int, week: dt.date) -> tuple[float, float, int, float]:
    """(viewing hours a day per unit of batchSize, events per session, sessions, ad events per session) over a week
    of the backfill."""
    world, catalog = _world(customers, batch_size, seed)
    lo = _first_slot(week)
    watched = events = sessions = ad_events = 0
    for day in range(7):
        slot_lo, slot_hi = lo + day * 1440, lo + (day + 1) * 1440
        # Every event of the day's sessions (however long they run): a window to the week's end and a day more.
        block = model.world_block(world, catalog, slot_lo, slot_hi, slot_lo * wm.SLOT_MS, (lo + 8 * 1440) * wm.SLOT_MS)
        if not block.sessions:
            continue
        last = np.zeros(block.sessions, dtype=np.float64)
        np.maximum.at(last, block.session, block.watch.astype(np.float64))
        watched += float(last.sum())
        events += block.events
        ad_events += int(np.isin(block.event_type, AD_CODES).sum())
        sessions += block.sessions
    hours_per_day = watched / 3600 / 7
    return hours_per_day / batch_size, events / max(1, sessions), sessions, ad_events / max(1, sessions)


def admitted_by_load(customers: int, batch_size: int, seed: int, week: dt.date) -> list[tuple[float, float, int]]:
    """Per hour of a week: (load, admitted share, candidates) as the admission pass judges them."""
    world, catalog = _world(customers, batch_size, seed)
    if not world.exclusive:
        raise SystemExit(
            f"{customers} customers at batchSize {batch_size}: density {world.density:.2f} h is over "
            f"the band, every candidate is played"
        )
    lo = _first_slot(week)
    out = []
    for hour in range(7 * 24):
        first = lo + hour * HOUR_SLOTS
        admitted = model.admission_verdicts(world, catalog, first, first + HOUR_SLOTS)
        plan = world.hour(first // 60)
        intensity = plan.rate * plan.admitted * plan.titles.plays_per_start / world.played_per_slot  # World.starts
        if len(admitted):
            out.append((world.density * intensity, float(admitted.mean()), len(admitted)))
    return out


def fit(points: list[tuple[float, float, int]], loads: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    """The share at each of `loads`: candidate-weighted least squares of the measured hours within ±0.5 of it."""
    fitted = []
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    w = np.array([p[2] for p in points], dtype=np.float64)
    for load in loads:
        near = np.abs(x - load) <= 0.5
        if near.sum() >= 3 and np.ptp(x[near]) > 0:
            slope, intercept = np.polyfit(x[near], y[near], 1, w=np.sqrt(w[near]))
            share = slope * load + intercept
        elif near.any():
            share = float(np.average(y[near], weights=w[near]))
        else:  # beyond what was measured: the nearest measured hour's share
            share = float(y[np.argmin(np.abs(x - load))])
        fitted.append((load, round(float(np.clip(share, 0.05, 1.0)), 3)))
    # A busier hour never admits a larger share.
    for i in range(1, len(fitted)):
        if fitted[i][1] > fitted[i - 1][1]:
            fitted[i] = (fitted[i][0], fitted[i - 1][1])
    return tuple(fitted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2400)
    parser.add_argument("--densities", default="1.2,2.0,2.9", help="hours a subscriber streams a day, per world")
    parser.add_argument("--week", type=dt.date.fromisoformat, default=dt.date(2026, 11, 2))
    parser.add_argument("--seed", type=int, default=wm.DEFAULT_WORLD_SEED)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    densities = [float(d) for d in args.densities.split(",")]
    loads = tuple(p[0] for p in households.ADMITTED_SHARES)

    def batch_size(density: float) -> int:
        unit = households.VIEWING_HOURS_PER_BATCH_UNIT / households.SUBSCRIBED_SHARE
        return max(1, round(density * args.customers / unit))

    for round_ in range(1, args.rounds + 1):
        # Each round: hours per batch unit at the middle density, then the shares at the hours' loads.
        per_unit, per_session, sessions, ad_per_session = hours_and_events(
            args.customers, batch_size(densities[len(densities) // 2]), args.seed, args.week
        )
        hours_moved = abs(per_unit - households.VIEWING_HOURS_PER_BATCH_UNIT)
        households.VIEWING_HOURS_PER_BATCH_UNIT = round(per_unit, 1)
        points = [p for d in densities for p in admitted_by_load(args.customers, batch_size(d), args.seed, args.week)]
        table = fit(points, loads)
        moved = max(abs(a[1] - b[1]) for a, b in zip(table, households.ADMITTED_SHARES, strict=True))
        households.ADMITTED_SHARES = table
        print(
            f"round {round_}: {per_unit:.2f} h a day per batch unit ({sessions:,} sessions, {per_session:.2f} events "
            f"each, {ad_per_session:.2f} of them ads; world.EVENTS_PER_SESSION {wm.EVENTS_PER_SESSION:.2f}, "
            f"AD_EVENTS_PER_SESSION {wm.AD_EVENTS_PER_SESSION}); shares from {len(points)} hours at "
            f"{min(p[0] for p in points):.2f}-{max(p[0] for p in points):.2f} h, largest change {moved:.3f}"
        )
        if moved < 0.01 and hours_moved < 0.2:
            break
    print(f"\nVIEWING_HOURS_PER_BATCH_UNIT = {households.VIEWING_HOURS_PER_BATCH_UNIT}")
    print("ADMITTED_SHARES: tuple[tuple[float, float], ...] = (")
    print("    " + ", ".join(f"({load}, {share})" for load, share in households.ADMITTED_SHARES) + ",")
    print(")  # fmt: skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
