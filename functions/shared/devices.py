"""Each household's screens: how many of each type it owns, and which of them a play is on.

A household (customer) owns one to a few TVs, a phone per adult, maybe a laptop (web) and a tablet: counts drawn
from a digest of its customer id, by its country's market (MARKET_OF_COUNTRY) and its plan (premium households
own more TVs, the ad tier fewer). Each owned screen is one device (`device_id` from customer id, type and index).
A household spends its viewing time on its own screens in its market's proportions (Conviva's shares of viewing
time by region), tilted by its plan, and never on a type it does not own; `table` turns that into 64
equally likely entries per household, read by the session key's 6-bit screen field (world.py), so a play's
screen is one of its viewer's own devices and the world's device mix by time follows the audience's markets.
Lambda-safe: standard library only; world.py, the generator and the compiled backfill read the same integers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

from functions.shared import domains, plays

TYPES: tuple[str, ...] = tuple(domains.DEVICE_TYPES)
"""Device types in index order (domains.DEVICE_TYPES: mobile, web, tv, tablet)."""
MOBILE, WEB, TV, TABLET = (TYPES.index(t) for t in ("mobile", "web", "tv", "tablet"))
TABLE_SIZE = 1 << plays.DEVICE_BITS
"""Entries of a household's screen table: one per value of the session key's screen field."""

MARKET_OF_COUNTRY: Mapping[str, str] = {
    "US": "north_america", "CA": "north_america",
    "GB": "europe", "DE": "europe", "FR": "europe", "ES": "europe", "IT": "europe", "NL": "europe",
    "SE": "europe", "PL": "europe",
    "AU": "oceania", "NZ": "oceania",
    "BR": "latin_america", "MX": "latin_america", "AR": "latin_america", "CO": "latin_america",
    "IN": "asia", "ID": "asia", "PH": "asia", "TH": "asia", "VN": "asia",
}  # fmt: skip
"""Conviva's reporting regions of the countries a customers table may hold; any other country is 'global'."""

TIME_SHARES: Mapping[str, tuple[float, float, float, float]] = {
    "north_america": (8.0, 5.0, 83.0, 3.0),
    "europe": (15.0, 10.0, 68.0, 7.0),
    "oceania": (12.0, 8.0, 75.0, 5.0),
    "latin_america": (16.0, 12.0, 70.0, 2.0),
    "asia": (50.0, 18.0, 27.0, 5.0),
    "global": (11.0, 7.0, 77.0, 5.0),
}
"""Share of viewing time (%) on mobile, web, tv, tablet by market. Conviva State of Streaming Q4 2021: North America
big screens 83 %, mobile 8, desktop 5, tablet 3; South America 70 / 16 / 12 / 2; Asia big screens 27 % (14 % in Q3
2021); Europe big screens 68 % (Conviva Q4 2021 State of Streaming: Europe, via TVBEurope and Advanced Television).
Global 77 / 11 / 7 / 5 (Conviva Q1 2022, local.bands CONVIVA_Q1_2022). Judgement: Europe's and Asia's small screens
split in the global proportions (Asia mostly phones: Conviva Q1 2021, mobile and desktop 84 % of Asia's viewing);
Oceania (no regional figure read) between the global and Europe's."""

TV_COUNTS: Mapping[str, tuple[float, float, float, float]] = {
    "north_america": (0.03, 0.47, 0.33, 0.17),
    "europe": (0.05, 0.55, 0.28, 0.12),
    "oceania": (0.04, 0.52, 0.30, 0.14),
    "latin_america": (0.06, 0.60, 0.26, 0.08),
    "asia": (0.35, 0.50, 0.12, 0.03),
    "global": (0.05, 0.52, 0.29, 0.14),
}
"""P(0, 1, 2, 3 streaming TVs) by market. Judgement: about 96 % of US homes have a TV set (Nielsen's TV-household
universe) and most have more than one set, of which fewer stream; in India about 70 % of households have a TV
(BARC's ~210 million TV homes of ~300 million households), so an Asian subscriber household often has none."""
PHONE_COUNTS: tuple[float, ...] = (0.35, 0.45, 0.14, 0.06)
"""P(1, 2, 3, 4 phones): one per adult who streams on it (judgement: 2.5 persons per US household, US Census 2020;
Pew Research 2021: 85 % of US adults own a smartphone). Every household has at least one."""
TABLET_OWNED: Mapping[str, float] = {
    "north_america": 0.50, "europe": 0.45, "oceania": 0.50, "latin_america": 0.25, "asia": 0.20, "global": 0.40,
}  # fmt: skip
"""P(a tablet): Pew Research 2021, 53 % of US adults own a tablet; elsewhere judgement (fewer in emerging markets)."""
WEB_OWNED = (0.25, 0.55, 0.20)
"""P(0, 1, 2 laptops or desktops that stream in a browser): Pew Research 2021, 77 % of US adults own one
(judgement: the same everywhere, a second one in a fifth of households)."""

TIER_TV_SHIFT: Mapping[str, float] = {"free_with_ads": -0.2, "basic": -0.1, "standard": 0.0, "premium": 0.3}
"""Chance that a plan adds a TV (premium: 4 streams and 4K are bought for several big screens) or, negative, drops
one (the ad tier and basic skew to younger, single-screen households). Judgement; a premium household has a TV."""
TIER_TILT: Mapping[str, tuple[float, float, float, float]] = {
    "free_with_ads": (1.6, 1.3, 0.85, 1.1),
    "basic": (1.25, 1.1, 0.95, 1.0),
    "standard": (1.0, 1.0, 1.0, 1.0),
    "premium": (0.85, 0.9, 1.0, 1.0),
}
"""Multipliers on a household's time on mobile, web, tv, tablet by plan (judgement: cheaper plans cap at 720p or
HD and are bought for phones, as Netflix's mobile-only plans in India show; premium's 4K is for TVs). Applied
relative to their mean over domains.SUBSCRIPTION_TIER_SHARES (`_TILT`), so a market's mix of plans keeps its
TIME_SHARES."""
TV_WEIGHTS = (1.0, 0.5, 0.5)
"""Within a household, the main TV takes twice the time of each other TV (judgement); phones, laptops and tablets
share their type's time equally."""
MINUTES_PER_PLAY: tuple[float, ...] = tuple(
    time / plays.DEVICE_PLAY_SHARES[t] for t, time in zip(TYPES, TIME_SHARES["global"], strict=True)
)
"""Relative minutes per play of each type, from the calibration of plays.DEVICE_PLAY_SHARES (the global shares of
plays that give Conviva's global shares of time with plays.py's lengths): time share / play share."""

SALT = "devices"

_TILT: Mapping[str, tuple[float, ...]] = {
    tier: tuple(
        x / sum(domains.SUBSCRIPTION_TIER_SHARES[t] * TIER_TILT[t][i] for t in TIER_TILT) for i, x in enumerate(tilt)
    )
    for tier, tilt in TIER_TILT.items()
}


def market(country: str) -> str:
    """The market (MARKET_OF_COUNTRY's region, else 'global') of an ISO country code."""
    return MARKET_OF_COUNTRY.get(country, "global")


def _pick(weights: Sequence[float], u: float) -> int:
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        if u < acc:
            return i
    return len(weights) - 1


def _units(customer_id: str) -> list[float]:
    digest = hashlib.blake2b(f"{customer_id}|{SALT}".encode(), digest_size=24).digest()
    return [int.from_bytes(digest[i : i + 4], "big") / 4_294_967_296 for i in range(0, 24, 4)]


def owned(customer_id: str, country: str, tier: str) -> tuple[int, int, int, int]:
    """How many screens of each type (mobile, web, tv, tablet) a household owns: a pure function of its id,
    country and plan (subscription_tier)."""
    m = market(country)
    u = _units(customer_id)
    tvs = _pick(TV_COUNTS[m], u[0])
    shift = TIER_TV_SHIFT.get(tier, 0.0)
    if shift > 0 and tvs < len(TV_COUNTS[m]) - 1 and u[1] < shift:
        tvs += 1
    elif shift < 0 and tvs > 0 and u[1] < -shift:
        tvs -= 1
    if tier == "premium":
        tvs = max(1, tvs)
    phones = 1 + _pick(PHONE_COUNTS, u[2])
    tablets = 1 if u[3] < TABLET_OWNED[m] else 0
    webs = _pick(WEB_OWNED, u[4])
    counts = [0, 0, 0, 0]
    counts[MOBILE], counts[WEB], counts[TV], counts[TABLET] = phones, webs, tvs, tablets
    return counts[0], counts[1], counts[2], counts[3]


def _reach(n: int) -> float:
    """How a type's time grows with the household's screens of it (judgement: a second TV or phone adds viewing,
    less than the first)."""
    return math.sqrt(n)


def _expected_reach(m: str) -> tuple[float, float, float, float]:
    """Mean _reach of each type's count over a market's households (before the plan's shift)."""
    tv = sum(p * _reach(n) for n, p in enumerate(TV_COUNTS[m]))
    phone = sum(p * _reach(n + 1) for n, p in enumerate(PHONE_COUNTS))
    web = sum(p * _reach(n) for n, p in enumerate(WEB_OWNED))
    out = [0.0, 0.0, 0.0, 0.0]
    out[MOBILE], out[WEB], out[TV], out[TABLET] = phone, web, tv, TABLET_OWNED[m]
    return out[0], out[1], out[2], out[3]


INTENSITY: Mapping[str, tuple[float, ...]] = {
    m: tuple(s / r for s, r in zip(shares, _expected_reach(m), strict=True)) for m, shares in TIME_SHARES.items()
}
"""Per market, time per unit of _reach of each type: so that over a market's households the shares of time come
out near TIME_SHARES (each household's own mix is its owned screens' intensities, normalised)."""


def time_shares(counts: Sequence[int], country: str, tier: str) -> tuple[float, ...]:
    """A household's share of viewing time on each type (sums to 1; 0 on a type it does not own)."""
    m = market(country)
    tilt = _TILT.get(tier, _TILT["standard"])
    raw = [INTENSITY[m][t] * tilt[t] * _reach(n) if n else 0.0 for t, n in enumerate(counts)]
    total = sum(raw)
    return tuple(r / total for r in raw)


def table(counts: Sequence[int], country: str, tier: str) -> tuple[int, ...]:
    """The household's 64-entry screen table: each entry a device slot (slots in type order, then index), a slot
    taking a share of entries proportional to its plays (time / MINUTES_PER_PLAY), each owned device at least one."""
    shares = time_shares(counts, country, tier)
    weights: list[float] = []
    for t, n in enumerate(counts):
        within = TV_WEIGHTS[:n] if t == TV else (1.0,) * n
        plays_t = shares[t] / MINUTES_PER_PLAY[t]
        weights.extend(plays_t * w / sum(within) for w in within)
    total = sum(weights)
    ideal = [w / total * TABLE_SIZE for w in weights]
    sizes = [max(1, math.floor(x)) for x in ideal]
    while sum(sizes) > TABLE_SIZE:  # the at-least-one rule took entries: give back from the largest
        sizes[max(range(len(sizes)), key=lambda i: (sizes[i] - ideal[i], sizes[i]))] -= 1
    while sum(sizes) < TABLE_SIZE:  # largest remainders first, ties to the lower slot
        sizes[max(range(len(sizes)), key=lambda i: (ideal[i] - sizes[i], -i))] += 1
    return tuple(slot for slot, size in enumerate(sizes) for _ in range(size))


MAX_DEVICES = 16
"""Device keys are customer * MAX_DEVICES + the device's slot in its household, in the generator and the backfill (a
household owns at most 4 phones, 2 browsers, 3 TVs and a tablet)."""


class _Column:
    """Per device key, one of Households' answers (indexable as a tuple is)."""

    def __init__(self, households: Households, field: int) -> None:
        self._households, self._field = households, field

    def __getitem__(self, key: int) -> int:
        return self._households.slot(key)[self._field]


class Households:
    """Every household's devices, made when a play first needs them (`table`, keys by stride): what the generator
    and the backfill read, whatever the number of customers. Device key k is slot k % MAX_DEVICES of customer
    k // MAX_DEVICES (slots in type order, then index)."""

    def __init__(self, customers: Sequence[Mapping]) -> None:
        self.customers = customers
        self._tables: dict[tuple, tuple[int, ...]] = {}
        self._kept: dict[int, tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = {}
        self.type = _Column(self, 0)
        """Per device key, its type (an index into TYPES)."""
        self.index = _Column(self, 1)
        """Per device key, its index among its household's devices of its type."""
        self.customer = _Column(self, 2)
        """Per device key, its customer."""

    def of(self, customer: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
        """(screen table, (type, index) per slot) of a household."""
        hit = self._kept.get(customer)
        if hit is None:
            if len(self._kept) >= 65_536:
                self._kept.clear()
            row = self.customers[customer]
            country, tier = row["country"], row["subscription_tier"]
            counts = owned(row["customer_id"], country, tier)
            key = (market(country), tier, counts)
            screens = self._tables.get(key)
            if screens is None:
                screens = self._tables[key] = table(counts, country, tier)
            hit = self._kept[customer] = (screens, tuple((t, i) for t, n in enumerate(counts) for i in range(n)))
        return hit

    def device(self, customer: int, field: int) -> int:
        """The device key a play of `customer` with the key's screen field `field` is on (kernel.device_of's twin)."""
        return customer * MAX_DEVICES + self.of(customer)[0][field]

    def slot(self, key: int) -> tuple[int, int, int]:
        """(type, index, customer) of a device key."""
        customer, slot = divmod(key, MAX_DEVICES)
        kind, index = self.of(customer)[1][slot]
        return kind, index, customer
