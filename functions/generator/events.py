"""Streaming events of one time window of the world (the generator's hot path).

The world (`functions.shared.world`) says which sessions start when and how each unfolds; a window [t0, t1)
holds the events, with timestamps in it, of the sessions that start from t0 - max_session_ms on. Each such
session is tested cheaply first (an upper bound of its end from one draw, then its exact end) and only a
session that reaches the window is built: its viewer, its ids, and every event up to the window's end (the
stalls and errors before the window count towards those in it). A shard of the window takes the slots whose
index is its number modulo the shard count, so shards split the work evenly and their union is the window.
A warm container keeps, per world and slot scanned, the sessions that still have events to come and where each
stopped (_SessionCache): consecutive ticks scan only their few new slots and resume each session at its next event
instead of drawing it again from its start, and any window gives the same events.

`window_events` returns the rows as dicts; `window_records` renders each event straight into its Kinesis record
line through a per-viewer template, the generator Lambda's path. The backfill computes the same values with
numpy (`lakewriter.backfill.model`). Lambda-safe: the standard library and mimesis (the layer; through `dimensions`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import time
from array import array
from collections.abc import Generator, Mapping, Sequence
from operator import itemgetter
from typing import NamedTuple

from functions.shared import ads, binge, concurrency, devices, domains, geography, people, player, plays
from functions.shared import world as wm
from functions.shared.dimensions import Dimensions
from functions.shared.records import json_value, line_template
from functions.shared.schema import STREAMING_EVENTS
from functions.shared.world import World

CONNECTION_SHARES_BY_DEVICE = player.CONNECTION_SHARES_BY_DEVICE
MOBILE_CONNECTIONS = geography.MOBILE_CONNECTIONS
_SLOTS = 1000
"""Resolution of the weighted lookup tables (weights are given to 3 decimals)."""

_TEMPLATE = dict.fromkeys(STREAMING_EVENTS.column_names)
_CUSTOMER_FIELDS = ("customer_id", "country", "state", "city")
_VIEWER_FIELDS = (
    "isp",
    "device_id",
    "device_type",
    "device_os",
    "app_version",
    "quality",
    "ip_address",
    "connection_type",
)
AD_FIELDS = domains.AD_EVENT_FIELDS
"""The ad columns: set on ad events (`_SessionWriter.write_ad`), null on every other."""
_RECORD_FIELDS = (
    "event_id",
    "event_type",
    "event_timestamp",
    "title_id",
    "session_id",
    "title_type",
    "bandwidth_mbps",
    "buffering_events",
    "buffering_duration_seconds",
    "error_count",
    "watch_duration_seconds",
    "position_seconds",
    "completion_percentage",
    "startup_time_ms",
    "bitrate_kbps",
    "error_code",
)
"""The columns drawn per session or event: a record line leaves them open, filled in this order."""
_NULLABLE_NUMBERS = ("startup_time_ms", "bitrate_kbps")
"""Number columns that are null on some events: a record line takes them rendered (`null` or digits)."""
assert sorted(_CUSTOMER_FIELDS + _VIEWER_FIELDS + _RECORD_FIELDS + AD_FIELDS) == sorted(_TEMPLATE), (
    "the generator must fill exactly the streaming_events columns"
)
assert tuple(c for c in STREAMING_EVENTS.column_names if c in _RECORD_FIELDS) == _RECORD_FIELDS, (
    "generate_records fills the open columns in schema order"
)
_GENERATED_STRINGS = ("event_id", "event_type", "event_timestamp", "session_id")
"""Made here of hex digits, digits and the domain's event words, so no JSON escape is ever needed."""
assert all(json_value(t) == f'"{t}"' for t in domains.EVENT_TYPES), "event types must need no JSON escape"
assert all(set(shares) <= set(domains.CONNECTION_TYPES) for shares in CONNECTION_SHARES_BY_DEVICE.values())
assert set(CONNECTION_SHARES_BY_DEVICE) == set(domains.DEVICE_TYPES)
_NULL = "null"
_LADDER_TEXT = tuple(str(k) for k in player.LADDER_KBPS)
_START_CODES = tuple(json_value(c) for c in player.START_ERROR_CODES)
_PLAYBACK_CODES = tuple(json_value(c) for c in player.PLAYBACK_ERROR_CODES)
_UNCHANGED = (1000,) * 5
"""The incident factors of a session no incident holds."""

_QUALITY_FLOORS = tuple(domains.MIN_BANDWIDTH_MBPS_FOR_QUALITY[q] for q in domains.QUALITY_ORDER)
assert _QUALITY_FLOORS[0] == 0 and list(_QUALITY_FLOORS) == sorted(_QUALITY_FLOORS), "quality floors ascend from 0"
_HEX_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def best_quality(tier: str, bandwidth_mbps: float) -> str:
    """Best of QUALITY_ORDER the tier allows and the bandwidth can carry."""
    tier_max = domains.QUALITY_ORDER.index(domains.MAX_QUALITY_BY_TIER[tier])
    by_bandwidth = max(i for i, floor in enumerate(_QUALITY_FLOORS) if bandwidth_mbps >= floor)
    return domains.QUALITY_ORDER[min(tier_max, by_bandwidth)]


def _device_name(customer_id: str, device_type: str, index: int) -> bytes:
    """What a device's digests are of: the first of a type keeps the id it had when households had one of each."""
    return (f"{customer_id}|{device_type}" if index == 0 else f"{customer_id}|{device_type}|{index}").encode()


def device_identity(customer_id: str, device_type: str, index: int = 0) -> tuple[str, str]:
    """(device_id, device_os) of a customer's `index`-th device of a type: the same in every run and process."""
    digest = hashlib.blake2b(_device_name(customer_id, device_type, index), digest_size=8).digest()
    systems = domains.DEVICE_OS[device_type]
    return "dev_" + digest.hex(), systems[digest[0] % len(systems)]


def _slots(weights: Mapping[str, float]) -> list[str]:
    """A lookup table where each key fills a share of _SLOTS entries equal to its weight."""
    total = sum(weights.values())
    table: list[str] = []
    acc = 0.0
    for key, w in weights.items():
        acc += w / total
        table.extend([key] * (round(acc * _SLOTS) - len(table)))
    return table


_CONNECTION_SLOTS = {device: _slots(shares) for device, shares in CONNECTION_SHARES_BY_DEVICE.items()}
"""Per device type, its connections' lookup table (built once: every viewer profile reads one)."""
_max_quality = functools.lru_cache(maxsize=65536)(player.max_quality)
_viewer_qoe = functools.lru_cache(maxsize=65536)(player.viewer_qoe)
_load_factors = functools.lru_cache(maxsize=65536)(player.load_factors)
"""A zone's (start-up, throughput) load factors in a UTC hour: a few dozen zones an hour."""
_loaded_top, _rung_level = player.loaded_top, player.rung_level
"""The player's figures of a (screen, network, quality, bandwidth): a few thousand distinct, read by every profile."""


def _unit(digest: bytes, at: int) -> float:
    """A number in [0, 1) from four bytes of a digest."""
    return int.from_bytes(digest[at : at + 4], "big") / 4_294_967_296


def _address(digest: bytes, at: int, first_octets: tuple[int, ...]) -> str:
    a, b, c, d = digest[at : at + 4]
    return f"{first_octets[a % len(first_octets)]}.{b}.{c}.{1 + d % 254}"


# Public unicast first octets typical of broadband and of mobile carriers' address space.
_HOME_FIRST_OCTETS = (24, 47, 50, 67, 68, 71, 73, 76, 81, 86, 92, 98, 108, 174)
_MOBILE_FIRST_OCTETS = (99, 107, 166, 174, 208)


class _Viewer(NamedTuple):
    """One customer's device as it streams: its event template, its network's behaviour and its player's."""

    base: dict
    """Event template with the customer, device, network and quality fields filled."""
    bandwidth10: int
    """Typical bandwidth in tenths of Mbps: a session's throughput level at its top rung (_WindowWriter._play)."""
    floor10: int
    """Lowest bandwidth (tenths of Mbps) an event may show: the floor of the viewer's quality (the reading dips to
    it, below the connection's range, while ABR plays a low rung)."""
    high10: int
    """Highest: the top of the connection's range, below the next quality's floor (the reading never implies a
    better quality than the viewer's)."""
    qoe: player.ViewerQoE
    """Start-up, failure, stall, error and bitrate figures (player.viewer_qoe)."""


def viewer_profile(customer: dict, device_type: str, index: int = 0) -> _Viewer:
    """A customer's device: connection, bandwidth, quality, address and app version, the same in every run.

    Drawn from a digest of customer and device rather than the caller's rng, so a household's TV keeps its
    fiber line from tick to tick and the result does not depend on which sessions were generated first.
    """
    customer_id = customer["customer_id"]
    digest = hashlib.blake2b(_device_name(customer_id, device_type, index), digest_size=32).digest()
    connections = _CONNECTION_SLOTS[device_type]
    connection = connections[int(_unit(digest, 0) * len(connections))]
    lo, hi = domains.CONNECTION_TYPES[connection]
    bandwidth = round(lo + (hi - lo) * _unit(digest, 4), 1)
    band = bisect.bisect_right(_QUALITY_FLOORS, bandwidth) - 1  # the last floor it reaches (ascending, from 0)
    # Its readings stay below the next floor, so that no event's bandwidth implies a better quality than its own.
    high = min(hi, round(_QUALITY_FLOORS[band + 1] - 0.1, 1)) if band + 1 < len(_QUALITY_FLOORS) else hi
    device_id, device_os = device_identity(customer_id, device_type, index)
    home = hashlib.blake2b(customer_id.encode(), digest_size=8).digest()
    # The home line's ISP and the phone contract's carrier belong to the customer, so every device of a household
    # shows the same ISP at home and the same carrier on 4G/5G.
    networks = hashlib.blake2b(f"{customer_id}|networks".encode(), digest_size=8).digest()
    mobile = connection in MOBILE_CONNECTIONS
    base = _TEMPLATE.copy()
    for name in _CUSTOMER_FIELDS:
        base[name] = customer[name]
    base["isp"] = geography.isp_for(customer["country"], connection, _unit(networks, 4 if mobile else 0))
    base["device_id"] = device_id
    base["device_type"] = device_type
    base["device_os"] = device_os
    base["app_version"] = domains.APP_VERSIONS[digest[8] % len(domains.APP_VERSIONS)]
    base["quality"] = quality = _max_quality(customer["subscription_tier"], device_type, connection, bandwidth)
    base["ip_address"] = _address(digest, 12, _MOBILE_FIRST_OCTETS) if mobile else _address(home, 1, _HOME_FIRST_OCTETS)
    base["connection_type"] = connection
    return _Viewer(
        base,
        round(bandwidth * 10),
        round(domains.MIN_BANDWIDTH_MBPS_FOR_QUALITY[quality] * 10),
        round(high * 10),
        _viewer_qoe(device_type, connection, quality, bandwidth),
    )


class PreparedDimensions:
    """Who watches and what: lookup tables of one Dimensions, built once per container; the backfill uses them too."""

    def __init__(self, dims: Dimensions) -> None:
        if dims.lifecycle is None:
            raise ValueError("the world reads generated customers (dims.lifecycle: seed and count), not rows by hand")
        if not dims.titles:
            raise ValueError("dims must hold at least one customer and one title")
        self.customers = people.Customers(*dims.lifecycle)
        """Every customer, per index (as World.customers: made when asked): each watches while subscribed."""
        self.titles = [(t["title_id"], t["title_type"], int(t["duration_minutes"]) * 60) for t in dims.titles]
        self.device_types = list(domains.DEVICE_TYPES)
        self.devices = devices.Households(self.customers)
        """Each household's devices (World.devices: the same keys)."""
        self.viewers: dict[int, _Viewer] = {}
        """Device (index into `devices`) -> that viewer's profile."""
        self.record_templates: dict[int, str] = {}
        """Viewer key -> its record line template, the viewer's columns written out (generate_records)."""
        self.ad_record_templates: dict[int, str] = {}
        """Viewer key -> its ad events' record line template (the ad columns left open too)."""
        self._title_json: list[tuple[str, str]] | None = None
        self.campaigns = dims.campaigns
        self._ad_book: ads.Book | None = None

    def viewer(self, key: int) -> _Viewer:
        lay = self.devices
        customer, device_type = self.customers[lay.customer[key]], self.device_types[lay.type[key]]
        profile = self.viewers[key] = viewer_profile(customer, device_type, lay.index[key])
        return profile

    def record_template(self, key: int) -> str:
        base = (self.viewers.get(key) or self.viewer(key)).base
        fixed = {name: base[name] for name in _CUSTOMER_FIELDS + _VIEWER_FIELDS + AD_FIELDS}
        template = self.record_templates[key] = line_template(
            STREAMING_EVENTS, fixed, quoted=_GENERATED_STRINGS, rendered=_NULLABLE_NUMBERS
        )
        return template

    def ad_record_template(self, key: int) -> str:
        base = (self.viewers.get(key) or self.viewer(key)).base
        fixed = {name: base[name] for name in _CUSTOMER_FIELDS + _VIEWER_FIELDS}
        template = self.ad_record_templates[key] = line_template(
            STREAMING_EVENTS, fixed, quoted=_GENERATED_STRINGS, rendered=_NULLABLE_NUMBERS
        )
        return template

    @property
    def ad_book(self) -> ads.Book:
        """The campaigns each customer can be shown (the full campaigns table), built on first use."""
        if self._ad_book is None:
            self._ad_book = ads.Book(self.campaigns, self.customers)
        return self._ad_book

    @property
    def title_json(self) -> list[tuple[str, str]]:
        """(title_id, title_type) of each title rendered as JSON values, in the order of `titles`."""
        if self._title_json is None:
            self._title_json = [(json_value(t), json_value(tt)) for t, tt, _ in self.titles]
        return self._title_json


_prepared_cache: dict[int, tuple[Dimensions, PreparedDimensions]] = {}
_SECOND_SUFFIX: list[str] = []
"""'SS.mmmZ' for every millisecond of a minute."""


def _prepared(dims: Dimensions) -> PreparedDimensions:
    hit = _prepared_cache.get(id(dims))
    if hit is not None and hit[0] is dims:
        return hit[1]
    if len(_prepared_cache) > 4:
        _prepared_cache.clear()
    prep = PreparedDimensions(dims)
    _prepared_cache[id(dims)] = (dims, prep)
    return prep


def epoch_ms(moment: dt.datetime, name: str = "window_end") -> int:
    """Milliseconds since the epoch of a timezone-aware moment (ValueError naming `name` if naive)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def format_timestamp_ms(epoch_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and Z (slow path; the generator caches the minute part)."""
    return time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(epoch_ms // 60000 * 60)) + f"{epoch_ms % 60000 / 1000:06.3f}Z"


def window_events(world: World, start_ms: int, end_ms: int, *, shard: int = 0, shards: int = 1) -> list[dict]:
    """The world's streaming_events rows with timestamps in [start_ms, end_ms) (epoch ms), by time.

    With `shards` > 1, only the sessions of slots whose index is `shard` modulo `shards`: the shards of a window
    are disjoint and together hold all of its events.
    """
    return _window(world, start_ms, end_ms, shard, shards, as_records=False)


def window_records(world: World, start_ms: int, end_ms: int, *, shard: int = 0, shards: int = 1) -> list[dict]:
    """The events of `window_events` as Kinesis PutRecords entries, rendered without building event dicts.

    Equal to the producer's `encode_records(window_events(...))`: each entry's Data is the event's
    newline-terminated JSON line and its PartitionKey the session_id.
    """
    return _window(world, start_ms, end_ms, shard, shards, as_records=True)


def _check_window(start_ms: object, end_ms: object, shard: object, shards: object) -> None:
    for name, value in (("start_ms", start_ms), ("end_ms", end_ms), ("shard", shard), ("shards", shards)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    assert isinstance(start_ms, int) and isinstance(end_ms, int) and isinstance(shard, int) and isinstance(shards, int)
    if end_ms < start_ms:
        raise ValueError(f"end_ms must not be before start_ms, got start_ms={start_ms} end_ms={end_ms}")
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1} (shards={shards}), got {shard}")


_VIEWER_GAMMA = (wm.D_VIEWER * wm.GAMMA) & wm.M64
_SESSION_GAMMA = (wm.D_SESSION_ID * wm.GAMMA) & wm.M64
_PLAYER_1_GAMMA = (wm.D_PLAYER * wm.GAMMA) & wm.M64
_PLAYER_2_GAMMA = ((wm.D_PLAYER + 1) * wm.GAMMA) & wm.M64
_GAMMA_2 = (2 * wm.GAMMA) & wm.M64
_EVENT_GAMMAS = [((wm.D_EVENT + wm.EVENT_DRAWS * e) * wm.GAMMA) & wm.M64 for e in range(wm.MAX_EVENTS)]
"""Steps from a session's key to its draws: viewer, session id, the player's two; +2 GAMMA; each event's first."""
_PAUSE_REACH = wm.PAUSE_REACH_MS
_play_ad_ms = functools.lru_cache(maxsize=65536)(ads.play_ad_ms)
"""The most a play of a title running at most so many seconds spends in ad breaks (the pre-roll, the mid-roll marks
it can pass, the post-roll if it completes), each a full pod of its position's longest format."""
_COUNTDOWN_SPAN = binge.COUNTDOWN_MAX_MS - binge.COUNTDOWN_MIN_MS
_KIND_NAMES = wm.EVENT_KINDS
_START, _PAUSE, _RESUME, _STOP, _COMPLETE, _START_FAILED, _EXIT, _SWITCH, _ERROR = (
    wm.START, wm.PAUSE, wm.RESUME, wm.STOP, wm.COMPLETE, wm.START_FAILED, wm.EXIT, wm.SWITCH, wm.ERROR
)  # fmt: skip
_AD_START, _AD_COMPLETE = (wm.EVENT_KINDS.index(t) for t in domains.AD_EVENT_TYPES)
_EBVS_MAX = player.EBVS_MAX_PERMILLE * (1 << player.RATE_BITS) // 1000
_STALL_RATE_MAX = max(round(r / 3600 * (1 << player.RATE_BITS)) for r in player.STALLS_PER_PLAY_HOUR.values())
_STALL_MS_MAX = (round(max(player.MEAN_STALL_SECONDS.values()) * 1000) * 383 >> 8) + 1
"""The longest one stall can be: its mean times (128 + 255) / 256."""


_Story = Generator[int, None, int | None]
"""A session's (or a play's) events written window by window (_WindowWriter._play): it yields the time of its first
event at or after the window's end and is resumed in a later window; it returns when it has no more."""


def _resume(story: _Story) -> tuple[int | None, _Story | None]:
    """Write a story's events up to the window's end: (the time of its first event at or after it, the story to
    resume then), or (None, None) when it has no more."""
    try:
        return story.send(None), story
    except StopIteration:
        return None, None


_MAX_CACHED_SESSIONS = 1_000_000
"""At most this many sessions are cached, over all worlds: 16 bytes each (a key and a time), about 16 MB.

A world or shard of MAX_SHARD_EVENTS (10,000) events per 5 minutes keeps up to ~52,000 (under 1 MB)."""
_MAX_CACHED_SLOTS = 2048
"""At most this many slots per world (about 250 bytes each besides their sessions): a look-back of ~210 slots
and windows of up to a day."""
_MAX_CACHED_WORLDS = 4
_MAX_CACHED_STORIES = 10_000
"""At most this many sessions keep their story (a suspended generator, measured 2.8 KB each with its slot entry:
~28 MB) over all worlds; past it a session is drawn again from its start when due (the same output, more work).
A tick at batchSize 1,000 keeps about 1,200."""


class _SlotSessions:
    """The sessions of one scanned slot that have an event at or after `since`, in generation order."""

    __slots__ = ("further", "keys", "next_ms", "resumable", "since", "stories")

    def __init__(
        self,
        since: int,
        keys: array[int],
        next_ms: array[int],
        stories: list[_Story | None],
        further: dict[int, int] | None = None,
    ) -> None:
        self.since = since
        self.further = further or {}
        """The keys whose verdict plays episodes past their household's own, with how many (a session drawn again
        plays the same title, concurrency.Admission)."""
        self.keys = keys
        self.next_ms = next_ms
        """Per session, a time from `since` up to its first event at or after `since` (a window ending by then
        has none of its events)."""
        self.stories = stories
        """Per session, its story stopped at its first event at or after `since` (then next_ms is that event's
        time), or None: it is drawn again from its start when due (_WindowWriter.sessions)."""
        self.resumable = len(stories) - stories.count(None)

    def without_stories(self) -> _SlotSessions:
        """The same sessions, each to be drawn again from its start when due."""
        return _SlotSessions(self.since, self.keys, self.next_ms, [None] * len(self.keys), self.further)


class _WorldSlots:
    """The cached slots of one world, and the latest window start it has served."""

    __slots__ = ("admission", "fingerprint", "latest_start", "resumable", "sessions", "slots", "world", "writer")

    def __init__(self, world: World) -> None:
        self.world = world
        """Held so that no other World can take its id() while its slots are cached."""
        self.fingerprint = _fingerprint(world)
        self.admission = concurrency.Admission(world)
        """Which candidates of each slot are played (a device one at a time, a household within its plan)."""
        self.slots: dict[int, _SlotSessions] = {}
        self.sessions = 0
        self.resumable = 0
        self.latest_start: int | None = None
        self.writer: _WindowWriter | None = None
        """The world's window writer, which its cached stories write through (reset for each window)."""


def _fingerprint(world: World) -> tuple[int, int, int, int, int]:
    """What makes a world's sessions what they are; a cache of a World whose fingerprint changed is dropped."""
    return world.seed, world.key, world.batch_size, world.max_session_ms, id(world.dims)


class WindowCacheSize(NamedTuple):
    """How much the window cache holds (see `_SessionCache`)."""

    worlds: int
    slots: int
    sessions: int
    stories: int = 0
    """Sessions of those kept with their story, to be resumed."""


class _SessionCache:
    """Per world, per slot already scanned, the sessions that may still have events in later windows.

    A warm container serves consecutive ticks: each window starts where the last one ended, and its look-back
    (world.slot_range: every slot whose sessions may reach it, ~210 one-minute slots) is the last one's moved
    by a few slots. A slot's entry lists, in generation order, every one of its sessions with an event at or
    after the entry's `since`, and a bound of when that event comes (_SlotSessions.next_ms), so a window
    starting at or after `since` looks again only at the few sessions due before its end; afterwards `since`
    moves to the window's end and the sessions with no event after it are dropped. Only the new slots (about
    five per 5-minute tick) are scanned in full, and the cached slots' output is the same as a full scan's:
    every session with an event in the window is there, in the same order, and written by the same code.

    Invalidation: a window starting before an entry's `since` (a replay, an overlap, a window going back)
    scans that slot in full and leaves the entry alone; an entry whose world changed (`_fingerprint`) or that
    falls out of the look-back of the world's latest window start is dropped, and slots below that look-back
    are never stored. Shards need nothing more: a slot belongs to one shard of any shard count.

    A session drawn as far as the window's end also keeps its story (_WindowWriter._play, a generator stopped at
    that event): a later window resumes it instead of drawing the session again from its start (its timeline,
    its earlier ad breaks, a binge chain's earlier links). A story, resumed or drawn afresh, writes the same
    events: nothing it computes depends on the window but which events it writes and when it stops.

    Memory bound: at most _MAX_CACHED_SESSIONS sessions and _MAX_CACHED_STORIES stories (over all worlds),
    _MAX_CACHED_SLOTS slots per world and _MAX_CACHED_WORLDS worlds (the least recently used is dropped). Only
    storing a newly scanned slot adds sessions, and a slot that would go past a bound is scanned but not stored;
    an entry whose stories would go past theirs is kept without them; so the bounds always hold.

    It takes no lock: one window at a time per process, as a Lambda container runs one invocation at a time.
    """

    def __init__(self) -> None:
        self.worlds: dict[int, _WorldSlots] = {}
        self.sessions = 0
        self.resumable = 0

    def size(self) -> WindowCacheSize:
        worlds = list(self.worlds.values())
        return WindowCacheSize(len(worlds), sum(len(w.slots) for w in worlds), self.sessions, self.resumable)

    def clear(self) -> None:
        self.worlds.clear()
        self.sessions = self.resumable = 0

    def _drop(self, ident: int) -> None:
        dropped = self.worlds.pop(ident)
        self.sessions -= dropped.sessions
        self.resumable -= dropped.resumable

    def forget(self, world: World) -> None:
        """Drop a world's slots and stories."""
        if id(world) in self.worlds:
            self._drop(id(world))

    def of(self, world: World) -> _WorldSlots:
        """The world's cached slots (most recently used last), new and empty if there are none for it."""
        hit = self.worlds.pop(id(world), None)
        if hit is not None and (hit.world is not world or hit.fingerprint != _fingerprint(world)):
            self.sessions -= hit.sessions
            self.resumable -= hit.resumable
            hit = None
        if hit is None:
            while len(self.worlds) >= _MAX_CACHED_WORLDS:
                self._drop(next(iter(self.worlds)))
            hit = _WorldSlots(world)
        self.worlds[id(world)] = hit
        return hit

    def advance(self, cached: _WorldSlots, start_ms: int) -> int:
        """The lowest slot worth storing once a window starts at start_ms; slots below the latest one's dropped."""
        if cached.latest_start is None or start_ms > cached.latest_start:
            cached.latest_start = start_ms
            lowest = cached.world.slot_range(start_ms, start_ms).start
            for slot in [s for s in list(cached.slots) if s < lowest]:
                self._set(cached, slot, None)
        return cached.world.slot_range(cached.latest_start, cached.latest_start).start

    def store(self, cached: _WorldSlots, slot: int, entry: _SlotSessions) -> None:
        """Cache a newly scanned slot, unless that would go past a bound."""
        if len(cached.slots) < _MAX_CACHED_SLOTS and self.sessions + len(entry.keys) <= _MAX_CACHED_SESSIONS:
            self._set(cached, slot, entry)

    def replace(self, cached: _WorldSlots, slot: int, entry: _SlotSessions) -> None:
        """Update a cached slot (a continued one never holds more sessions than before)."""
        self._set(cached, slot, entry)

    def _set(self, cached: _WorldSlots, slot: int, entry: _SlotSessions | None) -> None:
        old = cached.slots.pop(slot, None)
        if old is not None:
            cached.sessions -= len(old.keys)
            self.sessions -= len(old.keys)
            cached.resumable -= old.resumable
            self.resumable -= old.resumable
        if entry is not None:
            if entry.resumable and self.resumable + entry.resumable > _MAX_CACHED_STORIES:
                entry = entry.without_stories()
            cached.slots[slot] = entry
            cached.sessions += len(entry.keys)
            self.sessions += len(entry.keys)
            cached.resumable += entry.resumable
            self.resumable += entry.resumable


_CACHE = _SessionCache()


def window_cache_size() -> WindowCacheSize:
    """Worlds, slots and sessions the generator keeps between windows (a warm container's)."""
    return _CACHE.size()


def window_admission(world: World, *, fresh: bool = False) -> concurrency.Admission:
    """The admission pass the window cache judges `world`'s slots with: the one a coordinator prepares (so a window
    it generates itself uses the verdicts it just made) and a shard supplies; `fresh` replaces it with a new one."""
    cached = _CACHE.of(world)
    if fresh:
        cached.admission = concurrency.Admission(world)
    return cached.admission


def clear_window_cache() -> None:
    """Forget every cached slot: the next window of any world scans its whole look-back."""
    _CACHE.clear()


class _WindowWriter:
    """The events of one window [start_ms, end_ms), written session by session, one slot's sessions at a time.

    A session is settled in stages, each one only for the sessions the one before leaves open: its key bounds its
    end (`sessions`); its draws give its timeline, which does not depend on who watches (`_timeline`) and bounds
    its events' times (`_first_due`); its viewer (`_viewer`) and the incidents in scope give its player's story
    (`_play`), written by `_SessionWriter`. A story is a generator that stops at its first event at or after the
    window's end: a warm container keeps it (_SessionCache) and resumes it in a later window, which the writer
    then holds (`reset`), instead of drawing the session again from its start.
    """

    def __init__(self, world: World) -> None:
        n_titles = len(world.title_seconds)
        if n_titles > wm.MAX_TITLES:
            raise ValueError(f"the world draws from at most {wm.MAX_TITLES} titles, got {n_titles}")
        if not _SECOND_SUFFIX:
            _SECOND_SUFFIX.extend(f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60_000))
        self.world = world
        self.prep = _prepared(world.dims)
        self.start_ms = self.end_ms = 0
        self.as_records = True
        self.minute_prefixes: dict[int, str] = {}
        """'YYYY-MM-DDTHH:MM:' of each epoch minute an event lands in."""
        self.out: list[tuple] = []
        """(ms, event) or (ms, record line, partition key), in generation order."""
        self.incidents: tuple = ()
        """Incidents under way when some session that reaches the window started."""
        self.stall_rate_max = _STALL_RATE_MAX
        """No viewer of a session that reaches the window stalls at a higher rate (per played second, 2**-24)."""

    def reset(self, start_ms: int, end_ms: int, *, as_records: bool) -> _WindowWriter:
        """Make the writer the window [start_ms, end_ms)'s, with nothing written yet."""
        world = self.world
        self.prep = _prepared(world.dims)
        self.start_ms, self.end_ms = start_ms, end_ms
        self.as_records = as_records
        self.minute_prefixes = {}
        self.out = []
        self.incidents = world.incidents(world.slot_range(start_ms, end_ms).start * wm.SLOT_MS, end_ms)
        stall = 1000
        for inc in self.incidents:
            stall = stall * max(1000, inc.stall_permille) // 1000
        self.stall_rate_max = _STALL_RATE_MAX * stall // 1000
        return self

    def sessions(
        self,
        keys: Sequence[int],
        base_ms: int,
        plan: wm.HourPlan,
        stories: Sequence[_Story | None] | None = None,
        scoped: Mapping[int, str] | None = None,
        further: Mapping[int, int] | None = None,
    ) -> tuple[list[int | None], list[_Story | None]]:
        """Write the window's events of some sessions of the slot starting at base_ms, keys in generation order
        (`scoped`: the keys of the slot's live surges' extra candidates, each with its scope, a country; `further`:
        the keys whose verdict plays k episodes past their household's own, with k, concurrency.Admission).

        Per session: None if it has no event at or after end_ms, else a time from end_ms up to its first such
        event, exact when the session was drawn that far, a bound when a cheap test settled it earlier (either is
        what _SessionCache needs to know when to look at the session again); and its story when it was drawn that
        far, to be resumed in a later window. A session given its story (`stories`, from an earlier window ending
        at or before this one's start) resumes it; the others are drawn from their start.
        """
        start_ms, end_ms = self.start_ms, self.end_ms
        slot_ms, steps, s_start, s_title, s_pause = (
            wm.SLOT_MS,
            wm.START_STEPS,
            wm.START_SHIFT,
            wm.TITLE_SHIFT,
            wm.PAUSE_SHIFT,
        )
        s_end = wm.END_SHIFT
        max_paused, max_pause, reach_qoe = wm.MAX_PAUSED_MS, wm.MAX_PAUSE_MS, wm.MAX_QOE_MS
        switches, slack = wm.MAX_SWITCHES, self._slack
        pause_counts, stop_any, complete_any = wm.PAUSE_COUNTS, plays.STOP_FRACTION_ANY, plays.COMPLETE_BELOW_ANY
        stop_fraction = plays.STOP_FRACTION
        complete_below, n_types = plays.COMPLETE_BELOW, len(domains.TITLE_TYPES)
        device_type, customer_of, book = self.prep.devices.type, self.prep.devices.customer, self.prep.ad_book
        day = plan.titles
        field_type, field_links, field_title = day.types, day.links, day.title
        catalogue = self.world.catalogue
        following, title_seconds = catalogue.next, catalogue.seconds
        bound_seconds, bound_links, played_title, links_out = (
            catalogue.bound_seconds,
            catalogue.bound_links,
            self.world.played_title,
            catalogue.links_out,
        )
        late = base_ms + slot_ms > end_ms
        """Only a slot running past the window's end holds sessions that start after it."""
        after: list[int | None] = [None] * len(keys)
        made: list[_Story | None] = [None] * len(keys)
        for i, sk in enumerate(keys):
            if stories is not None and (story := stories[i]) is not None:
                after[i], made[i] = _resume(story)
                continue
            # The session's key is its shape (world.py): a coarse start, the title, the pause count, the end type and
            # the coarse span bound its end on any screen, which rejects most of the look-back's sessions with no
            # further draw.
            title_field = (sk >> s_title) & 0xFFFF
            coarse = sk >> s_start
            if late and base_ms + coarse * slot_ms // steps >= end_ms:
                after[i] = base_ms + coarse * slot_ms // steps
                continue
            # Bounds whichever episode of a series the household plays (binge.followed_title): its longest, and the
            # most links a chain from any of its episodes has.
            drawn = field_title[title_field]
            duration = bound_seconds[drawn]
            k = pause_counts[(sk >> s_pause) & 0x3FF]
            end_field, title_type = (sk >> s_end) & 0x3FF, field_type[title_field]
            complete = end_field < complete_any[title_type]
            span_max = duration if complete else 1 + (((duration - 2) * stop_any[(sk & 0xFF) + 1]) >> 32)
            pause_max = k * max_pause if k * max_pause < max_paused else max_paused
            end_max = base_ms + (coarse + 1) * slot_ms // steps + span_max * 1000 + pause_max + 2 * k + 1 + switches
            allowed = bound_links[drawn]
            # On any screen its breaks add at most play_ad_ms of the span bound (the admission pass's ad bound).
            most_ads = _play_ad_ms(duration, span_max, complete)
            if not (complete and allowed) and (
                end_max + reach_qoe + most_ads < start_ms
                or end_max + slack(span_max, 2 * k + 1 + switches) + most_ads < start_ms
            ):
                continue  # ends before the window even with the longest pauses, start-up, stalls and ads
            # Its viewer and the household device it plays on (draw D_VIEWER, the key's screen field).
            vkey = self._viewer(sk, plan, title_field, scoped.get(sk) if scoped else None)
            if vkey < 0:
                continue  # no viewer found (World.pick_customer): not played
            device = device_type[vkey]
            # Breaks only for a customer some campaign may fit (ads.py).
            sees_ads = book.shows_breaks(customer_of[vkey])
            # The title its household plays (its own episode of a series it follows) and that title's bounds.
            title = played_title(customer_of[vkey], drawn, base_ms // slot_ms)
            if further and (steps_on := further.get(sk)):  # the household goes on where it left off that day
                for _ in range(steps_on):
                    title = following[title]
            duration = title_seconds[title]
            allowed = field_links[title_field] if title == drawn else links_out(title, plan.day)
            complete = end_field < complete_below[device * n_types + title_type]
            # The bound again on its own screen (a phone's stopped plays are shorter).
            span_max = duration if complete else 1 + (((duration - 2) * stop_fraction[device][(sk & 0xFF) + 1]) >> 32)
            ad_ms = _play_ad_ms(duration, span_max, complete) if sees_ads else 0
            end_max = base_ms + (coarse + 1) * slot_ms // steps + span_max * 1000 + pause_max + 2 * k + 1 + switches
            end_max += ad_ms
            if complete and allowed:  # it may start a binge chain (binge.py)
                links, link_titles, reach = concurrency.chain_links(
                    sk, device, title, allowed, following, title_seconds, sees_ads
                )
                if links:
                    if end_max + reach_qoe + reach >= start_ms:
                        story = self._chain(sk, base_ms, plan, title_field, title, vkey, device, k, links, link_titles)
                        after[i], made[i] = _resume(story)
                    continue
            if end_max + reach_qoe < start_ms or end_max + slack(span_max, 2 * k + 1 + switches) < start_ms:
                continue
            timeline = self._timeline(sk, base_ms, duration, k, device, complete)
            first = self._first_due(timeline, _play_ad_ms(duration, timeline[2], complete) if sees_ads else 0)
            if first is None:
                continue  # every event before the window, whatever the player does
            if first is not True:
                after[i] = first  # none can be in the window: the earliest its next event can come
                continue
            story = self._play(
                sk, plan, title_field, vkey, device, complete, timeline, base_ms // 3_600_000, title=title
            )
            after[i], made[i] = _resume(story)
        return after, made

    def _chain(
        self, sk: int, base_ms: int, plan: wm.HourPlan, title_field: int, first: int, vkey: int, device: int, k: int,
        keys: list[int], titles: list[int],
    ) -> _Story:  # fmt: skip
        """The story of a binge chain (binge.py): its first session (of title `first`) and each link
        (`concurrency.chain_links`) on the same device, each starting a countdown after the last event of the one
        before, while each starts."""
        duration = self.world.catalogue.seconds[first]
        timeline = self._timeline(sk, base_ms, duration, k, device, True)
        hour = base_ms // 3_600_000
        ended = yield from self._play(sk, plan, title_field, vkey, device, True, timeline, hour, title=first)
        pause_counts, below = wm.PAUSE_COUNTS, plays.COMPLETE_BELOW[device * len(domains.TITLE_TYPES) + binge.SERIES]
        seconds = self.world.catalogue.seconds
        for lk, title in zip(keys, titles, strict=True):
            if ended is None:
                return None  # the last link did not start: the chain ends
            complete = ((lk >> wm.END_SHIFT) & 0x3FF) < below
            pauses = pause_counts[(lk >> wm.PAUSE_SHIFT) & 0x3FF]
            timeline = self._timeline(lk, 0, seconds[title], pauses, device, complete, after_ms=ended)
            while timeline[0] >= self.end_ms:
                yield timeline[0]  # the link starts after the window
            ended = yield from self._play(lk, plan, title_field, vkey, device, complete, timeline, hour, title=title)
        return None

    @staticmethod
    def _timeline(
        sk: int, base_ms: int, duration: int, k: int, device: int, complete: bool, after_ms: int | None = None
    ) -> tuple:
        """What the session's draws say whoever watches: (t0, p0, span, offsets, paused, kinds, switch count).

        The attempt time t0 and where the playhead starts (p0) and how far it runs (span) come from the key and
        draw 1; then, in playhead order, each pause (a pause and a resume event at one point, draws D_PAUSE..) and
        each bitrate switch (points from draws D_SWITCH..), and the end. `offsets` are each event's playhead
        seconds from p0, `paused` the paused ms before it; an event's time is t0 + start-up + offset + paused +
        stalled + 1 ms per event before it. A binge link (`after_ms`, the last event of the link before) starts the
        countdown after it (draw 1's bits 0-15) and from the episode's start.
        """
        M64, G, mix = wm.M64, wm.GAMMA, wm.mix64
        coarse = sk >> wm.START_SHIFT
        h = mix((sk + G) & M64)
        if after_ms is None:
            t0 = base_ms + ((coarse << 16 | (h & 0xFFFF)) * wm.SLOT_MS >> wm.START_FRACTION_BITS)
            r = (sk >> wm.RESUME_SHIFT & 0xFF) << 24 | h >> 40
            p0 = (
                (r * duration * wm.RESUMED_MAX_PERMILLE) // (wm.RESUMED_THRESHOLD * 1000)
                if r < wm.RESUMED_THRESHOLD
                else 0
            )
        else:
            t0 = after_ms + binge.COUNTDOWN_MIN_MS + ((_COUNTDOWN_SPAN * (h & 0xFFFF)) >> 16)
            p0 = 0
        s8 = sk & 0xFF
        if complete:
            span = duration - p0
        else:
            # plays.stopped_fraction, inlined: the coarse bits pick the segment, draw 1's bits 16-39 the point
            stops = plays.STOP_FRACTION[device]
            fraction = stops[s8] + (((stops[s8 + 1] - stops[s8]) * ((h >> 16) & 0xFFFFFF)) >> 24)
            span = 1 + ((max(0, duration - p0 - 2) * fraction) >> 32)
        # Pauses (draws D_PAUSE..): k playhead points, sorted, and k lengths in time order, capped in total.
        low, high, max_paused = wm.PAUSE_LOW_MS, wm.PAUSE_HIGH_MS, wm.MAX_PAUSED_MS
        hs = [mix((sk + (wm.D_PAUSE + j) * G) & M64) for j in range(k)]
        points = sorted((span * (x >> 32)) >> 32 for x in hs)
        paused = [0]
        total = 0
        for x in hs:
            b = (x >> 20) & 0xFFF
            total += low[b] + (((high[b] - low[b]) * (x & 0xFFFFF)) >> 20)
            paused.append(total if total < max_paused else max_paused)
        # Bitrate switches (count: draw D_PLAYER + 1's bits 0-9, by screen; points: draws D_SWITCH..).
        n = player.SWITCH_COUNTS[device][mix((sk + _PLAYER_2_GAMMA) & M64) & 0x3FF]
        switches = sorted((span * (mix((sk + (wm.D_SWITCH + j) * G) & M64) >> 32)) >> 32 for j in range(n))
        offsets, before, kinds = [0], [0], [_START]
        j = 0
        for p, point in enumerate(points):
            while j < n and switches[j] <= point:
                offsets.append(switches[j])
                before.append(paused[p])
                kinds.append(_SWITCH)
                j += 1
            offsets += (point, point)
            before += (paused[p], paused[p + 1])
            kinds += (_PAUSE, _RESUME)
        for point in switches[j:]:
            offsets.append(point)
            before.append(paused[k])
            kinds.append(_SWITCH)
        offsets.append(span)
        before.append(paused[k])
        kinds.append(_COMPLETE if complete else _STOP)
        return t0, p0, span, offsets, before, kinds

    def _slack(self, played: int, events: int) -> int:
        """The most start-up and stalls can delay an event after `played` seconds of play and `events` events:
        MAX_STARTUP_MS, and at most a stall per event interval beyond what the highest stall rate accrues, each at
        most 1.5 times the longest mean (player.py), in all at most MAX_STALLED_MS."""
        stalls = ((self.stall_rate_max * played) >> 24) + 1 + events
        stalled = stalls * _STALL_MS_MAX
        return player.MAX_STARTUP_MS + (stalled if stalled < player.MAX_STALLED_MS else player.MAX_STALLED_MS)

    def _first_due(self, timeline: tuple, ad_ms: int) -> int | bool | None:
        """None if every event lies before the window whatever the start-up, stalls and ads (at most `ad_ms`); an
        int (a bound of its first event at or after end_ms) if none can lie in it; True if some may. An ad break
        lies between two events, so anything after event e - 1 comes after that event's earliest time."""
        t0, _, _, offsets, before, _ = timeline
        start_ms = self.start_ms

        def slack(played: int, events: int) -> int:
            return self._slack(played, events) + ad_ms

        last = len(offsets) - 1
        if t0 + offsets[last] * 1000 + before[last] + last + slack(offsets[last], last) < start_ms:
            return None
        e = 0
        while t0 + offsets[e] * 1000 + before[e] + e + slack(offsets[e], e) < start_ms:
            e += 1
        earliest = t0 + offsets[e - 1] * 1000 + before[e - 1] + e if e else t0
        return earliest if earliest >= self.end_ms else True

    def _viewer(self, sk: int, plan: wm.HourPlan, title_field: int, scope: str | None) -> int:
        """The device that plays the session (World.device): its household by the start hour's plan (draw
        D_VIEWER; among `scope`'s subscribers for a live surge's extra candidate), the household's screen by the
        key's screen field; -1 when the draw finds no viewer."""
        h = wm.mix64((sk + _VIEWER_GAMMA) & wm.M64)
        world = self.world
        customer = world.pick_customer(plan, h, plan.titles.genres[title_field], scope)
        return world.device(customer, sk) if customer >= 0 else -1

    def _factors(self, t0: int, base: dict) -> tuple[int, int, int, int, int]:
        """(startup, start_fail, stall, error, bitrate cap) permille factors of the incidents whose scope holds the
        session."""
        startup = fail = stall = error = bitrate = 1000
        for inc in self.incidents:
            if (
                inc.start_ms <= t0 < inc.end_ms
                and (inc.country is None or inc.country == base["country"])
                and (inc.state is None or inc.state == base["state"])
                and (inc.isp is None or inc.isp == base["isp"])
                and (inc.device_os is None or inc.device_os == base["device_os"])
                and (inc.app_version is None or inc.app_version == base["app_version"])
            ):
                startup = startup * inc.startup_permille // 1000
                fail = fail * inc.start_fail_permille // 1000
                stall = stall * inc.stall_permille // 1000
                error = error * inc.error_permille // 1000
                bitrate = bitrate * inc.bitrate_permille // 1000
        return startup, fail, stall, error, bitrate

    def _play(
        self, sk: int, plan: wm.HourPlan, title_field: int, vkey: int, device: int, complete: bool, timeline: tuple,
        hour: int, title: int | None = None,
    ) -> _Story:  # fmt: skip
        """The session's player story for its viewer, its events in each window it runs in written.

        Draw D_PLAYER decides the start: the start-up time (log-normal quantile by screen and network), a failed
        start, or an exit during a wait longer than the grace; draw D_PLAYER + 1 whether the play stalls at all, a
        fatal error in place of a stop, the first rung and its throughput level. Each event's value draw (D_EVENT +
        3e + 2) adds its interval's stalls, its switch's new rung and level, and its bandwidth reading (the level's,
        jittered). `hour` (the UTC hour the session, or its binge chain, started in) gives the viewer's local load
        (player.load_factors), which lengthens the start-up and lowers the throughput. `title` gives a binge chain's
        link its episode (else the key's title field's). At its first event at or after the window's end it yields
        that event's time and, resumed, goes on in the window the writer then holds (`reset`: one starting at or
        after the one it stopped in). It returns the last event's time when the play started (a binge chain's next
        link starts a countdown after it), else None.
        """
        t0, p0, _, offsets, before, kinds = timeline
        if title is None:
            title = plan.titles.title[title_field]
        prep = self.prep
        viewer = prep.viewers.get(vkey) or prep.viewer(vkey)
        q = viewer.qoe
        f_startup, f_fail, f_stall, f_error, f_bitrate = (
            self._factors(t0, viewer.base) if self.incidents else _UNCHANGED
        )
        customer = self.prep.devices.customer[vkey]
        f_load, f_throughput = _load_factors(self.prep.customers[customer]["timezone"], hour)
        base10 = viewer.bandwidth10 * f_throughput // 1000
        d1 = wm.mix64((sk + _PLAYER_1_GAMMA) & wm.M64)
        startup = q.startup_ms * player.STARTUP_PERMILLE[d1 & 0xFFF] // 1000 * f_load // 1000 * f_startup // 1000
        startup = startup if startup < player.MAX_STARTUP_MS else player.MAX_STARTUP_MS
        fail_below = q.fail_below * f_fail // 1000
        if (d1 >> 12) & 0xFFFFF < fail_below:
            yield from self._write_unstarted(
                sk, title, p0, vkey, viewer, t0 + startup, startup, _START_FAILED, d1, base10
            )
            return None
        wait = startup - player.EBVS_GRACE_MS
        if wait > 0 and (d1 >> 32) & 0xFFFFFF < min(_EBVS_MAX, wait * q.ebvs_slope):
            waited = player.EBVS_GRACE_MS + ((wait * (d1 >> 56)) >> 8)
            yield from self._write_unstarted(sk, title, p0, vkey, viewer, t0 + waited, waited, _EXIT, d1, base10)
            return None
        d2 = wm.mix64((sk + _PLAYER_2_GAMMA) & wm.M64)
        stall_rate = q.stall_rate * f_stall // 1000 if (d2 >> 10) & 0xFFFF < q.prone_below else 0
        last = len(offsets) - 1
        if not complete and (d2 >> 26) & 0xFFFFF < q.error_below * f_error // 1000:
            kinds = [*kinds[:last], _ERROR]
        # The ladder ABR moves on: the viewer's rungs, congestion's cap, the top the session's line carries at this
        # hour's load; each rung is played at a throughput level where it is the highest that fits (rung_level).
        low, own_top = q.rung_low, q.rung_top
        top = player.congested_top(low, own_top, f_bitrate) if f_bitrate != 1000 else own_top
        top = _loaded_top(low, top, base10)
        rung = max(low, top - player.FIRST_RUNG_DROP[(d2 >> 46) & 3])
        level = _rung_level(rung, top, own_top, base10, (d2 >> 50) << 2)
        code = _PLAYBACK_CODES[(d2 >> 48) & 3]
        start_ms, end_ms = self.start_ms, self.end_ms
        begin = t0 + startup
        M64, G2, X1, X2 = wm.M64, _GAMMA_2, wm.MIX_1, wm.MIX_2
        max_stalled = player.MAX_STALLED_MS
        stalls = stalled = 0
        stall_mean = q.stall_mean_ms
        writer = _SessionWriter(self, sk, title, vkey, viewer, p0)
        prev = 0
        # The play's ad breaks (ads.play_breaks), for a customer some campaign may fit: a break goes in before the
        # first event after the start whose offset passes its own (the pre-roll right after the start), the
        # post-roll after the end; every event after a break is later by its ad time (`shift`).
        book = self.prep.ad_book
        breaks = ads.play_breaks(writer.duration, p0, timeline[2], complete) if book.shows_breaks(customer) else ()
        last_ad_ms = None
        n_breaks, nb, shift = len(breaks), 0, 0
        for e in range(last + 2):
            while nb < n_breaks and e and (e > last or (breaks[nb][1] if nb else -1) < offsets[e]):
                position, o = breaks[nb]
                at = begin + o * 1000 + before[e if e <= last else last] + stalled + e + shift
                while at >= end_ms:
                    yield at
                    start_ms, end_ms = self.start_ms, self.end_ms
                added, ad_ms = yield from self._ad_break(
                    writer, sk, nb, position, o, at, customer, rung, level, stalls, stalled
                )
                start_ms, end_ms = self.start_ms, self.end_ms
                if ad_ms is not None:
                    last_ad_ms = ad_ms
                shift += added
                nb += 1
            if e > last:
                break
            off = offsets[e]
            played = off - prev
            prev = off
            kind = kinds[e]
            v = 0
            if played or kind == _SWITCH:
                # The event's draws: D_EVENT + 3e (id, high half), + 1 (low half), + 2 (its values).
                z = (sk + _EVENT_GAMMAS[e] + G2) & M64
                z = ((z ^ (z >> 30)) * X1) & M64
                z = ((z ^ (z >> 27)) * X2) & M64
                v = z ^ (z >> 31)
                if played and stall_rate:
                    new = (stall_rate * played + (v >> 40)) >> 24
                    if new:
                        stalls += new
                        stalled += (new * stall_mean * (128 + ((v >> 8) & 0xFF))) >> 8
                        stalled = stalled if stalled < max_stalled else max_stalled
                if kind == _SWITCH:
                    to = top - player.SWITCH_DROP[(v >> 32) & 7]
                    to = to if to > low else low
                    rung = to if to != rung else rung - 1 if rung > low else rung + 1
                    level = _rung_level(rung, top, own_top, base10, (v >> 16) & 0xFFFF)
            ms = begin + off * 1000 + before[e] + stalled + e + shift
            while ms >= end_ms:
                yield ms
                start_ms, end_ms = self.start_ms, self.end_ms
            if ms < start_ms:
                continue
            if not v:
                z = (sk + _EVENT_GAMMAS[e] + G2) & M64
                z = ((z ^ (z >> 30)) * X1) & M64
                z = ((z ^ (z >> 27)) * X2) & M64
                v = z ^ (z >> 31)
            writer.write(
                e,
                ms,
                kind,
                v,
                off,
                stalls,
                stalled,
                startup if e == 0 else None,
                rung,
                level,
                code if kind == _ERROR else None,
            )
        # A post-roll's last ad event, if it showed one, ends the play (and places a binge chain's next link).
        return ms if last_ad_ms is None or last_ad_ms < ms else last_ad_ms

    def _ad_break(
        self, writer: _SessionWriter, sk: int, k: int, position: int, o: int, at: int, customer: int, rung: int,
        level: int, stalls: int, stalled: int,
    ) -> Generator[int, None, tuple[int, int | None]]:  # fmt: skip
        """Break k of the play (position code, content offset o) starting at `at`: its ads written in each window
        they lie in (yielding, as `_play` does, at an ad event at or after the window's end). Returns (its ad time,
        the time of its last ad event or None if it showed none)."""
        book = self.prep.ad_book
        day, bucket = ads.bucket_of(at)
        ids, step, offset = book.live(self.world.ads_key, customer, day, position)
        if not ids:
            return 0, None
        tz = str(book.customers[customer]["timezone"])
        pod = ads.pod_campaigns(ids, step, offset, ads.bucket_ranks(tz, day)[bucket])
        if not pod:
            return 0, None
        base = wm.D_AD + k * wm.AD_DRAWS
        draws = [wm.draw(sk, base + 1 + i) for i in range(ads.MAX_POD)]
        device_type = writer.viewer.base["device_type"]
        shown = ads.break_ads(book.targets, pod, ads.POSITIONS[position], device_type, wm.draw(sk, base), draws)
        t, ms = at, None
        for i, ad in enumerate(shown):
            target = book.targets[ad.target]
            for half in (0, 1) if ad.completed else (0,):
                ms = t + ad.ran_ms + 1 if half else t
                while ms >= self.end_ms:
                    yield ms
                if ms >= self.start_ms:
                    writer.write_ad(
                        base + 1 + ads.MAX_POD + 4 * i + 2 * half, ms, half, draws[i] >> 48, o, stalls, stalled, rung,
                        level, target.campaign_id, position, target.seconds,
                    )  # fmt: skip
            t += ad.ran_ms + ads.AD_EVENT_MS
        return t - at, ms

    def _write_unstarted(
        self, sk: int, title: int, p0: int, vkey: int, viewer: _Viewer, ms: int, waited: int, kind: int, d1: int,
        level: int,
    ) -> _Story:  # fmt: skip
        """The one event of an attempt that ends before the first frame, written in the window it lies in."""
        while ms >= self.end_ms:
            yield ms
        if ms >= self.start_ms:
            writer = _SessionWriter(self, sk, title, vkey, viewer, p0)
            v = wm.mix64((sk + _EVENT_GAMMAS[0] + _GAMMA_2) & wm.M64)
            code = _START_CODES[(d1 >> 56) & 3] if kind == _START_FAILED else None
            writer.write(0, ms, kind, v, 0, 0, 0, waited, None, level, code)
        return None

    def result(self) -> list[dict]:
        """The events written, by time: ties keep generation order (the sort is stable)."""
        out, self.out = self.out, []
        out.sort(key=itemgetter(0))  # ms orders as the timestamp text does
        if self.as_records:
            return [{"Data": line.encode("utf-8"), "PartitionKey": key} for _, line, key in out]
        return [ev for _, ev in out]


class _SessionWriter:
    """Renders one session's events into the output of the window its writer holds: a record line or an event dict
    each (a story resumed in a later window writes into that one's)."""

    __slots__ = (
        "duration",
        "p0",
        "prep",
        "session_id",
        "sk",
        "template",
        "title",
        "title_json",
        "viewer",
        "vkey",
        "window",
    )  # fmt: skip

    def __init__(self, window: _WindowWriter, sk: int, title: int, vkey: int, viewer: _Viewer, p0: int) -> None:
        prep = window.prep
        self.sk, self.viewer, self.p0, self.window = sk, viewer, p0, window
        self.vkey, self.prep, self.title = vkey, prep, title
        self.duration = prep.titles[title][2]
        self.session_id: str | None = None
        """Made on the first event written (most plays a cold window draws write none)."""
        self.template: str | None = None
        """The viewer's record line template, on its first record line."""
        self.title_json: tuple[str, str] | None = None

    def write(
        self, e: int, ms: int, kind: int, v: int, off: int, stalls: int, stalled: int, startup: int | None,
        rung: int | None, level: int, code: str | None,
    ) -> None:  # fmt: skip
        """Event e at `ms`: its id from draws D_EVENT + 3e and + 1, its bandwidth reading from the throughput level
        (tenths of Mbps) jittered by its value draw v."""
        at = self.sk + _EVENT_GAMMAS[e]
        event_id = wm.uuid4_text(wm.mix64(at & wm.M64), wm.mix64((at + wm.GAMMA) & wm.M64))
        self._emit(event_id, ms, kind, v, off, stalls, stalled, startup, rung, level, code, None)

    def write_ad(
        self, id_draw: int, ms: int, half: int, v: int, off: int, stalls: int, stalled: int, rung: int, level: int,
        campaign_id: str, position: int, seconds: int,
    ) -> None:  # fmt: skip
        """An ad's ad_start (half 0) or ad_complete (1) at `ms`: its id from draws id_draw and + 1, its bandwidth
        reading from v (its ad draw's bits 48-55); content position, watch time and the counters as at the break."""
        at = self.sk + id_draw * wm.GAMMA
        event_id = wm.uuid4_text(wm.mix64(at & wm.M64), wm.mix64((at + wm.GAMMA) & wm.M64))
        kind = _AD_COMPLETE if half else _AD_START
        ad = (campaign_id, ads.POSITIONS[position], seconds)
        self._emit(event_id, ms, kind, v, off, stalls, stalled, None, rung, level, None, ad)

    def _emit(
        self, event_id: str, ms: int, kind: int, v: int, off: int, stalls: int, stalled: int, startup: int | None,
        rung: int | None, level: int, code: str | None, ad: tuple[str, str, int] | None,
    ) -> None:  # fmt: skip
        viewer, duration = self.viewer, self.duration
        jitter_base, jitter_span = wm.JITTER_PERMILLE
        bw = (level * (jitter_base + ((jitter_span * (v & 0xFF)) >> 8)) + 500) // 1000
        bw = (viewer.floor10 if bw < viewer.floor10 else viewer.high10 if bw > viewer.high10 else bw) / 10
        window = self.window
        session_id = self.session_id
        if session_id is None:
            sk = self.sk
            session_id = self.session_id = wm.uuid4_text(
                wm.mix64((sk + _SESSION_GAMMA) & wm.M64), wm.mix64((sk + _SESSION_GAMMA + wm.GAMMA) & wm.M64)
            )
        prefixes = window.minute_prefixes
        minute = ms // 60000
        prefix = prefixes.get(minute)
        if prefix is None:
            prefix = prefixes[minute] = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
        timestamp = prefix + _SECOND_SUFFIX[ms - minute * 60000]
        position = self.p0 + off
        # round(100.0 * position / duration, 2) without round()'s decimal-string round trip: q is the nearest
        # integer to 10000 * position / duration, and q / 100 is the double round() returns unless that ratio lies
        # exactly halfway (rem == 0), where round() settles the tie itself.
        q, rem = divmod(20000 * position + duration, 2 * duration)
        completion = q / 100 if rem else round(100.0 * position / duration, 2)
        errors = 1 if kind in (_START_FAILED, _ERROR) else 0
        started = kind not in (_START_FAILED, _EXIT)
        if window.as_records:
            if self.title_json is None:
                prep = self.prep
                self.template = prep.record_templates.get(self.vkey) or prep.record_template(self.vkey)
                self.title_json = prep.title_json[self.title]
            title_id, title_type = self.title_json
            if ad is None:
                template = self.template
                tail: tuple = ()
            else:
                template = self.prep.ad_record_templates.get(self.vkey) or self.prep.ad_record_template(self.vkey)
                tail = (json_value(ad[0]), json_value(ad[1]), ad[2])
            line = template % (
                event_id,
                _KIND_NAMES[kind],
                timestamp,
                title_id,
                session_id,
                title_type,
                bw,
                stalls,
                stalled / 1000,
                errors,
                off,
                position,
                completion,
                _NULL if startup is None else str(startup),
                _LADDER_TEXT[rung] if started and rung is not None else _NULL,
                _NULL if code is None else code,
                *tail,
            )
            window.out.append((ms, line, session_id))
        else:
            ev = self.viewer.base.copy()  # the template holds every column, so keys stay in schema order
            ev["event_id"] = event_id
            ev["event_type"] = _KIND_NAMES[kind]
            ev["event_timestamp"] = timestamp
            ev["session_id"] = session_id
            ev["title_id"], ev["title_type"] = self.prep.titles[self.title][:2]
            ev["bandwidth_mbps"] = bw
            ev["buffering_events"] = stalls
            ev["buffering_duration_seconds"] = stalled / 1000
            ev["error_count"] = errors
            ev["watch_duration_seconds"] = off
            ev["position_seconds"] = position
            ev["completion_percentage"] = completion
            ev["startup_time_ms"] = startup
            ev["bitrate_kbps"] = player.LADDER_KBPS[rung] if started and rung is not None else None
            ev["error_code"] = None if code is None else json.loads(code)
            if ad is not None:
                ev["campaign_id"], ev["ad_position"], ev["ad_duration_seconds"] = ad
            window.out.append((ms, ev))


def _scan_slot(
    writer: _WindowWriter, slot: int, plan: wm.HourPlan, admitted: bytes, keep: bool
) -> _SlotSessions | None:
    """Write the window's events of every admitted session of a slot (one byte per candidate, concurrency.py: 0
    refused, 1 + k played k episodes past its household's own); with `keep`, return those with events after it
    (since the window's end)."""
    M64, G, X1, X2 = wm.M64, wm.GAMMA, wm.MIX_1, wm.MIX_2
    reach, pause_reach = plan.titles.reach, _PAUSE_REACH
    title_shift, pause_shift = wm.TITLE_SHIFT, wm.PAUSE_SHIFT
    slot_key = wm.mix64((writer.world.key + slot * G) & M64)
    own = plan.whole + ((slot_key >> 11) < plan.threshold)
    scoped = _surge_keys(writer.world, slot, plan, slot_key, own)
    n = own + len(scoped)
    base_ms = slot * wm.SLOT_MS
    need = writer.start_ms - base_ms
    """A session of this slot reaches the window only if it lasts about this long (reach bounds that)."""
    reaching = []
    further: dict[int, int] = {}
    # Session i's key is mix(slot_key + i * GAMMA): stepping z by GAMMA saves a multiply per session.
    for played, z in zip(admitted, range(slot_key + G, slot_key + (n + 1) * G, G), strict=True):
        if not played:
            continue
        z &= M64
        z = ((z ^ (z >> 30)) * X1) & M64
        z = ((z ^ (z >> 27)) * X2) & M64
        sk = z ^ (z >> 31)
        # Cheapest test first: even its title's full length with its longest pauses falls short of the window.
        if reach[(sk >> title_shift) & 0xFFFF] + pause_reach[(sk >> pause_shift) & 0x3FF] >= need:
            reaching.append(sk)
            if played > 1:
                further[sk] = played - 1
    after, stories = writer.sessions(reaching, base_ms, plan, scoped=scoped, further=further)
    if not keep:
        return None
    keys, next_ms, kept = array("Q"), array("q"), []
    for sk, at, story in zip(reaching, after, stories, strict=True):
        if at is not None:
            keys.append(sk)
            next_ms.append(at)
            kept.append(story)
    return _SlotSessions(writer.end_ms, keys, next_ms, kept, {sk: further[sk] for sk in keys if sk in further})


def _surge_keys(world: World, slot: int, plan: wm.HourPlan, slot_key: int, own: int) -> dict[int, str]:
    """The keys of a slot's live surges' extra candidates (World.slot_surges: after its `own` candidates), each
    with its scope (a country)."""
    surges = world.slot_surges(slot, plan)
    if not surges:
        return {}
    keys, i = {}, own
    for count, country in surges:
        for _ in range(count):
            i += 1
            keys[wm.draw(slot_key, i)] = country
    return keys


def _continue_slot(writer: _WindowWriter, cached: _SlotSessions, base_ms: int, plan: wm.HourPlan) -> _SlotSessions:
    """Write the window's events of a cached slot's sessions (resuming their stories where they were kept): the
    entry of those that go on."""
    end_ms = writer.end_ms
    due = [i for i, at in enumerate(cached.next_ms) if at < end_ms]
    if not due:
        return _SlotSessions(end_ms, cached.keys, cached.next_ms, cached.stories, cached.further)
    old_keys, old_stories = cached.keys, cached.stories
    scoped: dict[int, str] = {}
    if plan.scoped and any(old_stories[i] is None for i in due):  # a session drawn again needs its viewer
        slot = base_ms // wm.SLOT_MS
        slot_key = wm.draw(writer.world.key, slot)
        scoped = _surge_keys(writer.world, slot, plan, slot_key, plan.whole + ((slot_key >> 11) < plan.threshold))
    after, stories = writer.sessions(
        [old_keys[i] for i in due], base_ms, plan, [old_stories[i] for i in due], scoped=scoped, further=cached.further
    )
    keys, next_ms, kept = array("Q"), array("q"), []
    d = 0
    for i, (sk, at) in enumerate(zip(old_keys, cached.next_ms, strict=True)):
        story = old_stories[i]
        if at < end_ms:
            at, story = after[d], stories[d]
            d += 1
            if at is None:
                continue
        keys.append(sk)
        next_ms.append(at)
        kept.append(story)
    further = cached.further
    return _SlotSessions(
        end_ms, keys, next_ms, kept, {sk: further[sk] for sk in keys if sk in further} if further else None
    )


def _window(world: World, start_ms: int, end_ms: int, shard: int, shards: int, *, as_records: bool) -> list[dict]:
    """The window's events: cached slots continued (_SessionCache), the others scanned, in slot order."""
    _check_window(start_ms, end_ms, shard, shards)
    cached = _CACHE.of(world)
    if cached.writer is None:
        cached.writer = _WindowWriter(world)
    writer = cached.writer.reset(start_ms, end_ms, as_records=as_records)
    try:
        lowest = _CACHE.advance(cached, start_ms)
        slots = world.slot_range(start_ms, end_ms)
        for slot in range(slots.start + (shard - slots.start) % shards, slots.stop, shards):
            plan = world.hour(slot // 60)
            entry = cached.slots.get(slot)
            if entry is not None and entry.since <= start_ms:
                _CACHE.replace(cached, slot, _continue_slot(writer, entry, slot * wm.SLOT_MS, plan))
            else:
                keep = entry is None and slot >= lowest
                scanned = _scan_slot(writer, slot, plan, cached.admission.admitted(slot), keep)
                if scanned is not None:
                    _CACHE.store(cached, slot, scanned)
    except BaseException:
        _CACHE.forget(world)  # a story interrupted midway cannot be resumed
        raise
    return writer.result()
