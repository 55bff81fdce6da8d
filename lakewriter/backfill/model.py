"""The world's sessions as numpy arrays, a range of start slots at a time: the backfill's generator.

Every value equals the generator Lambda's (`functions.generator.events`), because both follow
`functions.shared.world` draw for draw: the same SplitMix64 draws, here on uint64 arrays (which wrap mod 2**64
as the Python side masks), the same integer bit-field arithmetic, the same tables, the same float divisions.
Viewers get their device, network, quality and address from the generator's own `viewer_profile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from functions.generator import events as generator
from functions.shared import domains
from functions.shared import world as wm
from functions.shared.dimensions import Dimensions
from functions.shared.world import World

EVENT_TYPE_NAMES: tuple[str, ...] = tuple(domains.EVENT_TYPES)
START, PAUSE, RESUME, STOP, COMPLETE = (
    EVENT_TYPE_NAMES.index(t) for t in ("start", "pause", "resume", "stop", "complete")
)
DEVICE_TYPE_NAMES: tuple[str, ...] = tuple(domains.DEVICE_TYPES)
TITLE_TYPE_NAMES: tuple[str, ...] = tuple(domains.TITLE_TYPES)

MS_PER_SECOND = 1000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000

MAX_SHARED_DICTIONARY = 256
"""Columns with at most this many values are written with all of them as each file's dictionary; larger ones get
a dictionary of the values each file uses (`Coded.compact`)."""

VIEWER_COLUMNS = (
    "customer_id", "country", "state", "city", "isp", "device_id", "device_type", "device_os", "app_version",
    "quality", "ip_address", "connection_type",
)  # fmt: skip
"""Event columns that are fixed per viewer (customer and device type), copied from the generator's profile."""
TITLE_COLUMNS = ("title_id", "title_type")
"""Event columns that are fixed per title."""

_U = np.uint64
_MIX_1, _MIX_2 = _U(wm.MIX_1), _U(wm.MIX_2)
_S30, _S27, _S31 = _U(30), _U(27), _U(31)
_PAUSE_COUNTS = np.array(wm.PAUSE_COUNTS, dtype=np.int64)
_PAUSE_LOW = np.array(wm.PAUSE_LOW_MS, dtype=np.int64)
_PAUSE_WIDTH = np.array(wm.PAUSE_HIGH_MS, dtype=np.int64) - _PAUSE_LOW


def mix(z: np.ndarray) -> np.ndarray:
    """world.mix64 of each uint64."""
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


def draw(keys: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """world.draw(key, n) for each key (and each n, if an array)."""
    step = n.astype(np.uint64) * _U(wm.GAMMA) if isinstance(n, np.ndarray) else _U(n * wm.GAMMA & wm.M64)
    return mix(keys + step)


def _field(values: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """Bits [shift, shift + bits) of uint64 values, as int64."""
    return ((values >> _U(shift)) & _U((1 << bits) - 1)).astype(np.int64)


def uuid_bytes(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(n, 16) uint8: hi then lo, big-endian, as world.uuid4_text reads them (strings.uuid4_strings formats them)."""
    out = np.empty((len(hi), 2), dtype=">u8")
    out[:, 0], out[:, 1] = hi, lo
    return out.view(np.uint8).reshape(-1, 16)


def segment_cumsum(values: np.ndarray, first: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Running sum of int values restarting at each segment (segment of element i: owner[i], starting at first)."""
    c = np.cumsum(values)
    at = first[owner]
    return c - c[at] + values[at]


@dataclass(frozen=True)
class Coded:
    """A string column of a dimension as its distinct values and, per row, the index of its value."""

    values: pa.StringArray
    codes: np.ndarray

    @classmethod
    def of(cls, column: list[str]) -> Coded:
        index: dict[str, int] = {}
        codes = np.array([index.setdefault(v, len(index)) for v in column], dtype=np.int32)
        return cls(pa.array(list(index), pa.string()), codes)

    def column(self, rows: np.ndarray, present: np.ndarray | None = None) -> pa.DictionaryArray:
        """The column for dimension rows `rows` (intp), coded against all the distinct values, or only those it uses.

        `present` (a mask of the dimension rows, true for each row in `rows`) asks for the second: a file's Parquet
        dictionary is the dictionary of the Arrow column written, so it then holds only the file's values, and
        the writer hashes no row's string. The entries are distinct, as the Parquet writer assumes.
        """
        if present is None:
            return pa.DictionaryArray.from_arrays(pa.array(np.take(self.codes, rows)), self.values, safe=False)
        kept = np.flatnonzero(np.bincount(self.codes[present], minlength=len(self.values)))
        position = np.zeros(len(self.values), dtype=np.int32)
        position[kept] = np.arange(len(kept), dtype=np.int32)
        codes = np.take(np.take(position, self.codes), rows)
        return pa.DictionaryArray.from_arrays(pa.array(codes), self.values.take(pa.array(kept)), safe=False)

    @property
    def small(self) -> bool:
        """Few enough values that every file can carry all of them as its Parquet dictionary."""
        return len(self.values) <= MAX_SHARED_DICTIONARY


@dataclass(frozen=True)
class Catalog:
    """Viewer and title attributes as arrays; viewer v of customer c and device type d is c * 4 + d."""

    viewer_columns: dict[str, Coded]
    """VIEWER_COLUMNS, each coded by viewer."""
    bandwidth10: np.ndarray
    low10: np.ndarray
    high10: np.ndarray
    stall_rate: np.ndarray
    stall_mean_ms: np.ndarray
    error_rate: np.ndarray
    title_columns: dict[str, Coded]
    """title_id and title_type, coded by title."""
    title_seconds: np.ndarray
    device_slots: np.ndarray

    @classmethod
    def from_dimensions(cls, dims: Dimensions) -> Catalog:
        """Index the dimensions as the generator does (same customers, titles, profiles and device table)."""
        prepared = generator.PreparedDimensions(dims)
        unknown_types = {tt for _, tt, _ in prepared.titles} - set(TITLE_TYPE_NAMES)
        if unknown_types:
            raise ValueError(f"title_type must be one of {list(TITLE_TYPE_NAMES)}, got {sorted(unknown_types)}")
        profiles = [generator.viewer_profile(c, d) for c in prepared.customers for d in DEVICE_TYPE_NAMES]

        def ints(name: str) -> np.ndarray:
            return np.array([getattr(p, name) for p in profiles], dtype=np.int64)

        return cls(
            viewer_columns={name: Coded.of([p.base[name] for p in profiles]) for name in VIEWER_COLUMNS},
            bandwidth10=ints("bandwidth10"),
            low10=ints("low10"),
            high10=ints("high10"),
            stall_rate=ints("stall_rate"),
            stall_mean_ms=ints("stall_mean_ms"),
            error_rate=ints("error_rate"),
            title_columns={name: Coded.of([t[i] for t in prepared.titles]) for i, name in enumerate(TITLE_COLUMNS)},
            title_seconds=np.array([d for _, _, d in prepared.titles], dtype=np.int64),
            device_slots=np.array(prepared.device_slots, dtype=np.int64),
        )


@lru_cache(maxsize=64)
def _audience_groups(groups: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    return sizes, np.cumsum(sizes) - sizes, np.array([c for g in groups for c in g], dtype=np.int64)


def _audience_arrays(plan: wm.HourPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An hour plan's cumulative weights, group sizes, group starts and members, as World.pick_customer reads them."""
    return (np.array(plan.cumulative, dtype=np.int64), *_audience_groups(plan.groups))


def completion_percentage(position: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """`round(100.0 * position / duration, 2)` element-wise, as the generator computes it.

    q, the nearest integer to 10000 * position / duration, is exact integer arithmetic and q / 100 the double
    `round` returns, except where the ratio lies exactly halfway (rem == 0): those few are rounded by Python.
    """
    q, rem = np.divmod(20_000 * position + duration, 2 * duration)
    completion = q / 100
    for i in np.flatnonzero(rem == 0):
        completion[i] = round(100.0 * int(position[i]) / int(duration[i]), 2)
    return completion


@dataclass
class Block:
    """Sessions and their events for one slice of time; events are session-major, in time order per session."""

    # per session
    viewer: np.ndarray
    title: np.ndarray
    session_bytes: np.ndarray
    # per event
    session: np.ndarray
    event_type: np.ndarray
    timestamp_ms: np.ndarray
    position: np.ndarray
    watch: np.ndarray
    completion: np.ndarray
    bandwidth: np.ndarray
    buffering_events: np.ndarray
    buffering_seconds: np.ndarray
    error_count: np.ndarray
    event_bytes: np.ndarray

    SESSION_FIELDS = ("viewer", "title", "session_bytes")
    EVENT_FIELDS = (
        "session", "event_type", "timestamp_ms", "position", "watch", "completion", "bandwidth", "buffering_events",
        "buffering_seconds", "error_count", "event_bytes",
    )  # fmt: skip

    @property
    def sessions(self) -> int:
        return len(self.viewer)

    @property
    def events(self) -> int:
        return len(self.session)

    def event_slice(self, start: int, stop: int) -> Block:
        """The same sessions with events [start, stop) only."""
        fields = {f: getattr(self, f) for f in self.SESSION_FIELDS}
        fields.update({f: getattr(self, f)[start:stop] for f in self.EVENT_FIELDS})
        return Block(**fields)

    @classmethod
    def concat(cls, blocks: list[Block]) -> Block:
        """One block of all sessions and events, in order."""
        if len(blocks) == 1:
            return Block(**{f: getattr(blocks[0], f) for f in cls.SESSION_FIELDS + cls.EVENT_FIELDS})
        offsets = np.cumsum([0] + [b.sessions for b in blocks[:-1]])
        fields = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in cls.SESSION_FIELDS}
        fields.update({f: np.concatenate([getattr(b, f) for b in blocks]) for f in cls.EVENT_FIELDS[1:]})
        fields["session"] = np.concatenate([b.session + off for b, off in zip(blocks, offsets, strict=True)])
        return Block(**fields)

    def take_events(self, order: np.ndarray) -> None:
        """Reorder the events in place."""
        for f in self.EVENT_FIELDS:
            setattr(self, f, getattr(self, f)[order])


def world_block(world: World, catalog: Catalog, slot_lo: int, slot_hi: int, start_ms: int, end_ms: int) -> Block:
    """The events with timestamps in [start_ms, end_ms) of the sessions that start in slots [slot_lo, slot_hi).

    Events are session-major (sessions in slot and key order), in time order within a session.
    """
    slot_ms = wm.SLOT_MS
    slots = np.arange(slot_lo, slot_hi, dtype=np.int64)
    hours = slots // 60
    first_hour = int(hours[0]) if len(hours) else 0
    plans = [world.hour(h) for h in range(first_hour, int(hours[-1]) + 1)] if len(hours) else []
    hour_of = hours - first_hour
    whole = np.array([p.whole for p in plans], dtype=np.int64)[hour_of]
    threshold = np.array([p.threshold for p in plans], dtype=np.uint64)[hour_of]
    slot_key = mix(_U(world.key) + slots.astype(np.uint64) * _U(wm.GAMMA))
    counts = whole + ((slot_key >> _U(11)) < threshold)

    # --- sessions: key, and the shape it holds; then a bound of the end drops those that end before the range ---
    s_slot = np.repeat(np.arange(len(slots)), counts)
    s_i = np.arange(len(s_slot)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    sk = mix(slot_key[s_slot] + s_i.astype(np.uint64) * _U(wm.GAMMA))
    base = slots[s_slot] * slot_ms
    coarse = _field(sk, 52, 12)
    title = (_field(sk, 36, 16) * len(catalog.title_seconds)) >> 16
    duration = catalog.title_seconds[title]
    k = _PAUSE_COUNTS[_field(sk, 26, 10)]
    last = 2 * k + 1
    complete = _field(sk, 16, 10) < wm.COMPLETE_THRESHOLD
    s8 = _field(sk, 0, 8)
    span_max = np.where(complete, duration, 1 + (((duration - 2) * (s8 + 1)) >> 8))
    pause_max = np.minimum(k * wm.MAX_PAUSE_MS, wm.MAX_PAUSED_MS)
    bound = base + ((coarse + 1) * slot_ms) // 4096 + span_max * 1000 + pause_max + last
    alive = (bound >= start_ms) & (base + (coarse * slot_ms) // 4096 < end_ms)
    sk, base, coarse, title, duration, k, last, complete, s8, s_slot = (
        a[alive] for a in (sk, base, coarse, title, duration, k, last, complete, s8, s_slot)
    )

    # --- exact start, resume point and span (draw 1) ---
    h = draw(sk, wm.D_FINE)
    t0 = base + (((coarse << 16) | _field(h, 0, 16)) * slot_ms >> 28)
    r = (_field(sk, 8, 8) << 24) | _field(h, 40, 24)
    p0 = np.where(
        r < wm.RESUMED_THRESHOLD, (r * duration * wm.RESUMED_MAX_PERMILLE) // (wm.RESUMED_THRESHOLD * 1000), 0
    )
    frac = (s8 << 24) | _field(h, 16, 24)
    span = np.where(complete, duration - p0, 1 + ((np.maximum(0, duration - p0 - 2) * frac) >> 32))

    # --- pauses (draws D_PAUSE..): sorted playhead points, lengths in draw order, capped in total ---
    n = len(sk)
    p_owner = np.repeat(np.arange(n), k)
    p_first = np.cumsum(k) - k
    p_j = np.arange(len(p_owner)) - p_first[p_owner]
    hp = draw(sk[p_owner], p_j + wm.D_PAUSE)
    point = (span[p_owner].astype(np.uint64) * (hp >> _U(32))) >> _U(32)
    # Sorted within each session: p_owner is nondecreasing and a point is below 2**32 (span < 2**32 seconds).
    point = (np.sort((p_owner.astype(np.int64) << 32) | point.astype(np.int64)) & 0xFFFFFFFF).astype(np.int64)
    b = _field(hp, 20, 12)
    length = _PAUSE_LOW[b] + ((_PAUSE_WIDTH[b] * _field(hp, 0, 20)) >> 20)
    paused_cum = np.minimum(segment_cumsum(length, p_first, p_owner), wm.MAX_PAUSED_MS)
    # points_full: [0, points..., span] per session (k + 2 each); paused_full: [0, cumulative pauses...] (k + 1)
    pf_first = p_first + 2 * np.arange(n)
    points_full = np.zeros(int((k + 2).sum()), dtype=np.int64)
    points_full[pf_first + k + 1] = span
    points_full[pf_first[p_owner] + 1 + p_j] = point
    qf_first = p_first + np.arange(n)
    paused_full = np.zeros(int((k + 1).sum()), dtype=np.int64)
    paused_full[qf_first[p_owner] + 1 + p_j] = paused_cum

    # --- events: times of all, then only sessions with an event in the range ---
    counts = last + 1
    e_owner = np.repeat(np.arange(n), counts)
    e_first = np.cumsum(counts) - counts
    e = np.arange(len(e_owner)) - e_first[e_owner]
    off = points_full[pf_first[e_owner] + ((e + 1) >> 1)]
    ts = t0[e_owner] + off * 1000 + paused_full[qf_first[e_owner] + (e >> 1)] + e
    inside = (ts >= start_ms) & (ts < end_ms)
    keep_session = np.zeros(n, dtype=bool)
    keep_session[e_owner[inside]] = True
    keep_event = keep_session[e_owner]
    new_index = np.cumsum(keep_session) - 1
    sk, t0, title, duration, k, complete, p0, s_slot = (
        a[keep_session] for a in (sk, t0, title, duration, k, complete, p0, s_slot)
    )
    e_owner, e, off, ts, inside = (
        new_index[e_owner[keep_event]],
        e[keep_event],
        off[keep_event],
        ts[keep_event],
        inside[keep_event],
    )
    counts = counts[keep_session]
    e_first = np.cumsum(counts) - counts
    n = len(sk)

    # --- viewer (draw 2): who starts it, by the start hour's plan, and on which device ---
    hv = draw(sk, wm.D_VIEWER)
    customer = np.empty(n, dtype=np.int64)
    s_hour = hour_of[s_slot]  # nondecreasing: sessions are in slot order
    bounds = np.searchsorted(s_hour, np.arange(len(plans) + 1))
    for plan, lo, hi in zip(plans, bounds[:-1], bounds[1:], strict=True):
        if lo == hi:
            continue
        cumulative, sizes, starts, members = _audience_arrays(plan)
        mine = hv[lo:hi]
        group = np.searchsorted(cumulative, (_field(mine, 40, 24) * int(cumulative[-1])) >> 24, side="right")
        customer[lo:hi] = members[starts[group] + ((_field(mine, 16, 24) * sizes[group]) >> 24)]
    device = catalog.device_slots[(_field(hv, 0, 16) * 1000) >> 16]
    viewer = customer * len(DEVICE_TYPE_NAMES) + device

    # --- per event values (draw D_EVENT + 3e + 2), accrued from the session's start ---
    ev_key = sk[e_owner]
    v = draw(ev_key, wm.D_EVENT + 3 * e + 2)
    played = np.zeros(len(e), dtype=np.int64)
    played[1:] = off[1:] - off[:-1]
    played[e == 0] = 0
    ev_viewer = viewer[e_owner]
    new_stalls = (catalog.stall_rate[ev_viewer] * played + _field(v, 40, 24)) >> 24
    stall_ms = (new_stalls * catalog.stall_mean_ms[ev_viewer] * (128 + _field(v, 8, 8))) >> 8
    new_errors = (catalog.error_rate[ev_viewer] * played + _field(v, 16, 24)) >> 24
    jitter = wm.JITTER_PERMILLE[0] + ((wm.JITTER_PERMILLE[1] * _field(v, 0, 8)) >> 8)
    bw10 = np.clip(
        (catalog.bandwidth10[ev_viewer] * jitter + 500) // 1000, catalog.low10[ev_viewer], catalog.high10[ev_viewer]
    )
    stalls = segment_cumsum(new_stalls, e_first, e_owner)
    stalled = segment_cumsum(stall_ms, e_first, e_owner)
    errors = segment_cumsum(new_errors, e_first, e_owner)

    event_type = np.where(e % 2 == 1, PAUSE, RESUME).astype(np.int8)
    event_type[e == 0] = START
    is_last = e == counts[e_owner] - 1
    event_type[is_last] = np.where(complete[e_owner[is_last]], COMPLETE, STOP)

    # --- only the events in the range ---
    e_owner, e, off, ts, event_type, bw10, stalls, stalled, errors, ev_key = (
        a[inside] for a in (e_owner, e, off, ts, event_type, bw10, stalls, stalled, errors, ev_key)
    )
    position = p0[e_owner] + off
    base_index = wm.D_EVENT + 3 * e
    return Block(
        viewer=viewer.astype(np.int32),
        title=title.astype(np.int32),
        session_bytes=uuid_bytes(draw(sk, wm.D_SESSION_ID), draw(sk, wm.D_SESSION_ID + 1)),
        session=e_owner.astype(np.int32),
        event_type=event_type,
        timestamp_ms=ts,
        position=position.astype(np.int32),
        watch=off.astype(np.int32),
        completion=completion_percentage(position, duration[e_owner]),
        bandwidth=bw10 / 10,
        buffering_events=stalls.astype(np.int32),
        buffering_seconds=stalled / 1000,
        error_count=errors.astype(np.int32),
        event_bytes=uuid_bytes(draw(ev_key, base_index), draw(ev_key, base_index + 1)),
    )
