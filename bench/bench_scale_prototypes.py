"""Prototypes of docs/scale.md's steps 2 and 4, timed: a viewer drawn by rejection, a customers part with numpy.

    python bench/bench_scale_prototypes.py

First the rejection draw's acceptance in today's world: among the ids signed up by a day, the share (weighted by
w + 1, the proposal's weight) subscribed that day and watching that viewing day, from the real subscriptions
(`dimensions.subscription_days`, seed 42) and propensities and viewing-day draws (world seed 1). Then the
prototypes. Neither is the world's model (no table here equals the customers table): they measure what the
designed steps would cost. The viewer draw runs in pure Python, as the generator would, over 22.5 million customers
(the audience of batchSize 1,000,000) in blocks of 4,096 layout slots, with subscriptions from SplitMix64 draws and
a tenure quantile table; the part builds a million rows of eight of the table's columns from counter-based draws
with numpy and pyarrow and encodes them as SNAPPY Parquet.
"""

from __future__ import annotations

import argparse
import bisect
import io
import math
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from mimesis import Person
from mimesis.locales import Locale

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from functions.shared import domains, geography, households  # noqa: E402
from functions.shared import world as wm  # noqa: E402
from functions.shared.catalogue import epoch_day  # noqa: E402
from functions.shared.dimensions import subscription_days  # noqa: E402
from lakewriter.draws import draws  # noqa: E402

BLOCK = 4096
AUDIENCE = 22_500_000
SIGNUP_FROM = epoch_day("2023-01-01")
SIGNUP_SPAN = epoch_day("2028-01-01") - SIGNUP_FROM
MEAN_TENURE_DAYS = 365.2425 / 12 / domains.MONTHLY_CHURN
TRIES = 64


def acceptance(customers: int, days: tuple[str, ...]) -> list[tuple[str, float, float, float]]:
    """Per day: (day, subscribed among signed up, watching among subscribed, acceptance weighted by w + 1)."""
    spans = np.array([subscription_days(42, customers, i) for i in range(1, customers + 1)], dtype=np.int64)
    key = wm.world_key(1)
    propensity_key, active_key = wm.mix64(key ^ households.PROPENSITY_SALT), wm.mix64(key ^ households.ACTIVE_SALT)
    w = np.array([households.propensity(wm.draw(propensity_key, i) >> 11) for i in range(customers)])
    found = []
    for day in days:
        today = epoch_day(day)
        signed = spans[:, 0] <= today
        chosen = np.nonzero(signed & (today < spans[:, 1] - 1))[0]
        day_key = wm.draw(active_key, today)
        watching = np.array(
            [(wm.draw(day_key, int(i)) >> 11) < households.active_threshold(w[i]) for i in chosen], dtype=bool
        )
        accepted = (w[chosen][watching] + 1).sum() / (w[signed] + 1).sum()
        found.append((day, len(chosen) / signed.sum(), watching.mean(), accepted))
    return found


def viewer_draw(plays: int, day: str = "2026-12-01") -> tuple[float, float]:
    """(µs per viewer, candidates per viewer) of the rejection draw over AUDIENCE customers on `day`."""
    key = wm.world_key(1)
    metros = [m for ms in geography.METROS_BY_COUNTRY.values() for m in ms]
    weight = [households.propensity(((2 * s + 1) << 52) // BLOCK) for s in range(BLOCK)]
    zone_of = [s % len(metros) for s in range(BLOCK)]
    slots: dict[int, list[int]] = {}
    running: dict[int, list[int]] = {}
    for s in range(BLOCK):
        slots.setdefault(zone_of[s], []).append(s)
        run = running.setdefault(zone_of[s], [])
        run.append((run[-1] if run else 0) + households.day_weight(weight[s]))
    below = [households.active_threshold(w) for w in weight]
    tenure = [max(domains.MIN_TENURE_DAYS, int(-math.log((i + 0.5) / 4096) * MEAN_TENURE_DAYS)) for i in range(4096)]
    sub_key, active_key = wm.mix64(key ^ 0x5B5C), wm.mix64(key ^ households.ACTIVE_SALT)

    def subscribed(i: int, today: int) -> bool:
        d = wm.draw(sub_key, i)
        start = SIGNUP_FROM + ((i - 1) * (1 << 20) + (d >> 44)) * SIGNUP_SPAN // (AUDIENCE << 20)
        return start <= today < start + tenure[d & 4095] - 1

    today = epoch_day(day)
    blocks = (int((today - SIGNUP_FROM + 1) * AUDIENCE / SIGNUP_SPAN) + BLOCK) // BLOCK
    day_key = wm.draw(active_key, today)
    tries = 0
    started = time.perf_counter()
    for k in range(plays):
        zone, pick = k % len(metros), wm.draw(key, k)
        run, members = running[zone], slots[zone]
        for j in range(TRIES):
            r = wm.draw(pick, j)
            s = members[bisect.bisect_right(run, ((r >> 40) * run[-1]) >> 24)]
            b = ((r & 0xFFFFFF) * blocks) >> 24
            i = b * BLOCK + (s * 2654435761 + b) % BLOCK + 1
            if i <= AUDIENCE and subscribed(i, today) and (wm.draw(day_key, i) >> 11) < below[s]:
                break
        tries += j + 1
    return (time.perf_counter() - started) / plays * 1e6, tries / plays


def customers_part(rows: int) -> tuple[float, int]:
    """(seconds, Parquet bytes) of `rows` rows of eight customers columns drawn per index with numpy and pyarrow."""
    people = Person(Locale.EN, seed=1)._dataset
    first = np.array(people["names"]["female"] + people["names"]["male"], dtype=object)
    last = np.array(people["surnames"], dtype=object)
    metros = [m for ms in geography.METROS_BY_COUNTRY.values() for m in ms]
    shares = np.array([geography.COUNTRY_SHARES.get(m.country, 0) * m.weight for m in metros])
    metro_cum = np.cumsum(np.round(shares / shares.sum() * BLOCK).astype(np.int64))
    tiers = list(domains.SUBSCRIPTION_TIER_SHARES)
    tier_cum = np.cumsum([round(domains.SUBSCRIPTION_TIER_SHARES[t] * 65536) for t in tiers])
    started = time.perf_counter()
    index = np.arange(1, rows + 1, dtype=np.uint64)
    d = [draws(wm.mix64(0x1234 + k), index) for k in range(5)]
    metro = np.searchsorted(metro_cum, (d[0] >> np.uint64(52)).astype(np.int64) * metro_cum[-1] // 4096, side="right")
    tier = np.searchsorted(tier_cum, (d[1] >> np.uint64(48)).astype(np.int64) * tier_cum[-1] // 65536, side="right")
    first_names = pa.array(first[(d[2] % np.uint64(len(first))).astype(np.int64)], pa.string())
    last_names = pa.array(last[(d[3] % np.uint64(len(last))).astype(np.int64)], pa.string())
    age_days = 18 * 365 + (d[4] >> np.uint64(40)).astype(np.int64) % (60 * 365)
    birth = np.datetime64("2026-01-01") - age_days.astype("timedelta64[D]")
    ids = pa.array(np.char.zfill(index.astype(str), 6).astype(object), pa.string())
    local = pc.utf8_lower(pc.binary_join_element_wise(first_names, last_names, pa.array(index.astype(str)), "."))
    table = pa.table(
        {
            "customer_id": pc.binary_join_element_wise("cust", ids, "_"),
            "email": pc.binary_join_element_wise(local, "gmail.com", "@"),
            "first_name": first_names,
            "last_name": last_names,
            "date_of_birth": pa.array(birth.astype(str)),
            "subscription_tier": pa.array(np.array(tiers, dtype=object)[tier], pa.string()),
            "city": pa.array(np.array([m.city for m in metros], dtype=object)[metro], pa.string()),
            "timezone": pa.array(np.array([m.timezone for m in metros], dtype=object)[metro], pa.string()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="SNAPPY")
    return time.perf_counter() - started, len(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--customers", type=int, default=200_000, help="customers of the acceptance measurement")
    parser.add_argument("--plays", type=int, default=50_000, help="viewers to draw")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the customers part")
    args = parser.parse_args(argv)
    for day, subscribed, watching, accepted in acceptance(args.customers, ("2025-11-15", "2026-12-01", "2027-11-15")):
        print(
            f"{day}: subscribed {subscribed:.1%} of signed up, watching {watching:.1%} of subscribed, acceptance "
            f"{accepted:.3f} ({1 / accepted:.2f} candidates per viewer)"
        )
    per_viewer, candidates = viewer_draw(args.plays)
    print(f"viewer by rejection: {per_viewer:.1f} µs per viewer, {candidates:.2f} candidates per viewer")
    seconds, size = customers_part(args.rows)
    print(f"customers part: {args.rows:,} rows x 8 columns in {seconds:.2f} s, {size / 2**20:.1f} MB of Parquet")


if __name__ == "__main__":
    main()
