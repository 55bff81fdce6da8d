"""Customers per index: every attribute the world reads, a pure function of (dimension seed, count, index).

The world never builds the customers table: it asks for the customer it needs. Customer i (0-based, `cust_{i+1}`)
is found through a fixed layout (docs/scale.md, step 1):

- ids are cut into blocks of BLOCK; position p of block b holds layout slot `(a_b * p + c_b) mod BLOCK`
  (a_b odd, both from `draw(layout_key, b)`), a per-block permutation whose inverse is integer arithmetic too;
- slot s has a fixed metro (country, state, city, zone), propensity and preferred genres (`Layout`, built once per
  seed in Python): the countries' shares of a block are exact (largest remainders of geography.COUNTRY_SHARES, then
  of the metros' weights), the propensities are the BLOCK quantiles of households.propensity's lognormal;
- the subscription is two SplitMix64 draws of (seed, index): the sign-up day (an even rate in id order over
  domains.SIGNUP_DAYS) and the tenure, through TENURE_QUANTILES (integers, so the compiled backfill computes the
  same days by construction);
- tier, age, gender and the table-only picks are further draws of (seed, index).

The world's viewer draw (world.World.pick_customer, the compiled kernel's twin) proposes a layout slot and a block
and reads `position`, `subscription_days` and the slot's tables. Lambda-safe: standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

from functions.shared import domains, geography, households
from functions.shared.splitmix import M64, draw, mix64

BLOCK_BITS = 12
BLOCK = 1 << BLOCK_BITS
"""Layout slots per block: a block of ids holds every slot once."""
LAYOUT_SALT = 0x1A70_7B10_C4C5_EED5
SUBSCRIPTION_SALT = 0x5B5C_21B7_10D5_A1E5
TRAIT_SALT = 0x7EA1_75C0_FFEE_D1CE

REFERENCE_DATE = dt.date(2026, 1, 1)
"""The "today" of the dimension tables (dimensions.REFERENCE_DATE): ages are relative to it."""
SIGNUP_FROM_DAY = (REFERENCE_DATE - dt.date(1970, 1, 1)).days + domains.SIGNUP_DAYS[0]
"""The first sign-up's day since the epoch."""
SIGNUP_SPAN_DAYS = domains.SIGNUP_DAYS[1] - domains.SIGNUP_DAYS[0]
JOIN_BITS = 20
"""A sign-up day is (index + u) / count of the way through SIGNUP_SPAN_DAYS, u a JOIN_BITS-bit fraction: the
product fits a signed 64-bit integer for any count up to 2**26 (the compiled backfill's arithmetic)."""
DAYS_PER_MONTH = 365.2425 / 12
MEAN_TENURE_DAYS = DAYS_PER_MONTH / domains.MONTHLY_CHURN
TENURE_BITS = 12
TENURE_FRACTION_BITS = 20
TENURE_UNIT_BITS = 16
"""Tenure quantiles are in units of 2**-16 days."""


def _tenure_quantiles() -> tuple[int, ...]:
    """Entry k of 2**TENURE_BITS + 1: the exponential tenure's k / 2**TENURE_BITS quantile (mean MEAN_TENURE_DAYS) in
    2**-16 days; the last entry the 1 - 2**-(TENURE_BITS + 1) quantile (the tail's cut)."""
    size = 1 << TENURE_BITS
    unit = MEAN_TENURE_DAYS * (1 << TENURE_UNIT_BITS)
    table = [round(-math.log1p(-k / size) * unit) for k in range(size)]
    return (*table, round(math.log(2 * size) * unit))


TENURE_QUANTILES = _tenure_quantiles()
"""An exponential tenure by linear interpolation in integers: the same days in Python and the compiled kernel."""
MAX_TENURE_DAYS = TENURE_QUANTILES[-1] >> TENURE_UNIT_BITS


def layout_key(seed: int) -> int:
    """The key of the blocks' permutations."""
    return mix64((seed ^ LAYOUT_SALT) & M64)


def subscription_key(seed: int) -> int:
    """The key of the subscriptions' draws (2i: sign-up and tenure, 2i + 1: the table's second and updated_at)."""
    return mix64((seed ^ SUBSCRIPTION_SALT) & M64)


def trait_key(seed: int) -> int:
    """The key of tier, age, gender and the table-only picks."""
    return mix64((seed ^ TRAIT_SALT) & M64)


def block_affine(lkey: int, block: int) -> tuple[int, int]:
    """(a, c) of a block's permutation: position p holds slot (a * p + c) mod BLOCK, a odd."""
    d = draw(lkey, block)
    return (d & (BLOCK - 1)) | 1, (d >> 32) & (BLOCK - 1)


def inverse_odd(a: int) -> int:
    """a's inverse mod BLOCK (a odd), by Newton's steps (each doubles the bits that are right: 3, 6, 12)."""
    x = a
    for _ in range(3):
        x = (x * (2 - a * x)) & (BLOCK - 1)
    return x


def slot_of(lkey: int, index: int) -> int:
    """The layout slot customer `index` holds."""
    a, c = block_affine(lkey, index >> BLOCK_BITS)
    return (a * (index & (BLOCK - 1)) + c) & (BLOCK - 1)


def position(lkey: int, block: int, slot: int) -> int:
    """The customer index of a block that holds `slot` (slot_of's inverse)."""
    a, c = block_affine(lkey, block)
    return (block << BLOCK_BITS) | ((inverse_odd(a) * (slot - c)) & (BLOCK - 1))


def signed_up(count: int, day: int) -> int:
    """How many customers' sign-up windows start by `day` (days since the epoch): ids below it may be subscribed."""
    k = day - SIGNUP_FROM_DAY + 1
    if k <= 0:
        return 0
    return min(count, (k * count + SIGNUP_SPAN_DAYS - 1) // SIGNUP_SPAN_DAYS)


def tenure_days(u32: int) -> int:
    """The tenure (whole days, at least MIN_TENURE_DAYS) of a 32-bit uniform, by TENURE_QUANTILES."""
    k, f = u32 >> TENURE_FRACTION_BITS, u32 & ((1 << TENURE_FRACTION_BITS) - 1)
    q = TENURE_QUANTILES
    days = (q[k] * ((1 << TENURE_FRACTION_BITS) - f) + q[k + 1] * f) >> (TENURE_FRACTION_BITS + TENURE_UNIT_BITS)
    return max(domains.MIN_TENURE_DAYS, days)


def subscription_days(seed: int, count: int, index: int) -> tuple[int, int]:
    """(start, end) days since the epoch of customer `index`'s subscription (watching from start; no session on or
    after end): sign-ups at an even rate over SIGNUP_DAYS in id order, an exponential tenure (TENURE_QUANTILES)."""
    return subscription_days_of(subscription_key(seed), count, index)


def subscription_days_of(skey: int, count: int, index: int) -> tuple[int, int]:
    """subscription_days from the seed's subscription_key."""
    d = draw(skey, 2 * index)
    join = d >> (64 - JOIN_BITS)
    start = SIGNUP_FROM_DAY + (((index << JOIN_BITS) | join) * SIGNUP_SPAN_DAYS) // (count << JOIN_BITS)
    return start, start + tenure_days(d & 0xFFFFFFFF)


def subscription_extras(seed: int, index: int) -> tuple[int, float]:
    """The table-only parts of a subscription: its sign-up's second of the day and where updated_at lies (0 to 1)."""
    d = draw(subscription_key(seed), 2 * index + 1)
    return ((d >> 32) * 86_400) >> 32, (d & 0xFFFFFFFF) / (1 << 32)


def _largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """Whole counts summing to `total` in proportion to `weights`: floors, then the largest remainders (ties to the
    first)."""
    whole = sum(weights)
    ideal = [w / whole * total for w in weights]
    counts = [math.floor(x) for x in ideal]
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - ideal[i], i))[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class Layout:
    """A seed's BLOCK layout slots: what every customer holding a slot shares."""

    metro: tuple[int, ...]
    """Per slot, its metro (an index into geography.METROS)."""
    propensity: tuple[float, ...]
    """Per slot, its households' viewing propensity (households.py)."""
    genres: tuple[tuple[int, ...], ...]
    """Per slot, its preferred genres (indexes into domains.GENRES, in that order)."""
    zones: tuple[str, ...]
    """The layout's time zones, ascending."""
    zone: tuple[int, ...]
    """Per slot, its zone (an index into `zones`)."""
    countries: tuple[str, ...]
    """The layout's countries (geography.COUNTRY_SHARES order)."""
    country: tuple[int, ...]
    """Per slot, its country (an index into `countries`)."""
    day_weight: tuple[int, ...]
    """Per slot, households.day_weight: a viewer's weight among a day's viewers (the rejection draw's proposal)."""
    active_below: tuple[int, ...]
    """Per slot, households.active_threshold: it watches on a viewing day when that day's 53-bit draw is below."""
    expected: tuple[int, ...]
    """Per slot, its expected weight among a day's viewers (day weight times the chance it watches): what a zone's
    slots weigh in an hour plan."""


@lru_cache(maxsize=8)
def layout(seed: int) -> Layout:
    """The layout of a dimension seed: countries exact per block, metros by weight within them, a shuffled order."""
    rng = random.Random(f"layout:{seed}")
    countries = tuple(geography.COUNTRY_SHARES)
    metros: list[int] = []
    for c, n in zip(countries, _largest_remainder(list(geography.COUNTRY_SHARES.values()), BLOCK), strict=True):
        own = [m for m, metro in enumerate(geography.METROS) if metro.country == c]
        for m, k in zip(own, _largest_remainder([geography.METROS[m].weight for m in own], n), strict=True):
            metros.extend([m] * k)
    rng.shuffle(metros)
    quantiles = list(range(BLOCK))
    rng.shuffle(quantiles)
    propensity = tuple(households.propensity(((2 * q + 1) << 53) // (2 * BLOCK)) for q in quantiles)
    n_genres = len(domains.GENRES)
    genres = []
    for _ in range(BLOCK):
        chosen = set(rng.sample(range(n_genres), rng.randint(1, 3)))
        genres.append(tuple(g for g in range(n_genres) if g in chosen))
    zones = tuple(sorted({geography.METROS[m].timezone for m in metros}))
    day_weight = tuple(households.day_weight(w) for w in propensity)
    below = tuple(households.active_threshold(w) for w in propensity)
    return Layout(
        metro=tuple(metros),
        propensity=propensity,
        genres=tuple(genres),
        zones=zones,
        zone=tuple(zones.index(geography.METROS[m].timezone) for m in metros),
        countries=countries,
        country=tuple(countries.index(geography.METROS[m].country) for m in metros),
        day_weight=day_weight,
        active_below=below,
        expected=tuple((dw * (b >> 21)) >> 32 for dw, b in zip(day_weight, below, strict=True)),
    )


MAX_TRIES = 64
"""Candidates the viewer draw proposes at most (world.World.pick_customer); with acceptance above 0.2 a session
finds no viewer with probability below 0.8**64 (~6e-7), and is then not played, in the generator and the backfill
alike."""
TRY_ZONE_SHIFT, TRY_BLOCK_SHIFT, TRY_SLOT_SHIFT, TRY_BITS, TAIL_BITS = 40, 16, 40, 24, 16
"""Try j's draws (draw(viewer draw, 2j) and 2j + 1): the first's bits 40-63 pick the zone by the hour plan's weights,
bits 16-39 the block among those signed up by the day (the whole ones, then the last, partial one if signed up),
bits 0-15 whether a proposal in the partial block stands (with probability its set's weight over a whole block's:
each id then as likely as its weight says); the second's bits 40-63 the slot by its set's running weight (in the
partial block, among the slots it holds)."""


@dataclass(frozen=True)
class ViewerSets:
    """The rejection draw's proposal sets of a layout. Set `g1 * zones + z` (g1 0: every slot; 1 + g: the slots
    listing genre g) holds zone z's slots, ascending, with their running day weights; set `(1 + G) * zones + c`
    holds country c's slots, each weighing one (a live surge's scope)."""

    zones: int
    slots: tuple[tuple[int, ...], ...]
    running: tuple[tuple[int, ...], ...]
    expected: tuple[int, ...]
    """Per zone set (the first (1 + G) * zones), its slots' expected weights summed: what it weighs in an hour
    plan, times its zone's local hour."""
    country_expected: tuple[tuple[int, ...], ...]
    """Per country, per zone, its slots' expected weights summed (a live surge's scope's share)."""

    def country_set(self, country: int) -> int:
        return (1 + len(domains.GENRES)) * self.zones + country


@lru_cache(maxsize=8)
def viewer_sets(seed: int) -> ViewerSets:
    """The proposal sets of a seed's layout (every slot: a whole block's)."""
    return _sets(layout(seed), range(BLOCK))


@lru_cache(maxsize=8)
def tail_sets(seed: int, count: int) -> ViewerSets:
    """The proposal sets of the slots the last, partial block of `count` customers holds (empty sets when `count` is
    a whole number of blocks): a world of fewer customers than a block draws among them only."""
    block, held = divmod(count, BLOCK)
    key = layout_key(seed)
    return _sets(layout(seed), sorted(slot_of(key, (block << BLOCK_BITS) + p) for p in range(held)))


def _sets(lay: Layout, valid: Sequence[int]) -> ViewerSets:
    n_zones, n_genres = len(lay.zones), len(domains.GENRES)
    members: list[list[int]] = [[] for _ in range((1 + n_genres) * n_zones + len(lay.countries))]
    for s in valid:
        z = lay.zone[s]
        members[z].append(s)
        for g in lay.genres[s]:
            members[(1 + g) * n_zones + z].append(s)
        members[(1 + n_genres) * n_zones + lay.country[s]].append(s)
    running = []
    for k, slots in enumerate(members):
        acc, out = 0, []
        for s in slots:
            acc += lay.day_weight[s] if k < (1 + n_genres) * n_zones else 1
            out.append(acc)
        running.append(tuple(out))
    per_country = [[0] * n_zones for _ in lay.countries]
    for s in valid:
        per_country[lay.country[s]][lay.zone[s]] += lay.expected[s]
    return ViewerSets(
        zones=n_zones,
        slots=tuple(tuple(m) for m in members),
        running=tuple(running),
        expected=tuple(sum(lay.expected[s] for s in m) for m in members[: (1 + n_genres) * n_zones]),
        country_expected=tuple(tuple(c) for c in per_country),
    )


def _cumulative(shares: Sequence[float]) -> tuple[int, ...]:
    """53-bit thresholds of a distribution's running shares (the last one 2**53)."""
    total, acc, out = sum(shares), 0.0, []
    for s in shares:
        acc += s
        out.append(round(acc / total * (1 << 53)))
    out[-1] = 1 << 53
    return tuple(out)


TIERS = tuple(domains.SUBSCRIPTION_TIER_SHARES)
TIER_BELOW = _cumulative(list(domains.SUBSCRIPTION_TIER_SHARES.values()))
"""53-bit thresholds of TIERS: a customer is on the first tier whose threshold its draw is below."""
MIN_AGE = int(domains.AGE_GROUPS[0].split("-")[0].rstrip("+"))
AGE_MODE, AGE_MAX = 33, 85
"""Ages are triangular from MIN_AGE to 85 with mode 33 (judgement: streaming skews to adults under 50)."""


def _age_group(birth: dt.date) -> str:
    age = REFERENCE_DATE.year - birth.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day))
    for group in domains.AGE_GROUPS:
        low, _, high = group.rstrip("+").partition("-")
        if int(low) <= age and (not high or age <= int(high)):
            return group
    raise ValueError(f"age {age} is outside every AGE_GROUPS range {domains.AGE_GROUPS}")


def _triangular(u: float, low: float, high: float, mode: float) -> float:
    """The u quantile of a triangular distribution."""
    c = (mode - low) / (high - low)
    if u < c:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def _pick(u53: int, below: tuple[int, ...]) -> int:
    for k, b in enumerate(below):
        if u53 < b:
            return k
    return len(below) - 1


def tier_of(tkey: int, index: int) -> str:
    """Customer `index`'s subscription tier (domains.SUBSCRIPTION_TIER_SHARES)."""
    return TIERS[_pick(draw(tkey, 4 * index) >> 11, TIER_BELOW)]


def traits(seed: int, count: int, index: int) -> dict:
    """Customer `index` (0-based) of `count`: the columns the world reads, as in its customers table row (customer_id,
    country, state, city, timezone, subscription_tier, age_group, preferred_genres), with its birth date,
    subscription days (since the epoch) and its layout slot."""
    if not 0 <= index < count:
        raise IndexError(f"customer index must be from 0 to {count - 1}, got {index}")
    lay = layout(seed)
    s = slot_of(layout_key(seed), index)
    metro = geography.METROS[lay.metro[s]]
    tkey = trait_key(seed)
    age = draw(tkey, 4 * index + 1)
    age_days = int(_triangular((age >> 11) / (1 << 53), MIN_AGE, AGE_MAX, AGE_MODE) * 365.2425)
    birth = REFERENCE_DATE - dt.timedelta(days=max(age_days, MIN_AGE * 366 + 1))
    start, end = subscription_days(seed, count, index)
    return {
        "customer_id": f"cust_{index + 1:06d}",
        "country": metro.country,
        "state": metro.state,
        "city": metro.city,
        "timezone": metro.timezone,
        "subscription_tier": tier_of(tkey, index),
        "age_group": _age_group(birth),
        "preferred_genres": json.dumps([domains.GENRES[g] for g in lay.genres[s]]),
        "date_of_birth": birth.isoformat(),
        "start_day": start,
        "end_day": end,
        "slot": s,
    }


def table_draws(seed: int, index: int) -> tuple[int, int]:
    """Customer `index`'s two draws of the table-only columns (gender, payment, channel, name picks)."""
    tkey = trait_key(seed)
    return draw(tkey, 4 * index + 2), draw(tkey, 4 * index + 3)


class Customers(Sequence[dict]):
    """A seed's `count` customers as a read-only sequence: item i is `traits(seed, count, i)`, made when asked (a
    few are kept), so the world holds no per-customer table whatever the count."""

    def __init__(self, seed: int, count: int) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"customers must be an int >= 1, got {count!r}")
        self.seed, self.count = seed, count
        self._kept: dict[int, dict] = {}

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> dict: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict]: ...
    def __getitem__(self, index: int | slice) -> dict | list[dict]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if index < 0:
            index += self.count
        hit = self._kept.get(index)
        if hit is None:
            if len(self._kept) >= 16_384:
                self._kept.clear()
            hit = self._kept[index] = traits(self.seed, self.count, index)
        return hit
