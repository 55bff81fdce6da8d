"""The world's sessions as numpy arrays, a range of start slots at a time: the backfill's generator.

Every value equals the generator Lambda's (`functions.generator.events`): the compiled kernel (`kernel`) follows
`functions.shared.world` draw for draw. Viewers get their device, network, quality and address from the
generator's own `viewer_profile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numba.typed
import numpy as np
import pyarrow as pa

from functions.generator import events as generator
from functions.shared import ads, binge, concurrency, devices, domains, player
from functions.shared import world as wm
from functions.shared.catalogue import Catalogue
from functions.shared.dimensions import Dimensions
from functions.shared.world import World
from lakewriter.backfill import admission, kernel, plans

EVENT_TYPE_NAMES = kernel.EVENT_TYPE_NAMES
DEVICE_TYPE_NAMES: tuple[str, ...] = tuple(domains.DEVICE_TYPES)
TITLE_TYPE_NAMES: tuple[str, ...] = tuple(domains.TITLE_TYPES)

EVENTS_PER_SESSION_GUESS = 6
"""Events a block's arrays first make room for per possible session (the mean is about 7.3 with the ads, most of a
block's possible sessions have none in its range)."""
MAX_SHARED_DICTIONARY = 256
"""Columns with at most this many values are written with all of them as each file's dictionary; larger ones get
a dictionary of the values each file uses (`Coded.compact`)."""

VIEWER_COLUMNS = generator._CUSTOMER_FIELDS + generator._VIEWER_FIELDS
"""Event columns that are fixed per viewer (customer and device type): the generator's, copied from its profile."""
VIEWER_INTS = ("bandwidth10", "floor10", "high10", *player.ViewerQoE._fields)
"""A viewer's network and player figures, as `kernel.world_sessions` reads them."""
SCOPE_COLUMNS = ("country", "state", "isp", "device_os", "app_version")
"""The viewer columns an incident's scope names, in the kernel's order."""
TITLE_COLUMNS = ("title_id", "title_type")
"""Event columns that are fixed per title."""
MAX_DEVICES = devices.MAX_DEVICES


@dataclass(frozen=True)
class Coded:
    """A string column of a dimension as its distinct values and, per row, the index of its value."""

    values: pa.StringArray
    codes: np.ndarray
    value_offsets: np.ndarray
    """The values' Arrow offsets (int32) and bytes, for `kernel.used_values`."""
    value_data: np.ndarray

    @classmethod
    def of(cls, column: list[str]) -> Coded:
        index: dict[str, int] = {}
        codes = np.array([index.setdefault(v, len(index)) for v in column], dtype=np.int32)
        return cls.distinct(list(index), codes)

    @classmethod
    def distinct(cls, values: list[str], codes: np.ndarray) -> Coded:
        """The column of rows with values[codes[i]] (`values` distinct)."""
        encoded = [v.encode() for v in values]
        offsets = np.cumsum([0] + [len(v) for v in encoded], dtype=np.int32)
        return cls(pa.array(values, pa.string()), codes, offsets, np.frombuffer(b"".join(encoded), np.uint8))

    def column(self, rows: np.ndarray, *, own_values: bool = False) -> pa.DictionaryArray:
        """The column for dimension rows `rows` (intp), coded against all the distinct values, or only its own.

        With `own_values`, a file's Parquet dictionary (the dictionary of the Arrow column written) holds only
        the file's values, and the writer hashes no row's string. The entries are distinct, as the Parquet
        writer assumes.
        """
        if not own_values:
            return pa.DictionaryArray.from_arrays(pa.array(np.take(self.codes, rows)), self.values, safe=False)
        indices, offsets, data = kernel.used_values(rows, self.codes, self.value_offsets, self.value_data)
        dictionary = pa.Array.from_buffers(
            pa.string(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return pa.DictionaryArray.from_arrays(pa.array(indices), dictionary, safe=False)

    @property
    def small(self) -> bool:
        """Few enough values that every file can carry all of them as its Parquet dictionary."""
        return len(self.values) <= MAX_SHARED_DICTIONARY


@dataclass(frozen=True)
class AdBook:
    """The campaigns table's in-stream targets (ads.targets) as kernel.world_sessions reads them; which of them fit
    a household is `Households`' (ads.Book.fitting)."""

    campaigns: Sequence[Mapping[str, object]]
    targets: tuple[ads.Target, ...]
    first_day: np.ndarray
    last_day: np.ndarray
    seconds: np.ndarray
    campaign_ids: pa.StringArray
    """Each target's campaign_id."""

    @classmethod
    def of(cls, dims: Dimensions) -> AdBook:
        tgts = ads.targets(dims.campaigns)
        return cls(
            campaigns=dims.campaigns,
            targets=tgts,
            first_day=np.array([t.first_day for t in tgts], dtype=np.int64),
            last_day=np.array([t.last_day for t in tgts], dtype=np.int64),
            seconds=np.array([t.seconds for t in tgts], dtype=np.int64),
            campaign_ids=pa.array([t.campaign_id for t in tgts], pa.string()),
        )


AD_POSITION_NAMES: tuple[str, ...] = ads.POSITIONS
_FIT_CHUNK = 4096
"""Customers matched against every campaign at a time (a chunk's matrices are ~12 bytes per customer and target)."""


class Fitting:
    """ads.Book.fitting of customers, a batch at a time, by matrices (Target.fits), the targets' side made once.

    For the customers on an ad tier (the others fit none): a customer's tier, country and age group pick rows of
    which targets accept each value, its preferred genres meet a target's when their product is positive; then,
    per customer and position, the fitting targets ascending (the order Book.fitting lists them in).
    """

    def __init__(self, tgts: Sequence[ads.Target]) -> None:
        self.count = len(tgts)
        self.position = np.array([ads.POSITIONS.index(t.position) for t in tgts], dtype=np.int64)
        # Targets by position, then index: a customer's fitting ones in that order are its three lists in a row.
        self.by_position = np.argsort(self.position, kind="stable")
        ordered = [tgts[t] for t in self.by_position.tolist()]
        self._allowed = {
            "subscription_tier": [t.tiers for t in ordered],
            "country": [t.countries for t in ordered],
            "age_group": [t.age_groups for t in ordered],
        }
        self._accepts: dict[tuple[str, str], np.ndarray] = {}
        names = sorted({g for t in tgts for g in t.genres})
        self._genre = {g: i for i, g in enumerate(names)}
        self._targeted = np.zeros((len(names), len(tgts)), dtype=np.float32)
        for t, target in enumerate(ordered):
            self._targeted[[self._genre[g] for g in target.genres], t] = 1.0

    def _accepted(self, field: str, values: list[str]) -> np.ndarray:
        """Per customer, which targets accept its value of `field` (a row per distinct value, made once)."""
        rows = []
        for v in values:
            row = self._accepts.get((field, v))
            if row is None:
                row = self._accepts[(field, v)] = np.array([v in a for a in self._allowed[field]], dtype=bool)
            rows.append(row)
        return np.array(rows, dtype=bool).reshape(len(values), self.count)

    def __call__(self, customers: Sequence[Mapping[str, object]]) -> tuple[np.ndarray, np.ndarray]:
        """(fit_at, fit): customer c's fitting targets of position p are fit[fit_at[3c + p]:fit_at[3c + p + 1]]."""
        n, n_pos = len(customers), len(ads.POSITIONS)
        who = np.flatnonzero([ads.sees_ads(str(c["subscription_tier"])) for c in customers])
        fit_at = np.zeros(n * n_pos + 1, dtype=np.int64)
        if not self.count or not len(who):
            return fit_at, np.zeros(0, dtype=np.int64)
        viewers = [customers[c] for c in who.tolist()]
        audience = self._accepted("subscription_tier", [str(c["subscription_tier"]) for c in viewers])
        audience &= self._accepted("country", [str(c["country"]) for c in viewers])
        audience &= self._accepted("age_group", [str(c["age_group"]) for c in viewers])
        likes = np.zeros((len(viewers), len(self._genre)), dtype=np.float32)
        for c, gs in enumerate(json.loads(str(v["preferred_genres"])) for v in viewers):
            likes[c, [self._genre[g] for g in gs if g in self._genre]] = 1.0  # a genre no target lists meets none
        counts = np.zeros((len(viewers), n_pos), dtype=np.int64)
        fit = []
        for lo in range(0, len(viewers), _FIT_CHUNK):
            rows, cols = np.nonzero(audience[lo : lo + _FIT_CHUNK] & (likes[lo : lo + _FIT_CHUNK] @ self._targeted > 0))
            cols = self.by_position[cols]
            here = min(_FIT_CHUNK, len(viewers) - lo)
            counts[lo : lo + here] = np.bincount(rows * n_pos + self.position[cols], minlength=here * n_pos).reshape(
                here, n_pos
            )
            fit.append(cols)
        per_customer = np.zeros((n, n_pos), dtype=np.int64)
        per_customer[who] = counts
        np.cumsum(per_customer.ravel(), out=fit_at[1:])
        return fit_at, np.concatenate(fit).astype(np.int64, copy=False)


MAX_HOUSEHOLDS = 1 << 18
"""Households `Households` keeps before it starts over (~1 KB each with their fitting campaigns; a block draws far
fewer: BLOCK_SESSIONS starts)."""
MAX_VIEWERS = 1 << 18
"""Viewers (devices) `Viewers` keeps before it starts over (~0.5 KB each with their values)."""


MIN_ROWS = 1024
"""Rows `Households` and `Viewers` first make room for (then twice as many each time)."""


def _grown(array: np.ndarray, rows: int) -> np.ndarray:
    """`array` with room for at least `rows` rows (doubling), the new rows zero."""
    if rows <= len(array):
        return array
    out = np.zeros((max(rows, 2 * len(array), MIN_ROWS), *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out


class _Registry:
    """Rows made for keys when first asked for (`_add`), kept until `_capacity()` rows, then all forgotten (`clear`):
    what Households and Viewers share."""

    row: dict[int, int]
    size: int

    def _capacity(self) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def _add(self, keys: list[int]) -> np.ndarray:
        raise NotImplementedError

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Each key's row (-1 for -1), the new ones made; if they would not fit, every row is forgotten first."""
        valid = keys >= 0
        unique, back = np.unique(keys[valid], return_inverse=True)
        get = self.row.get
        found = np.fromiter((get(k, -1) for k in unique.tolist()), dtype=np.int64, count=len(unique))
        new = unique[found < 0]
        if len(new):
            if self.size and self.size + len(new) > self._capacity():  # one call's own are all made, at any count
                self.clear()
                return self.rows(keys)
            found[found < 0] = self._add(new.tolist())
        out = np.full(len(keys), -1, dtype=np.int64)
        out[valid] = found[back]
        return out


class Households(_Registry):
    """The households a backfill's candidates draw, each made when first drawn: rows of arrays the kernels read
    (devices.Households' screen table and slots, the plan's stream limit and ad tier, the ad campaigns that fit it
    (ads.Book.fitting), its time zone), whatever the audience. Kept until MAX_HOUSEHOLDS, then started over."""

    def __init__(self, prepared: generator.PreparedDimensions, book: AdBook) -> None:
        self.prepared, self.book = prepared, book
        self._fitting = Fitting(book.targets)
        self._tables: dict[tuple[int, ...], int] = {}
        self.tables = np.zeros((0, devices.TABLE_SIZE), dtype=np.int64)
        """The distinct 64-entry screen tables (slots within the household), one row each."""
        self.zones: list[str] = []
        """Time zone names, in the order households first named them (`zone`'s codes)."""
        self._zone: dict[str, int] = {}
        self.clear()

    def clear(self) -> None:
        """Forget every household (rows handed out before mean nothing after)."""
        self.row: dict[int, int] = {}
        self.size = 0
        self.profile = np.zeros(0, dtype=np.int64)
        """Per row, its screen table's row of `tables`."""
        self.type = np.zeros(0, dtype=np.int64)
        """Per row times kernel.MAX_DEVICES plus a device slot, the device's type (an index into devices.TYPES)."""
        self.limit = np.zeros(0, dtype=np.int64)
        self.ad_tier = np.zeros(0, dtype=np.int64)
        self.zone = np.zeros(0, dtype=np.int64)
        self.fit_at = np.zeros((0, len(ads.POSITIONS) + 1), dtype=np.int64)
        """Row h's fitting targets of position p are fit[fit_at[h, p]:fit_at[h, p + 1]] (ascending)."""
        self.fit = np.zeros(0, dtype=np.int64)
        self._fit_size = 0

    def _capacity(self) -> int:
        return MAX_HOUSEHOLDS

    def _add(self, customers: list[int]) -> np.ndarray:
        first, n = self.size, len(customers)
        end = first + n
        self.profile, self.limit = _grown(self.profile, end), _grown(self.limit, end)
        self.ad_tier, self.zone = _grown(self.ad_tier, end), _grown(self.zone, end)
        self.fit_at, self.type = _grown(self.fit_at, end), _grown(self.type, end * MAX_DEVICES)
        people_, homes = self.prepared.customers, self.prepared.devices
        rows = [people_[c] for c in customers]
        for r, c, row in zip(range(first, end), customers, rows, strict=True):
            screens, slots = homes.of(c)
            table = self._tables.get(screens)
            if table is None:
                table = self._tables[screens] = len(self._tables)
                self.tables = np.vstack([self.tables, np.array(screens, dtype=np.int64)[None, :]])
            self.profile[r] = table
            self.type[r * MAX_DEVICES : r * MAX_DEVICES + len(slots)] = [t for t, _ in slots]
            tier, tz = str(row["subscription_tier"]), str(row["timezone"])
            self.limit[r] = domains.PLAN_STREAM_LIMITS[tier]
            self.ad_tier[r] = ads.sees_ads(tier)
            zone = self._zone.get(tz)
            if zone is None:
                zone = self._zone[tz] = len(self.zones)
                self.zones.append(tz)
            self.zone[r] = zone
        fit_at, fit = self._fitting(rows)
        n_pos = len(ads.POSITIONS)
        self.fit_at[first:end, :n_pos] = self._fit_size + fit_at[:-1].reshape(n, n_pos)
        self.fit_at[first:end, n_pos] = self._fit_size + fit_at[n_pos::n_pos]
        self.fit = _grown(self.fit, self._fit_size + len(fit))
        self.fit[self._fit_size : self._fit_size + len(fit)] = fit
        self._fit_size += len(fit)
        for c, r in zip(customers, range(first, end), strict=True):
            self.row[c] = r
        self.size = end
        return np.arange(first, end, dtype=np.int64)

    def ranks(self, first_day: int, last_day: int) -> np.ndarray:
        """ads.bucket_ranks of every zone and UTC day first_day..last_day: [zone, day - first_day, bucket]."""
        out = np.zeros((max(1, len(self.zones)), last_day - first_day + 1, ads.BUCKETS_PER_DAY), dtype=np.int64)
        for z, tz in enumerate(self.zones):
            for d in range(first_day, last_day + 1):
                out[z, d - first_day] = ads.bucket_ranks(tz, d)
        return out


class Viewers(_Registry):
    """The viewers (household devices, by devices.Households' key: customer x MAX_DEVICES + slot) a backfill's
    sessions play on, each profiled (generator.viewer_profile) when first played: per row its VIEWER_INTS, its
    SCOPE_COLUMNS codes and its VIEWER_COLUMNS codes against `values`. Kept until MAX_VIEWERS, then started over
    with new value lists (a block made before keeps the lists its codes index)."""

    def __init__(self, prepared: generator.PreparedDimensions) -> None:
        self.prepared = prepared
        self.clear()

    def clear(self) -> None:
        """Forget every viewer and value (rows and codes handed out before mean nothing after)."""
        self.row: dict[int, int] = {}
        self.size = 0
        self.values: tuple[list[str], ...] = tuple([] for _ in VIEWER_COLUMNS)
        """Per VIEWER_COLUMNS entry, its distinct values in the order viewers first had them."""
        self._codes: tuple[dict[str, int], ...] = tuple({} for _ in VIEWER_COLUMNS)
        self.keys = np.zeros(0, dtype=np.int64)
        """Per row, its device key."""
        self.ints = np.zeros((0, len(VIEWER_INTS)), dtype=np.int64)
        self.codes = np.zeros((0, len(VIEWER_COLUMNS)), dtype=np.int32)
        self.scope = np.zeros((0, len(SCOPE_COLUMNS)), dtype=np.int64)

    def code(self, name: str, value: str) -> int:
        """The code of a VIEWER_COLUMNS value (made for a value no viewer has yet: an incident's scope)."""
        k = VIEWER_COLUMNS.index(name)
        hit = self._codes[k].get(value)
        return self._new(k, value) if hit is None else hit

    def _new(self, k: int, value: str) -> int:
        code = self._codes[k][value] = len(self.values[k])
        self.values[k].append(value)
        return code

    def _capacity(self) -> int:
        return MAX_VIEWERS

    def _add(self, keys: list[int]) -> np.ndarray:
        first, end = self.size, self.size + len(keys)
        self.ints, self.codes, self.scope = _grown(self.ints, end), _grown(self.codes, end), _grown(self.scope, end)
        self.keys = _grown(self.keys, end)
        self.keys[first:end] = keys
        people_, homes = self.prepared.customers, self.prepared.devices
        scope_at = [VIEWER_COLUMNS.index(name) for name in SCOPE_COLUMNS]
        codes = self._codes
        for r, key in enumerate(keys, start=first):
            kind, index, customer = homes.slot(key)
            p = generator.viewer_profile(people_[customer], DEVICE_TYPE_NAMES[kind], index)
            row = []
            for k, name in enumerate(VIEWER_COLUMNS):
                value = p.base[name]
                code = codes[k].get(value)
                row.append(self._new(k, value) if code is None else code)
            self.codes[r] = row
            self.scope[r] = [row[k] for k in scope_at]
            self.ints[r] = [p.bandwidth10, p.floor10, p.high10, *p.qoe]
            self.row[key] = r
        self.size = end
        return np.arange(first, end, dtype=np.int64)


@dataclass(frozen=True)
class Catalog:
    """Titles as arrays, the campaigns' targets, and the households and viewers a backfill's sessions draw (made
    when first drawn: nothing per customer of the audience)."""

    title_columns: dict[str, Coded]
    """title_id and title_type, coded by title."""
    title_seconds: np.ndarray
    title_types: np.ndarray
    """Each title's index in domains.TITLE_TYPES."""
    title_genres: np.ndarray
    """Each title's index in domains.GENRES."""
    title_next: np.ndarray
    """Each title's next episode (binge.next_titles), -1 if none."""
    follow: tuple
    """kernel.candidates' `follow`: (a placeholder follow key, set per world by `follow_of`), per title its series
    (-1: a film), per series its episodes' start in `order`, the episodes in order, per title its release day,
    `title_next`."""
    title_rank: np.ndarray
    """Each episode's place in its series' order (Catalogue.rank; 0 for a film)."""
    title_bound: np.ndarray
    """Per title, [its series' longest episode (s), the most links a chain from any of its episodes has]
    (Catalogue.bound_seconds, bound_links): kernel.world_sessions' bound before the viewer is known."""
    ad_book: AdBook
    households: Households
    viewers: Viewers

    @classmethod
    def from_dimensions(cls, dims: Dimensions) -> Catalog:
        """Index the dimensions as the generator does (same customers, titles, profiles and devices)."""
        prepared = generator.PreparedDimensions(dims)
        unknown_types = {tt for _, tt, _ in prepared.titles} - set(TITLE_TYPE_NAMES)
        if unknown_types:
            raise ValueError(f"title_type must be one of {list(TITLE_TYPE_NAMES)}, got {sorted(unknown_types)}")
        book = AdBook.of(dims)
        shelf = Catalogue(dims.titles, wm.SLOT_MS)
        title_next = np.array(binge.next_titles(dims.titles), dtype=np.int64)
        follow = (
            np.zeros(1, dtype=np.uint64),
            np.array(shelf.series_of, dtype=np.int64),
            np.cumsum([0] + [len(o) for o in shelf.order]).astype(np.int64),
            np.array([t for o in shelf.order for t in o] or [0], dtype=np.int64),
            np.array(shelf.release, dtype=np.int64),
            title_next,
        )
        return cls(
            title_columns={name: Coded.of([t[i] for t in prepared.titles]) for i, name in enumerate(TITLE_COLUMNS)},
            title_seconds=np.array([d for _, _, d in prepared.titles], dtype=np.int64),
            title_types=np.array([TITLE_TYPE_NAMES.index(tt) for _, tt, _ in prepared.titles], dtype=np.int64),
            title_genres=np.array([domains.GENRES.index(t["genre"]) for t in dims.titles], dtype=np.int64),
            title_next=title_next,
            follow=follow,
            title_rank=np.array(shelf.rank, dtype=np.int64),
            title_bound=np.array(list(zip(shelf.bound_seconds, shelf.bound_links, strict=True)), dtype=np.int64),
            ad_book=book,
            households=Households(prepared, book),
            viewers=Viewers(prepared),
        )


def incident_array(world: World, catalog: Catalog, start_ms: int, end_ms: int) -> np.ndarray:
    """The incidents overlapping [start_ms, end_ms) as kernel.INCIDENT_COLUMNS rows: scope values as the codes of
    the catalog's viewers (Viewers.code; -1: any)."""
    rows = []
    for inc in world.incidents(start_ms, end_ms):
        scope = [-1 if getattr(inc, name) is None else catalog.viewers.code(name, getattr(inc, name)) for name in
                 SCOPE_COLUMNS]  # fmt: skip
        rows.append(
            [inc.start_ms, inc.end_ms, *scope, inc.startup_permille, inc.start_fail_permille, inc.stall_permille,
             inc.error_permille, inc.bitrate_permille]
        )  # fmt: skip
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(kernel.INCIDENT_COLUMNS))


_planners: dict[int, plans.Planner] = {}


def planner_of(world: World) -> plans.Planner:
    """The world's hour planner (plans.Planner), kept for the next blocks, which share most of their plans."""
    hit = _planners.get(id(world))
    if hit is None or hit.world is not world:
        _planners.clear()  # one backfill at a time: its arrays are a few MB per 100,000 customers
        hit = _planners[id(world)] = plans.Planner(world)
    return hit


_stacks: dict[tuple[int, ...], tuple[tuple[wm.DayTitles, ...], tuple[np.ndarray, np.ndarray]]] = {}


def _stacked_titles(days: tuple[wm.DayTitles, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Days' title draws and their binge links out as rows of int32 and int8 arrays (kept for the next blocks,
    which mostly look at the same days)."""
    key = tuple(id(d.title) for d in days)
    hit = _stacks.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], days, strict=True)):
        if len(_stacks) > 8:
            _stacks.clear()
        rows = np.zeros((max(1, len(days)), 1 << wm.TITLE_BITS), dtype=np.int32)
        links = np.zeros((max(1, len(days)), 1 << wm.TITLE_BITS), dtype=np.int8)
        for i, day in enumerate(days):
            if day.title:
                rows[i] = day.title
                links[i] = day.links
        hit = _stacks[key] = (days, (rows, links))
    return hit[1]


def completion_percentage(position: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """`round(100.0 * position / duration, 2)` element-wise, as the generator computes it."""
    position = np.ascontiguousarray(position, dtype=np.int64)
    duration = np.ascontiguousarray(duration, dtype=np.int64)
    completion = np.empty(len(position))
    tie = np.empty(len(position), dtype=bool)
    kernel.hundredths_of(position, duration, completion, tie)
    _settle_ties(completion, tie, position, duration)
    return completion


def _settle_ties(completion: np.ndarray, tie: np.ndarray, position: np.ndarray, duration: np.ndarray) -> None:
    """Round the exactly-halfway completions as Python's `round` does (they are few)."""
    for i in np.flatnonzero(tie):
        completion[i] = round(100.0 * int(position[i]) / int(duration[i]), 2)


@dataclass
class Block:
    """Sessions and their events for one slice of time; events are session-major, in time order per session."""

    # per viewer (device) the block's sessions play on
    viewer_keys: np.ndarray
    """Its devices.Households key (customer x MAX_DEVICES + slot)."""
    viewer_codes: np.ndarray
    """Its VIEWER_COLUMNS values, as codes into `viewer_values` (int32, one column each)."""
    viewer_values: tuple[list[str], ...]
    """Per VIEWER_COLUMNS entry, the values the codes index (Viewers.values: shared, only ever appended to)."""
    # per session
    viewer: np.ndarray
    """Its row of the viewer arrays."""
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
    startup_ms: np.ndarray
    """-1 for null, as bitrate_kbps and error_code (an index into kernel.ERROR_CODE_NAMES)."""
    bitrate_kbps: np.ndarray
    error_code: np.ndarray
    ad_campaign: np.ndarray
    """Index into the catalog's ad book targets, -1 for null; ad_position (into AD_POSITION_NAMES) and ad_seconds
    likewise."""
    ad_position: np.ndarray
    ad_seconds: np.ndarray
    event_bytes: np.ndarray

    SESSION_FIELDS = ("viewer", "title", "session_bytes")
    EVENT_FIELDS = (
        "session", "event_type", "timestamp_ms", "position", "watch", "completion", "bandwidth", "buffering_events",
        "buffering_seconds", "error_count", "startup_ms", "bitrate_kbps", "error_code", "ad_campaign", "ad_position",
        "ad_seconds", "event_bytes",
    )  # fmt: skip

    VIEWER_FIELDS = ("viewer_keys", "viewer_codes", "viewer_values")

    @property
    def sessions(self) -> int:
        return len(self.viewer)

    def viewer_columns(self) -> dict[str, Coded]:
        """VIEWER_COLUMNS by viewer row, each coded against the values the block's viewers have (in the order of
        `viewer_values`)."""
        out = {}
        for k, name in enumerate(VIEWER_COLUMNS):
            used, codes = np.unique(self.viewer_codes[:, k], return_inverse=True)
            values = self.viewer_values[k]
            out[name] = Coded.distinct([values[c] for c in used.tolist()], codes.astype(np.int32).reshape(-1))
        return out

    @property
    def events(self) -> int:
        return len(self.session)

    def event_slice(self, start: int, stop: int) -> Block:
        """The same sessions with events [start, stop) only."""
        fields = {f: getattr(self, f) for f in self.VIEWER_FIELDS + self.SESSION_FIELDS}
        fields.update({f: getattr(self, f)[start:stop] for f in self.EVENT_FIELDS})
        return Block(**fields)

    @classmethod
    def concat(cls, blocks: list[Block]) -> Block:
        """One block of all sessions and events, in order."""
        if len(blocks) == 1:
            only = blocks[0]
            return Block(**{f: getattr(only, f) for f in cls.VIEWER_FIELDS + cls.SESSION_FIELDS + cls.EVENT_FIELDS})
        offsets = np.cumsum([0] + [b.sessions for b in blocks[:-1]])
        fields = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in cls.SESSION_FIELDS}
        fields.update({f: np.concatenate([getattr(b, f) for b in blocks]) for f in cls.EVENT_FIELDS[1:]})
        fields["session"] = np.concatenate([b.session + off for b, off in zip(blocks, offsets, strict=True)])
        viewer_at = np.cumsum([0] + [len(b.viewer_keys) for b in blocks[:-1]])
        fields["viewer"] = np.concatenate([b.viewer + at for b, at in zip(blocks, viewer_at, strict=True)])
        fields["viewer_keys"] = np.concatenate([b.viewer_keys for b in blocks])
        values = blocks[0].viewer_values
        if all(b.viewer_values is values for b in blocks):
            fields["viewer_codes"] = np.concatenate([b.viewer_codes for b in blocks])
        else:  # Viewers started over between them: code every block's values anew
            values = tuple([] for _ in VIEWER_COLUMNS)
            index: tuple[dict[str, int], ...] = tuple({} for _ in VIEWER_COLUMNS)
            codes = np.concatenate([b.viewer_codes for b in blocks])
            at = 0
            for b in blocks:
                for k in range(len(VIEWER_COLUMNS)):
                    for r, c in enumerate(b.viewer_codes[:, k].tolist(), start=at):
                        value = b.viewer_values[k][c]
                        code = index[k].get(value)
                        if code is None:
                            code = index[k][value] = len(values[k])
                            values[k].append(value)
                        codes[r, k] = code
                at += len(b.viewer_keys)
            fields["viewer_codes"] = codes
        fields["viewer_values"] = values
        return Block(**fields)

    def trimmed(self, sessions: int, events: int) -> Block:
        """The first `sessions` sessions and `events` events, copied (so a larger buffer is freed)."""
        fields = {f: getattr(self, f) for f in self.VIEWER_FIELDS}
        fields.update({f: getattr(self, f)[:sessions].copy() for f in self.SESSION_FIELDS})
        fields.update({f: getattr(self, f)[:events].copy() for f in self.EVENT_FIELDS})
        return Block(**fields)

    def take_events(self, order: np.ndarray) -> None:
        """Reorder the events in place."""
        for f in self.EVENT_FIELDS:
            setattr(self, f, getattr(self, f)[order])


def _slot_inputs(world: World, slot_lo: int, slot_hi: int) -> tuple:
    """What kernel.world_sessions and admission.admit read of slots [slot_lo, slot_hi): per slot its start count
    and plan, the plans' and the layout's arrays kernel.pick_customer reads (`viewers`), per plan its day's row of
    the title draws, then per slot its live surges' extra candidates (their counts and scopes)."""
    slots = np.arange(slot_lo, max(slot_lo, slot_hi), dtype=np.int64)
    first_hour = slot_lo // 60
    planner = planner_of(world)
    hour_plans = [planner.plan(h) for h in range(first_hour, (slot_hi - 1) // 60 + 1)] if len(slots) else []
    slot_plan = slots // 60 - first_hour
    # Each slot's start count: its hour plan's, then the extra ones of the live surges under way (World.slot_surges).
    whole, threshold, extra_at, extra_count, extra_set = planner.slot_counts(slot_lo, slot_hi, slot_plan, hour_plans)
    zones = world.sets.zones
    if hour_plans:
        plan_cum = np.concatenate([p.cumulative for p in hour_plans])
        plan_vday = np.stack([p.viewing_days for p in hour_plans])
        plan_keys = np.stack([p.day_keys for p in hour_plans])
        plan_info = np.array([[p.day, p.blocks, int(p.tail)] for p in hour_plans], dtype=np.int64)
    else:
        plan_cum = np.zeros((1 + len(domains.GENRES), zones), dtype=np.int64)
        plan_vday = np.zeros((1, zones), dtype=np.int64)
        plan_keys = np.zeros((1, zones), dtype=np.uint64)
        plan_info = np.zeros((1, 3), dtype=np.int64)
    viewers = (plan_cum, plan_vday, plan_keys, plan_info, *planner.layout)
    # Each plan's title draw is its day's: one row per distinct day (a day with nothing released has no sessions).
    days = [id(p.titles.title) for p in hour_plans]
    distinct = list(dict.fromkeys(days))
    plan_day = np.array([distinct.index(d) for d in days] or [0], dtype=np.int64)
    by_day = {id(p.titles.title): p.titles for p in hour_plans}
    day_titles, day_links = _stacked_titles(tuple(by_day[d] for d in distinct))
    return whole, threshold, slot_plan, viewers, plan_day, day_titles, day_links, extra_at, extra_count, extra_set


PASS_CANDIDATES = 100_000
"""Mean candidates the admission pass judges at a time before a block's own (its look-back: hours of them at a
large batchSize), so the households it makes stay as few as a block's."""


def _candidates(world: World, slot_lo: int, inputs: tuple, catalog: Catalog) -> tuple[np.ndarray, ...]:
    """kernel.candidates of the slots `inputs` describe (from slot_lo): (customer and screen field per candidate,
    slot_first)."""
    whole, threshold, slot_plan, viewers, plan_day, day_titles, _, extra_at, extra_count, extra_set = inputs
    room = int(whole.sum()) + len(whole) + int(extra_count.sum())
    customers = np.empty(room, dtype=np.int64)
    screens = np.empty(room, dtype=np.int64)
    played = np.empty(room, dtype=np.int64)
    links = np.empty(room, dtype=np.int64)
    own = np.empty(room, dtype=np.uint8)
    slot_first = np.empty(len(whole) + 1, dtype=np.int64)
    follow = (np.array([world.follow_key], dtype=np.uint64), *catalog.follow[1:])
    n = kernel.candidates(
        np.uint64(world.key), slot_lo, whole, threshold, extra_at, extra_count, extra_set, slot_plan, viewers,
        catalog.title_genres, plan_day, day_titles, follow, customers, screens, played, links, own, slot_first,
    )  # fmt: skip
    assert n >= 0, "room for one more start per slot than its whole count"
    return customers[:n], screens[:n], slot_first, played[:n], links[:n], own[:n]


class _Admission:
    """One world's admission pass (admission.admit) carried from block to block: the blocks of a backfill are
    consecutive, so each judges only its own slots; a block that does not follow the last starts a new pass
    `concurrency.lookback_slots` before it (the same verdicts, concurrency.py).

    Its state is kept for the households whose holds are still live: a hold that ends by the next slot's start
    admits and is replaced as no hold does (every later attempt is after it, every later hold after the attempt),
    so the pass holds what its volume holds, whatever the audience."""

    def __init__(self, world: World, catalog: Catalog) -> None:
        self.world, self.catalog = world, catalog
        self.next_slot: int | None = None
        self._forget()

    def _forget(self) -> None:
        self.live = np.zeros(0, dtype=np.int64)
        """The customers with a live hold, ascending; `top` (their plans' latest holds) and `until` (per device
        slot, its latest) row by row."""
        self.top = np.zeros((0, admission.MAX_LIMIT), dtype=np.int64)
        self.until = np.zeros((0, MAX_DEVICES), dtype=np.int64)
        self.cont = numba.typed.Dict.empty(key_type=numba.types.int64, value_type=numba.types.int64)
        """The pass's continuations (concurrency.Admission._cont), as admission.admit keeps them."""

    def judge(self, slot_lo: int, slot_hi: int, inputs: tuple | None = None) -> tuple[np.ndarray, ...]:
        """(admitted, slot_first, customer, screen, played title, its links out) of slots [slot_lo, slot_hi): per
        candidate its verdict (as admission.admit fills them, the pass restarted, its look-back first, at each
        admission day's start and wherever the last call did not end) and its customer, screen field, the title its
        household plays and that title's next episodes out (kernel.candidates)."""
        if not self.world.exclusive:  # every candidate is played (World.exclusive)
            inputs = inputs if inputs is not None else _slot_inputs(self.world, slot_lo, slot_hi)
            customers, screens, slot_first, played, links, _ = _candidates(self.world, slot_lo, inputs, self.catalog)
            return np.ones(len(customers), dtype=np.uint8), slot_first, customers, screens, played, links
        pieces, firsts, at, lo = [], [np.zeros(1, dtype=np.int64)], 0, slot_lo
        while lo < slot_hi:
            day = concurrency.pass_start(lo)
            hi = min(slot_hi, day + 1440)
            if self.next_slot != lo or lo == day:
                self._forget()
                self._runs(day - concurrency.lookback_slots(self.world), day, played_only=False)
                self._runs(day, lo, played_only=True)
            whole = len(range(lo, hi))
            part = inputs if inputs is not None and (lo, hi) == (slot_lo, slot_hi) else None
            admitted, slot_first, customers, screens, played, links = self._run(lo, hi, played_only=True, inputs=part)
            pieces.append((admitted, customers, screens, played, links))
            firsts.append(slot_first[1 : whole + 1] + at)
            at += len(admitted)
            lo = hi
        joined = [np.concatenate([p[k] for p in pieces]) for k in range(5)] if pieces else [np.zeros(0, np.uint8)] * 5
        admitted, customers, screens, played, links = joined[0], *(j.astype(np.int64) for j in joined[1:])
        return admitted, np.concatenate(firsts), customers, screens, played, links

    def _runs(self, slot_lo: int, slot_hi: int, *, played_only: bool) -> None:
        """`_run` over [slot_lo, slot_hi), about PASS_CANDIDATES candidates at a time (the state carries on)."""
        step = max(1, int(PASS_CANDIDATES / max(self.world.sessions_per_slot, 1e-9)))
        for lo in range(slot_lo, slot_hi, step):
            self._run(lo, min(slot_hi, lo + step), played_only=played_only)

    def _run(
        self, slot_lo: int, slot_hi: int, *, played_only: bool, inputs: tuple | None = None
    ) -> tuple[np.ndarray, ...]:
        inputs = inputs if inputs is not None else _slot_inputs(self.world, slot_lo, slot_hi)
        whole, threshold, slot_plan, _, _, _, _, extra_at, extra_count, _ = inputs
        customers, screens, slot_first, played, links, own = _candidates(self.world, slot_lo, inputs, self.catalog)
        catalog, homes = self.catalog, self.catalog.households
        houses = homes.rows(customers)
        drawn = customers >= 0
        users = np.union1d(self.live, customers[drawn])
        state = np.full(len(customers), -1, dtype=np.int64)
        state[drawn] = np.searchsorted(users, customers[drawn])
        top = np.zeros((len(users), admission.MAX_LIMIT), dtype=np.int64)
        until = np.zeros((len(users), MAX_DEVICES), dtype=np.int64)
        kept = np.searchsorted(users, self.live)
        top[kept], until[kept] = self.top, self.until
        admitted = np.empty(len(customers), dtype=np.uint8)
        admission.admit(
            np.uint64(self.world.key), slot_lo, whole, threshold, extra_at, extra_count, slot_plan, played, links,
            catalog.title_next, catalog.title_seconds, catalog.title_types, houses, state,
            homes.profile, homes.tables, homes.type, homes.limit, homes.ad_tier, until.reshape(-1), top, played_only,
            admitted, customers, own, catalog.follow[1], catalog.title_rank, catalog.follow[4],
            max(1, len(catalog.follow[2]) - 1),
            self.cont, catalog.title_bound,
        )  # fmt: skip
        admission.prune_continuations(self.cont, slot_hi - concurrency.CONTINUE_WITHIN_SLOTS)
        now = slot_hi * wm.SLOT_MS
        live = (top.max(axis=1) > now) | (until.max(axis=1) > now)
        self.live, self.top, self.until = users[live], top[live], until[live]
        self.next_slot = slot_hi
        return admitted, slot_first, customers, screens, played, links


_admissions: dict[int, _Admission] = {}


def _admission_of(world: World, catalog: Catalog) -> _Admission:
    hit = _admissions.get(id(world))
    if hit is None or hit.world is not world or hit.catalog is not catalog:
        _admissions.clear()  # one backfill at a time
        hit = _admissions[id(world)] = _Admission(world, catalog)
    return hit


def world_block(world: World, catalog: Catalog, slot_lo: int, slot_hi: int, start_ms: int, end_ms: int) -> Block:
    """The events with timestamps in [start_ms, end_ms) of the sessions that start in slots [slot_lo, slot_hi).

    Events are session-major (sessions in slot and key order), in time order within a session; only the sessions
    a device and the household's plan admit are played (concurrency.py).
    """
    slots = np.arange(slot_lo, max(slot_lo, slot_hi), dtype=np.int64)
    inputs = _slot_inputs(world, slot_lo, slot_hi)
    whole, threshold, slot_plan, _, plan_day, day_titles, _, extra_at, extra_count, extra_set = inputs
    admitted, slot_first, customers, screens, cand_title, cand_links = _admission_of(world, catalog).judge(
        slot_lo, slot_hi, inputs
    )
    # The households the candidates draw, and the viewers (devices) the played ones play on: made when first drawn.
    homes, viewers = catalog.households, catalog.viewers
    houses = homes.rows(customers)
    played = np.flatnonzero(admitted.astype(bool) & (houses >= 0))
    keys = customers[played] * MAX_DEVICES + homes.tables[homes.profile[houses[played]], screens[played]]
    viewer_rows = np.full(len(customers), -1, dtype=np.int64)
    viewer_rows[played] = viewers.rows(keys)

    incidents = incident_array(world, catalog, slot_lo * wm.SLOT_MS, end_ms)
    starts = int(whole.sum()) + len(slots) + int(extra_count.sum())
    most_sessions = starts * (1 + binge.MAX_AUTOPLAY)  # each start and its binge chain's links
    book = catalog.ad_book
    rank_day0 = slot_lo * wm.SLOT_MS // ads.DAY_MS
    ranks = homes.ranks(rank_day0, min((end_ms - 1) // ads.DAY_MS, rank_day0 + 2))
    loads = zone_loads(homes.zones, slot_lo // 60, max(slot_lo, slot_hi - 1) // 60 - slot_lo // 60 + 1)
    # A guess first (the arrays are trimmed after), then twice as much until there is room for every session's every
    # event (ad breaks make the most a session can have large and rare).
    most_ads = 2 * ads.MAX_POD * (2 + ads.mid_roll_count(int(catalog.title_seconds.max())))
    most = (kernel.EVENTS_PER_SESSION_MAX + most_ads) * most_sessions
    guess = EVENTS_PER_SESSION_GUESS * starts * 5 // 4 + 1024
    tries = [guess << i for i in range(64) if guess << i < most] + [most]
    for events in tries:
        block = _empty_block(most_sessions, events)
        tie = np.empty(events, dtype=bool)
        n_s, n_e = kernel.world_sessions(
            np.uint64(world.key), slot_lo, start_ms, end_ms, whole, threshold, extra_at, extra_count, extra_set,
            admitted, slot_first, customers, houses, viewer_rows, slot_plan, plan_day, day_titles, cand_title,
            cand_links, catalog.title_bound, catalog.title_next, catalog.title_seconds, catalog.title_types,
            homes.profile, homes.tables, homes.type, viewers.ints, viewers.scope, incidents,
            np.uint64(world.ads_key), homes.fit_at, homes.fit, book.first_day, book.last_day, book.seconds,
            homes.zone, ranks, rank_day0, loads,
            block.viewer, block.title, block.session_bytes, block.session, block.event_type, block.timestamp_ms,
            block.position, block.watch, block.completion, tie, block.bandwidth, block.buffering_events,
            block.buffering_seconds, block.error_count, block.startup_ms, block.bitrate_kbps, block.error_code,
            block.ad_campaign, block.ad_position, block.ad_seconds, block.event_bytes,
        )  # fmt: skip
        if n_s >= 0:
            break
    else:
        raise RuntimeError(f"slots {slot_lo}..{slot_hi} hold more than {most_sessions} sessions' events")
    block = block.trimmed(n_s, n_e)
    used, block.viewer = np.unique(block.viewer, return_inverse=True)
    block.viewer = block.viewer.astype(np.int32).reshape(-1)
    block.viewer_keys, block.viewer_codes, block.viewer_values = viewers.keys[used], viewers.codes[used], viewers.values
    duration = catalog.title_seconds[block.title[block.session]]
    _settle_ties(block.completion, tie[:n_e], block.position, duration)
    return block


def zone_loads(zones: Sequence[str], first_hour: int, hours: int) -> np.ndarray:
    """player.load_factors of each zone in each of `hours` UTC hours from `first_hour`: [hour, zone, (start-up,
    throughput)] (kernel.world_sessions' zone_load, by plan)."""
    out = np.full((max(1, hours), max(1, len(zones)), 2), 1000, dtype=np.int64)
    for h in range(hours):
        for z, tz in enumerate(zones):
            out[h, z] = player.load_factors(tz, first_hour + h)
    return out


def _empty_block(sessions: int, events: int) -> Block:
    return Block(
        viewer_keys=np.zeros(0, dtype=np.int64),
        viewer_codes=np.zeros((0, len(VIEWER_COLUMNS)), dtype=np.int32),
        viewer_values=tuple([] for _ in VIEWER_COLUMNS),
        viewer=np.empty(sessions, dtype=np.int32),
        title=np.empty(sessions, dtype=np.int32),
        session_bytes=np.empty((sessions, 16), dtype=np.uint8),
        session=np.empty(events, dtype=np.int32),
        event_type=np.empty(events, dtype=np.int8),
        timestamp_ms=np.empty(events, dtype=np.int64),
        position=np.empty(events, dtype=np.int32),
        watch=np.empty(events, dtype=np.int32),
        completion=np.empty(events, dtype=np.float64),
        bandwidth=np.empty(events, dtype=np.float64),
        buffering_events=np.empty(events, dtype=np.int32),
        buffering_seconds=np.empty(events, dtype=np.float64),
        error_count=np.empty(events, dtype=np.int32),
        startup_ms=np.empty(events, dtype=np.int32),
        bitrate_kbps=np.empty(events, dtype=np.int32),
        error_code=np.empty(events, dtype=np.int8),
        ad_campaign=np.empty(events, dtype=np.int32),
        ad_position=np.empty(events, dtype=np.int8),
        ad_seconds=np.empty(events, dtype=np.int16),
        event_bytes=np.empty((events, 16), dtype=np.uint8),
    )


def admission_verdicts(world: World, catalog: Catalog, slot_lo: int, slot_hi: int) -> np.ndarray:
    """One byte per candidate of the slots [slot_lo, slot_hi), in slot then key order: 1 if the backfill's admission
    pass plays it (the verdicts a backfill of those slots uses)."""
    return _admission_of(world, catalog).judge(slot_lo, slot_hi)[0]
