"""Ads of the world: which breaks a play has, which campaign fills each ad, how long it runs, whether it completes.

Pure functions and tables of the world, standard library only (ships to Lambda). A viewer on one of
`domains.AD_SUPPORTED_TIERS` sees a pre-roll when a play starts, a mid-roll every `MID_ROLL_EVERY_SECONDS` of content
on titles long enough, and a post-roll when a play completes. A break's ads come from the viewer's *day schedule*:
per viewer, UTC day and break position, the campaigns live that day whose targeting fits the viewer are laid out
over the day's `BUCKETS_PER_DAY` time buckets (busiest local hours first), each campaign on at most
`FREQUENCY_CAP` (bucket, pod ordinal) pairs; a break starting in a bucket shows that bucket's campaigns in order.
The per-ad random parts (pod size, completion, how long an abandoned ad ran) are pure functions of 64-bit draws the
caller takes from the session key, so the generator and the compiled backfill agree.

The campaigns table's delivery figures (`delivery`) are what this model delivers in expectation over each campaign's
flight, from a sample of the customers by index and the world's measured viewing; docs/ads.md gives the
reconciliation rule and its tolerance.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from functions.shared import calendar, domains, households, splitmix

# --- break structure ----------------------------------------------------------------------------------------------
POSITIONS = ("pre_roll", "mid_roll", "post_roll")
"""Break positions (`ad_position`); each is also the `ad_format` a campaign buys (placement fits the format)."""
IN_STREAM_FORMATS = POSITIONS
"""The `domains.AD_FORMATS` that run inside the stream, so the only ones the world sells (pause_ad and
banner_overlay are in the domain but no event can show them)."""
assert set(IN_STREAM_FORMATS) <= set(domains.AD_FORMATS)

MID_ROLL_EVERY_SECONDS = 15 * 60
"""Content seconds between mid-roll breaks. Observed pods: mid-roll every 8-15 min (Hulu 2-min blocks every ~10 min,
schweg.xyz; Paramount+ 5 breaks in 50 min, Sherwood News 2025); with POD_SIZES this gives ~4-6 ad minutes per hour,
the light ad tiers' load (Netflix 4-5 min/h via Gizmodo 2022; Disney+ 4 min/h; Max and Prime Video ~6 min/h, Ars
Technica 2025). docs/research/qoe-ads-incidents.md §3a."""
MID_ROLL_TAIL_SECONDS = 5 * 60
"""No mid-roll in a title's last five minutes (judgement: the post-roll, if any, follows the credits)."""
POD_SIZES: Mapping[str, tuple[int, ...]] = {"pre_roll": (1, 2), "mid_roll": (3, 4), "post_roll": (1,)}
"""Ads per break, drawn uniformly: pre-roll one pod of 15-60 s, mid-roll pods of 60-120 s (2-4 ads), post-roll rare
and short (Sherwood News 2025, Tubi/Hulu observations, §3a). Mid-roll 2-3 keeps the load in the 4-6 min/h band."""
MAX_POD = max(max(s) for s in POD_SIZES.values())

AD_LENGTH_WEIGHTS: Mapping[int, int] = {15: 40, 30: 55, 60: 5}
"""Relative share of creative lengths (s): 15 s : 30 s about 40 : 60 on CTV (Extreme Reach 2019-Q2 30 s 64 % /
15 s 33 %; Innovid 2021 >30 s under 5 %; Conviva average ad 25-31 s, 2019-2021). A campaign's length is one of
`domains.AD_FORMATS[its format]`."""

AD_COMPLETION: Mapping[str, float] = {"tv": 0.96, "tablet": 0.87, "web": 0.80, "mobile": 0.80}
"""Share of started ads watched to the end, by screen: Extreme Reach, CTV 95-97 %, tablet 87 %, desktop 74-83 %,
mobile 78-81 % (2019-Q2, full year 2019, 2020-Q1; via Cross Screen Media and MarketingCharts; §3b)."""
COMPLETION_BITS = 16
COMPLETE_BELOW: Mapping[str, int] = {d: round(p * (1 << COMPLETION_BITS)) for d, p in AD_COMPLETION.items()}
"""An ad completes when the low COMPLETION_BITS of its draw are below this (integer, so numba agrees)."""
assert set(AD_COMPLETION) == set(domains.DEVICE_TYPES)

# --- frequency cap and the day schedule ---------------------------------------------------------------------------
FREQUENCY_CAP = 3
"""Most (bucket, pod ordinal) pairs a campaign holds per viewer, UTC day and break position. No platform publishes
its cap; Hulu confirms caps exist (Digiday, "WTF are frequency caps?"), practitioners start at 3 per household per
day (Marketing Brew 2021). Assumption, §3b."""
BUCKET_MINUTES = 15
"""Length of a schedule bucket. One play never starts two breaks of one position in a bucket: one pre-roll and one
post-roll per play, and consecutive mid-rolls are MID_ROLL_EVERY_SECONDS of content (so more of wall time) apart."""
assert BUCKET_MINUTES * 60 <= MID_ROLL_EVERY_SECONDS
BUCKETS_PER_DAY = 24 * 60 // BUCKET_MINUTES
BUCKET_MS = BUCKET_MINUTES * 60_000
DAY_MS = 86_400_000
SCHEDULE_SALT = "ads-schedule"
_WEEK = 7

# --- money --------------------------------------------------------------------------------------------------------
CPM_RANGE = (20.0, 45.0)
"""Cost per thousand impressions ($): CTV $20-35, premium SVOD ad tiers $30-45 (eMarketer via MediaPost, Q4 2023
$21.73; Netflix $20-30 programmatic, Simulmedia 2025; §3b)."""
CTR_RANGE = (0.002, 0.03)
"""Click-through rate of a CTV ad (judgement: the table's original range; clicks on a TV are QR scans and
companion taps)."""
CONVERSION_RANGE = (0.01, 0.12)
"""Conversions per click (judgement: the table's original range)."""
BUDGET_HEADROOM = (1.0, 1.3)
"""A campaign's daily budget is its expected daily spend times this (judgement: budgets are set above pacing)."""

# --- the world's mean viewing, which the delivery figures scale with -----------------------------------------------
OPPORTUNITIES_PER_VIEWING_HOUR: Mapping[str, float] = {"pre_roll": 3.8, "mid_roll": 10.6, "post_roll": 0.84}
"""Ads a viewer on an ad tier is offered per hour of content they play, by position (pods counted in full, before
fill), measured on the default world (local/profile.py `ad_opportunities`; tests/functions/test_ads.py holds them
within 15 %): 2.5 plays an hour (23.7 minutes a play, docs/audience.md), a mid-roll of 2.5 ads every 15 minutes
of long titles, a post-roll on the quarter of plays that complete."""
OPPORTUNITIES_PER_AD_SUBSCRIBER_DAY: Mapping[str, float] = {"pre_roll": 5.74, "mid_roll": 15.90, "post_roll": 1.29}
"""Ads offered a day to a subscriber on an ad tier, by position (every break of their plays a pod of the mean size,
filled or not; over all their days subscribed, watching or not): what the campaigns table's delivery figures start
from. Measured on the default world (households.audience_size(1000) = 21,750 customers at batchSize 1,000, world
seed 1, the week from 2026-11-02: a whole week, as a flight's days run through every weekday) by `python
bench/measure_ad_delivery.py --batch-size 1000 --days 7`, 2026-12-06: its ad-tier subscribers play 1.46 h a day
(the world's mean is 2.0 h: ad-tier households own fewer screens and watch less, docs/devices.md), more of it on
phones with shorter plays. A world whose subscribers stream more or less than the default delivers in proportion."""
AD_TIER_HOURS_PER_SUBSCRIBER_DAY = 1.46
"""Content hours an ad-tier subscriber plays a day on the world OPPORTUNITIES_PER_AD_SUBSCRIBER_DAY was measured on
(the same command): a world whose ad-tier subscribers play more or less delivers in proportion (docs/ads.md)."""
FILL_RESIDUAL: Mapping[str, float] = {"pre_roll": 0.87, "mid_roll": 0.92, "post_roll": 0.76}
"""What the default world delivers of the impressions the fill model (`fill_share`) expects, by position: measured
by the same command as delivered / table with the residual set to 1. The model spreads a household's breaks over
its zone's curve of session starts; mid-rolls follow it, while post-rolls come at the end of completed plays, later
in the evening when the day schedule (busiest buckets first) has fewer campaigns left, and pre-rolls miss the starts
abandoned before the first frame. A measured residual, not a source: the table states what this world delivers."""
HOURS_PER_SUBSCRIBER_DAY = households.TARGET_HOURS_PER_SUBSCRIBER
"""Mean hours a subscriber plays a day: what a derived audience aims at (households.audience_size)."""


@dataclass(frozen=True)
class Target:
    """What a campaign buys: when it runs, where in the stream, for whom, and its creative's length."""

    index: int
    """Row number in the campaigns table."""
    campaign_id: str
    first_day: int
    """Days since the epoch of start_date."""
    last_day: int
    """Days since the epoch of end_date (inclusive)."""
    position: str
    """Its ad_format, one of POSITIONS."""
    seconds: int
    tiers: frozenset[str]
    countries: frozenset[str]
    age_groups: frozenset[str]
    genres: frozenset[str]

    def live(self, epoch_day: int) -> bool:
        return self.first_day <= epoch_day <= self.last_day

    def fits(self, customer: Mapping[str, object]) -> bool:
        """Whether the campaign's targeting takes this customer: tier, country, age group, and at least one of the
        customer's preferred genres among the target genres (audience targeting by interest). The customers table
        has no gender, so target_genders is not applied."""
        return (
            customer["subscription_tier"] in self.tiers
            and customer["country"] in self.countries
            and customer["age_group"] in self.age_groups
            and not self.genres.isdisjoint(json.loads(str(customer["preferred_genres"])))
        )


def _epoch_day(iso: str) -> int:
    return (dt.date.fromisoformat(iso[:10]) - dt.date(1970, 1, 1)).days


def targets(campaigns: Sequence[Mapping[str, object]]) -> tuple[Target, ...]:
    """The in-stream campaigns of a campaigns table, as the model reads them."""
    out = []
    for i, c in enumerate(campaigns):
        if c["ad_format"] not in IN_STREAM_FORMATS:
            continue
        out.append(
            Target(
                index=i,
                campaign_id=str(c["campaign_id"]),
                first_day=_epoch_day(str(c["start_date"])),
                last_day=_epoch_day(str(c["end_date"])),
                position=str(c["ad_format"]),
                seconds=int(c["ad_duration_seconds"]),  # type: ignore[call-overload]
                tiers=frozenset(json.loads(str(c["target_subscription_tiers"]))),
                countries=frozenset(json.loads(str(c["target_countries"]))),
                age_groups=frozenset(json.loads(str(c["target_age_groups"]))),
                genres=frozenset(json.loads(str(c["target_genres"]))),
            )
        )
    return tuple(out)


# --- one play's breaks and ads --------------------------------------------------------------------------------------
def sees_ads(tier: str) -> bool:
    return tier in domains.AD_SUPPORTED_TIERS


def breaks(duration_seconds: int, played_seconds: int, completed: bool) -> tuple[tuple[str, int], ...]:
    """(position, content second) of each break of a play, in order: a pre-roll at 0, a mid-roll at every
    MID_ROLL_EVERY_SECONDS the play reaches (not in the title's last MID_ROLL_TAIL_SECONDS), a post-roll if it
    completes. A mid-roll at second s is shown when the play runs past s."""
    out = [("pre_roll", 0)]
    last_mid = duration_seconds - MID_ROLL_TAIL_SECONDS
    at = MID_ROLL_EVERY_SECONDS
    while at <= last_mid and at < played_seconds:
        out.append(("mid_roll", at))
        at += MID_ROLL_EVERY_SECONDS
    if completed:
        out.append(("post_roll", duration_seconds))
    return tuple(out)


def max_break_count(duration_seconds: int) -> int:
    """Most breaks a play of a title this long can have (bounds a session's end)."""
    return len(breaks(duration_seconds, duration_seconds + 1, True))


MAX_AD_SECONDS = max(max(domains.AD_FORMATS[p]) for p in POSITIONS)


def max_ad_seconds(duration_seconds: int) -> int:
    """Most wall-clock seconds of ads a play of a title this long can add: every break a full pod of the longest
    ad. A session's end bound adds this for viewers on ad tiers."""
    total = 0
    for position, _ in breaks(duration_seconds, duration_seconds + 1, True):
        total += max(POD_SIZES[position]) * MAX_AD_SECONDS
    return total


AD_EVENT_MS = 2
"""Each ad shown adds this many ms besides its running time: its two events (ad_start, ad_complete), 1 ms each as
every event of a session, so no two events of a session share a timestamp."""
POSITION_CODES: Mapping[str, int] = {p: i for i, p in enumerate(POSITIONS)}
PRE_ROLL, MID_ROLL, POST_ROLL = range(len(POSITIONS))


def mid_roll_count(duration_seconds: int) -> int:
    """Most mid-rolls a play of a title this long can have."""
    return max(0, (duration_seconds - MID_ROLL_TAIL_SECONDS) // MID_ROLL_EVERY_SECONDS)


def max_ad_ms(duration_seconds: int) -> int:
    """Most wall-clock ms a play of a title this long can spend in ads, their events' ms included: every break a
    full pod of the longest ad (max_ad_seconds, in closed form). Every end bound of a session adds it."""
    pods = max(POD_SIZES["pre_roll"]) + mid_roll_count(duration_seconds) * max(POD_SIZES["mid_roll"])
    return (pods + max(POD_SIZES["post_roll"])) * (MAX_AD_SECONDS * 1000 + AD_EVENT_MS)


_LONGEST_POD_MS = tuple(
    max(POD_SIZES[p]) * (max(domains.AD_FORMATS[p]) * 1000 + AD_EVENT_MS) for p in ("pre_roll", "mid_roll", "post_roll")
)


def play_ad_ms(duration_seconds: int, span_max: int, completes: bool) -> int:
    """Most wall-clock ms a play that runs at most `span_max` content seconds of a title can spend in ads: a full pod
    of its position's longest format at the pre-roll, at each mid-roll mark it can pass (at most span_max // 15 min
    + 1 of the title's), and at the post-roll if it completes. The admission pass's bound (tighter than max_ad_ms)."""
    mids = min(mid_roll_count(duration_seconds), span_max // MID_ROLL_EVERY_SECONDS + 1)
    pre, mid, post = _LONGEST_POD_MS
    return pre + mids * mid + (post if completes else 0)


def max_ad_events(duration_seconds: int) -> int:
    """Most ad events a play of a title this long can have."""
    return (2 + mid_roll_count(duration_seconds)) * MAX_POD * 2


def play_breaks(duration_seconds: int, p0: int, span: int, completed: bool) -> tuple[tuple[int, int], ...]:
    """(position code, content seconds from p0) of each break of a session that plays [p0, p0 + span): a pre-roll
    at its first frame, a mid-roll at every MID_ROLL_EVERY_SECONDS of the title after p0 that it runs past (none in
    the last MID_ROLL_TAIL_SECONDS), a post-roll after it completes (`breaks` for a session that resumes)."""
    out = [(PRE_ROLL, 0)]
    at = (p0 // MID_ROLL_EVERY_SECONDS + 1) * MID_ROLL_EVERY_SECONDS
    last_mid = duration_seconds - MID_ROLL_TAIL_SECONDS
    while at <= last_mid and at < p0 + span:
        out.append((MID_ROLL, at - p0))
        at += MID_ROLL_EVERY_SECONDS
    if completed:
        out.append((POST_ROLL, span))
    return tuple(out)


def pod_size(position: str, draw: int) -> int:
    """Ads in a break of this position, from a 64-bit draw (its top bits)."""
    sizes = POD_SIZES[position]
    return sizes[(draw >> 32) % len(sizes)]


def ad_completes(device_type: str, draw: int) -> bool:
    """Whether an ad shown on this screen runs to its end, from a 64-bit draw (its low COMPLETION_BITS)."""
    return (draw & ((1 << COMPLETION_BITS) - 1)) < COMPLETE_BELOW[device_type]


def abandoned_ms(seconds: int, draw: int) -> int:
    """How long an ad that does not complete ran before the viewer left it (1 s to its whole length, from bits
    16-47 of the draw); the rest of that break is skipped and the content resumes."""
    return 1000 + (((draw >> COMPLETION_BITS) & 0xFFFFFFFF) * (seconds * 1000 - 1000) >> 32)


# --- the day schedule (frequency cap by construction) ----------------------------------------------------------------
def eligible(tgts: Sequence[Target], customer: Mapping[str, object], epoch_day: int, position: str) -> tuple[int, ...]:
    """Indexes into `tgts` of the campaigns of a position live on a UTC day whose targeting fits the customer."""
    if not sees_ads(str(customer["subscription_tier"])):
        return ()
    return tuple(i for i, t in enumerate(tgts) if t.position == position and t.live(epoch_day) and t.fits(customer))


def _day_key(tz_name: str, epoch_day: int) -> tuple[str, int, int, int]:
    """What a UTC day's local weights depend on: the zone, the weekday and its offsets at the day's ends."""
    key = _day_keys.get((tz_name, epoch_day))
    if key is None:
        if len(_day_keys) > 1_000_000:
            _day_keys.clear()
        key = _day_keys[(tz_name, epoch_day)] = (
            tz_name,
            epoch_day % _WEEK,
            calendar.hour_offset(tz_name, epoch_day * 24),
            calendar.hour_offset(tz_name, epoch_day * 24 + 23),
        )
    return key


_day_keys: dict[tuple[str, int], tuple[str, int, int, int]] = {}


_day_shapes: dict[tuple[str, int, int, int], tuple[tuple[int, ...], tuple[float, ...]]] = {}


def _day_shape(tz_name: str, epoch_day: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """(buckets from the busiest local hour to the quietest, ties by bucket; running share of the day's weight)."""
    key = _day_key(tz_name, epoch_day)
    hit = _day_shapes.get(key)
    if hit is None:
        weights = []
        for b in range(BUCKETS_PER_DAY):
            epoch_hour = epoch_day * 24 + b * BUCKET_MINUTES // 60
            weights.append(calendar.local_weight(epoch_hour + calendar.hour_offset(tz_name, epoch_hour) // 60))
        order = tuple(sorted(range(BUCKETS_PER_DAY), key=lambda b: (-weights[b], b)))
        total = sum(weights)
        running = [0.0]
        for b in order:
            running.append(running[-1] + weights[b] / total)
        hit = _day_shapes[key] = (order, tuple(running))
    return hit


def bucket_order(tz_name: str, epoch_day: int) -> tuple[int, ...]:
    """A UTC day's buckets from the busiest local hour of the zone to the quietest (ties by bucket)."""
    return _day_shape(tz_name, epoch_day)[0]


def deal(h: int, n: int) -> tuple[int, int]:
    """(step, offset) of a viewer-day's deal of its n eligible campaigns, from a 64-bit draw `h`: the k-th card
    dealt is campaign (offset + k * step) mod n, a permutation since step is coprime to n (integer arithmetic, so
    the compiled backfill deals the same)."""
    offset = (h & 0xFFFFFFFF) % n
    step = 1 + (h >> 32) % n
    while math.gcd(step, n) != 1:
        step += 1
    return step, offset


def pod_campaigns(campaigns: Sequence[int], step: int, offset: int, rank: int) -> tuple[int, ...]:
    """The campaigns (of `campaigns`, the viewer-day's eligible ones) a break in the bucket of busyness `rank`
    shows, by pod ordinal: the deal's cards rank * width .. + width - 1, none past FREQUENCY_CAP * n."""
    n = len(campaigns)
    width = min(MAX_POD, n)
    first = rank * width
    return tuple(campaigns[(offset + k * step) % n] for k in range(first, min(first + width, FREQUENCY_CAP * n)))


def day_schedule(h: int, tz_name: str, epoch_day: int, campaigns: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Bucket -> the campaigns (of `campaigns`) its breaks show, by pod ordinal, for one viewer-day and position.

    The campaigns are dealt (`deal`, from the viewer-day's draw `h`) round-robin over the pairs (bucket, ordinal)
    of the busiest buckets first, stopping after FREQUENCY_CAP rounds: each campaign holds at most FREQUENCY_CAP
    pairs, so (one break per bucket and position of a play, BUCKET_MINUTES) a viewer whose plays do not break in
    the same bucket sees a campaign at most FREQUENCY_CAP times a day per position. Ordinals beyond the number of
    campaigns stay empty, so a pod never repeats a campaign.
    """
    n = len(campaigns)
    if n == 0:
        return {}
    step, offset = deal(h, n)
    out: dict[int, tuple[int, ...]] = {}
    for rank, bucket in enumerate(bucket_order(tz_name, epoch_day)):
        pod = pod_campaigns(campaigns, step, offset, rank)
        if not pod:
            break
        out[bucket] = pod
    return out


def bucket_ranks(tz_name: str, epoch_day: int) -> tuple[int, ...]:
    """Per bucket of a UTC day, its rank from the busiest local hour of the zone (bucket_order inverted)."""
    key = _day_key(tz_name, epoch_day)
    hit = _ranks.get(key)
    if hit is None:
        ranks = [0] * BUCKETS_PER_DAY
        for rank, bucket in enumerate(bucket_order(tz_name, epoch_day)):
            ranks[bucket] = rank
        hit = _ranks[key] = tuple(ranks)
    return hit


_ranks: dict[tuple[str, int, int, int], tuple[int, ...]] = {}


def bucket_of(epoch_ms: int) -> tuple[int, int]:
    """(UTC epoch day, bucket) of a moment."""
    day, in_day = divmod(epoch_ms, DAY_MS)
    return day, in_day // BUCKET_MS


class Ad(NamedTuple):
    """One ad of a break as shown: which campaign, how long it ran, whether it completed."""

    target: int
    """Index into the model's targets."""
    ran_ms: int
    """Wall-clock time it took: its length if it completed, less if the viewer left it."""
    completed: bool


def break_ads(
    tgts: Sequence[Target],
    pod: Sequence[int],
    position: str,
    device_type: str,
    pod_draw: int,
    ad_draws: Sequence[int],
) -> list[Ad]:
    """The ads of one break whose bucket shows `pod` (`pod_campaigns`): the pod (size from `pod_draw`) takes its
    campaigns in ordinal order; an ad that does not complete (from its draw in `ad_draws`, one per ordinal, at
    least MAX_POD of them) ends the break. Empty when the bucket has no campaign (unfilled)."""
    shown = []
    for ordinal, target in enumerate(pod[: pod_size(position, pod_draw)]):
        seconds = tgts[target].seconds
        if ad_completes(device_type, ad_draws[ordinal]):
            shown.append(Ad(target, seconds * 1000, True))
        else:
            shown.append(Ad(target, abandoned_ms(seconds, ad_draws[ordinal]), False))
            break
    return shown


class Book:
    """The campaigns a world's customers can be shown: per customer and position, the in-stream campaigns whose
    targeting fits them (any day), and per viewer-day the live ones and their deal, built on first use and kept."""

    def __init__(self, campaigns: Sequence[Mapping[str, object]], customers: Sequence[Mapping[str, object]]) -> None:
        self.targets = targets(campaigns)
        self.customers = customers
        self._audiences: dict[tuple[object, object, object], tuple[tuple[int, ...], ...]] = {}
        self._fitting: dict[int, tuple[tuple[int, ...], ...]] = {}
        self._days: dict[tuple[int, int, int, int], tuple[tuple[int, ...], int, int]] = {}

    def fitting(self, customer: int) -> tuple[tuple[int, ...], ...]:
        """Per position (POSITIONS order), indexes into `targets` of the campaigns fitting customer (row) `customer`
        on any day, ascending; empty for a customer on a tier without ads."""
        hit = self._fitting.get(customer)
        if hit is None:
            c = self.customers[customer]
            if not sees_ads(str(c["subscription_tier"])):
                hit = ((),) * len(POSITIONS)
            else:
                audience = (c["subscription_tier"], c["country"], c["age_group"])
                pool = self._audiences.get(audience)
                if pool is None:
                    pool = self._audiences[audience] = tuple(
                        tuple(
                            i
                            for i, t in enumerate(self.targets)
                            if t.position == p and audience[0] in t.tiers and audience[1] in t.countries
                            and audience[2] in t.age_groups
                        )
                        for p in POSITIONS
                    )  # fmt: skip
                genres = frozenset(json.loads(str(c["preferred_genres"])))
                hit = tuple(tuple(i for i in ids if not self.targets[i].genres.isdisjoint(genres)) for ids in pool)
            self._fitting[customer] = hit
        return hit

    def shows_breaks(self, customer: int) -> bool:
        """Whether a customer's plays carry ad breaks: some campaign fits them at some position (the kernel's twin:
        a non-empty `fit_at` range, model.AdBook)."""
        return any(self.fitting(customer))

    def live(self, key: int, customer: int, epoch_day: int, position: int) -> tuple[tuple[int, ...], int, int]:
        """(eligible campaigns, step, offset) of a viewer-day and position (code): the fitting campaigns live on the
        day and their deal from the viewer-day's draw (`deal_draw` of the world's ads key `key`)."""
        hit = self._days.get((key, customer, epoch_day, position))
        if hit is None:
            if len(self._days) > 200_000:
                self._days.clear()
            tgts = self.targets
            ids = tuple(
                i for i in self.fitting(customer)[position] if tgts[i].first_day <= epoch_day <= tgts[i].last_day
            )
            step, offset = deal(deal_draw(key, customer, epoch_day, position), len(ids)) if ids else (0, 0)
            hit = self._days[(key, customer, epoch_day, position)] = (ids, step, offset)
        return hit


def deal_draw(key: int, customer: int, epoch_day: int, position: int) -> int:
    """The 64-bit draw a viewer-day's deal of a position comes from: SplitMix64 of the ads key, customer, day and
    position (splitmix.draw twice)."""
    return splitmix.draw(splitmix.draw(key, customer), epoch_day * len(POSITIONS) + position)


# --- the campaigns table's delivery figures -----------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    """What the world delivers to a campaign over its whole flight, in expectation."""

    impressions: float
    unique_viewers: float
    completed: float


def fill_share(tz_name: str, epoch_day: int, position: str, n: int) -> float:
    """Expected share of a viewer-day's ads of a position that each of its `n` eligible campaigns fills.

    Breaks fall on buckets by the zone's local hour weight; the schedule covers the first FREQUENCY_CAP x n pairs
    (`width` per bucket), a pod's ordinals past `width` stay empty and an abandoned ad ends its break
    (`_started_share`).
    """
    if n == 0:
        return 0.0
    width = min(MAX_POD, n)
    pairs = FREQUENCY_CAP * n
    cumulative = _day_shape(tz_name, epoch_day)[1]
    full = min(BUCKETS_PER_DAY, pairs // width)
    covered = cumulative[full]
    if full < BUCKETS_PER_DAY:
        covered += (cumulative[full + 1] - cumulative[full]) * (pairs - full * width) / width
    return covered * _started_share(position, width) / n


@functools.lru_cache(maxsize=64)
def _started_share(position: str, width: int) -> float:
    """Share of a pod's offered ads that start when its bucket shows `width` campaigns: ordinals past `width` stay
    empty, and an ad not completed ends its break (`break_ads`), so ordinal k starts with the chance that the k
    before it completed (AD_COMPLETION over the screens' share of viewing, _AD_VIEWING_SHARE)."""
    sizes = POD_SIZES[position]
    started = sum(
        share * sum(AD_COMPLETION[screen] ** k for k in range(min(width, size)))
        for screen, share in _AD_VIEWING_SHARE.items()
        for size in sizes
    )
    return started / sum(_AD_VIEWING_SHARE.values()) / sum(sizes)


AD_TIER_SHARE = sum(domains.SUBSCRIPTION_TIER_SHARES[t] for t in domains.AD_SUPPORTED_TIERS)
"""Share of customers on an ad tier (each customer's tier is a draw of its index through these shares)."""
DELIVERY_SAMPLE = 600
"""Ad-tier customers `delivery` follows one by one, in expectation, whatever the audience: it reads
DELIVERY_SAMPLE / AD_TIER_SHARE evenly spaced customer indices (`sample_indices`), each standing for its stretch of
ids, so the campaigns table costs the same at 1,000 customers or 22 million. Following 48,000 customers through
1,500 campaigns took a minute. The table states expectations: totals stay within 5 % of following everyone (a test
holds it); a campaign that ~60 followed customers fit is within about 15 %, inside the reconciliation's tolerance
(docs/ads.md)."""


def sample_indices(count: int) -> Sequence[int]:
    """The customer indices (0-based, ascending) `delivery` reads of `count`: all of them up to DELIVERY_SAMPLE /
    AD_TIER_SHARE, else that many, the middle of each equal stretch of ids (ids follow sign-up order, and a stretch
    spans many layout slots: people.slot_of)."""
    picks = math.ceil(DELIVERY_SAMPLE / AD_TIER_SHARE)
    if count <= picks:
        return range(count)
    return [((2 * k + 1) * count) // (2 * picks) for k in range(picks)]


def _subscribed_days(customer: Mapping[str, object]) -> tuple[int, int]:
    """(first day subscribed, first day not) since the epoch, of a customers table row or of people.traits."""
    if "start_day" in customer:
        return int(customer["start_day"]), int(customer["end_day"])  # type: ignore[call-overload]
    end = customer["subscription_end_date"]
    return _epoch_day(str(customer["subscription_start_date"])), _epoch_day(str(end)) if end else 1 << 40


def delivery(
    campaigns: Sequence[Mapping[str, object]],
    customers: Sequence[Mapping[str, object]],
    offered_per_day: Mapping[str, float] = OPPORTUNITIES_PER_AD_SUBSCRIBER_DAY,
) -> dict[str, Delivery]:
    """Expected impressions, reach and completed views of every campaign over its flight.

    Per customer on an ad tier and day subscribed in a flight: ads offered at the position (`offered_per_day`) x the
    share the day schedule gives each campaign and the viewers start (`fill_share`, averaged over the week a stretch
    of days with one set of eligible campaigns starts with) x the position's measured residual (FILL_RESIDUAL). Reach
    counts a customer with the chance of at least one impression over its days in the flight (`_reach_probability`);
    completed views weigh impressions by AD_COMPLETION over the screens' share of viewing time. `customers` are the
    table's rows or people.Customers (the world columns per index): only `sample_indices(len(customers))` of them
    are read, each standing for len(customers) / that many.
    """
    tgts = targets(campaigns)
    impressions = [0.0] * len(tgts)
    reach = [0.0] * len(tgts)
    by_audience: dict[tuple[object, object, object, str], list[int]] = {}
    fitting_by_profile: dict[tuple[object, ...], tuple[int, ...]] = {}
    week_share: dict[tuple[object, ...], float] = {}
    indices = sample_indices(len(customers))
    weight = len(customers) / len(indices) if indices else 0.0
    for index in indices:
        customer = customers[index]
        tier, country, age = customer["subscription_tier"], customer["country"], customer["age_group"]
        if not sees_ads(str(tier)):
            continue
        profile = (tier, country, age, customer["preferred_genres"])
        first, stop = _subscribed_days(customer)
        tz = str(customer["timezone"])
        for position in POSITIONS:
            fits = fitting_by_profile.get((*profile, position))
            if fits is None:
                audience = (tier, country, age, position)
                if audience not in by_audience:
                    by_audience[audience] = [
                        i
                        for i, t in enumerate(tgts)
                        if t.position == position and tier in t.tiers and country in t.countries and age in t.age_groups
                    ]
                genres = frozenset(json.loads(str(customer["preferred_genres"])))
                fits = fitting_by_profile[(*profile, position)] = tuple(
                    i for i in by_audience[audience] if not tgts[i].genres.isdisjoint(genres)
                )
            fitting = [i for i in fits if tgts[i].first_day < stop and tgts[i].last_day >= first]
            if not fitting:
                continue
            offered = offered_per_day[position] * FILL_RESIDUAL[position]
            change: dict[int, int] = {}
            for i in fitting:
                lo, hi = max(tgts[i].first_day, first), min(tgts[i].last_day + 1, stop)
                change[lo] = change.get(lo, 0) + 1
                change[hi] = change.get(hi, 0) - 1
            days = sorted(change)
            running = {days[0]: 0.0}  # expected impressions per live campaign from the first day to each change
            live = 0
            for lo, hi in itertools.pairwise(days):
                live += change[lo]
                per_day = 0.0
                if live:
                    key = (_day_key(tz, lo), position, live)
                    share = week_share.get(key)
                    if share is None:  # the share repeats weekly: average the week the stretch starts with
                        week = range(lo, lo + _WEEK)
                        share = week_share[key] = sum(fill_share(tz, d, position, live) for d in week) / _WEEK
                    per_day = offered * share
                running[hi] = running[lo] + per_day * (hi - lo)
            for i in fitting:
                lo, hi = max(tgts[i].first_day, first), min(tgts[i].last_day + 1, stop)
                expected = running[hi] - running[lo]
                impressions[i] += expected
                reach[i] += _reach_probability(expected, hi - lo)
    completion = sum(AD_COMPLETION[d] * s for d, s in _AD_VIEWING_SHARE.items())
    return {
        t.campaign_id: Delivery(weight * impressions[i], weight * reach[i], weight * impressions[i] * completion)
        for i, t in enumerate(tgts)
    }


REACH_CLASS_COUNT = 16
"""Equal shares of ad-tier subscribers by propensity (households.propensity) the reach model averages over."""
REACH_CLASSES: tuple[tuple[float, float], ...] = (
    (0.164, 0.181), (0.325, 0.303), (0.364, 0.336), (0.486, 0.428), (0.523, 0.444), (0.659, 0.532), (0.711, 0.560),
    (0.836, 0.619), (0.878, 0.662), (0.964, 0.688), (1.069, 0.708), (1.319, 0.765), (1.392, 0.766), (1.716, 0.850),
    (2.002, 0.863), (2.593, 0.901),
)  # fmt: skip
"""Per class of REACH_CLASS_COUNT (lightest first): (its impressions per subscriber-day over the mean class's, the
share of its subscriber-days that show it an ad). Measured on the default world (households.audience_size(1000)
customers at batchSize 1,000, world seed 1, 7 days from 2026-11-02) by `python bench/measure_ad_delivery.py
--batch-size 1000 --days 7`, 2026-12-06. Flatter than the propensity alone (w / mean and w / (w + 1), which gave the
heaviest class 4.1 and the lightest a day in 8): an ad tier plays one stream at a time and an ad-tier play holds
its household to its last quarter hour (concurrency.ad_hold), so the heaviest households play less than their
weight asks, and a UTC day spans two viewing days (households.VIEWING_DAY_START_MINUTES), so light households see
ads on more of them. A measured table, not a source: re-measure when households' viewing or the admission pass
moves."""
assert len(REACH_CLASSES) == REACH_CLASS_COUNT


def _reach_probability(expected: float, days: int) -> float:
    """Chance an ad-tier household expected to see a campaign `expected` times over `days` days sees it at least once.

    Households differ (REACH_CLASSES): one of relative weight s sees ads on a day with probability a and, on such a
    day, sees a Poisson count of mean expected * s / (days * a); it is reached unless every day of the span shows it
    none. Over a few days light households (most days off) are rarely reached; over a months-long flight nearly every
    household that watches at all is.
    """
    if expected <= 0.0 or days <= 0:
        return 0.0
    missed = 0.0
    for share, active in REACH_CLASSES:
        per_active_day = expected * share / (days * active)
        missed += (1.0 - active * -math.expm1(-per_active_day)) ** days
    return 1.0 - missed / REACH_CLASS_COUNT


_AD_VIEWING_SHARE: Mapping[str, float] = {"tv": 0.78, "mobile": 0.098, "web": 0.063, "tablet": 0.058}
"""Screens' share of viewing time in the default world (docs/audience.md), which ads follow."""
