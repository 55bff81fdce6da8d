"""Streaming events for one time window, drawn as slices of viewing sessions (the generator's hot path).

Sessions run for minutes to hours while a window is a few minutes, so most sessions live in a window
with one or two events. Rather than simulate every running session, each session is drawn already
placed in the window: its pause count is size-biased (a session with n events is n times as likely to
have one in the window), one of its events is the anchor and lands uniformly in the window, and the
draw is kept only if the anchor is the session's first event in the window. Every (session, start
time) with events in the window is thus produced with the probability a steady stream of sessions
would give it, so event-type, device and title shares match the session model.

The anchor and its place in the window are drawn first and rejected as soon as the gap back to the
previous event is known, so a rejected draw costs little. Only the anchor and the events after it that
fall in the window are built: the times and playhead offsets before it do not show in the output (its
offset does, and the stalls and errors up to it are drawn in one go). Per event there are a handful of
random numbers, small-integer millisecond arithmetic and table lookups for the timestamp text.

`generate_events` returns the rows as dicts; `generate_records` runs the same draws and renders each event
straight into its Kinesis record line through a per-viewer template, the generator Lambda's path.
Lambda-safe: standard library only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import time
from collections.abc import Mapping
from operator import itemgetter
from typing import NamedTuple

from functions.shared import domains
from functions.shared.dimensions import Dimensions
from functions.shared.records import json_value, line_template
from functions.shared.schema import STREAMING_EVENTS

CONNECTION_SHARES_BY_DEVICE: dict[str, dict[str, float]] = {
    "mobile": {"5g": 0.35, "4g": 0.30, "wifi": 0.35},
    "tablet": {"wifi": 0.80, "5g": 0.10, "4g": 0.10},
    "tv": {"fiber": 0.30, "cable": 0.35, "wifi": 0.20, "dsl": 0.15},
    "web": {"fiber": 0.25, "cable": 0.30, "wifi": 0.35, "dsl": 0.10},
}
"""How each device type connects; mobile networks get the customer's mobile address, the rest the home one."""

MOBILE_CONNECTIONS = frozenset({"4g", "5g"})
RESUMED_SESSION_SHARE = 0.3
"""Share of sessions that start mid-title (continue watching) rather than at 0."""
RESUMED_MAX_FRACTION = 0.6
"""A resumed session starts at most this far into the title."""

_PAUSE_RATIO = domains.PAUSES_PER_SESSION_MEAN / (1.0 + domains.PAUSES_PER_SESSION_MEAN)
"""p of the geometric pause count P(k) = (1-p) p^k, whose mean p/(1-p) is PAUSES_PER_SESSION_MEAN."""
_PAUSE_MEAN_MS = domains.MEAN_PAUSE_SECONDS * 1000.0
_MIN_PAUSE_MS = 1000
_SLOTS = 1000
"""Resolution of the weighted lookup tables (weights are given to 3 decimals)."""

_PAUSE_SLOTS = 8192


def _size_biased_pause_counts() -> list[int]:
    """Quantile table of the pause count of a session seen through one of its events.

    A session with k pauses has 2 + 2k events, so it is seen k + 1 times as often as its share of
    sessions: P'(k) = (k + 1)(1 - p)^2 p^k, the sum of two geometric counts. Slot s holds the
    (s + 0.5) / _PAUSE_SLOTS quantile, so one uniform draw picks k.
    """
    p = _PAUSE_RATIO
    table: list[int] = []
    k, cdf = 0, 0.0
    while len(table) < _PAUSE_SLOTS:
        cdf += (k + 1) * (1 - p) ** 2 * p**k
        while len(table) < _PAUSE_SLOTS and (len(table) + 0.5) / _PAUSE_SLOTS < cdf:
            table.append(k)
        k += 1
    return table


_PAUSE_COUNTS = _size_biased_pause_counts()
assert _PAUSE_SLOTS == 1 << 13, "generate_events draws a slot with getrandbits(13)"

_EVENT_TYPES = [
    tuple(("start", *("pause", "resume") * k, end) for end in domains.SESSION_END_TYPES)
    for k in range(max(_PAUSE_COUNTS) + 1)
]
"""_EVENT_TYPES[k][complete][i]: type of event i of a session with k pauses that ends in stop or complete."""

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
)
"""The columns drawn per session or event: a record line leaves them open, filled in this order."""
assert sorted(_CUSTOMER_FIELDS + _VIEWER_FIELDS + _RECORD_FIELDS) == sorted(_TEMPLATE), (
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

_QUALITY_FLOORS = tuple(domains.MIN_BANDWIDTH_MBPS_FOR_QUALITY[q] for q in domains.QUALITY_ORDER)
_HEX_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def best_quality(tier: str, bandwidth_mbps: float) -> str:
    """Best of QUALITY_ORDER the tier allows and the bandwidth can carry."""
    tier_max = domains.QUALITY_ORDER.index(domains.MAX_QUALITY_BY_TIER[tier])
    by_bandwidth = max(i for i, floor in enumerate(_QUALITY_FLOORS) if bandwidth_mbps >= floor)
    return domains.QUALITY_ORDER[min(tier_max, by_bandwidth)]


def device_identity(customer_id: str, device_type: str) -> tuple[str, str]:
    """(device_id, device_os) of a customer's device of a type: the same in every run and process."""
    digest = hashlib.blake2b(f"{customer_id}|{device_type}".encode(), digest_size=8).digest()
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
    """One customer's device as it streams: its event template and its network's behaviour."""

    base: dict
    """Event template with the customer, device, network and quality fields filled."""
    bandwidth10: float
    """Typical bandwidth in tenths of Mbps; events jitter around it."""
    low: float
    """Lowest bandwidth an event may show without changing the session's quality."""
    high: float
    stall_rate: float
    """Expected rebuffering stalls per played second."""
    stall_mean: float
    error_rate: float
    """Expected errors per played second."""


def viewer_profile(customer: dict, device_type: str) -> _Viewer:
    """A customer's device: connection, bandwidth, quality, address and app version, the same in every run.

    Drawn from a digest of customer and device rather than the caller's rng, so a household's TV keeps its
    fiber line from tick to tick and the result does not depend on which sessions were generated first.
    """
    customer_id = customer["customer_id"]
    digest = hashlib.blake2b(f"{customer_id}|{device_type}".encode(), digest_size=32).digest()
    connections = _slots(CONNECTION_SHARES_BY_DEVICE[device_type])
    connection = connections[int(_unit(digest, 0) * len(connections))]
    lo, hi = domains.CONNECTION_TYPES[connection]
    bandwidth = round(lo + (hi - lo) * _unit(digest, 4), 1)
    band = max(i for i, floor in enumerate(_QUALITY_FLOORS) if bandwidth >= floor)
    low = max(lo, _QUALITY_FLOORS[band])
    high = min(hi, round(_QUALITY_FLOORS[band + 1] - 0.1, 1)) if band + 1 < len(_QUALITY_FLOORS) else hi
    poor = connection in domains.POOR_CONNECTIONS
    device_id, device_os = device_identity(customer_id, device_type)
    home = hashlib.blake2b(customer_id.encode(), digest_size=8).digest()
    base = _TEMPLATE.copy()
    for name in _CUSTOMER_FIELDS:
        base[name] = customer[name]
    base["isp"] = domains.ISPS[home[0] % len(domains.ISPS)]
    base["device_id"] = device_id
    base["device_type"] = device_type
    base["device_os"] = device_os
    base["app_version"] = domains.APP_VERSIONS[digest[8] % len(domains.APP_VERSIONS)]
    base["quality"] = best_quality(customer["subscription_tier"], bandwidth)
    mobile = connection in MOBILE_CONNECTIONS
    base["ip_address"] = _address(digest, 12, _MOBILE_FIRST_OCTETS) if mobile else _address(home, 1, _HOME_FIRST_OCTETS)
    base["connection_type"] = connection
    return _Viewer(
        base,
        bandwidth * 10,
        low,
        high,
        domains.STALLS_PER_PLAY_HOUR[poor] / 3600.0,
        domains.MEAN_STALL_SECONDS[poor],
        domains.ERRORS_PER_PLAY_HOUR[poor] / 3600.0,
    )


class PreparedDimensions:
    """Who watches and what: lookup tables of one Dimensions, built once per container; the backfill uses them too."""

    def __init__(self, dims: Dimensions) -> None:
        self.customers = [c for c in dims.customers if c["is_active"]] or list(dims.customers)
        if not self.customers or not dims.titles:
            raise ValueError("dims must hold at least one customer and one title")
        self.titles = [(t["title_id"], t["title_type"], int(t["duration_minutes"]) * 60) for t in dims.titles]
        self.device_types = list(domains.DEVICE_TYPES)
        self.device_slots = [self.device_types.index(d) for d in _slots(domains.DEVICE_TYPES)]
        self.viewers: dict[int, _Viewer] = {}
        """customer index * len(device_types) + device index -> that viewer's profile."""
        self.record_templates: dict[int, str] = {}
        """Viewer key -> its record line template, the viewer's columns written out (generate_records)."""
        self._title_json: list[tuple[str, str]] | None = None

    def viewer(self, key: int) -> _Viewer:
        ci, di = divmod(key, len(self.device_types))
        profile = self.viewers[key] = viewer_profile(self.customers[ci], self.device_types[di])
        return profile

    def record_template(self, key: int) -> str:
        base = (self.viewers.get(key) or self.viewer(key)).base
        fixed = {name: base[name] for name in _CUSTOMER_FIELDS + _VIEWER_FIELDS}
        template = self.record_templates[key] = line_template(STREAMING_EVENTS, fixed, quoted=_GENERATED_STRINGS)
        return template

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


def _epoch_ms(moment: dt.datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"window_end must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def format_timestamp_ms(epoch_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and Z (slow path; the generator caches the minute part)."""
    return time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(epoch_ms // 60000 * 60)) + f"{epoch_ms % 60000 / 1000:06.3f}Z"


def generate_events(
    count: int,
    dims: Dimensions,
    *,
    window_end: dt.datetime,
    window_seconds: int = domains.DEFAULT_WINDOW_SECONDS,
    rng: random.Random,
) -> list[dict]:
    """`count` streaming_events rows from sessions overlapping (window_end - window_seconds, window_end], by time."""
    return _generate(count, dims, window_end, window_seconds, rng, as_records=False)


def generate_records(
    count: int,
    dims: Dimensions,
    *,
    window_end: dt.datetime,
    window_seconds: int = domains.DEFAULT_WINDOW_SECONDS,
    rng: random.Random,
) -> list[dict]:
    """The events of `generate_events` as Kinesis PutRecords entries, rendered without building event dicts.

    For the same arguments and rng state, equal to the producer's `encode_records(generate_events(...))`:
    each entry's Data is the event's newline-terminated JSON line and its PartitionKey the session_id. The
    generator Lambda sends these lines to the producer, which parses, validates and encodes them again.
    """
    return _generate(count, dims, window_end, window_seconds, rng, as_records=True)


def _generate(
    count: int,
    dims: Dimensions,
    window_end: dt.datetime,
    window_seconds: int,
    rng: random.Random,
    *,
    as_records: bool,
) -> list[dict]:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    if isinstance(window_seconds, bool) or not isinstance(window_seconds, int) or window_seconds < 1:
        raise ValueError(f"window_seconds must be an int >= 1, got {window_seconds!r}")
    prep = _prepared(dims)
    if not _SECOND_SUFFIX:
        _SECOND_SUFFIX.extend(f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60_000))
    suffix = _SECOND_SUFFIX
    # Times are kept as ms after `origin`, the minute boundary at or before the window start: epoch
    # milliseconds need two 30-bit digits, and CPython's fast paths for int arithmetic, hashing and the
    # final sort's compare take single-digit ints only. (A window of over 12 days just loses the speed.)
    end_ms = _epoch_ms(window_end)
    width_ms = window_seconds * 1000
    origin = (end_ms - width_ms) // 60000 * 60000
    first = end_ms - width_ms - origin  # window start, exclusive
    last_ms = end_ms - origin  # window end, inclusive
    minute_prefixes: dict[int, str] = {}
    """'YYYY-MM-DDTHH:MM:' of each minute after origin that an event lands in."""

    # math.floor is a plain builtin call, much cheaper than the int type; every value floored here is >= 0.
    rnd, bits, log, floor = rng.random, rng.getrandbits, math.log, math.floor
    titles, n_titles = prep.titles, len(prep.titles)
    n_customers, n_devices = len(prep.customers), len(prep.device_types)
    device_slots, viewers, new_viewer = prep.device_slots, prep.viewers, prep.viewer
    templates, new_template = prep.record_templates, prep.record_template
    title_json = prep.title_json if as_records else None
    variant, event_types = _HEX_VARIANT, _EVENT_TYPES
    pause_counts, pause_mean, complete_share = _PAUSE_COUNTS, _PAUSE_MEAN_MS, domains.COMPLETE_SHARE
    not_resumed = 1.0 - RESUMED_SESSION_SHARE
    resume_scale = RESUMED_MAX_FRACTION / RESUMED_SESSION_SHARE  # the resumed share of r spread over 0..max

    out: list[tuple] = []
    """(ms, event) or (ms, record line, partition key), in generation order."""
    append = out.append
    while len(out) < count:
        # Anchor first: which of the session's 2 + 2k events it is (k size-biased: sum of two geometrics)
        # and where in the window it lands, `t` ms after the window start. The draw is kept only if the
        # gap back to event j - 1 is at least t (that event is before the window), so each test comes as
        # soon as its gap is known and a rejected draw costs little. Events alternate: start, then
        # (pause, resume) k times, then the end; a resume (even j >= 2) follows a pause, the others play.
        k = pause_counts[bits(13)]
        last = 2 * k + 1
        j = floor(rnd() * (last + 1))
        t = 1 + floor(rnd() * width_ms)
        # Each event adds 1 ms to the session clock, so a session's times strictly increase.
        if j and not j & 1 and _MIN_PAUSE_MS + 1 + floor(-log(1.0 - rnd()) * pause_mean) < t:
            continue  # the pause before this resume began in the window: drawn via another anchor

        # Session skeleton: title, end, playhead span from p0 and the playhead points (offsets after p0):
        # 0, the k pauses in order, span. Event i is at points[(i + 1) // 2].
        title = floor(rnd() * n_titles)
        title_id, title_type, duration = titles[title]
        complete = rnd() < complete_share
        r = rnd()
        p0 = floor((r - not_resumed) * resume_scale * duration) if r >= not_resumed else 0
        span = duration - p0 if complete else 1 + floor((duration - p0 - 2) * rnd())
        if k == 0:
            points: tuple[int, ...] = (0, span)
        elif k == 1:
            points = (0, floor(rnd() * span), span)
        else:
            points = (0, *sorted([floor(rnd() * span) for _ in range(k)]), span)
        if j & 1 and (points[(j + 1) >> 1] - points[j >> 1]) * 1000 + 1 < t:
            continue  # played into the window before this pause or end: drawn via another anchor

        key = floor(rnd() * n_customers) * n_devices + device_slots[floor(rnd() * _SLOTS)]
        base, bandwidth10, low, high, stall_rate, stall_mean, error_rate = viewers.get(key) or new_viewer(key)
        if title_json is not None:
            template = templates.get(key) or new_template(key)
            title_id_json, title_type_json = title_json[title]
        # One draw gives the session id (32 hex), a prefix for its event ids (20 hex) and the rest of the
        # first event's id (12 hex; each later event draws its own). getrandbits(n).to_bytes().hex() (what
        # randbytes does) is about twice as fast as formatting the int as hex.
        h = bits(256).to_bytes(32, "little").hex()
        session_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant[h[16]]}{h[17:20]}-{h[20:32]}"
        event_prefix = f"{h[32:40]}-{h[40:44]}-4{h[45:48]}-{variant[h[48]]}{h[49:52]}-"
        event_id = event_prefix + h[52:]
        types = event_types[k][complete]
        stalls = errors = 0
        stalled = stalled_r = 0.0
        prev = 0
        ms = first + t
        i = j
        # Only the anchor and the events after it that fall in the window are built; what came before the
        # anchor shows only in its playhead offset, from which its stalls and errors are drawn in one go.
        while True:
            off = points[(i + 1) >> 1]
            if off != prev:
                played = off - prev
                prev = off
                x = stall_rate * played + rnd()
                if x >= 1.0:
                    new = floor(x)
                    stalls += new
                    stalled += new * stall_mean * (0.5 + rnd())
                    stalled_r = round(stalled, 3)
                x = error_rate * played + rnd()
                if x >= 1.0:
                    errors += floor(x)
            minute = ms // 60000
            prefix = minute_prefixes.get(minute)
            if prefix is None:
                prefix = minute_prefixes[minute] = time.strftime(
                    "%Y-%m-%dT%H:%M:", time.gmtime((origin // 60000 + minute) * 60)
                )
            bw = floor(bandwidth10 * (0.85 + 0.3 * rnd()) + 0.5) / 10
            if bw < low:
                bw = low
            elif bw > high:
                bw = high
            position = p0 + off
            # round(100.0 * position / duration, 2) without round()'s decimal-string round trip: q is the
            # nearest integer to 10000 * position / duration, and q / 100 is the double round() returns
            # unless that ratio lies exactly halfway (rem == 0), where round() settles the tie itself.
            # (A complete session ends at position == duration: exactly 100.0.)
            q, rem = divmod(20000 * position + duration, 2 * duration)
            completion = q / 100 if rem else round(100.0 * position / duration, 2)
            if title_json is not None:
                # The open columns of the viewer's template, in _RECORD_FIELDS order.
                line = template % (
                    event_id,
                    types[i],
                    prefix + suffix[ms - minute * 60000],
                    title_id_json,
                    session_id,
                    title_type_json,
                    bw,
                    stalls,
                    stalled_r,
                    errors,
                    off,
                    position,
                    completion,
                )
                append((ms, line, session_id))
            else:
                ev = base.copy()  # the template holds every column, so keys stay in schema order
                ev["event_id"] = event_id
                ev["event_type"] = types[i]
                ev["event_timestamp"] = prefix + suffix[ms - minute * 60000]
                ev["session_id"] = session_id
                ev["title_id"] = title_id
                ev["title_type"] = title_type
                ev["bandwidth_mbps"] = bw
                ev["buffering_events"] = stalls
                ev["buffering_duration_seconds"] = stalled_r
                ev["error_count"] = errors
                ev["watch_duration_seconds"] = off
                ev["position_seconds"] = position
                ev["completion_percentage"] = completion
                append((ms, ev))
            if i == last:
                break
            i += 1
            # To a pause or the end (odd i) the playhead moves on; to a resume (even i) a pause passes.
            if i & 1:
                ms += (points[(i + 1) >> 1] - off) * 1000 + 1
            else:
                ms += _MIN_PAUSE_MS + 1 + floor(-log(1.0 - rnd()) * pause_mean)
            if ms > last_ms:
                break
            event_id = event_prefix + bits(48).to_bytes(6, "little").hex()

    # By time; ties keep generation order (the sort is stable). ms orders as the timestamp text does.
    out.sort(key=itemgetter(0))
    del out[count:]
    if title_json is not None:
        return [{"Data": line.encode("utf-8"), "PartitionKey": key} for _, line, key in out]
    return [ev for _, ev in out]
