"""The world: when sessions start and how each unfolds, a pure function of time and one seed.

Both the generator Lambda (pure Python) and the backfill (numpy) read this module, and both must produce the
same values bit for bit, so the model is built only from things the two compute identically:

- a counter-based generator: `draw(key, n)` is SplitMix64's output function applied to `key + n * GAMMA`
  (mod 2**64), so any draw of any session is available without drawing the ones before it, in Python ints
  and in numpy uint64 alike;
- integer arithmetic on the draws' bit fields (`(bits * n) >> width` picks one of n), integer milliseconds,
  and float `+ - * /` only where both sides round the same way (IEEE 754 does);
- lookup tables (pause counts, pause lengths) computed here once, with `math`, and shared as plain ints.

Time is cut into slots of SLOT_MS. How many sessions start in a slot, and each one's key, depend only on the
world seed and the slot's index; everything about a session depends only on its key. A window of time
[t0, t1) therefore holds exactly the events, with timestamps in it, of the sessions that start in the slots
from t0 - max_session_ms to t1: whoever observes it, in whatever pieces.

The start rate follows the local clock (calendar.py) of the hour's viewers: the customers subscribed that day
who watch on their viewing day (households.py), each zone at the offset it has in that hour, by the zones' expected
weights (people.py: customers per index, never a table); it is scaled so that a week's mean is `batch_size` events
per RATE_PERIOD_MS. A session's viewer is drawn by rejection through the customers' layout (World.pick_customer).
What is played comes from the day's title draw (catalogue.py) and how it is played from the session key's screen,
end and span fields (plays.py). The key's layout (the *_SHIFT and *_BITS below) is the one definition the generator
and the compiled backfill both read; docs/audience.md describes the whole model. Lambda-safe: the standard library
and mimesis (the layer; through `dimensions`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import NamedTuple

from functions.shared import ads, binge, devices, domains, households, incidents, people, player, plays
from functions.shared.calendar import (
    DAY_WEIGHTS,
    HOUR_WEIGHTS,
    WEEK_WEIGHT,
    WEEKEND,
    WEEKEND_HOUR_WEIGHTS,
    hour_offset,
    local_weight,
    utc_offset_at,
)
from functions.shared.catalogue import Catalogue, DayTitles, epoch_day  # noqa: F401  (re-exported)

__all__ = [
    "DAY_WEIGHTS",
    "HOUR_WEIGHTS",
    "WEEKEND",
    "WEEKEND_HOUR_WEIGHTS",
    "WEEK_WEIGHT",
    "Catalogue",
    "DayTitles",
    "World",
    "hour_offset",
    "local_weight",
    "utc_offset_at",
]
from functions.shared.dimensions import Dimensions
from functions.shared.splitmix import GAMMA, M64, MIX_1, MIX_2, draw, mix64  # all also re-exported

WORLD_SALT = 0x5EED_7E1E_3E72_C0DE
"""Mixed into the world seed so seed 0 is as good a world as any other."""

ADS_SALT = 0xAD5_0FDA_7D15_C0DE
"""Mixed into the world key for the viewer-days' deals of campaigns."""

SURGE_SALT = 0x5E6E_E7A0_5C0F_E5A1
"""Mixed into a slot's key for the count draws of its live surges' extra candidates (surge_counts)."""

DEFAULT_WORLD_SEED = 1
MAX_WORLD_SEED = (1 << 63) - 1
"""World seeds are non-negative 63-bit integers (fit a signed 64-bit config value)."""

SLOT_MS = 60_000
"""Session starts are enumerated per UTC minute."""
RATE_PERIOD_MS = 300_000
"""batch_size is the mean number of events per this much time (five minutes) over a week."""

MAX_PAUSES = 12
"""Cap on pause/resume pairs in a session; P(k > 12) = 0.44**13 < 0.003 %."""
MIN_PAUSE_MS = 1000
MAX_PAUSE_MS = 15 * 60_000
"""One pause lasts 1 s to 15 min (exponential of mean domains.MEAN_PAUSE_SECONDS, cut off: 0.06 % are longer)."""
MAX_PAUSED_MS = 30 * 60_000
"""A session's pauses add up to at most half an hour, which bounds how long a session lasts (and so the look-back)."""
RESUMED_SESSION_SHARE = 0.3
"""Share of sessions that start mid-title (continue watching) rather than at 0."""
RESUMED_MAX_PERMILLE = 600
"""A resumed session starts at most 60 % into the title."""
JITTER_PERMILLE = (850, 300)
"""An event's bandwidth is the viewer's times [0.85, 1.15), kept inside the viewer's quality band."""

# The draw layout, the one definition the generator (functions/generator/events.py) and the compiled backfill
# (lakewriter/backfill/kernel.py) both read. A session's key is itself its shape draw: bit fields, high to low, of
# its start within the slot (coarse), its screen (an entry of its household's devices.Households table), its title, its
# pause count, its end type, and the coarse parts of its resume point and of its span, so that one draw bounds the
# session's end on any screen and most sessions of a window's look-back cost one mix to reject. Draw D_FINE holds
# the fine parts, D_VIEWER the viewer (its household; the screen field then names the household's device),
# then the pauses, the session id and three per event.
START_BITS, DEVICE_BITS, TITLE_BITS, PAUSE_TABLE_BITS, COARSE_BITS = 6, plays.DEVICE_BITS, 16, 10, 8
COMPLETE_BITS = plays.COMPLETE_BITS
SPAN_SHIFT = 0
RESUME_SHIFT = SPAN_SHIFT + COARSE_BITS
END_SHIFT = RESUME_SHIFT + COARSE_BITS
PAUSE_SHIFT = END_SHIFT + COMPLETE_BITS
TITLE_SHIFT = PAUSE_SHIFT + PAUSE_TABLE_BITS
DEVICE_SHIFT = TITLE_SHIFT + TITLE_BITS
START_SHIFT = DEVICE_SHIFT + DEVICE_BITS
assert START_SHIFT + START_BITS == 64, "the key's fields fill its 64 bits"
START_STEPS = 1 << START_BITS
"""The coarse start is one of this many equal steps of a slot."""
FINE_BITS = 24
"""The resume point and the span are 32-bit fractions: COARSE_BITS from the key, FINE_BITS from draw 1 (bits 40-63
the resume point's, 16-39 the span's)."""
START_FINE_BITS = 16
"""The start within the slot is a (START_BITS + 16)-bit fraction of SLOT_MS; its last 16 bits are draw 1's 0-15."""
START_FRACTION_BITS = START_BITS + START_FINE_BITS
MAX_TITLES = 1 << TITLE_BITS
"""A world's catalog holds at most this many titles (the key's title field)."""
D_FINE, D_VIEWER, D_PAUSE = 1, 2, 3
D_SESSION_ID = D_PAUSE + MAX_PAUSES
D_EVENT = D_SESSION_ID + 2
"""Event i uses draws D_EVENT + 3i (event id, high half), + 3i + 1 (low half), + 3i + 2 (its values)."""
EVENT_DRAWS = 3
MAX_SWITCHES = player.MAX_SWITCHES
MAX_EVENTS = 2 * MAX_PAUSES + 2 + MAX_SWITCHES
"""Most events a session has: start, a pause and a resume per pair, its bitrate switches, one end."""
D_PLAYER = D_EVENT + EVENT_DRAWS * MAX_EVENTS
"""The player's two draws (after every event's). D_PLAYER: bits 0-11 the start-up quantile, 12-31 the start failure,
32-55 leaving before the start, 56-63 where in the wait they leave (56-57: a failed start's error code).
D_PLAYER + 1: bits 0-9 the switch count, 10-25 whether the play stalls at all, 26-45 a fatal error, 46-47 the first
rung, 48-49 the error code."""
D_SWITCH = D_PLAYER + 2
"""Switch j's playhead point is draw D_SWITCH + j's top 32 bits (a fraction of the span)."""
D_CHAIN = D_SWITCH + MAX_SWITCHES
"""A binge chain's draws (binge.py): D_CHAIN's bits 16(j-1).. take step j; draw D_CHAIN + j is link j's key, which
is a session key of its own (its pause count, end type and span fields and all its draws; its device, title, start
and resume point are the chain's: the first's screen, the next episode, after the countdown, from the start)."""
D_AD = D_CHAIN + 1 + binge.MAX_AUTOPLAY
"""Ad breaks' draws (after the binge chain's), AD_DRAWS per break k of a play (ads.play_breaks order): D_AD + k *
AD_DRAWS its pod size, + 1 + i ad ordinal i's completion and length (its bits 48-55 the ad events' bandwidth
reading), + 1 + MAX_POD + 4i and + 1 its ad_start's id, + 2 and + 3 its ad_complete's: the content events keep
their draws, and so their ids and values."""
AD_DRAWS = 1 + 5 * ads.MAX_POD
MAX_QOE_MS = player.MAX_STARTUP_MS + player.MAX_STALLED_MS + MAX_SWITCHES
"""The most a session's start-up, stalls and switch events (1 ms each) add to its end beyond its span and pauses."""
EVENT_KINDS: tuple[str, ...] = tuple(domains.EVENT_TYPES)
"""Event types by code, the generator's and the compiled kernel's."""
START, PAUSE, RESUME, STOP, COMPLETE, START_FAILED, EXIT, SWITCH, ERROR = (
    EVENT_KINDS.index(t)
    for t in (
        "start",
        "pause",
        "resume",
        "stop",
        "complete",
        "start_failed",
        "exit_before_start",
        "bitrate_change",
        "error",
    )
)

FIELD_BITS = 24
"""Width of the viewer draw's and its tries' zone and slot fields."""
RESUMED_THRESHOLD = round(RESUMED_SESSION_SHARE * (1 << 32))
PAUSE_LENGTH_BITS = 12
PAUSE_FRACTION_BITS = 20
RATE_BITS = 24
"""Per-second rates (stalls, errors) are integers in units of 2**-24, and each event adds a 24-bit uniform."""


def per_second_rate(per_hour: float) -> int:
    """A rate per hour of playback as the fixed-point per-second rate events accrue by."""
    return round(per_hour / 3600 * (1 << RATE_BITS))


def world_key(seed: int) -> int:
    """The key every slot's draws derive from."""
    return mix64((seed ^ WORLD_SALT) & M64)


def check_world_seed(name: str, value: object) -> int:
    """`value` if it is a valid world seed, else ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WORLD_SEED:
        raise ValueError(f"{name} must be an integer from 0 to {MAX_WORLD_SEED} (2**63 - 1), got {value!r}")
    return value


def check_batch_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= domains.MAX_BATCH_SIZE:
        raise ValueError(
            f"{name} must be an integer from 1 to {domains.MAX_BATCH_SIZE:,} (mean events per 5 minutes), got {value!r}"
        )
    return value


def _pause_count_table() -> tuple[int, ...]:
    """Slot s of 1024 holds the (s + 0.5) / 1024 quantile of the geometric pause count, capped at MAX_PAUSES."""
    p = domains.PAUSES_PER_SESSION_MEAN / (1.0 + domains.PAUSES_PER_SESSION_MEAN)
    size = 1 << PAUSE_TABLE_BITS
    table: list[int] = []
    k, cdf = 0, 0.0
    while len(table) < size:
        cdf = 1.0 - p ** (k + 1) if k < MAX_PAUSES else 1.0
        while len(table) < size and (len(table) + 0.5) / size < cdf:
            table.append(k)
        k += 1
    return tuple(table)


def _pause_length_table() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(low, high) ms of each of 4096 equally likely bins of the pause length; a length is uniform within its bin."""
    size = 1 << PAUSE_LENGTH_BITS
    mean_ms = domains.MEAN_PAUSE_SECONDS * 1000.0

    def quantile(q: float) -> int:
        return min(MAX_PAUSE_MS, MIN_PAUSE_MS + int(-mean_ms * math.log1p(-q)))

    edges = [quantile(i / size) for i in range(size)] + [min(MAX_PAUSE_MS, quantile((size - 1) / size) + int(mean_ms))]
    return tuple(edges[:-1]), tuple(edges[1:])


PAUSE_COUNTS = _pause_count_table()
PAUSE_REACH_MS = tuple(min(k * MAX_PAUSE_MS, MAX_PAUSED_MS) + 2 * k + 1 + MAX_QOE_MS for k in PAUSE_COUNTS)
"""Per value of a session key's 10-bit pause-count field: the most its pauses, start-up, stalls and switches (and
1 ms per event) add to its end beyond its span (the key's end bound, in the generator and the admission pass)."""
PAUSE_LOW_MS, PAUSE_HIGH_MS = _pause_length_table()
LINK_REACH_MS = binge.COUNTDOWN_MAX_MS + max(PAUSE_REACH_MS)
"""The most a binge link adds to a chain's end beyond its episode's length: its countdown, pauses, start-up, stalls."""
EVENTS_PER_PLAY = 2.0 + 2.0 * sum(PAUSE_COUNTS) / len(PAUSE_COUNTS) + player.MEAN_SWITCHES
"""Mean events of a session that starts: start, a pause and a resume per pair (PAUSE_COUNTS), its switches, one end."""
AD_EVENTS_PER_SESSION = 2.8
"""Mean ad events (ad_start, ad_complete) per session, over all sessions (ad tiers or not, binge links included),
with households' own screens, binge chains and 1,500 campaigns, the week from 2026-11-02, seed 1
(bench/calibrate_audience.hours_and_events): 2.81 on the default world (23,400 customers at batchSize 1,000), 2.91
on 585 customers at 25, 2.51 on 2,400 at 41 (worlds differ in their ad-tier households' screens and campaigns);
3.0 before devices and chains. tests/functions/test_ad_events.py holds three days within 15 %. A world with far
fewer campaigns fills fewer breaks, so carries fewer (docs/ads.md)."""
EVENTS_PER_SESSION = (1.0 - player.UNSTARTED_SHARE) * EVENTS_PER_PLAY + player.UNSTARTED_SHARE + AD_EVENTS_PER_SESSION
"""Mean events of a session: an attempt that ends before the first frame has one (player.UNSTARTED_SHARE); the ads
of its breaks add AD_EVENTS_PER_SESSION."""


def uuid4_text(hi: int, lo: int) -> str:
    """Two 64-bit draws as an RFC 4122 version-4 UUID string (version and variant bits set, 122 drawn)."""
    h = f"{(hi & 0xFFFFFFFFFFFF0FFF) | 0x4000:016x}{(lo & 0x3FFFFFFFFFFFFFFF) | 0x8000000000000000:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class HourPlan(NamedTuple):
    """The starts of every slot in one UTC hour: how many, and who starts them (pick_customer)."""

    whole: int
    """Every slot has at least this many starts..."""
    threshold: int
    """...and one more when its count draw's top 53 bits are below this (the rate's fractional part * 2**53)."""
    cumulative: tuple[int, ...]
    """Per zone (people.Layout.zones order), the running total of its slots' day weights (a whole block's, or the
    partial block's when no whole one is signed up) times its local hour's weight: each try of a session's viewer
    draw proposes a zone by it (empty: nobody can watch)."""
    day: int
    """The UTC day (since the epoch): a viewer is subscribed on it."""
    blocks: int
    """Whole blocks of ids (people.BLOCK) some of whose sign-up windows start by the day (people.signed_up)..."""
    tail: bool
    """...and whether the last, partial block of ids is among them too: the blocks a viewer is drawn in."""
    viewing_days: tuple[int, ...]
    """Per zone, the viewing day (households.viewing_day) of its local time in this hour."""
    day_keys: tuple[int, ...]
    """Per zone, the key of its viewing day's watching draws (draw(active key, viewing day))."""
    rate: float
    """Mean session starts per slot in this hour."""
    titles: DayTitles
    """The hour's day's title draw (catalogue.Catalogue.on)."""
    by_genre: tuple[tuple[int, ...], ...]
    """Per genre (domains.GENRES), `cumulative` of the zones' slots that list it in preferred_genres."""
    admitted: float = 1.0
    """Share of this hour's candidate starts a device and the plan's stream limit admit (households.admitted_share
    at the hour's load): `rate` is the played rate divided by it."""
    scoped: tuple[tuple[str, int], ...] = ()
    """Per scope (a country) of the live surges overlapping the hour (World.surge_scopes): its viewers' expected
    weight in the hour as a share of everyone's, on `cumulative`'s scale (weight / cumulative[-1] is the scope's share
    of the candidates). A surge's extra candidates are the scope's subscribers that day, each as likely
    (World.slot_surges)."""


def surge_rates(rate: float, total: int, surges: tuple[tuple[str, int, int], ...]) -> list[float]:
    """Mean extra candidates per slot of each live surge under way, from the slot's candidate rate, its viewers'
    total weight and per surge (its scope, volume_permille, its scope's viewers' weight): the factor less one of the
    scope's share of the rate, times the factors of the surges before it on the same scope (overlapping incidents
    multiply). The generator and the backfill both call this, so their floats are the same."""
    rates, before = [], {}
    for scope, volume, weight in surges:
        prior = before.get(scope, 1000)
        rates.append(rate * weight / total * (volume - 1000) / 1000 * prior / 1000 if total else 0.0)
        before[scope] = prior * volume // 1000
    return rates


def surge_counts(slot_key: int, rates: list[float]) -> list[int]:
    """How many extra candidates each live surge adds to a slot (key `slot_key`): its rate's whole part, one more
    when its count draw's top 53 bits are below the fractional part * 2**53."""
    key = slot_key ^ SURGE_SALT
    counts = []
    for k, r in enumerate(rates):
        whole = math.floor(r)
        counts.append(whole + ((draw(key, k) >> 11) < int((r - whole) * (1 << 53))))
    return counts


class World:
    """One world: its seed, its audience and catalog, and its volume.

    `customers` are the dimension seed's customers (people.Customers: made per index when asked, never a table),
    each of whom watches from the day their subscription starts until the day it ends; `title_seconds` the titles'
    durations in table order.
    """

    def __init__(self, seed: int, dims: Dimensions, batch_size: int = domains.DEFAULT_BATCH_SIZE) -> None:
        self.seed = check_world_seed("worldSeed", seed)
        self.batch_size = check_batch_size("batchSize", batch_size)
        self.key = world_key(seed)
        self.dims = dims
        if dims.lifecycle is None:
            raise ValueError("the world reads generated customers (dims.lifecycle: seed and count), not rows by hand")
        if not dims.titles:
            raise ValueError("dims must hold at least one customer and one title")
        dimension_seed, count = dims.lifecycle
        self.count = count
        """How many customers the world has (the customers table's rows)."""
        self.customers = people.Customers(dimension_seed, count)
        self.layout = people.layout(dimension_seed)
        """The customers' layout slots (people.py): their zones, countries, propensities and genres."""
        self.sets = people.viewer_sets(dimension_seed)
        """The layout's proposal sets (a whole block's slots)."""
        self.tail = people.tail_sets(dimension_seed, count)
        """The proposal sets of the last, partial block's slots."""
        zone_sets = (1 + len(domains.GENRES)) * self.sets.zones
        self._full_weight = tuple(r[-1] if r else 0 for r in self.sets.running[:zone_sets])
        self._tail_weight = tuple(r[-1] if r else 0 for r in self.tail.running[:zone_sets])
        self._lkey = people.layout_key(dimension_seed)
        self._skey = people.subscription_key(dimension_seed)
        self._affine: dict[int, tuple[int, int]] = {}
        """Per block drawn in, its permutation's (inverse multiplier, offset) (people.position)."""
        self._spans: dict[int, tuple[int, int]] = {}
        """Per customer drawn, its subscription days (a bounded cache)."""
        if len(dims.titles) > MAX_TITLES:
            raise ValueError(
                f"titleCount must be at most {MAX_TITLES:,} for the world's title draw, got {len(dims.titles):,}"
            )
        self.title_seconds = [int(t["duration_minutes"]) * 60 for t in dims.titles]
        unknown = {t["title_type"] for t in dims.titles} - set(plays.TITLE_TYPE_INDEX)
        if unknown:
            raise ValueError(f"title_type must be one of {list(plays.TITLE_TYPE_INDEX)}, got {sorted(unknown)}")
        self.title_types = [plays.TITLE_TYPE_INDEX[t["title_type"]] for t in dims.titles]
        """Each title's index in domains.TITLE_TYPES."""
        self.catalogue = Catalogue(dims.titles, SLOT_MS, LINK_REACH_MS, player.UNSTARTED_SHARE)
        self.max_session_ms = self.catalogue.longest_ms() + MAX_PAUSED_MS + 2 * MAX_PAUSES + 1 + MAX_QOE_MS
        """No session, with the binge chain it starts, lasts longer: the longest title played through with its ad
        breaks (and its longest chain's), every pause, the longest start-up and stalls, 1 ms per event."""
        if self.max_session_ms >= 86_400_000:
            raise ValueError("duration_minutes must keep every session under a day (a title of at most 23 hours)")
        density = households.subscriber_hours(batch_size, count)
        self.exclusive = density <= households.HOURS_PER_SUBSCRIBER_BAND[1]
        """Whether a device plays one session at a time and a household within its plan (concurrency.py): in every
        world whose audience can carry its volume (its subscribers stream at most the band's hours a day); a world
        with too few customers for its batchSize plays every candidate, and its households overlap."""
        self.density = density
        """Mean hours a subscriber streams a day (households.subscriber_hours)."""
        self.admitted_share = households.admitted_share(density) if self.exclusive else 1.0
        """Share of candidate sessions played over a week (households.ADMITTED_SHARES); each hour's own follows its
        load (HourPlan.admitted)."""
        self.played_per_slot = batch_size * (SLOT_MS / RATE_PERIOD_MS) / EVENTS_PER_SESSION
        """Mean played sessions (with binge chains' autoplayed episodes) per slot over a week."""
        self.sessions_per_slot = self.played_per_slot / self.admitted_share
        """Mean candidate session starts per slot over a week (about admitted_share of them are played)."""
        self._active_key = mix64(self.key ^ households.ACTIVE_SALT)
        self.devices = devices.Households(self.customers)
        """Each household's devices (devices.py), made when a play first needs them: a play's screen is one of its
        viewer's."""
        self._hours: dict[int, HourPlan] = {}
        self._weeks: dict[int, tuple[incidents.Incident, ...]] = {}
        self.ads_key = mix64(self.key ^ ADS_SALT)
        """The key of the viewer-days' deals of campaigns (ads.deal_draw)."""
        self.follow_key = mix64(self.key ^ binge.FOLLOW_SALT)
        """The key of the households' following of series (binge.followed_title)."""

    def incidents(self, start_ms: int, end_ms: int) -> tuple[incidents.Incident, ...]:
        """The world's incidents overlapping [start_ms, end_ms), by start (incidents.incidents_between, cached)."""
        found: dict[str, incidents.Incident] = {}
        spill = incidents._SPILL_WEEKS
        for week in range(
            incidents.week_of(start_ms) - spill, incidents.week_of(max(start_ms, end_ms - 1)) + spill + 1
        ):
            hit = self._weeks.get(week)
            if hit is None:
                if len(self._weeks) > 64:
                    self._weeks.clear()
                hit = self._weeks[week] = incidents.incidents_of_week(self.seed, week)
            for incident in hit:
                if incident.start_ms < end_ms and incident.end_ms > start_ms:
                    found[incident.incident_id] = incident
        return tuple(sorted(found.values(), key=lambda i: (i.start_ms, i.incident_id)))

    def surges_at(self, slot: int) -> list[incidents.Incident]:
        """The live surges (incidents with a volume_permille) under way at a slot's start, by start."""
        at = slot * SLOT_MS
        return [i for i in self.incidents(at, at + 1) if i.volume_permille != 1000]

    def surge_scopes(self, epoch_hour: int) -> tuple[str, ...]:
        """The scopes (countries) of the live surges overlapping a UTC hour, in order of their first surge."""
        scopes: dict[str, None] = {}
        for i in self.incidents(epoch_hour * 3_600_000, (epoch_hour + 1) * 3_600_000):
            if i.volume_permille != 1000:
                if i.country is None or (i.state, i.isp, i.device_os, i.app_version) != (None,) * 4:
                    raise ValueError(f"a live surge's scope must be one country, got {i.incident_id}")
                scopes[i.country] = None
        return tuple(scopes)

    def slot_surges(self, slot: int, plan: HourPlan) -> tuple[tuple[int, str], ...]:
        """The extra candidates of a slot's live surges, after its own (plan.whole and plan.threshold's): per surge
        under way at its start, how many (surge_counts) and its scope (a country, whose subscribers start them)."""
        if not plan.scoped:  # no surge overlaps the hour (the common case, answered without a look-up)
            return ()
        surges = self.surges_at(slot)
        if not surges:
            return ()
        counts = surge_counts(draw(self.key, slot), self._surge_rates(plan, surges))
        return tuple((n, i.country or "") for n, i in zip(counts, surges, strict=True))

    @staticmethod
    def _surge_rates(plan: HourPlan, surges: list[incidents.Incident]) -> list[float]:
        weights = dict(plan.scoped)
        total = plan.cumulative[-1] if plan.cumulative else 0
        return surge_rates(
            plan.rate, total, tuple((i.country or "", i.volume_permille, weights[i.country or ""]) for i in surges)
        )

    def hour(self, epoch_hour: int) -> HourPlan:
        """The start plan of one UTC hour (hours since the epoch): O(zones x genres), whatever the audience."""
        hit = self._hours.get(epoch_hour)
        if hit is None:
            if len(self._hours) > 512:
                self._hours.clear()
            hit = self._hours[epoch_hour] = self._plan(epoch_hour)
        return hit

    def _plan(self, epoch_hour: int) -> HourPlan:
        day = epoch_hour // 24
        titles = self.catalogue.on(day)
        sets, zones = self.sets, self.layout.zones
        n = sets.zones
        offsets = [hour_offset(tz, epoch_hour) for tz in zones]
        locals_ = [local_weight((epoch_hour * 60 + off) // 60) for off in offsets]
        viewing_days = tuple(households.viewing_day(epoch_hour * 60 + off) for off in offsets)
        signed = -(-people.signed_up(self.count, day) // people.BLOCK)
        blocks = min(signed, self.count // people.BLOCK)
        tail = signed > blocks
        cumulative: tuple[int, ...] = ()
        by_genre: tuple[tuple[int, ...], ...] = ((),) * len(domains.GENRES)
        total = weight_total = 0
        if titles.title and signed:  # someone has signed up and something is released
            # Who is proposed: a zone by its slots' day weights (a whole block's, or the partial block's when no
            # whole one is signed up) times its local hour's weight, then a block and a slot (pick_customer).
            proposal = self._full_weight if blocks else self._tail_weight
            cumulative = tuple(itertools.accumulate(proposal[z] * locals_[z] for z in range(n)))
            by_genre = tuple(
                tuple(itertools.accumulate(proposal[(1 + g) * n + z] * locals_[z] for z in range(n)))
                for g in range(len(domains.GENRES))
            )
            # The hour's rate follows the expected weight of who watches: its zones' times their local hours'.
            expected = self._expected(blocks, tail)
            total = sum(expected[z] * locals_[z] for z in range(n))
            weight_total = sum(expected[:n])
        whole, threshold, rate, admitted = self.starts(total, weight_total, titles)
        # A scope's weight on the proposal's scale (cumulative[-1]), so that surge_rates' weight / cumulative[-1]
        # is the scope's share of the hour's expected viewers, whatever the number of blocks.
        scoped = tuple(
            (country, self._scope_weight(country, locals_, blocks, tail) * cumulative[-1] // total if total else 0)
            for country in self.surge_scopes(epoch_hour)
        )
        return HourPlan(
            whole,
            threshold,
            cumulative,
            day,
            blocks,
            tail,
            viewing_days,
            tuple(draw(self._active_key, v) for v in viewing_days),
            rate,
            titles,
            by_genre,
            admitted,
            scoped,
        )

    def _expected(self, blocks: int, tail: bool) -> tuple[int, ...]:
        """Per zone set (people.ViewerSets), the expected weight of its customers in `blocks` whole blocks and the
        partial one if `tail`."""
        return tuple(
            blocks * e + (t if tail else 0) for e, t in zip(self.sets.expected, self.tail.expected, strict=True)
        )

    def _scope_weight(self, country: str, locals_: list[int], blocks: int, tail: bool) -> int:
        """The expected weight of an hour's viewers of one country: its zones' times their local hours' weights."""
        countries = self.layout.countries
        if country not in countries:
            return 0
        c = countries.index(country)
        full, part = self.sets.country_expected[c], self.tail.country_expected[c]
        return sum((blocks * e + (t if tail else 0)) * w for e, t, w in zip(full, part, locals_, strict=True))

    def starts(self, total: int, weight_total: int, titles: DayTitles) -> tuple[int, int, float, float]:
        """(whole, threshold, rate, admitted) of an hour plan from its zones' expected weights times their local
        hours' weights (`total`), their expected weights alone (`weight_total`) and its day's title draw."""
        # Relative to the weekly mean weight (WEEK_WEIGHT / 168) of the hour's viewers: their mix of local
        # hours shapes the rate, their number and weights do not (batchSize is the world's volume).
        intensity = (total * 168) / (weight_total * WEEK_WEIGHT) if weight_total else 0.0
        # A busy hour's households refuse more of its candidates (concurrency.py): its admitted share is the
        # one at its own load, so the played rate keeps the local-hour curve's shape.
        admitted = households.admitted_share(self.density * intensity) if self.exclusive else 1.0
        # A start plays its chain's autoplayed episodes too (binge.py): plays per start, the day's.
        rate = self.played_per_slot * intensity / admitted / titles.plays_per_start
        whole = math.floor(rate)
        return whole, int((rate - whole) * (1 << 53)), rate, admitted

    def slot_count(self, slot: int) -> int:
        """How many candidate sessions start in a slot: its hour plan's, then its live surges' extra ones."""
        plan = self.hour(slot // 60)
        own = plan.whole + ((draw(self.key, slot) >> 11) < plan.threshold)
        return own + sum(n for n, _ in self.slot_surges(slot, plan))

    def subscribed(self, customer: int, day: int) -> tuple[bool, int]:
        """(whether customer is subscribed on a UTC day, the last day it may start a session + 1): it watches from
        its subscription's start to the eve of its end's eve (a session lasts under a day, max_session_ms, so none
        plays on or after its end)."""
        start, end = people.subscription_days_of(self._skey, self.count, customer)
        return start <= day < end - 1, end - 1

    def watches(self, customer: int, viewing_day: int) -> bool:
        """Whether a customer watches on a viewing day (households.py: its slot's propensity, fading over the last
        DISENGAGE_DAYS of its subscription), subscribed or not: pick_customer's test, one customer at a time."""
        s = people.slot_of(self._lkey, customer)
        _, end = people.subscription_days_of(self._skey, self.count, customer)
        limit, left = self.layout.active_below[s], end - 1 - viewing_day
        if left < households.DISENGAGE_DAYS:
            limit = limit * max(0, left) // households.DISENGAGE_DAYS
        return (draw(draw(self._active_key, viewing_day), customer) >> 11) < limit

    def propensity(self, customer: int) -> float:
        """A customer's viewing propensity (households.py: its layout slot's)."""
        return self.layout.propensity[people.slot_of(self._lkey, customer)]

    def pick_customer(self, plan: HourPlan, viewer_draw: int, genre: int, scope: str | None = None) -> int:
        """Index into `customers` of who starts a session of a title of `genre`, from its viewer draw, or -1 if
        MAX_TRIES proposals find none (the session is then not played).

        Bits 0-15 say whether among the genre's fans (households.AFFINITY_BELOW, when it has any). Try j reads
        draws 2j and 2j + 1 of the viewer draw's stream (people.TRY_*): a zone by the plan's weights (its slots' day
        weights times its local hour's), a block among those signed up by the day, a slot of the zone (listing the
        genre) by day weight, and accepts the customer there if subscribed on the day and watching on the zone's
        viewing day (households.py, with the DISENGAGE_DAYS fade). Each of the hour's viewers is thus drawn with
        probability proportional to its day weight times its local hour's, as the whole audience's running weights
        would give. A live surge's extra candidate (`scope`, a country) is drawn among the country's slots, each as
        likely, and accepted if subscribed (whatever its genre, watching or not)."""
        sets, tail, count = self.sets, self.tail, self.count
        if not plan.cumulative:
            return -1
        cumulative: tuple[int, ...] = ()
        base = 0
        if scope is not None:
            base = sets.country_set(self.layout.countries.index(scope))
        else:
            cumulative = plan.cumulative
            fans = plan.by_genre[genre]
            if (viewer_draw & 0xFFFF) < households.AFFINITY_BELOW and fans[-1]:
                cumulative, base = fans, (1 + genre) * sets.zones
        blocks, day = plan.blocks, plan.day
        choices = blocks + plan.tail
        below, fade = self.layout.active_below, households.DISENGAGE_DAYS
        bisect_right, spans, affine = bisect.bisect_right, self._spans, self._affine
        zone, k = -1, base
        G, X1, X2 = GAMMA, MIX_1, MIX_2
        day_keys, viewing_days = plan.day_keys, plan.viewing_days
        z0 = viewer_draw - 2 * G
        for _ in range(people.MAX_TRIES):
            # draws 2j and 2j + 1 of the viewer draw (splitmix.draw, inlined: this runs for every candidate)
            z0 += 2 * G
            z = z0 & M64
            z = ((z ^ (z >> 30)) * X1) & M64
            z = ((z ^ (z >> 27)) * X2) & M64
            r = z ^ (z >> 31)
            z = (z0 + G) & M64
            z = ((z ^ (z >> 30)) * X1) & M64
            z = ((z ^ (z >> 27)) * X2) & M64
            r2 = z ^ (z >> 31)
            if cumulative:
                zone = bisect_right(cumulative, ((r >> 40) * cumulative[-1]) >> 24)
                k = base + zone
            b = (((r >> 16) & 0xFFFFFF) * choices) >> 24
            running = sets.running[k]
            if b < blocks:
                s = sets.slots[k][bisect_right(running, ((r2 >> 40) * running[-1]) >> 24)]
            else:  # the partial block: each of its ids as likely as a whole block's
                part = tail.running[k]
                if not part or (blocks and ((r & 0xFFFF) * running[-1]) >> 16 >= part[-1]):
                    continue
                s = tail.slots[k][bisect_right(part, ((r2 >> 40) * part[-1]) >> 24)]
            inverse = affine.get(b)
            if inverse is None:  # people.position, a block's permutation kept
                a, c = people.block_affine(self._lkey, b)
                inverse = affine[b] = (people.inverse_odd(a), c)
            i = (b << people.BLOCK_BITS) | ((inverse[0] * (s - inverse[1])) & (people.BLOCK - 1))
            if i >= count:
                continue
            watch = limit = 0
            if zone >= 0:  # watching on the zone's viewing day: tested first, as it needs no subscription
                z = (day_keys[zone] + i * G) & M64
                z = ((z ^ (z >> 30)) * X1) & M64
                z = ((z ^ (z >> 27)) * X2) & M64
                watch, limit = (z ^ (z >> 31)) >> 11, below[s]
                if watch >= limit:  # the fade below only lowers the limit
                    continue
            span = spans.get(i)
            if span is None:
                if len(spans) >= 65_536:
                    spans.clear()
                span = spans[i] = people.subscription_days_of(self._skey, count, i)
            start, end = span
            last = end - 1
            if not start <= day < last:
                continue
            if zone >= 0:
                left = last - viewing_days[zone]
                if left < fade and watch >= limit * max(0, left) // fade:  # disengaging before the cancellation
                    continue
            return i
        return -1

    def played_title(self, customer: int, title: int, slot: int) -> int:
        """The title `customer` plays when the title draw of a session starting in `slot` gives `title`: its own
        episode of a series it follows (binge.followed_title), else the drawn one."""
        cat = self.catalogue
        return binge.followed_title(self.follow_key, customer, title, slot, cat.series_of, cat.order, cat.release)

    def followed_episode(self, customer: int, title: int, slot: int) -> int:
        """`customer`'s own episode when the title draw of a session starting in `slot` gives `title`, an episode of
        a series it follows then (binge.followed_episode), else -1."""
        cat = self.catalogue
        return binge.followed_episode(self.follow_key, customer, title, slot, cat.series_of, cat.order, cat.release)

    def device(self, customer: int, sk: int) -> int:
        """The device key (devices.Households) a session of `customer` with key `sk` plays on: its screen field's
        entry of the household's screen table."""
        return self.devices.device(customer, (sk >> DEVICE_SHIFT) & 0x3F)

    def expected_events(self, start_ms: int, end_ms: int) -> float:
        """Mean number of events with timestamps in [start_ms, end_ms) (the admitted start rate with the incidents'
        surges, lagged by nothing)."""
        total = 0.0
        ms = start_ms
        surges = [i for i in self.incidents(start_ms, end_ms) if i.volume_permille != 1000]
        while ms < end_ms:
            stop = min(end_ms, (ms // SLOT_MS + 1) * SLOT_MS if surges else (ms // 3_600_000 + 1) * 3_600_000)
            plan = self.hour(ms // 3_600_000)
            rate = plan.rate
            if surges and (live := self.surges_at(ms // SLOT_MS)):
                rate += sum(self._surge_rates(plan, live))
            total += rate * plan.admitted * plan.titles.plays_per_start * (stop - ms) / SLOT_MS
            ms = stop
        return total * EVENTS_PER_SESSION

    def slot_range(self, start_ms: int, end_ms: int) -> range:
        """Slots whose sessions may have events in [start_ms, end_ms)."""
        return range((start_ms - self.max_session_ms) // SLOT_MS, (end_ms - 1) // SLOT_MS + 1)
