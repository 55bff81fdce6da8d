"""The streaming generator's session model, drawn as numpy arrays for a whole slice of time at once.

Whole sessions, start to end, follow `functions.generator.events`: the same pause count, end type, resumed
start, pause cut points, pause lengths, event times, stall/error accrual and bandwidth jitter; every viewer
(customer and device type) gets its device, network, quality and address from the generator's own
`viewer_profile`, so a backfilled device is the same device the stream reports.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from functions.generator import events as generator
from functions.shared import domains
from functions.shared.dimensions import Dimensions

EVENT_TYPE_NAMES: tuple[str, ...] = tuple(domains.EVENT_TYPES)
START, PAUSE, RESUME, STOP, COMPLETE = (
    EVENT_TYPE_NAMES.index(t) for t in ("start", "pause", "resume", "stop", "complete")
)
DEVICE_TYPE_NAMES: tuple[str, ...] = tuple(domains.DEVICE_TYPES)
TITLE_TYPE_NAMES: tuple[str, ...] = tuple(domains.TITLE_TYPES)

MS_PER_SECOND = 1000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000

MAX_PAUSES = 12
"""Cap on pause/resume pairs so a session's span is bounded; P(K > 12) = 0.44**13 < 0.003 %."""
MIN_PAUSE_MS = 1000
"""As the generator: every pause lasts at least a second."""
MAX_PAUSE_MS = 30 * 60 * MS_PER_SECOND
"""Cap on one pause, for the same bound; an exponential pause of mean 120 s passes it with p = e**-15."""
STALL_DECIMALS = 3
COMPLETION_DECIMALS = 2
BANDWIDTH_JITTER = (0.85, 0.3)
"""As the generator: an event's bandwidth is the viewer's times uniform [0.85, 1.15), kept inside its quality band."""

MAX_SHARED_DICTIONARY = 256
"""Columns with at most this many values are written from one shared dictionary (no per-row hashing)."""

LOCAL_HOUR_VIEWING_WEIGHTS: tuple[float, ...] = (
    0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2,
    1.4, 1.4, 1.4, 1.5, 1.7, 2.0, 2.6, 3.2, 3.6, 3.5, 2.8, 1.8,
)  # fmt: skip
"""Relative rate of session starts by the viewer's local hour: quiet at night, prime time 19-22h."""
assert len(LOCAL_HOUR_VIEWING_WEIGHTS) == 24

_PAUSE_RATIO = domains.PAUSES_PER_SESSION_MEAN / (1.0 + domains.PAUSES_PER_SESSION_MEAN)
"""q of the geometric pause count P(k) = (1 - q) q**k, whose mean q / (1 - q) is PAUSES_PER_SESSION_MEAN."""
_LOG_PAUSE_RATIO = float(np.log(_PAUSE_RATIO))


def expected_events_per_session() -> float:
    """Mean events of a whole session: start, K pause/resume pairs (capped geometric), one end event."""
    k = np.arange(MAX_PAUSES + 1)
    pk = (1 - _PAUSE_RATIO) * _PAUSE_RATIO**k
    pk[-1] += 1.0 - pk.sum()
    return float(2.0 + 2.0 * (k * pk).sum())


def _cdf(weights: list[float] | tuple[float, ...] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w)
    return c / c[-1]


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draw: index of the first cumulative weight above each uniform."""
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


_DEVICE_CDF = _cdf(list(domains.DEVICE_TYPES.values()))
VIEWER_COLUMNS = (
    "customer_id", "country", "state", "city", "isp", "device_id", "device_type", "device_os", "app_version",
    "quality", "ip_address", "connection_type",
)  # fmt: skip
"""Event columns that are fixed per viewer (customer and device type), copied from the generator's profile."""


def _epoch_day(iso_date: str | None, default: int) -> int:
    if not iso_date:
        return default
    return (dt.date.fromisoformat(iso_date[:10]) - dt.date(1970, 1, 1)).days


def _utc_offset_minutes(tz_name: str, at: dt.datetime) -> int:
    try:
        offset = zoneinfo.ZoneInfo(tz_name).utcoffset(at)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds() // 60) if offset is not None else 0


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

    def column(self, rows: np.ndarray) -> pa.Array:
        """The column for dimension rows `rows`: dictionary encoded if it has few values, else plain strings."""
        codes = pa.array(self.codes[rows])
        if self.small:
            return pa.DictionaryArray.from_arrays(codes, self.values)
        return self.values.take(codes)

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
    """A viewer's typical bandwidth in tenths of Mbps."""
    bandwidth_low: np.ndarray
    bandwidth_high: np.ndarray
    stall_rate: np.ndarray
    """Expected stalls per played second."""
    stall_mean: np.ndarray
    error_rate: np.ndarray
    utc_offset_minutes: np.ndarray
    """Per customer (not viewer)."""
    subscribed_from_day: np.ndarray
    """Per customer: epoch day the subscription started."""
    title_columns: dict[str, Coded]
    """title_id and title_type, coded by title."""
    title_seconds: np.ndarray

    @property
    def customer_count(self) -> int:
        return len(self.utc_offset_minutes)

    @property
    def title_count(self) -> int:
        return len(self.title_seconds)

    @classmethod
    def from_dimensions(cls, dims: Dimensions, at: dt.datetime) -> Catalog:
        """Index the dimensions as the generator does; `at` is when customers' UTC offsets are read."""
        prepared = generator.PreparedDimensions(dims)  # the generator's own choice of who watches and of title fields
        unknown_types = {tt for _, tt, _ in prepared.titles} - set(TITLE_TYPE_NAMES)
        if unknown_types:
            raise ValueError(f"title_type must be one of {list(TITLE_TYPE_NAMES)}, got {sorted(unknown_types)}")
        profiles = [generator.viewer_profile(c, d) for c in prepared.customers for d in DEVICE_TYPE_NAMES]
        return cls(
            viewer_columns={name: Coded.of([p.base[name] for p in profiles]) for name in VIEWER_COLUMNS},
            bandwidth10=np.array([p.bandwidth10 for p in profiles]),
            bandwidth_low=np.array([p.low for p in profiles]),
            bandwidth_high=np.array([p.high for p in profiles]),
            stall_rate=np.array([p.stall_rate for p in profiles]),
            stall_mean=np.array([p.stall_mean for p in profiles]),
            error_rate=np.array([p.error_rate for p in profiles]),
            utc_offset_minutes=np.array(
                [_utc_offset_minutes(c["timezone"], at) for c in prepared.customers], dtype=np.int32
            ),
            subscribed_from_day=np.array(
                [_epoch_day(c["subscription_start_date"], 0) for c in prepared.customers], dtype=np.int64
            ),
            title_columns={
                "title_id": Coded.of([t for t, _, _ in prepared.titles]),
                "title_type": Coded.of([tt for _, tt, _ in prepared.titles]),
            },
            title_seconds=np.array([d for _, _, d in prepared.titles], dtype=np.int64),
        )

    def local_hour_weights(self) -> np.ndarray:
        """(24, customers) weight of a session start by each customer in each UTC hour of the day."""
        utc_minutes = np.arange(24)[:, None] * 60 + self.utc_offset_minutes[None, :]
        local_hour = (utc_minutes % (24 * 60)) // 60
        return np.asarray(LOCAL_HOUR_VIEWING_WEIGHTS)[local_hour]

    def subscribed_on(self, epoch_day: int) -> np.ndarray:
        """Which customers had subscribed by a day; all of them if none had (a backfill before the catalog)."""
        mask = self.subscribed_from_day <= epoch_day
        return mask if mask.any() else np.ones_like(mask)

    def max_session_ms(self) -> int:
        """Upper bound of one session's span: the longest title, every pause and the per-event millisecond."""
        return int(self.title_seconds.max()) * MS_PER_SECOND + MAX_PAUSES * MAX_PAUSE_MS + 2 * MAX_PAUSES + 2


def completion_percentage(position: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """`round(100.0 * position / duration, 2)` element-wise, equal to Python's `round` on every element.

    numpy rounds via x * 100, which can differ from Python's correctly rounded `round` only when
    100 * position / duration lies exactly halfway between two hundredths; those few are rounded by Python.
    """
    exact = position * 100.0 / duration
    completion = np.round(exact, COMPLETION_DECIMALS)
    scaled = position.astype(np.int64) * 20_000  # 2 * 10**4 * position: a tie iff duration divides it oddly
    tie = (scaled % duration == 0) & ((scaled // duration) % 2 == 1)
    for i in np.flatnonzero(tie):
        completion[i] = round(float(exact[i]), COMPLETION_DECIMALS)
    return completion


def session_shapes(rng: np.random.Generator, sessions: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw (pause pairs, ends complete) for sessions; these are a slice rng's first draws.

    Pause counts are geometric, drawn by inverting the distribution at stratified uniforms (one per
    1/n-wide stratum, in random order): each session's count is still geometric, but a slice's total
    stays within a few events of its expectation, so the plan needs almost no correction to hit its total.
    """
    u = (rng.permutation(sessions) + rng.random(sessions)) / max(sessions, 1)
    pauses = np.minimum(np.floor(np.log1p(-u) / _LOG_PAUSE_RATIO), MAX_PAUSES).astype(np.int32)
    completes = rng.random(sessions) < domains.COMPLETE_SHARE
    return pauses, completes


def event_counts(pauses: np.ndarray) -> np.ndarray:
    """Events of whole sessions: start, a pause and a resume per pair, one end event."""
    return 2 + 2 * pauses


@dataclass(frozen=True)
class Window:
    """A stretch of time within one hour where sessions start, its share of them, and who watches then."""

    start_ms: int
    end_ms: int
    weight: float
    customer_cdf: np.ndarray
    """Cumulative distribution over the catalog's customers of who starts a session in this window."""


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


def generate_block(
    rng: np.random.Generator,
    catalog: Catalog,
    *,
    draw_sessions: int,
    keep_events: int,
    windows: Sequence[Window],
    range_end_ms: int,
) -> Block:
    """Sessions starting in the windows (chosen by their weights) and their events.

    The first `draw_sessions` session shapes are drawn, then only as many sessions as reach `keep_events`
    events are kept (the last one cut short if needed: stopped early, or for an odd count still playing at
    `range_end_ms`), so a plan can fix a slice's event count exactly.
    A session that would run past `range_end_ms` starts early enough to end before it.
    """
    pauses, completes = session_shapes(rng, draw_sessions)
    counts = event_counts(pauses)
    cum = np.cumsum(counts)
    available = int(cum[-1]) if len(cum) else 0
    if not 1 <= keep_events <= available:
        raise ValueError(f"keep_events must be in 1..{available}, got {keep_events}")
    n = int(np.searchsorted(cum, keep_events)) + 1
    pauses, completes, counts = pauses[:n], completes[:n], counts[:n]
    kept_counts = counts.copy()
    kept_counts[-1] -= int(cum[n - 1]) - keep_events

    # --- per session: when, who on which device, what, and the playhead span it covers ---
    window = _pick(_cdf([w.weight for w in windows]), rng.random(n))
    window_start = np.array([w.start_ms for w in windows], dtype=np.int64)
    window_length = np.array([w.end_ms - w.start_ms for w in windows], dtype=np.int64)
    t0 = window_start[window] + (rng.random(n) * window_length[window]).astype(np.int64)
    u = rng.random(n)
    customer = np.empty(n, dtype=np.int64)
    for i, w in enumerate(windows):
        chosen = window == i
        customer[chosen] = _pick(w.customer_cdf, u[chosen])
    device_type = _pick(_DEVICE_CDF, rng.random(n))
    viewer = (customer * len(DEVICE_TYPE_NAMES) + device_type).astype(np.int32)
    title = rng.integers(0, catalog.title_count, n, dtype=np.int32)
    session_bytes = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
    duration = catalog.title_seconds[title]
    resumed = rng.random(n) < generator.RESUMED_SESSION_SHARE
    p0 = np.where(resumed, (rng.random(n) * generator.RESUMED_MAX_FRACTION * duration).astype(np.int64), 0)
    span = np.where(completes, duration - p0, 1 + ((duration - p0 - 2) * rng.random(n)).astype(np.int64))
    # Sessions in start order: a block's events then move forward in time, so hour files can close early.
    order = np.argsort(t0, kind="stable")
    pauses, completes, counts, kept_counts = pauses[order], completes[order], counts[order], kept_counts[order]
    t0, viewer, title, session_bytes = t0[order], viewer[order], title[order], session_bytes[order]
    duration, p0, span = duration[order], p0[order], span[order]

    # --- pause points: k sorted uniform playhead offsets in [0, span), as normalised exponential spacings ---
    spacings = pauses + 1
    sp_session = np.repeat(np.arange(n), spacings)
    sp_first = np.cumsum(spacings) - spacings
    sp_last = sp_first + pauses
    gaps = rng.exponential(1.0, len(sp_session))
    cum_gaps = np.cumsum(gaps)
    before = cum_gaps[sp_first] - gaps[sp_first]
    fraction = (cum_gaps - before[sp_session]) / (cum_gaps[sp_last] - before)[sp_session]
    cut = np.minimum((fraction * span[sp_session]).astype(np.int64), span[sp_session] - 1)
    cut[sp_last] = span  # the last "cut" is where the session ends
    pause_ms = np.minimum(
        MIN_PAUSE_MS
        + (rng.exponential(1.0, int(pauses.sum())) * domains.MEAN_PAUSE_SECONDS * MS_PER_SECOND).astype(np.int64),
        MAX_PAUSE_MS,
    )

    # --- per event: event j of a session sits at playhead offset `off`, after j // 2 pauses ---
    ev_session = np.repeat(np.arange(n, dtype=np.int32), counts)
    ev_first = np.cumsum(counts) - counts
    j = np.arange(len(ev_session)) - np.repeat(ev_first, counts)
    reached = (j + 1) // 2  # playhead runs finished: 0 at start, i after the i-th pause (and at its resume)
    started = reached > 0
    off = np.where(started, cut[sp_first[ev_session] + np.maximum(reached - 1, 0)], 0)
    event_type = np.where(j % 2 == 1, PAUSE, RESUME).astype(np.int8)
    event_type[j == 0] = START
    last = j == counts[ev_session] - 1
    event_type[last] = np.where(completes[ev_session[last]], COMPLETE, STOP)
    # The session cut short to make the count exact (at most one). Cut to an even count, it would end on a
    # pause: the viewer stops there instead, and the session is whole. Cut to an odd count (whole sessions
    # have even counts, so an odd total needs one such), it is still playing when the range ends: see t0 below.
    cut_short = kept_counts < counts
    event_type[(j == kept_counts[ev_session] - 1) & cut_short[ev_session] & (j % 2 == 1)] = STOP

    pauses_done = j // 2
    pause_first = sp_first - np.arange(n)  # pauses before a session's = spacings before it minus sessions
    pause_cum = np.concatenate([[0], np.cumsum(pause_ms)])
    paused = pause_cum[pause_first[ev_session] + pauses_done] - pause_cum[pause_first[ev_session]]
    offset_ms = off * MS_PER_SECOND + paused + j  # + j keeps times strictly increasing, as the generator does

    # stalls and errors accrue at events that follow playback, by the generator's rounding rule
    played = np.zeros(len(j), dtype=np.int64)
    played[1:] = off[1:] - off[:-1]
    played[j == 0] = 0
    ev_viewer = viewer[ev_session]
    new_stalls = (catalog.stall_rate[ev_viewer] * played + rng.random(len(j))).astype(np.int64)
    stall_s = new_stalls * catalog.stall_mean[ev_viewer] * (0.5 + rng.random(len(j)))
    new_errors = (catalog.error_rate[ev_viewer] * played + rng.random(len(j))).astype(np.int64)
    jitter = BANDWIDTH_JITTER[0] + BANDWIDTH_JITTER[1] * rng.random(len(j))
    ev_bandwidth = np.clip(
        np.floor(catalog.bandwidth10[ev_viewer] * jitter + 0.5) / 10,
        catalog.bandwidth_low[ev_viewer],
        catalog.bandwidth_high[ev_viewer],
    )

    def running(values: np.ndarray) -> np.ndarray:
        """Cumulative sum restarting at each session."""
        c = np.cumsum(values)
        return c - (c[ev_first] - values[ev_first])[ev_session]

    keep = j < kept_counts[ev_session]
    span_ms = offset_ms[ev_first + kept_counts - 1]
    t0 = np.minimum(t0, range_end_ms - 1 - span_ms)
    still_playing = cut_short & (kept_counts % 2 == 1)
    t0[still_playing] = range_end_ms - 1 - span_ms[still_playing]
    position = p0[ev_session] + off
    completion = completion_percentage(position, duration[ev_session])
    fields = {
        "session": ev_session,
        "event_type": event_type,
        "timestamp_ms": t0[ev_session] + offset_ms,
        "position": position.astype(np.int32),
        "watch": off.astype(np.int32),
        "completion": completion,
        "bandwidth": ev_bandwidth,
        "buffering_events": running(new_stalls).astype(np.int32),
        "buffering_seconds": np.round(running(stall_s), STALL_DECIMALS),
        "error_count": running(new_errors).astype(np.int32),
    }
    if not keep.all():
        fields = {k: v[keep] for k, v in fields.items()}
    fields["event_bytes"] = np.frombuffer(rng.bytes(16 * len(fields["session"])), dtype=np.uint8).reshape(-1, 16)
    return Block(
        viewer=viewer,
        title=title,
        session_bytes=session_bytes,
        **fields,
    )
