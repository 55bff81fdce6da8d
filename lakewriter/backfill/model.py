"""The world's sessions as numpy arrays, a range of start slots at a time: the backfill's generator.

Every value equals the generator Lambda's (`functions.generator.events`): the compiled kernel (`kernel`) follows
`functions.shared.world` draw for draw. Viewers get their device, network, quality and address from the
generator's own `viewer_profile`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from functions.generator import events as generator
from functions.shared import ads, binge, concurrency, devices, domains, player
from functions.shared import world as wm
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
        encoded = [v.encode() for v in index]
        offsets = np.cumsum([0] + [len(v) for v in encoded], dtype=np.int32)
        return cls(pa.array(list(index), pa.string()), codes, offsets, np.frombuffer(b"".join(encoded), np.uint8))

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
    """ads.Book of the full campaigns table as kernel.world_sessions reads it."""

    book: ads.Book
    fit_at: np.ndarray
    """Customer c's fitting targets of position p are fit[fit_at[3c + p]:fit_at[3c + p + 1]] (ascending)."""
    fit: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    seconds: np.ndarray
    zones: tuple[str, ...]
    zone: np.ndarray
    """Each customer's index in `zones`."""
    campaign_ids: pa.StringArray
    """Each target's campaign_id."""

    @classmethod
    def of(cls, dims: Dimensions) -> AdBook:
        customers = list(dims.customers)
        book = ads.Book(dims.campaigns, customers)
        fit_at, fit = fitting_arrays(book.targets, customers)
        zones = tuple(sorted({str(c["timezone"]) for c in customers}))
        tgts = book.targets
        return cls(
            book=book,
            fit_at=fit_at,
            fit=fit,
            first_day=np.array([t.first_day for t in tgts], dtype=np.int64),
            last_day=np.array([t.last_day for t in tgts], dtype=np.int64),
            seconds=np.array([t.seconds for t in tgts], dtype=np.int64),
            zones=zones,
            zone=np.array([zones.index(str(c["timezone"])) for c in customers], dtype=np.int64),
            campaign_ids=pa.array([t.campaign_id for t in tgts], pa.string()),
        )

    def ranks(self, first_day: int, last_day: int) -> np.ndarray:
        """ads.bucket_ranks of every zone and UTC day first_day..last_day: [zone, day - first_day, bucket]."""
        out = np.zeros((max(1, len(self.zones)), last_day - first_day + 1, ads.BUCKETS_PER_DAY), dtype=np.int64)
        for z, tz in enumerate(self.zones):
            for d in range(first_day, last_day + 1):
                out[z, d - first_day] = ads.bucket_ranks(tz, d)
        return out


AD_POSITION_NAMES: tuple[str, ...] = ads.POSITIONS
_FIT_CHUNK = 4096
"""Customers matched against every campaign at a time (a chunk's matrices are ~12 bytes per customer and target)."""


def fitting_arrays(
    tgts: Sequence[ads.Target], customers: Sequence[Mapping[str, object]]
) -> tuple[np.ndarray, np.ndarray]:
    """(fit_at, fit): ads.Book.fitting of every customer in turn, per position, flattened (AdBook's layout).

    Target.fits by matrices, for the customers on an ad tier (the others fit none): a customer's tier, country
    and age group pick rows of each target's accepted values, its preferred genres meet a target's when their
    product is positive; then, per customer and position, the fitting targets ascending (the order Book.fitting
    lists them in). About a third of the per-customer loop's time at 26,000 customers and 1,500 campaigns.
    """
    n, n_pos = len(customers), len(ads.POSITIONS)
    who = np.flatnonzero([ads.sees_ads(str(c["subscription_tier"])) for c in customers])
    fit_at = np.zeros(n * n_pos + 1, dtype=np.int64)
    if not tgts or not len(who):
        return fit_at, np.zeros(0, dtype=np.int64)
    viewers = [customers[c] for c in who.tolist()]
    position = np.array([ads.POSITIONS.index(t.position) for t in tgts], dtype=np.int64)
    # Targets by position, then index: a customer's fitting ones in that order are its three lists in a row.
    by_position = np.argsort(position, kind="stable")
    ordered = [tgts[t] for t in by_position.tolist()]

    def accepted(field: str, allowed: Sequence[frozenset[str]]) -> np.ndarray:
        """Per customer, the row of its value: which targets accept it."""
        values = [str(c[field]) for c in viewers]
        codes = {v: i for i, v in enumerate(sorted(set(values)))}
        table = np.array([[v in a for a in allowed] for v in codes], dtype=bool).reshape(len(codes), len(allowed))
        return table[np.array([codes[v] for v in values], dtype=np.int64)]

    audience = accepted("subscription_tier", [t.tiers for t in ordered])
    audience &= accepted("country", [t.countries for t in ordered])
    audience &= accepted("age_group", [t.age_groups for t in ordered])
    liked = [json.loads(str(c["preferred_genres"])) for c in viewers]
    names = sorted({*(g for gs in liked for g in gs), *(g for t in tgts for g in t.genres)})
    genre = {g: i for i, g in enumerate(names)}
    likes = np.zeros((len(viewers), len(names)), dtype=np.float32)
    for c, gs in enumerate(liked):
        likes[c, [genre[g] for g in gs]] = 1.0
    targeted = np.zeros((len(names), len(tgts)), dtype=np.float32)
    for t, target in enumerate(ordered):
        targeted[[genre[g] for g in target.genres], t] = 1.0
    counts = np.zeros((len(viewers), n_pos), dtype=np.int64)
    fit = []
    for lo in range(0, len(viewers), _FIT_CHUNK):
        rows, cols = np.nonzero(audience[lo : lo + _FIT_CHUNK] & (likes[lo : lo + _FIT_CHUNK] @ targeted > 0))
        cols = by_position[cols]
        rows_here = min(_FIT_CHUNK, len(viewers) - lo)
        counts[lo : lo + rows_here] = np.bincount(rows * n_pos + position[cols], minlength=rows_here * n_pos).reshape(
            rows_here, n_pos
        )
        fit.append(cols)
    per_customer = np.zeros((n, n_pos), dtype=np.int64)
    per_customer[who] = counts
    np.cumsum(per_customer.ravel(), out=fit_at[1:])
    return fit_at, np.concatenate(fit).astype(np.int64, copy=False)


@dataclass(frozen=True)
class Catalog:
    """Viewer and title attributes as arrays; a viewer is one household device (devices.Layout's flat index)."""

    viewer_columns: dict[str, Coded]
    """VIEWER_COLUMNS, each coded by viewer."""
    viewer_ints: np.ndarray
    """Per viewer, VIEWER_INTS in that order (int64)."""
    viewer_scope: np.ndarray
    """Per viewer, the codes of its SCOPE_COLUMNS values (int64; an incident's scope is coded the same way)."""
    title_columns: dict[str, Coded]
    """title_id and title_type, coded by title."""
    title_seconds: np.ndarray
    title_types: np.ndarray
    """Each title's index in domains.TITLE_TYPES."""
    title_genres: np.ndarray
    """Each title's index in domains.GENRES."""
    title_next: np.ndarray
    """Each title's next episode (binge.next_titles), -1 if none."""
    device_first: np.ndarray
    """Per customer, its first device, as devices.Layout (and the device count last)."""
    device_profile: np.ndarray
    """Per customer, its row of `device_tables`."""
    device_tables: np.ndarray
    """The households' distinct 64-entry screen tables (slots within the household), one row each."""
    device_type: np.ndarray
    """Per device, its type's index in domains.DEVICE_TYPES."""
    device_customer: np.ndarray
    """Per device, its customer (an index into World.customers)."""
    ad_book: AdBook
    """The campaigns each customer can be shown (ads.Book) as arrays."""

    @classmethod
    def from_dimensions(cls, dims: Dimensions, customers: np.ndarray | None = None) -> Catalog:
        """Index the dimensions as the generator does (same customers, titles, profiles and device table).

        With `customers` (indexes into dims.customers), only their viewers get profiles: the viewers of the others
        hold placeholders (code 0, zeros) that must never be read. A backfill passes the customers subscribed at
        some time of its range (plans.Planner.subscribed_between), a third of a realistic table for a month.
        """
        prepared = generator.PreparedDimensions(dims)
        unknown_types = {tt for _, tt, _ in prepared.titles} - set(TITLE_TYPE_NAMES)
        if unknown_types:
            raise ValueError(f"title_type must be one of {list(TITLE_TYPE_NAMES)}, got {sorted(unknown_types)}")
        lay = devices.layout_of(prepared.customers)
        everyone = customers is None
        if everyone:
            rows = np.arange(len(lay.type), dtype=np.int64)
        else:  # the chosen customers' devices
            first = np.asarray(lay.first, dtype=np.int64)
            chosen = np.asarray(customers, dtype=np.int64)
            rows = np.concatenate(
                [np.arange(first[c], first[c + 1]) for c in chosen.tolist()] or [np.zeros(0, np.int64)]
            )
        profiles = [
            generator.viewer_profile(prepared.customers[lay.customer[v]], DEVICE_TYPE_NAMES[lay.type[v]], lay.index[v])
            for v in rows.tolist()
        ]
        coded = {name: Coded.of([p.base[name] for p in profiles]) for name in VIEWER_COLUMNS}
        ints = np.array([[p.bandwidth10, p.floor10, p.high10, *p.qoe] for p in profiles], dtype=np.int64)
        ints = ints.reshape(len(profiles), len(VIEWER_INTS))
        if not everyone:  # every viewer's (device's) row, the chosen ones filled
            size = len(lay.type)
            for name, column in coded.items():
                codes = np.zeros(size, dtype=np.int32)
                codes[rows] = column.codes
                coded[name] = dataclasses.replace(column, codes=codes)
            all_ints = np.zeros((size, len(VIEWER_INTS)), dtype=np.int64)
            all_ints[rows] = ints
            ints = all_ints
        return cls(
            viewer_columns=coded,
            viewer_ints=ints,
            viewer_scope=np.stack([coded[name].codes for name in SCOPE_COLUMNS], axis=1).astype(np.int64),
            title_columns={name: Coded.of([t[i] for t in prepared.titles]) for i, name in enumerate(TITLE_COLUMNS)},
            title_seconds=np.array([d for _, _, d in prepared.titles], dtype=np.int64),
            title_types=np.array([TITLE_TYPE_NAMES.index(tt) for _, tt, _ in prepared.titles], dtype=np.int64),
            title_genres=np.array([domains.GENRES.index(t["genre"]) for t in dims.titles], dtype=np.int64),
            title_next=np.array(binge.next_titles(dims.titles), dtype=np.int64),
            device_first=np.array(lay.first, dtype=np.int64),
            device_profile=np.array(lay.profile, dtype=np.int64),
            device_tables=np.array(lay.tables, dtype=np.int64).reshape(len(lay.tables), devices.TABLE_SIZE),
            device_type=np.array(lay.type, dtype=np.int64),
            device_customer=np.array(lay.customer, dtype=np.int64),
            ad_book=AdBook.of(dims),
        )


def incident_array(world: World, catalog: Catalog, start_ms: int, end_ms: int) -> np.ndarray:
    """The incidents overlapping [start_ms, end_ms) as kernel.INCIDENT_COLUMNS rows: scope values as the codes of
    the catalog's viewer columns (-1: any; -2: a value no viewer has, so nobody is in scope)."""
    rows = []
    for inc in world.incidents(start_ms, end_ms):
        scope = []
        for name in SCOPE_COLUMNS:
            value = getattr(inc, name)
            if value is None:
                scope.append(-1)
            else:
                values = catalog.viewer_columns[name].values.to_pylist()
                scope.append(values.index(value) if value in values else -2)
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

    def trimmed(self, sessions: int, events: int) -> Block:
        """The first `sessions` sessions and `events` events, copied (so a larger buffer is freed)."""
        fields = {f: getattr(self, f)[:sessions].copy() for f in self.SESSION_FIELDS}
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


class _Admission:
    """One world's admission pass (admission.admit) carried from block to block: the blocks of a backfill are
    consecutive, so each judges only its own slots; a block that does not follow the last starts a new pass
    `concurrency.lookback_slots` before it (the same verdicts, concurrency.py)."""

    def __init__(self, world: World, catalog: Catalog) -> None:
        self.world, self.catalog = world, catalog
        self.limits = np.array(concurrency.stream_limits(world), dtype=np.int64)
        self.ad_tier = np.array(concurrency.ad_tiers(world), dtype=np.int64)
        n = len(self.limits)
        self.device_until = np.zeros(len(catalog.device_type), dtype=np.int64)
        self.household_top = np.zeros((n, admission.MAX_LIMIT), dtype=np.int64)
        self.next_slot: int | None = None

    def judge(self, slot_lo: int, slot_hi: int, inputs: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(admitted, slot_first) of slots [slot_lo, slot_hi), as admission.admit fills them, the pass restarted
        (its look-back first) at each admission day's start and wherever the last call did not end."""
        if not self.world.exclusive:  # every candidate is played (World.exclusive)
            inputs = inputs if inputs is not None else _slot_inputs(self.world, slot_lo, slot_hi)
            whole, extra_at, extra_count = inputs[0], inputs[7], inputs[8]
            most = whole + 1
            np.add.at(most, np.repeat(np.arange(len(whole)), np.diff(extra_at)), extra_count)
            slot_first = np.zeros(len(whole) + 1, dtype=np.int64)
            np.cumsum(most, out=slot_first[1:])
            return np.ones(int(slot_first[-1]), dtype=np.uint8), slot_first
        pieces, firsts, at, lo = [], [np.zeros(1, dtype=np.int64)], 0, slot_lo
        while lo < slot_hi:
            day = concurrency.pass_start(lo)
            hi = min(slot_hi, day + 1440)
            if self.next_slot != lo or lo == day:
                self.device_until[:] = 0
                self.household_top[:] = 0
                self._run(day - concurrency.lookback_slots(self.world), day, played_only=False)
                if lo > day:
                    self._run(day, lo, played_only=True)
            whole = len(range(lo, hi))
            part = inputs if inputs is not None and (lo, hi) == (slot_lo, slot_hi) else None
            admitted, slot_first = self._run(lo, hi, played_only=True, inputs=part)
            pieces.append(admitted)
            firsts.append(slot_first[1 : whole + 1] + at)
            at += len(admitted)
            lo = hi
        return np.concatenate(pieces) if pieces else np.zeros(0, np.uint8), np.concatenate(firsts)

    def _run(
        self, slot_lo: int, slot_hi: int, *, played_only: bool, inputs: tuple | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        inputs = inputs if inputs is not None else _slot_inputs(self.world, slot_lo, slot_hi)
        whole, threshold, slot_plan, viewers, plan_day, day_titles, day_links, extra_at, extra_count, extra_set = inputs
        admitted = np.empty(int(whole.sum()) + len(whole) + int(extra_count.sum()), dtype=np.uint8)
        slot_first = np.empty(len(whole) + 1, dtype=np.int64)
        catalog = self.catalog
        n = admission.admit(
            np.uint64(self.world.key), slot_lo, whole, threshold, extra_at, extra_count, extra_set, slot_plan,
            viewers, catalog.title_genres, plan_day, day_titles, day_links,
            catalog.title_next, catalog.title_seconds, catalog.title_types, catalog.device_first,
            catalog.device_profile, catalog.device_tables, catalog.device_type, self.limits, self.ad_tier,
            self.device_until,
            self.household_top, played_only, admitted, slot_first,
        )  # fmt: skip
        assert n >= 0, "room for one more start per slot than its whole count"
        self.next_slot = slot_hi
        return admitted[:n], slot_first


_admissions: dict[int, _Admission] = {}


def _admission_of(world: World, catalog: Catalog) -> _Admission:
    hit = _admissions.get(id(world))
    if hit is None or hit.world is not world or hit.catalog is not catalog:
        _admissions.clear()  # one backfill at a time: its arrays are a few MB per 100,000 customers
        hit = _admissions[id(world)] = _Admission(world, catalog)
    return hit


def world_block(world: World, catalog: Catalog, slot_lo: int, slot_hi: int, start_ms: int, end_ms: int) -> Block:
    """The events with timestamps in [start_ms, end_ms) of the sessions that start in slots [slot_lo, slot_hi).

    Events are session-major (sessions in slot and key order), in time order within a session; only the sessions
    a device and the household's plan admit are played (concurrency.py).
    """
    slots = np.arange(slot_lo, max(slot_lo, slot_hi), dtype=np.int64)
    inputs = _slot_inputs(world, slot_lo, slot_hi)
    whole, threshold, slot_plan, viewers, plan_day, day_titles, day_links, extra_at, extra_count, extra_set = inputs
    admitted, slot_first = _admission_of(world, catalog).judge(slot_lo, slot_hi, inputs)

    incidents = incident_array(world, catalog, slot_lo * wm.SLOT_MS, end_ms)
    starts = int(whole.sum()) + len(slots) + int(extra_count.sum())
    most_sessions = starts * (1 + binge.MAX_AUTOPLAY)  # each start and its binge chain's links
    book = catalog.ad_book
    rank_day0 = slot_lo * wm.SLOT_MS // ads.DAY_MS
    ranks = book.ranks(rank_day0, min((end_ms - 1) // ads.DAY_MS, rank_day0 + 2))
    loads = zone_loads(book.zones, slot_lo // 60, max(slot_lo, slot_hi - 1) // 60 - slot_lo // 60 + 1)
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
            admitted, slot_first, slot_plan, viewers, catalog.title_genres, plan_day, day_titles, day_links,
            catalog.title_next,
            catalog.title_seconds, catalog.title_types, catalog.device_first, catalog.device_profile,
            catalog.device_tables, catalog.device_type, catalog.viewer_ints,
            catalog.viewer_scope, incidents,
            np.uint64(world.ads_key), book.fit_at, book.fit, book.first_day, book.last_day, book.seconds, book.zone,
            ranks, rank_day0, loads,
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
