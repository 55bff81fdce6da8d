"""Measure how the campaigns table's delivery figures reconcile with a world's ad events, per position and campaign.

    python bench/measure_ad_delivery.py [--batch-size 1000] [--customers N] [--days 3] [--first 2026-11-02]

Builds the world a stack of that batchSize derives (households.audience_size customers, the default campaigns
table with its delivery figures), runs the compiled backfill (lakewriter.backfill.model.world_block) over whole UTC
days, and compares, as `ad_delivery_reconciliation` does, each campaign's `ad_start` count with the table's
impressions prorated to the days of its flight in the window. Prints per position the
total ratio and, over campaigns expecting at least 30 impressions, p10 / p50 / p90 of the ratio, the hours an
ad-tier subscriber plays a day and the ads offered them a day (what ads.OPPORTUNITIES_PER_AD_SUBSCRIBER_DAY holds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from functions.shared import ads, households  # noqa: E402
from functions.shared import world as wm  # noqa: E402
from functions.shared.dimensions import Dimensions, generate_dimensions  # noqa: E402
from lakewriter.backfill import model  # noqa: E402

DAY_MS = 86_400_000


def _day(iso: str) -> int:
    return (dt.date.fromisoformat(iso[:10]) - dt.date(1970, 1, 1)).days


@dataclass
class Measured:
    """A world's ad delivery over whole UTC days against its campaigns table."""

    hours: float
    """Hours an ad-tier subscriber plays a day."""
    offered: dict[str, float]
    """Per position, ads offered per ad-tier subscriber-day (every break a pod of the mean size)."""
    delivered: dict[str, int]
    """Per position, ad_start events."""
    expected: dict[str, float]
    """Per position, the table's impressions prorated to the days of each flight in the window."""
    ratios: dict[str, list[float]]
    """Per position, delivered / expected of each campaign expecting at least `enough`."""
    enough: float
    reach_ratios: dict[str, list[float]]
    """Per position, distinct households shown each campaign in the window / the reach ads.delivery expects over the
    window's days of its flight, for campaigns expecting at least `enough` households."""
    classes: tuple[tuple[float, float], ...]
    """Per class of ad-tier subscribers by propensity (ads.REACH_CLASSES' equal shares, lightest first): (their
    impressions per subscriber-day over the mean class's, the share of their subscriber-days with an impression)."""


def window_reach(dims: Dimensions, first_day: int, days: int) -> dict[str, float]:
    """What ads.delivery expects each campaign to reach over the window's days of its flight (its flight clipped to
    the window: the live campaigns, and so each one's share of the breaks, are those of the window)."""
    last = first_day + days - 1
    clipped = []
    for row in dims.campaigns:
        lo, hi = max(_day(str(row["start_date"])), first_day), min(_day(str(row["end_date"])), last)
        if lo <= hi:
            iso = [(dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat() for d in (lo, hi)]
            clipped.append({**row, "start_date": iso[0], "end_date": iso[1]})
    return {cid: d.unique_viewers for cid, d in ads.delivery(clipped, dims.customers).items()}


def measure(dims: Dimensions, world: wm.World, first: dt.date, days: int, enough: float = 30.0) -> Measured:
    """The sessions that start on each day, with every event they have (so each counts once, whole)."""
    catalog = model.Catalog.from_dimensions(dims)
    tgts = ads.targets(dims.campaigns)
    first_day = (first - dt.date(1970, 1, 1)).days
    ad_start, start, complete = (wm.EVENT_KINDS.index(k) for k in ("ad_start", "start", "complete"))
    shown = np.zeros(len(tgts), dtype=np.int64)
    pairs: list[np.ndarray] = []
    mean_pod = {p: sum(ads.POD_SIZES[p]) / len(ads.POD_SIZES[p]) for p in ads.POSITIONS}
    offered = dict.fromkeys(ads.POSITIONS, 0.0)
    hours = 0.0
    seen = np.zeros(len(dims.customers), dtype=np.int64)  # impressions per customer
    seen_days = np.zeros(len(dims.customers), dtype=np.int64)  # UTC days with an impression per customer
    ad_tier = np.array([ads.sees_ads(str(c["subscription_tier"])) for c in dims.customers])
    for d in range(days):
        lo = (first_day + d) * DAY_MS
        block = model.world_block(
            world, catalog, lo // wm.SLOT_MS, (lo + DAY_MS) // wm.SLOT_MS, lo, lo + DAY_MS + world.max_session_ms
        )
        customer_of = block.viewer_keys // model.MAX_DEVICES  # per viewer row of the block
        on_ads = ad_tier[customer_of[block.viewer]]
        np.add.at(shown, block.ad_campaign[block.event_type == ad_start], 1)
        is_ad = block.event_type == ad_start
        households = customer_of[block.viewer[block.session[is_ad]]]
        pairs.append(block.ad_campaign[is_ad].astype(np.int64) * (1 << 32) + households)
        np.add.at(seen, households, 1)
        seen_days[np.unique(households)] += 1
        last = np.zeros(block.sessions, dtype=np.float64)
        np.maximum.at(last, block.session, block.watch.astype(np.float64))
        hours += float(last[on_ads].sum()) / 3600
        # Ads offered: ads.play_breaks of each ad-tier play, from its start position, furthest position and end.
        started = np.flatnonzero(block.event_type == start)
        p0 = np.full(block.sessions, -1, dtype=np.int64)
        p0[block.session[started]] = block.position[started]
        top = np.zeros(block.sessions, dtype=np.int64)
        np.maximum.at(top, block.session, block.position.astype(np.int64))
        done = np.zeros(block.sessions, dtype=bool)
        done[block.session[block.event_type == complete]] = True
        duration = catalog.title_seconds[block.title]
        plays = on_ads & (p0 >= 0)
        mark = (p0 // ads.MID_ROLL_EVERY_SECONDS + 1) * ads.MID_ROLL_EVERY_SECONDS
        upper = np.minimum(duration - ads.MID_ROLL_TAIL_SECONDS, top - 1)
        mids = np.where(upper >= mark, (upper - mark) // ads.MID_ROLL_EVERY_SECONDS + 1, 0)
        offered["pre_roll"] += mean_pod["pre_roll"] * float(plays.sum())
        offered["mid_roll"] += mean_pod["mid_roll"] * float(mids[plays].sum())
        offered["post_roll"] += mean_pod["post_roll"] * float((plays & done).sum())
    window = range(first_day, first_day + days)
    days_in = np.array([
        sum(
            1
            for day in window
            if _day(str(c["subscription_start_date"])) <= day
            and (not c["subscription_end_date"] or day < _day(str(c["subscription_end_date"])))
        )
        if ads.sees_ads(str(c["subscription_tier"]))
        else 0
        for c in dims.customers
    ])  # fmt: skip
    subscriber_days = max(1, int(days_in.sum()))
    rows = {c["campaign_id"]: c for c in dims.campaigns}
    delivered = dict.fromkeys(ads.POSITIONS, 0)
    expected = dict.fromkeys(ads.POSITIONS, 0.0)
    ratios: dict[str, list[float]] = {p: [] for p in ads.POSITIONS}
    for i, t in enumerate(tgts):
        live = len(set(window) & set(range(t.first_day, t.last_day + 1)))
        if not live:
            continue
        want = float(rows[t.campaign_id]["impressions"]) * live / (t.last_day - t.first_day + 1)
        delivered[t.position] += int(shown[i])
        expected[t.position] += want
        if want >= enough:
            ratios[t.position].append(float(shown[i]) / want)
    reached = np.bincount((np.unique(np.concatenate(pairs)) >> 32) if pairs else [], minlength=len(tgts))
    expect_reach = window_reach(dims, first_day, days)
    reach_ratios: dict[str, list[float]] = {p: [] for p in ads.POSITIONS}
    for i, t in enumerate(tgts):
        want = expect_reach.get(t.campaign_id, 0.0)
        if want >= enough:
            reach_ratios[t.position].append(float(reached[i]) / want)
    return Measured(
        hours / subscriber_days,
        {p: offered[p] / subscriber_days for p in ads.POSITIONS},
        delivered,
        expected,
        ratios,
        enough,
        reach_ratios,
        reach_classes(world, days_in, seen, seen_days),
    )


def reach_classes(
    world: wm.World, days_in: np.ndarray, seen: np.ndarray, seen_days: np.ndarray
) -> tuple[tuple[float, float], ...]:
    """Per propensity class of the subscribers (equal shares by rank, lightest first): (impressions per subscriber-day
    over the classes' mean, share of subscriber-days with an impression), as ads.REACH_CLASSES holds them."""
    who = np.flatnonzero(days_in)
    if len(who) < ads.REACH_CLASS_COUNT:
        return ()
    w = np.array([world.propensity(int(c)) for c in who])
    rank = np.empty(len(who), dtype=np.int64)
    rank[np.argsort(w, kind="stable")] = np.arange(len(who))
    k = rank * ads.REACH_CLASS_COUNT // len(who)
    span = np.bincount(k, days_in[who], ads.REACH_CLASS_COUNT)
    rate = np.bincount(k, seen[who], ads.REACH_CLASS_COUNT) / span
    active = np.bincount(k, seen_days[who], ads.REACH_CLASS_COUNT) / span
    return tuple((float(r / rate.mean()), float(a)) for r, a in zip(rate, active, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=0, help="default: the audience batchSize derives")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--first", type=dt.date.fromisoformat, default=dt.date(2026, 11, 2))
    parser.add_argument("--seed", type=int, default=wm.DEFAULT_WORLD_SEED)
    args = parser.parse_args(argv)
    customers = args.customers or households.audience_size(args.batch_size)
    dims = generate_dimensions(customers=customers)
    world = wm.World(args.seed, dims, args.batch_size)
    m = measure(dims, world, args.first, args.days)
    print(
        f"{customers:,} customers at batchSize {args.batch_size}, {args.days} days from {args.first}: "
        f"{m.hours:.2f} h per ad-tier subscriber-day (the world's mean {world.density:.2f})"
    )
    print(
        "ads offered per ad-tier subscriber-day (ads.OPPORTUNITIES_PER_AD_SUBSCRIBER_DAY): "
        + ", ".join(f'"{p}": {m.offered[p]:.2f}' for p in ads.POSITIONS)
    )
    for position in ads.POSITIONS:
        got, want = m.delivered[position], m.expected[position]
        p10, p50, p90 = np.percentile(m.ratios[position], [10, 50, 90]) if m.ratios[position] else (0, 0, 0)
        print(
            f"{position}: delivered {got:,} / table {want:,.0f} = {got / max(1.0, want):.3f}; "
            f"{len(m.ratios[position])} campaigns expecting >= {m.enough}: p10 / p50 / p90 "
            f"{p10:.2f} / {p50:.2f} / {p90:.2f}"
        )
        reach = m.reach_ratios[position]
        r10, r50, r90 = np.percentile(reach, [10, 50, 90]) if reach else (0, 0, 0)
        print(
            f"  reach over the window / ads.delivery's: {len(reach)} campaigns expecting >= {m.enough} households: "
            f"p10 / p50 / p90 {r10:.2f} / {r50:.2f} / {r90:.2f}"
        )
    print("REACH_CLASSES (impressions per subscriber-day over the mean class's, share of days with an impression):")
    print("    " + ", ".join(f"({share:.3f}, {active:.3f})" for share, active in m.classes) + ",")
    return 0


if __name__ == "__main__":
    sys.exit(main())
