"""Seeded incidents: what goes wrong in the world, when and for whom, a pure function of the world seed and time.

Each UTC week (Monday 00:00 to Monday 00:00) has its own incidents, drawn from a stream keyed by the seed and the
week alone, so any window of time sees the same incidents however it is cut. Four kinds, sized from the dated public
examples of docs/research/qoe-ads-incidents.md §4a (each band's source sits next to it; bands with no public figure
are labelled judgement):

- ``isp_outage``: one home ISP of one country, sometimes one state of it, fails for hours in the local morning or
  evening: start attempts fail, plays in progress end on errors.
- ``cdn_degradation``: a country's delivery slows at local prime time: slow starts, stalls, some failures.
- ``app_crash``: one app version on one OS crashes at launch and mid-play until it is rolled back.
- ``live_surge``: a live event draws a country's viewers in the evening: more starts, slower, with more stalls.

An incident scales, for sessions whose attempt time is in [start_ms, end_ms) and whose viewer matches every non-None
scope field, the start-up time, start failure probability, stall rate, fatal error rate and (live_surge) the number
of session starts by its permille factors; overlapping incidents multiply. docs/incidents.md describes the model.
Lambda-safe: standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from functions.shared import domains, geography
from functions.shared.calendar import utc_offset_at

INCIDENT_TYPES = ("isp_outage", "cdn_degradation", "app_crash", "live_surge")
SEVERITIES = ("minor", "major", "critical")

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
_MONDAY_EPOCH_DAY = 4
"""1970-01-05 was the first Monday after the epoch: weeks run Monday 00:00 UTC to Monday 00:00 UTC."""

UNCHANGED = 1000
"""A permille factor that leaves its quantity as it is."""


@dataclass(frozen=True)
class Band:
    """An inclusive range a seeded value is drawn from, uniformly."""

    low: int
    high: int

    def pick(self, unit: float) -> int:
        return self.low + min(int(unit * (self.high - self.low + 1)), self.high - self.low)

    def position(self, value: int) -> float:
        """Where `value` lies in the band, 0 at its low end and 1 at its high end."""
        return (value - self.low) / (self.high - self.low) if self.high > self.low else 1.0


@dataclass(frozen=True)
class Sizing:
    """How one incident type is drawn: how many a week, how long, and its effect factors (permille)."""

    per_week: Band
    duration_min: Band
    local_start_hours: tuple[int, ...] | None
    """Local hours (of the scope's main time zone) an incident may start in; None: any hour of the week, UTC."""
    startup: Band
    start_fail: Band
    stall: Band
    error: Band
    volume: Band
    bitrate: Band
    """The most the rendition bitrate may be in scope, permille of the viewer's own top rung (player.congested_top):
    congestion caps what ABR can pick."""
    primary: str
    """The factor whose place in its band sets the severity."""


_NONE = Band(UNCHANGED, UNCHANGED)

SIZING: Mapping[str, Sizing] = {
    # Comcast Xfinity, 9 Nov 2021: from ~07:00 CT, "resolving" by 10:00 CT, restored by evening (3-4 h main outage),
    # several metros of one ISP (Chicago Tribune; Fierce; Light Reading). Research §4a sizing: 1-4 h, morning or
    # evening; of the remaining attempts VSF x10-30; plays in progress end on errors. The error factor takes the
    # same band (judgement); start-up x1.5-2.5 (timeouts and retries) and stalls x2-4 are judgement.
    "isp_outage": Sizing(
        per_week=Band(1, 2),  # judgement: "a few incidents a week" in all
        duration_min=Band(60, 240),
        local_start_hours=(6, 7, 8, 9, 17, 18, 19, 20),
        startup=Band(1500, 2500),
        start_fail=Band(10_000, 30_000),
        stall=Band(2000, 4000),
        error=Band(10_000, 30_000),
        volume=_NONE,
        bitrate=_NONE,  # judgement: a failing line fails plays rather than thinning them
        primary="start_fail",
    ),
    # Fastly, 8 Jun 2021: 09:58 -> 10:57 UTC (~1 h) then degraded cache-hit ratio (RapidTV; ThousandEyes via
    # Advanced Television). Research §4a sizing for prime-time degradation: 1-3 h inside 19:00-23:00 local, VST x2-3,
    # rebuffering x3-10, VSF x3-5, bitrate -30-60 % (the 2014 peering congestion took Netflix's prime-time averages
    # down 50-70 % on the ISPs concerned: Netflix ISP Speed Index via HotHardware). Fatal errors after start x1.5-3
    # is judgement (the 503s that fail starts also cut plays short).
    "cdn_degradation": Sizing(
        per_week=Band(1, 2),  # judgement
        duration_min=Band(60, 180),
        local_start_hours=(19, 20, 21),  # starts 19:00-21:59 so that most of it falls before 23:00
        startup=Band(2000, 3000),
        start_fail=Band(3000, 5000),
        stall=Band(3000, 10_000),
        error=Band(1500, 3000),
        volume=_NONE,
        bitrate=Band(400, 700),
        primary="stall",
    ),
    # Facebook iOS SDK, 6 May 2020 (repeat 10 Jul 2020): iOS apps crash on every launch, Android unaffected, fixed
    # after 2-3+ h (Spotify ~2 h) (ZDNet; 9to5Mac). Research §4a sizing: 2-6 h until rollback, VSF/VPF on that OS
    # 20-100 %. Against a baseline VSF near 0.8 % (Conviva Q3 2019) that is x25-125; the band stops at x100 (about
    # 80 %: some launches get through). Fatal errors after start x20-60 from a ~1 % VPF baseline (NPAW H1 2019,
    # research §5) is the same reading.
    "app_crash": Sizing(
        per_week=Band(1, 1),  # judgement
        duration_min=Band(120, 360),
        local_start_hours=None,
        startup=_NONE,
        start_fail=Band(25_000, 100_000),
        stall=_NONE,
        error=Band(20_000, 60_000),
        volume=_NONE,
        bitrate=_NONE,  # a crash is not congestion
        primary="start_fail",
    ),
    # Netflix, Paul vs Tyson, 15 Nov 2024: 60 M households, 65 M concurrent streams; reports from 20:12 ET, peak
    # 22:45 ET, ~4.5 h show; complaints 86 % buffering/low resolution, 10 % server connection (Front Office Sports;
    # Wowza). Research §4a sizing: 2-5 h, VST x2, rebuffering x3-8, EBVS x2, attempts x5-20 at the start *of the
    # event's audience*. The factor here scales a whole country's session starts, most of whom do not watch the
    # event, so it is derived: 60 M of Netflix's ~90 M UCAN households watching at once is 2-3 times a normal peak
    # hour's share (judgement), hence x1.5-3. Start failures x1.5-3 (the 10 % "server connection" complaints) and
    # fatal errors x1.5-2.5 are judgement; bitrate -30-50 % is the research's sizing (86 % of complaints were
    # buffering or low resolution).
    "live_surge": Sizing(
        per_week=Band(0, 1),  # judgement: a headline live event every other week
        duration_min=Band(120, 300),
        local_start_hours=(19, 20, 21),
        startup=Band(1500, 2500),
        start_fail=Band(1500, 3000),
        stall=Band(3000, 8000),
        error=Band(1500, 2500),
        volume=Band(1500, 3000),
        bitrate=Band(500, 700),
        primary="volume",
    ),
}
assert tuple(SIZING) == INCIDENT_TYPES

MAX_DURATION_MS = max(s.duration_min.high for s in SIZING.values()) * 60_000
MAX_VOLUME_PERMILLE = max(s.volume.high for s in SIZING.values())
"""The most any incident multiplies a scope's session starts by (permille): what a tick's volume must allow."""

ISP_OUTAGE_STATE_SHARE = 0.5
"""Share of ISP outages confined to one state or region of their country (judgement: the Comcast outage hit some
metros and not others, the Rogers one a whole country)."""

APP_PLATFORMS = ("mobile", "tablet", "tv")
"""Device types that run the app store builds a release crash ships in (a web player has no app release)."""

_APP_OS: tuple[str, ...] = tuple(dict.fromkeys(os for d in APP_PLATFORMS for os in domains.DEVICE_OS[d]))


@dataclass(frozen=True)
class Incident:
    """One seeded incident: its window, scope, severity and effect factors (permille, 1000 = unchanged)."""

    incident_id: str
    incident_type: str
    start_ms: int
    """Epoch ms, inclusive."""
    end_ms: int
    """Epoch ms, exclusive."""
    severity: str
    country: str | None
    state: str | None
    isp: str | None
    device_os: str | None
    app_version: str | None
    startup_permille: int
    start_fail_permille: int
    stall_permille: int
    error_permille: int
    volume_permille: int
    bitrate_permille: int
    """The cap on the rendition bitrate in scope, permille of the viewer's top rung (1000: no cap)."""
    description: str

    def in_scope(
        self,
        t0_ms: int,
        country: str | None = None,
        state: str | None = None,
        isp: str | None = None,
        device_os: str | None = None,
        app_version: str | None = None,
    ) -> bool:
        """Whether a session attempted at `t0_ms` by a viewer with these attributes is in this incident."""
        return (
            self.start_ms <= t0_ms < self.end_ms
            and (self.country is None or self.country == country)
            and (self.state is None or self.state == state)
            and (self.isp is None or self.isp == isp)
            and (self.device_os is None or self.device_os == device_os)
            and (self.app_version is None or self.app_version == app_version)
        )


def week_of(epoch_ms: int) -> int:
    """The index of the Monday-to-Monday UTC week holding `epoch_ms`."""
    return (epoch_ms - _MONDAY_EPOCH_DAY * DAY_MS) // WEEK_MS


def week_start_ms(week: int) -> int:
    return _MONDAY_EPOCH_DAY * DAY_MS + week * WEEK_MS


class _Draws:
    """Uniform numbers in [0, 1) from one keyed stream (blake2b of the key and a counter)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.buffer = b""
        self.block = 0

    def unit(self) -> float:
        if len(self.buffer) < 4:
            self.buffer += hashlib.blake2b(f"{self.key}|{self.block}".encode(), digest_size=64).digest()
            self.block += 1
        value, self.buffer = int.from_bytes(self.buffer[:4], "big"), self.buffer[4:]
        return value / 4_294_967_296

    def index(self, weights: Sequence[float]) -> int:
        """An index into `weights`, each picked in proportion to its weight."""
        unit, total, acc = self.unit(), sum(weights), 0.0
        for i, weight in enumerate(weights):
            acc += weight / total
            if unit < acc:
                return i
        return len(weights) - 1

    def pick(self, items: Sequence[str], weights: Sequence[float] | None = None) -> str:
        return items[self.index(weights if weights is not None else (1.0,) * len(items))]


def _main_metro(country: str) -> geography.Metro:
    return max(geography.METROS_BY_COUNTRY[country], key=lambda m: m.weight)


def _utc_ms(tz: str, local_minute: int) -> int:
    """The UTC epoch ms of a local wall-clock minute (minutes since the local epoch) in zone `tz`."""
    guess = local_minute - utc_offset_at(tz, local_minute)
    return (local_minute - utc_offset_at(tz, guess)) * 60_000


def _severity(sizing: Sizing, factors: Mapping[str, int]) -> str:
    place = getattr(sizing, sizing.primary).position(factors[sizing.primary])
    return SEVERITIES[min(int(place * len(SEVERITIES)), len(SEVERITIES) - 1)]


def _country(draws: _Draws) -> str:
    return draws.pick(tuple(geography.COUNTRY_SHARES), tuple(geography.COUNTRY_SHARES.values()))


def _draw_one(seed: int, week: int, incident_type: str, k: int) -> Incident:
    draws = _Draws(f"incident|{seed}|{week}|{incident_type}|{k}")
    sizing = SIZING[incident_type]
    country = state = isp = device_os = app_version = None
    tz = "UTC"
    if incident_type == "app_crash":
        device_type = draws.pick(APP_PLATFORMS, tuple(domains.DEVICE_TYPES[d] for d in APP_PLATFORMS))
        device_os = draws.pick(domains.DEVICE_OS[device_type])
        app_version = draws.pick(domains.APP_VERSIONS)
    else:
        country = _country(draws)
        metro = _main_metro(country)
        if incident_type == "isp_outage":
            shares = geography.HOME_ISPS[country]
            isp = draws.pick(tuple(shares), tuple(shares.values()))
            if draws.unit() < ISP_OUTAGE_STATE_SHARE:
                metros = geography.METROS_BY_COUNTRY[country]
                metro = metros[draws.index(tuple(m.weight for m in metros))]
                state = metro.state
        tz = metro.timezone
    day = min(int(draws.unit() * 7), 6)
    minute_in_hour = min(int(draws.unit() * 60), 59)
    if sizing.local_start_hours is None:
        start_ms = (
            week_start_ms(week) + (day * 24 + min(int(draws.unit() * 24), 23)) * HOUR_MS + minute_in_hour * 60_000
        )
    else:
        hour = sizing.local_start_hours[draws.index((1.0,) * len(sizing.local_start_hours))]
        local_minute = (week_start_ms(week) // 60_000) + (day * 24 + hour) * 60 + minute_in_hour
        start_ms = _utc_ms(tz, local_minute)
    end_ms = start_ms + sizing.duration_min.pick(draws.unit()) * 60_000
    factors = {
        name: getattr(sizing, name).pick(draws.unit()) for name in ("startup", "start_fail", "stall", "error", "volume")
    }
    bitrate = sizing.bitrate.pick(draws.unit())  # drawn last: the other factors are those of the draws before it
    severity = _severity(sizing, factors)
    incident_id = "inc_" + hashlib.blake2b(draws.key.encode(), digest_size=8).hexdigest()
    return Incident(
        incident_id=incident_id,
        incident_type=incident_type,
        start_ms=start_ms,
        end_ms=end_ms,
        severity=severity,
        country=country,
        state=state,
        isp=isp,
        device_os=device_os,
        app_version=app_version,
        startup_permille=factors["startup"],
        start_fail_permille=factors["start_fail"],
        stall_permille=factors["stall"],
        error_permille=factors["error"],
        volume_permille=factors["volume"],
        bitrate_permille=bitrate,
        description=_describe(
            incident_type, country, state, isp, device_os, app_version, factors | {"bitrate": bitrate}
        ),
    )


def _times(permille: int) -> str:
    return f"x{permille / 1000:g}"


def _describe(
    incident_type: str,
    country: str | None,
    state: str | None,
    isp: str | None,
    device_os: str | None,
    app_version: str | None,
    f: Mapping[str, int],
) -> str:
    where = f"{country}-{state}" if state else country
    if incident_type == "isp_outage":
        return (
            f"{isp} outage in {where}: start failures {_times(f['start_fail'])}, fatal errors {_times(f['error'])}, "
            f"start-up {_times(f['startup'])}, stalls {_times(f['stall'])}"
        )
    if incident_type == "cdn_degradation":
        return (
            f"CDN degradation at prime time in {where}: start-up {_times(f['startup'])}, stalls "
            f"{_times(f['stall'])}, start failures {_times(f['start_fail'])}, fatal errors {_times(f['error'])}, "
            f"bitrate at most {_times(f['bitrate'])} of the usual top"
        )
    if incident_type == "app_crash":
        return (
            f"App {app_version} on {device_os} crashes until rolled back: start failures {_times(f['start_fail'])}, "
            f"fatal errors {_times(f['error'])}"
        )
    return (
        f"Live event surge in {where}: session starts {_times(f['volume'])}, start-up {_times(f['startup'])}, "
        f"stalls {_times(f['stall'])}, start failures {_times(f['start_fail'])}, bitrate at most "
        f"{_times(f['bitrate'])} of the usual top"
    )


@lru_cache(maxsize=256)
def incidents_of_week(seed: int, week: int) -> tuple[Incident, ...]:
    """The incidents drawn for one UTC week (their windows may spill a few hours into the next or previous one)."""
    found = []
    for incident_type in INCIDENT_TYPES:
        sizing = SIZING[incident_type]
        count = sizing.per_week.pick(_Draws(f"count|{seed}|{week}|{incident_type}").unit())
        found.extend(_draw_one(seed, week, incident_type, k) for k in range(count))
    return tuple(found)


_SPILL_WEEKS = 1
"""Weeks either side whose incidents may reach into a window: local times shift starts by at most a day (UTC±14 h)
and no incident lasts longer than MAX_DURATION_MS, both well under a week."""


def incidents_between(seed: int, start_ms: int, end_ms: int) -> tuple[Incident, ...]:
    """Incidents overlapping [start_ms, end_ms), by start: a pure function of seed and time."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if end_ms <= start_ms:
        return ()
    found = [
        incident
        for week in range(week_of(start_ms) - _SPILL_WEEKS, week_of(end_ms - 1) + _SPILL_WEEKS + 1)
        for incident in incidents_of_week(seed, week)
        if incident.start_ms < end_ms and incident.end_ms > start_ms
    ]
    return tuple(sorted(found, key=lambda i: (i.start_ms, i.incident_id)))
