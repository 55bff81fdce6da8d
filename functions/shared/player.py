"""The player's story: start-up time, failed starts, exits before start, stalls, fatal errors and the bitrate ladder.

Calibrated against public QoE reports (docs/research/qoe-ads-incidents.md; each constant cites its figure, and
constants no public figure fixes are labelled judgement or derived). The world (`functions.shared.world`) reads
them as integer tables and per-viewer integers (`viewer_qoe`), the same in the generator Lambda and the compiled
backfill; docs/player.md describes the model. Lambda-safe: standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import NamedTuple

from functions.shared import domains, geography, plays
from functions.shared.calendar import DAY_WEIGHTS, HOUR_WEIGHTS, WEEK_WEIGHT, hour_offset, local_weight

CONNECTION_SHARES_BY_DEVICE: Mapping[str, Mapping[str, float]] = {
    "mobile": {"5g": 0.35, "4g": 0.30, "wifi": 0.35},
    "tablet": {"wifi": 0.80, "5g": 0.10, "4g": 0.10},
    "tv": {"fiber": 0.30, "cable": 0.35, "wifi": 0.20, "dsl": 0.15},
    "web": {"fiber": 0.25, "cable": 0.30, "wifi": 0.35, "dsl": 0.10},
}
"""How each device type connects; mobile networks get the customer's mobile address, the rest the home one."""
CELLULAR = geography.MOBILE_CONNECTIONS

# --- Start-up (attempt -> first frame) -------------------------------------------------------------------------
STARTUP_MEDIAN_MS: Mapping[str, int] = {"mobile": 2300, "web": 1700, "tv": 1900, "tablet": 2000}
"""Median start-up time by screen before the connection's factor. Band: median 1.5-3 s, p95 6-12 s (Wowza QoE
benchmarking thresholds; Conviva Q1 2022: Europe ~4 s average; Akamai 2017 OVSP survey 4.84 s average as an upper
bound). Order: consoles and sticks fastest, mobile slowest and most variable (Conviva Q4 2020 and Q3 2019, via
Consumer Electronics Daily and Advanced Television); mobile apps mostly above 2 s (Codavel)."""
STARTUP_CONNECTION_PERMILLE: Mapping[str, int] = {
    "fiber": 850, "cable": 950, "wifi": 1050, "dsl": 1350, "5g": 1000, "4g": 1400,
}  # fmt: skip
"""The connection's factor on the median (judgement: slower lines take longer to fill the first segments)."""
STARTUP_SIGMA = 0.7
"""Log-normal spread of start-up time: p95 about 3.2x the median (the band's 6-12 s p95 over a 1.5-3 s median)."""
STARTUP_TABLE_BITS = 12
MAX_STARTUP_MS = 60_000
"""No attempt waits longer (players time out; it also bounds a session's end, world.max_session_ms)."""


def _startup_table() -> tuple[int, ...]:
    """Slot s of 4096: the (s + 0.5) / 4096 quantile of the log-normal factor, in permille of the median."""
    size = 1 << STARTUP_TABLE_BITS
    normal = NormalDist()
    return tuple(round(1000 * math.exp(STARTUP_SIGMA * normal.inv_cdf((s + 0.5) / size))) for s in range(size))


STARTUP_PERMILLE = _startup_table()

# --- Failed starts (VSF) and exits before start (EBVS) ----------------------------------------------------------
FAIL_BITS = 20
"""Start failures and fatal errors compare a 20-bit draw with a threshold (probability * 2**20)."""
START_FAIL_PER_100K: Mapping[str, int] = {"mobile": 1000, "web": 600, "tv": 900, "tablet": 700}
"""Attempts that end on a fatal error before the first frame, per 100,000, by screen: VSF 0.78 % of attempts
(Conviva Q3 2019 via MarketingCharts), band 0.5-1.5 %; mobile and smart TVs at the top (Conviva Q4 2020: smartphones'
VSF +19 %; Q2 2022: smart TVs' VSF rose)."""
POOR_CONNECTION_PERMILLE = 1500
"""Start failures and fatal errors on domains.POOR_CONNECTIONS (DSL, 4G) are this much likelier (judgement)."""
EBVS_GRACE_MS = 2000
"""Nobody leaves before this wait: "viewers start abandoning after 2 s" (Krishnan & Sitaraman, Akamai 2012)."""
EBVS_PER_SECOND_PERMILLE: Mapping[str, int] = {"mobile": 26, "web": 32, "tv": 32, "tablet": 29}
"""Chance (permille) that a viewer gives up per second waited beyond the grace. Krishnan & Sitaraman (2012) measured
+5.8 % abandonment per extra second over 2012 networks; their slope, scaled by 0.55 (judgement), gives EBVS of about
3 % of attempts, the middle of the derived band 2-6 % (research doc §1a: no public EBVS share exists). Mobile viewers
were the most patient (same study)."""
EBVS_MAX_PERMILLE = 900
"""At most this share of a long wait's viewers leave (some wait out any start-up)."""
RATE_BITS = 24

START_ERROR_CODES = ("MANIFEST_LOAD_ERROR", "DRM_LICENSE_ERROR", "MEDIA_ERR_NETWORK", "PLAYER_TIMEOUT")
"""error_code of a start_failed (judgement: the failure classes players report before the first frame)."""
PLAYBACK_ERROR_CODES = ("MEDIA_ERR_DECODE", "MEDIA_ERR_NETWORK", "SEGMENT_LOAD_TIMEOUT", "APP_CRASH")
"""error_code of a fatal error after start."""

# --- Stalls ------------------------------------------------------------------------------------------------------
STALL_PRONE_PERMILLE: Mapping[bool, int] = {False: 260, True: 600}
"""Plays whose delivery stalls at all, keyed by `connection in POOR_CONNECTIONS` (judgement, set with the two below
so that 10-30 % of plays see a stall: Conviva 2014 Viewer Experience Report 26.9 % as an upper bound; TubeMogul
6.84 %; NPAW H1 2019 0.52 interruptions per VOD play)."""
STALLS_PER_PLAY_HOUR: Mapping[bool, float] = {False: 5.0, True: 8.0}
"""Stalls per hour of playback of a play that stalls at all."""
MEAN_STALL_SECONDS: Mapping[bool, float] = {False: 5.0, True: 9.0}
"""Mean stall length (uniform from half to one and a half times it). With the two above: rebuffering ratio near
0.4 % (Conviva Q3 2021: North America 0.19 %, all regions under 1 %; Conviva Q2 2018 0.78 % global; NPAW 2023-25
falling), band 0.15-0.8 %."""
MAX_STALLED_MS = 10 * 60_000
"""A play stalls for at most ten minutes in all (it bounds a session's end, world.max_session_ms)."""

# --- Fatal errors after start (VPF) ------------------------------------------------------------------------------
ERROR_PER_100K_STOPS: Mapping[str, int] = {"mobile": 1000, "web": 1500, "tv": 2300, "tablet": 1200}
"""Plays that would have stopped short which end on a fatal error instead, per 100,000, by screen. About 60 % of
plays stop short, so VPF is about 1 % of plays (NPAW H1 2019 and Mux 2018, research doc §5: VPF 0.5-2 %), set-top
and TV screens above phones (NPAW H1 2019: 0.181 errors per play on set-tops against 0.068 on smartphones). A play
that reaches the title's end does not fail (a modelling choice: the failure takes the place of the stop, so the
session's key still bounds its end)."""

# --- Bitrate: the ABR ladder -------------------------------------------------------------------------------------
LADDER_KBPS = (145, 365, 730, 1100, 2000, 3000, 4500, 6000, 7800, 11600, 15000)
"""Renditions (kbps): Apple's HLS authoring specification's H.264 ladder (416x234 at 145 up to 1920x1080 at 7800) and
two UHD rungs up to Netflix's 15 Mbps UHD connection guidance (derived)."""
RUNG_QUALITY = ("SD",) * 5 + ("HD",) * 4 + ("4K",) * 2
"""Quality of each rung: up to 540p SD, 720p and 1080p HD, 2160p 4K."""
DEVICE_MAX_QUALITY: Mapping[str, str] = {"mobile": "HD", "tablet": "HD", "web": "HD", "tv": "4K"}
"""Best quality a screen plays (derived: UHD needs a UHD screen and app; research doc §2a caps)."""
DEVICE_MAX_KBPS: Mapping[str, int] = {"mobile": 4500, "tablet": 6000, "web": 6000, "tv": 15000}
"""Top rung a screen plays: mobile to 720p, desktop and tablet to 1080p at 6000, TVs everything (research doc §2a)."""
CELLULAR_MAX_QUALITY = "SD"
"""Phones and tablets on 4G/5G stream SD: apps default to data-saving renditions on cellular (judgement; matches the
research doc's mobile band of 1.2-2.5 Mbps average bitrate)."""
THROUGHPUT_SAFETY_PERMILLE = 700
"""ABR plays the highest rung within this share of the measured throughput: ExoPlayer's AdaptiveTrackSelection
DEFAULT_BANDWIDTH_FRACTION is 0.7; dash.js's throughput rule applies its bandwidthSafetyFactor (0.9) to a smoothed
estimate."""
FIRST_RUNG_DROP = (1, 2, 2, 3)
"""Rungs below the top a play starts at, by draw D_PLAYER + 1's bits 46-47 (ABR starts cautiously: judgement, set
with SWITCH_DROP below)."""
SWITCH_DROP = (1, 1, 2, 2, 2, 3, 3, 3)
"""Rungs below the top a switch aims at, by its value draw's bits 32-34 (then a rung other than the current one).
Judgement, set with FIRST_RUNG_DROP so that TVs average inside local/bands.py's 3.5-6.5 Mbps whichever households a
seed draws: a ~1,000-customer world's time-weighted TV bitrate moves by +-0.6 Mbps with its few hundred heaviest
households; measured 5.2-6.4 Mbps over dimension seeds 42 and 43, world seeds 1 and 2, fortnights of 2025 and 2026."""
SWITCH_MEAN: Mapping[str, float] = {"mobile": 1.4, "web": 1.2, "tv": 1.1, "tablet": 1.2}
"""Mean bitrate switches per play (geometric, at most MAX_SWITCHES), at points uniform over the play. Assumption
(no public benchmark): 2-8 switches per hour of play, more on mobile (plays on phones are shorter)."""
MAX_SWITCHES = 6
SWITCH_TABLE_BITS = 10


def _switch_tables() -> tuple[tuple[int, ...], ...]:
    """Per device (domains.DEVICE_TYPES order), slot s of 1024 holds the (s + 0.5) / 1024 quantile of the count."""
    size = 1 << SWITCH_TABLE_BITS
    tables = []
    for device in domains.DEVICE_TYPES:
        mean = SWITCH_MEAN[device]
        p = mean / (1.0 + mean)
        table: list[int] = []
        k = 0
        while len(table) < size:
            cdf = 1.0 - p ** (k + 1) if k < MAX_SWITCHES else 1.0
            while len(table) < size and (len(table) + 0.5) / size < cdf:
                table.append(k)
            k += 1
        tables.append(tuple(table))
    return tuple(tables)


SWITCH_COUNTS = _switch_tables()


def max_quality(tier: str, device_type: str, connection: str, bandwidth_mbps: float) -> str:
    """Best of domains.QUALITY_ORDER the tier, the screen, the network and the bandwidth allow."""
    order = domains.QUALITY_ORDER
    caps = [domains.MAX_QUALITY_BY_TIER[tier], DEVICE_MAX_QUALITY[device_type]]
    if connection in CELLULAR:
        caps.append(CELLULAR_MAX_QUALITY)
    by_bandwidth = max(i for i, q in enumerate(order) if bandwidth_mbps >= domains.MIN_BANDWIDTH_MBPS_FOR_QUALITY[q])
    return order[min(by_bandwidth, *(order.index(c) for c in caps))]


def rungs(quality: str, device_type: str, bandwidth_mbps: float) -> tuple[int, int]:
    """(lowest, highest) ladder index a viewer's ABR moves between: the quality's rungs the screen plays, the top
    one the bandwidth carries, at least two rungs (and the lowest at most three below the top)."""
    own = [i for i, q in enumerate(RUNG_QUALITY) if q == quality and LADDER_KBPS[i] <= DEVICE_MAX_KBPS[device_type]]
    fits = [i for i in own if LADDER_KBPS[i] <= bandwidth_mbps * THROUGHPUT_SAFETY_PERMILLE]
    top = max(fits[-1] if fits else own[0], own[1])
    return max(own[0], top - 3), top


NEED10 = tuple(-(-kbps * 10 // THROUGHPUT_SAFETY_PERMILLE) for kbps in LADDER_KBPS)
"""The least throughput (tenths of Mbps) at which ABR plays each rung: its bitrate over the safety share."""
LEVEL_BITS = 16
"""Where in its rung's throughput band a session's level lies is a 16-bit fraction of a draw."""


def loaded_top(low: int, top: int, level10: int) -> int:
    """The top rung ABR reaches on a throughput of `level10` (tenths of Mbps): the highest that fits it, keeping at
    least two rungs (low and the one above)."""
    while top > low + 1 and NEED10[top] > level10:
        top -= 1
    return top


def rung_level(rung: int, top: int, own_top: int, base10: int, fraction: int) -> int:
    """The session's throughput level (tenths of Mbps) while ABR plays `rung` of a ladder topped at `top`: below the
    top, a point (`fraction`, 16 bits) of the band where that rung is the highest that fits, [NEED10[rung],
    NEED10[rung + 1]); at the top, the session's line (`base10`), at least the top's need and, when congestion or
    load has lowered the top below the viewer's own (`own_top`), under the next rung's need."""
    if rung < top:
        return NEED10[rung] + (((NEED10[rung + 1] - NEED10[rung]) * fraction) >> LEVEL_BITS)
    level = base10 if base10 > NEED10[top] else NEED10[top]
    if top < own_top and level >= NEED10[top + 1]:
        level = NEED10[top + 1] - 1
    return level


def congested_top(low: int, top: int, permille: int) -> int:
    """The top rung ABR may pick when congestion caps the bitrate at `permille` of the usual top's: the highest rung
    within the cap, keeping at least two rungs (low and the one above)."""
    cap = LADDER_KBPS[top] * permille
    while top > low + 1 and LADDER_KBPS[top] * 1000 > cap:
        top -= 1
    return top


# --- Load: the local prime-time peak ---------------------------------------------------------------------------
PEAK_LOAD_PERMILLE = max(HOUR_WEIGHTS) * max(DAY_WEIGHTS) * 168_000 // WEEK_WEIGHT
"""The busiest local hour's start rate, permille of a zone's weekly mean hour (calendar.py: about 2.9x)."""
THROUGHPUT_PEAK_DROP_PERMILLE = 100
"""Throughput a session sees is this much lower at the busiest local hour, in proportion to the hour's load below
it. FCC Measuring Broadband America (2011): in the weeknight peak period (7-11 pm) most ISPs still delivered 80 %
or more of advertised speeds, with "modest performance declines" against the 24-hour average; Netflix ISP Speed
Index prime-time drops of 0.4-0.75 Mbps on one ISP month to month (Jan 2019). The 10 % is judgement within those."""
STARTUP_PEAK_RISE_PERMILLE = 150
"""Start-up is this much longer at the busiest local hour, in proportion to the hour's load. Judgement (no public
start-up-by-hour figure found): a start-up is mostly fetching the manifest, licence and first segments, so the
throughput drop above makes it about 11 % longer, plus queueing at busy servers."""


def hour_load(tz_name: str, epoch_hour: int) -> int:
    """A zone's load in a UTC hour: its local hour's start-rate weight, permille of its weekly mean hour (the
    intensity World.starts gives an hour plan of that zone alone)."""
    return local_weight((epoch_hour * 60 + hour_offset(tz_name, epoch_hour)) // 60) * 168_000 // WEEK_WEIGHT


def startup_load_permille(load: int) -> int:
    """The factor (permille) on start-up time at a load (permille of the mean hour)."""
    return 1000 + STARTUP_PEAK_RISE_PERMILLE * load // PEAK_LOAD_PERMILLE


def load_factors(tz_name: str, epoch_hour: int) -> tuple[int, int]:
    """(start-up, throughput) permille factors of a session whose viewer lives in `tz_name`, started in a UTC hour."""
    load = hour_load(tz_name, epoch_hour)
    return startup_load_permille(load), 1000 - THROUGHPUT_PEAK_DROP_PERMILLE * load // PEAK_LOAD_PERMILLE


class ViewerQoE(NamedTuple):
    """A viewer's player figures as the world reads them (integers, the same on both sides)."""

    startup_ms: int
    """Median start-up time."""
    fail_below: int
    """A start fails when its 20-bit draw is below this."""
    ebvs_slope: int
    """Chance per ms waited beyond EBVS_GRACE_MS that the viewer leaves, in units of 2**-24."""
    prone_below: int
    """A play stalls at all when its 16-bit draw is below this."""
    stall_rate: int
    """Stalls per played second of a play that stalls, in units of 2**-24."""
    stall_mean_ms: int
    error_below: int
    """A play that stops short ends on a fatal error instead when its 20-bit draw is below this."""
    rung_low: int
    rung_top: int


def viewer_qoe(device_type: str, connection: str, quality: str, bandwidth_mbps: float) -> ViewerQoE:
    poor = connection in domains.POOR_CONNECTIONS
    factor = POOR_CONNECTION_PERMILLE if poor else 1000
    low, top = rungs(quality, device_type, bandwidth_mbps)
    return ViewerQoE(
        STARTUP_MEDIAN_MS[device_type] * STARTUP_CONNECTION_PERMILLE[connection] // 1000,
        START_FAIL_PER_100K[device_type] * factor * (1 << FAIL_BITS) // 100_000_000,
        round(EBVS_PER_SECOND_PERMILLE[device_type] * (1 << RATE_BITS) / 1_000_000),
        STALL_PRONE_PERMILLE[poor] * (1 << 16) // 1000,
        round(STALLS_PER_PLAY_HOUR[poor] / 3600 * (1 << RATE_BITS)),
        round(MEAN_STALL_SECONDS[poor] * 1000),
        ERROR_PER_100K_STOPS[device_type] * factor * (1 << FAIL_BITS) // 100_000_000,
        low,
        top,
    )


def mean_startup_load_permille() -> int:
    """The start-up load factor of an average attempt: load_factors' over a week's local hours, each weighed by its
    starts (calendar.local_weight)."""
    weights = [local_weight(h) for h in range(168)]
    factors = [startup_load_permille(w * 168_000 // WEEK_WEIGHT) for w in weights]
    return round(sum(w * f for w, f in zip(weights, factors, strict=True)) / sum(weights))


def expected_unstarted_share() -> float:
    """Expected share of attempts that end before the first frame (VSF + EBVS) over the world's screens and networks
    (without incidents; the load's factor on start-up at its mean): what the world's plan needs to turn events per 5
    minutes into session starts."""
    total = 0.0
    load = mean_startup_load_permille()
    for device, share in plays.DEVICE_PLAY_SHARES.items():
        for connection, c_share in CONNECTION_SHARES_BY_DEVICE[device].items():
            q = viewer_qoe(device, connection, "HD", 50.0)
            q = q._replace(startup_ms=q.startup_ms * load // 1000)
            fail = q.fail_below / (1 << FAIL_BITS)
            ebvs = 0.0
            for permille in STARTUP_PERMILLE:
                wait = min(MAX_STARTUP_MS, q.startup_ms * permille // 1000) - EBVS_GRACE_MS
                if wait > 0:
                    ebvs += min(EBVS_MAX_PERMILLE * (1 << RATE_BITS) // 1000, wait * q.ebvs_slope) / (1 << RATE_BITS)
            ebvs /= len(STARTUP_PERMILLE)
            total += share / 64 * c_share * (fail + (1 - fail) * ebvs)
    return total


UNSTARTED_SHARE = expected_unstarted_share()
MEAN_SWITCHES = sum(
    share / 64 * sum(SWITCH_COUNTS[i]) / len(SWITCH_COUNTS[i])
    for i, share in enumerate(plays.DEVICE_PLAY_SHARES.values())
)
"""Mean bitrate switches per started play over the world's screens."""
