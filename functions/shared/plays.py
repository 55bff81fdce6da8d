"""How a play unfolds: which screen it is on, how long it runs, whether it reaches the end.

Calibrated against public figures (each constant cites its own); the world (`functions.shared.world`) reads these
as integer tables, the same in the generator Lambda and the compiled backfill. A play's screen and its end type
and length are bit fields of its session key (world.py: the key layout), so one draw bounds its end.
Lambda-safe: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

from functions.shared import domains

DEVICE_BITS = 6
"""A session key's screen field: one of 64 equally likely entries of the viewer's household screen table
(devices.py); DEVICE_TABLE is the world-wide mix those tables are calibrated against."""

DEVICE_PLAY_SHARES: Mapping[str, int] = {"mobile": 17, "web": 4, "tv": 39, "tablet": 4}
"""Plays per device type out of 64. Set so that, with each screen's play lengths below, TVs carry about 77 % of
viewing time, mobile 11 %, desktop 7 % and tablets 5 % (Conviva State of Streaming Q1 2022, via MarketingCharts:
big screens 77 % globally, mobile 11, desktop 7, tablet 5): phones take a quarter of plays but short ones."""
assert sum(DEVICE_PLAY_SHARES.values()) == 1 << DEVICE_BITS
assert tuple(DEVICE_PLAY_SHARES) == tuple(domains.DEVICE_TYPES), "device indexes follow domains.DEVICE_TYPES"

DEVICE_TABLE: tuple[int, ...] = tuple(
    i for i, share in enumerate(DEVICE_PLAY_SHARES.values()) for _ in range(share)
)  # fmt: skip
"""Device index (into domains.DEVICE_TYPES) of each of 64 equally likely plays of the world-wide mix."""

SAMPLING_SHARE: Mapping[str, float] = {"mobile": 0.3, "web": 0.15, "tv": 0.15, "tablet": 0.2}
SAMPLING_REACH = 0.02
STOP_EXPONENT: Mapping[str, float] = {"mobile": 10.0, "web": 4.5, "tv": 4.0, "tablet": 5.0}
"""A play that stops before the end is a sampling play (SAMPLING_SHARE of stops: a look at a title, under 2 % of
what is left of it) or runs u**a of the rest of the title (u uniform: most stop early, a few run long). Calibrated,
with COMPLETE_SHARE, to Conviva's minutes per play: 28.7 on TVs and 8.6 on mobile (Q4 2020, via Display Daily),
20.8 over all screens (Q2 2022, via Next TV); Netflix counts a "starter" only after two minutes, so plays shorter
than that are common (Netflix's letter to the UK parliament, 2018)."""

COMPLETE_SHARE: Mapping[str, float] = {"movie": 0.2, "series": 0.65, "documentary": 0.25}
"""Share of plays on a TV that reach the end, by title type: an episode fits one sitting and binge viewing runs
episode into episode, a two-hour film is often left or finished another day (Digital i, 2024: 53-78 % of
households finished the season's big Netflix films over any number of sittings; per play it is far lower)."""
COMPLETE_SCALE: Mapping[str, float] = {"mobile": 0.2, "web": 0.8, "tv": 1.0, "tablet": 0.7}
"""COMPLETE_SHARE on other screens, relative to a TV's (phones watch in short bursts, Conviva Q4 2020)."""

COMPLETE_BITS = 10
FRACTION_BITS = 32
STOP_TABLE_BITS = 8
"""The stopped play's length is a 32-bit fraction u: its top 8 bits pick a segment of STOP_FRACTION, the low 24
interpolate within it, so the key's 8 coarse bits bound it from both sides."""


def _stop_fraction(device: str) -> tuple[int, ...]:
    """Q(i / 256) as 32-bit fractions, i = 0..256: segment ends of the stopped play's quantile function Q, linear
    up to SAMPLING_REACH over the sampling share, a power law over the rest."""
    size = 1 << STOP_TABLE_BITS
    share, exponent = SAMPLING_SHARE[device], STOP_EXPONENT[device]

    def quantile(u: float) -> float:
        if u < share:
            return SAMPLING_REACH * u / share
        return SAMPLING_REACH + (1.0 - SAMPLING_REACH) * ((u - share) / (1.0 - share)) ** exponent

    return tuple(round(quantile(i / size) * (1 << FRACTION_BITS)) for i in range(size + 1))


STOP_FRACTION: tuple[tuple[int, ...], ...] = tuple(_stop_fraction(d) for d in domains.DEVICE_TYPES)
"""Per device index: 257 segment ends of the fraction of the rest of the title a stopped play runs."""

TITLE_TYPE_INDEX: Mapping[str, int] = {t: i for i, t in enumerate(domains.TITLE_TYPES)}
COMPLETE_BELOW: tuple[int, ...] = tuple(
    round(COMPLETE_SHARE[t] * COMPLETE_SCALE[d] * (1 << COMPLETE_BITS))
    for d in domains.DEVICE_TYPES
    for t in domains.TITLE_TYPES
)  # fmt: skip
"""A play on device d of a title of type t ends in `complete` when its key's 10-bit end field is below entry
d * len(TITLE_TYPES) + t."""


def stopped_fraction(device: int, u: int) -> int:
    """The 32-bit fraction of the rest of the title a stopped play runs, from a 32-bit uniform u."""
    table = STOP_FRACTION[device]
    i = u >> 24
    return table[i] + (((table[i + 1] - table[i]) * (u & 0xFFFFFF)) >> 24)


COMPLETE_BELOW_ANY: tuple[int, ...] = tuple(
    max(COMPLETE_BELOW[d * len(domains.TITLE_TYPES) + t] for d in range(len(domains.DEVICE_TYPES)))
    for t in range(len(domains.TITLE_TYPES))
)  # fmt: skip
"""Per title type, the largest COMPLETE_BELOW over the screens: a key whose end field is at or above it stops
before the end on any screen (the key's end bound before its viewer and screen are drawn)."""
STOP_FRACTION_ANY: tuple[int, ...] = tuple(max(column) for column in zip(*STOP_FRACTION, strict=True))
"""Per segment end, the largest STOP_FRACTION over the screens: a stopped play runs at most this on any screen."""
