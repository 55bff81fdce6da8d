"""The world's hour plans as the kernel's arrays, built with numpy: `World.hour` for the backfill.

`functions.shared.world` is the definition (pure Python, what the generator Lambda runs): per UTC hour, who may
start a session (the day's subscribers who watch on their viewing day, grouped by the UTC offset of their zone in
that hour), their weights, each genre's fans among them, and the hour's start rate. Over a realistic audience
(48,000 customers at the default batchSize) that is a Python step or a draw per customer per hour and per genre,
most of a backfill's time. `Planner` computes the same integers and floats from the same inputs with array
operations (SplitMix64 on uint64 arrays gives World.draw's bits), straight into the arrays `kernel.world_sessions`
and `admission.admit` read; `audience_arrays` turns a `World.hour` plan into those arrays, and the tests hold the
two equal, array for array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from functions.shared import domains, households
from functions.shared import world as wm
from functions.shared.calendar import hour_offset, local_weight
from functions.shared.catalogue import DayTitles

_U = np.uint64
_GAMMA, _MIX_1, _MIX_2 = _U(wm.GAMMA), _U(wm.MIX_1), _U(wm.MIX_2)
_NO_END = np.iinfo(np.int64).max
"""The end day of a subscription without one (rows written by hand)."""
MAX_CACHED_PLANS = 48
"""Hour plans kept (a block reads one or two; the admission pass's look-back a few hours before its day)."""


def draws(key: int, n: np.ndarray) -> np.ndarray:
    """world.draw(key, n) for every n of an array (uint64): SplitMix64 wraps mod 2**64 as the Python side masks."""
    z = _U(key) + n.astype(np.uint64) * _GAMMA
    z = (z ^ (z >> _U(30))) * _MIX_1
    z = (z ^ (z >> _U(27))) * _MIX_2
    return z ^ (z >> _U(31))


class PlanArrays(NamedTuple):
    """One UTC hour's plan (world.HourPlan) as the kernel reads it.

    Set 0 is the hour's viewers, set 1 + g the fans of genre g among them (domains.GENRES order); set k's groups
    start at `set_groups[k]` in `cumulative`, `sizes` and `group_start`, its members at `set_members[k]` in
    `members` and `running` (model._slot_inputs joins the plans of a block).
    """

    whole: int
    threshold: int
    rate: float
    admitted: float
    titles: DayTitles
    set_groups: np.ndarray
    set_members: np.ndarray
    cumulative: np.ndarray
    """Per group, the running total of its set's group weights (members' day weights times the local hour's)."""
    sizes: np.ndarray
    group_start: np.ndarray
    """Each group's first member, counted from its set's first."""
    members: np.ndarray
    """Customer indexes (World.customers)."""
    running: np.ndarray
    """Per member, the running total of its group's day weights."""
    scoped: tuple[tuple[str, int, tuple[np.ndarray, ...]], ...] = ()
    """HourPlan.scoped: per live surge's scope, its viewers' weight and its subscribers as one viewer set's arrays
    (`viewer_set_arrays`)."""

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The seven arrays, in the order `audience_arrays` gives them."""
        return (
            self.set_groups, self.set_members, self.cumulative, self.sizes, self.group_start, self.members,
            self.running,
        )  # fmt: skip


def audience_arrays(plan: wm.HourPlan) -> tuple[np.ndarray, ...]:
    """A World.hour plan's viewer sets (its viewers, then each genre's fans) as the kernel's arrays: PlanArrays.arrays.

    The definition `Planner` is held to; the backfill builds them with `Planner` instead."""
    sets = (plan, *plan.by_genre)
    set_groups, set_members, group_start = [0], [0], []
    for v in sets:
        set_groups.append(set_groups[-1] + len(v.cumulative))
        set_members.append(set_members[-1] + sum(len(g) for g in v.groups))
        at = 0
        for g in v.groups:  # a group's start among its own set's members
            group_start.append(at)
            at += len(g)
    return tuple(
        np.array(values, dtype=np.int64)
        for values in (
            set_groups[:-1],
            set_members[:-1],
            [c for v in sets for c in v.cumulative],
            [len(g) for v in sets for g in v.groups],
            group_start,
            [c for v in sets for g in v.groups for c in g],
            [w for v in sets for r in v.member_cumulative for w in r],
        )
    )


def viewer_set_arrays(v: wm.Viewers) -> tuple[np.ndarray, ...]:
    """One viewer set (a live surge's scope, HourPlan.scoped) as the kernel's arrays: its groups' running weights,
    sizes and starts, its members and their running weights (the definition Planner's scoped sets are held to)."""
    starts, at = [], 0
    for g in v.groups:
        starts.append(at)
        at += len(g)
    return tuple(
        np.array(values, dtype=np.int64)
        for values in (
            v.cumulative,
            [len(g) for g in v.groups],
            starts,
            [c for g in v.groups for c in g],
            [w for r in v.member_cumulative for w in r],
        )
    )


def _exclusive_cumsum(values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values), dtype=np.int64)
    np.cumsum(values[:-1], out=out[1:])
    return out


def _running_within(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running totals of `values` restarting at each index of `starts` (ascending, starting with 0)."""
    total = np.cumsum(values)
    if not len(values):
        return total
    before = np.concatenate(([0], total[starts[1:] - 1]))
    return total - np.repeat(before, np.diff(np.append(starts, len(values))))


@njit(cache=True, nogil=True)
def fan_sets(  # pragma: no cover - compiled
    members: np.ndarray,
    group_of: np.ndarray,
    weights: np.ndarray,
    genre_at: np.ndarray,
    genres: np.ndarray,
    local_of: np.ndarray,
    n_genres: int,
) -> tuple[np.ndarray, ...]:
    """Each genre's fans among an hour's members (World._shape): per genre, the members who list it (customer c's
    genres are genres[genre_at[c]:genre_at[c + 1]], a genre listed twice counting twice), in member order, grouped
    as the members are, groups without fans left out.

    Returns (fan members, their running day weights within their group, per fan group its size, its start among its
    genre's fans and its genre's running group weight (day weights times the local hour's `local_of`), per genre its
    number of groups and of fans)."""
    counts = np.zeros(n_genres, dtype=np.int64)
    for p in range(members.shape[0]):
        c = members[p]
        for q in range(genre_at[c], genre_at[c + 1]):
            counts[genres[q]] += 1
    first = np.zeros(n_genres + 1, dtype=np.int64)
    for g in range(n_genres):
        first[g + 1] = first[g] + counts[g]
    at = first[:n_genres].copy()
    position = np.empty(first[n_genres], dtype=np.int64)
    for p in range(members.shape[0]):
        c = members[p]
        for q in range(genre_at[c], genre_at[c + 1]):
            g = genres[q]
            position[at[g]] = p
            at[g] += 1
    fans = np.empty(first[n_genres], dtype=np.int64)
    running = np.empty(first[n_genres], dtype=np.int64)
    most = first[n_genres]
    sizes = np.empty(most, dtype=np.int64)
    starts = np.empty(most, dtype=np.int64)
    cumulative = np.empty(most, dtype=np.int64)
    genre_groups = np.zeros(n_genres, dtype=np.int64)
    s = -1
    for g in range(n_genres):
        total = 0
        group = -1
        acc = 0
        for k in range(first[g], first[g + 1]):
            p = position[k]
            if group_of[p] != group:
                if group >= 0:
                    total += acc * local_of[group]
                    cumulative[s] = total
                group = group_of[p]
                s += 1
                sizes[s] = 0
                starts[s] = k - first[g]
                genre_groups[g] += 1
                acc = 0
            acc += weights[p]
            fans[k] = members[p]
            running[k] = acc
            sizes[s] += 1
        if group >= 0:
            total += acc * local_of[group]
            cumulative[s] = total
    return fans, running, sizes[: s + 1], starts[: s + 1], cumulative[: s + 1], genre_groups, counts


class Planner:
    """World.hour of one world, as PlanArrays: the same viewers, weights, fans and rates, from arrays per customer."""

    def __init__(self, world: wm.World) -> None:
        self.world = world
        people = world._people
        zones = sorted({p.timezone for p in people})
        self.zones = zones
        code = {tz: z for z, tz in enumerate(zones)}
        zone_of = np.array([code[p.timezone] for p in people], dtype=np.int64)
        self._by_zone = np.argsort(zone_of, kind="stable").astype(np.int64)
        """Customer indexes by zone (World.subscribers' order: zone names ascending, then index)."""
        self._zone_at = np.searchsorted(zone_of[self._by_zone], np.arange(len(zones) + 1))
        self._first = np.array([p.first_day for p in people], dtype=np.int64)
        self._end = np.array([_NO_END if p.end_day is None else p.end_day for p in people], dtype=np.int64)
        self._below = np.array(world._active_below, dtype=np.int64)
        self._weight = np.array(world._day_weight, dtype=np.int64)
        self._index = np.arange(len(people), dtype=np.uint64)
        self._genre_at = np.cumsum([0] + [len(g) for g in world.preferred], dtype=np.int64)
        self._genres = np.array([g for genres in world.preferred for g in genres], dtype=np.int64)
        """Each customer's preferred genres in order, as World.preferred (customer c's from _genre_at[c])."""
        self._countries = np.array(world.countries)
        """Each customer's country (a live surge's scope)."""
        self._masks: dict[tuple[int, int], np.ndarray] = {}
        self._rates: dict[int, tuple[int, int, float, float]] = {}
        self._plans: dict[int, PlanArrays] = {}

    def subscribed_between(self, first_day: int, last_day: int) -> np.ndarray:
        """Indexes of the customers subscribed on some UTC day of [first_day, last_day] (World.subscribers): the only
        ones an hour plan of those days can hold."""
        since = np.maximum(self._first, first_day)
        return np.flatnonzero((since <= last_day) & (since < self._end)).astype(np.int64)

    def _zone_hour(self, epoch_hour: int) -> tuple[list[int], list[int]]:
        """Each zone's UTC offset (minutes) in the hour and its viewers' viewing day (World.audience)."""
        offsets = [hour_offset(tz, epoch_hour) for tz in self.zones]
        return offsets, [households.viewing_day(epoch_hour * 60 + off) for off in offsets]

    def _watching(self, day: int, viewing_day: int) -> np.ndarray:
        """Per customer in `_by_zone` order: subscribed on the UTC day and watching on the viewing day
        (World.viewers)."""
        hit = self._masks.get((day, viewing_day))
        if hit is None:
            if len(self._masks) > 64:
                self._masks.clear()
            limit = self._below
            fading = self._end < viewing_day + households.DISENGAGE_DAYS  # never for _NO_END
            if fading.any():
                left = np.maximum(0, self._end[fading] - viewing_day)
                limit = limit.copy()
                limit[fading] = limit[fading] * left // households.DISENGAGE_DAYS
            day_key = wm.draw(self.world._active_key, viewing_day)
            active = (draws(day_key, self._index) >> _U(11)).astype(np.int64) < limit
            subscribed = (self._first <= day) & (day < self._end)
            hit = self._masks[(day, viewing_day)] = (active & subscribed)[self._by_zone]
        return hit

    def _groups(self, epoch_hour: int) -> tuple[list[int], list[np.ndarray]]:
        """(offsets ascending, customer indexes per offset) of the hour's viewers: World.audience's groups."""
        offsets, days = self._zone_hour(epoch_hour)
        day = epoch_hour // 24
        by_offset: dict[int, list[np.ndarray]] = {}
        for z in range(len(self.zones)):
            lo, hi = self._zone_at[z], self._zone_at[z + 1]
            chosen = self._by_zone[lo:hi][self._watching(day, days[z])[lo:hi]]
            if len(chosen):
                by_offset.setdefault(offsets[z], []).append(chosen)
        order = sorted(by_offset)
        return order, [np.concatenate(by_offset[off]) for off in order]

    def _rate(self, epoch_hour: int, totals: list[int], locals_: list[int]) -> tuple[int, int, float, float]:
        """(whole, threshold, rate, admitted) from the groups' day-weight totals and local hours' weights."""
        total = sum(t * w for t, w in zip(totals, locals_, strict=True))
        return self.world.starts(total, sum(totals), self.world.catalogue.on(epoch_hour // 24))

    def counts(self, epoch_hour: int) -> tuple[int, int, float, float]:
        """(whole, threshold, rate, admitted) of an hour (World.hour's), without building its viewer sets."""
        hit = self._rates.get(epoch_hour)
        if hit is None:
            if epoch_hour in self._plans:
                p = self._plans[epoch_hour]
                return p.whole, p.threshold, p.rate, p.admitted
            if len(self._rates) > 100_000:
                self._rates.clear()
            offsets, groups = self._groups(epoch_hour) if self.world.catalogue.on(epoch_hour // 24).title else ([], [])
            totals = [int(self._weight[g].sum()) for g in groups]
            locals_ = [local_weight((epoch_hour * 60 + off) // 60) for off in offsets]
            hit = self._rates[epoch_hour] = self._rate(epoch_hour, totals, locals_)
        return hit

    def plan(self, epoch_hour: int) -> PlanArrays:
        """World.hour(epoch_hour) with its viewer sets as the kernel's arrays (audience_arrays of it)."""
        hit = self._plans.get(epoch_hour)
        if hit is None:
            if len(self._plans) >= MAX_CACHED_PLANS:
                self._plans.pop(next(iter(self._plans)))
            hit = self._plans[epoch_hour] = self._build(epoch_hour)
        return hit

    def _build(self, epoch_hour: int) -> PlanArrays:
        titles = self.world.catalogue.on(epoch_hour // 24)
        offsets, groups = self._groups(epoch_hour) if titles.title else ([], [])
        n_genres = len(domains.GENRES)
        locals_ = [local_weight((epoch_hour * 60 + off) // 60) for off in offsets]
        local_of = np.array(locals_, dtype=np.int64)
        members = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
        sizes = np.array([len(g) for g in groups], dtype=np.int64)
        starts = _exclusive_cumsum(sizes)
        weights = self._weight[members]
        running = _running_within(weights, starts)
        totals = running[starts + sizes - 1] if len(sizes) else np.zeros(0, dtype=np.int64)
        whole, threshold, rate, admitted = self._rate(epoch_hour, totals.tolist(), locals_)
        group_of = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
        fans, fan_running, seg_sizes, fan_starts, fan_cumulative, genre_groups, genre_members = fan_sets(
            members, group_of, weights, self._genre_at, self._genres, local_of, n_genres
        )
        genre_first = _exclusive_cumsum(genre_groups)
        scoped = tuple(
            (country, self._scope_weight(members, sizes, weights, local_of, country), self._scope_subscribers(
                epoch_hour, country, bool(titles.title)
            ))
            for country in self.world.surge_scopes(epoch_hour)
        )  # fmt: skip
        return PlanArrays(
            whole, threshold, rate, admitted, titles,
            set_groups=np.concatenate(([0], len(groups) + genre_first)).astype(np.int64),
            set_members=np.concatenate(([0], len(members) + _exclusive_cumsum(genre_members))).astype(np.int64),
            cumulative=np.concatenate((np.cumsum(totals * local_of), fan_cumulative)).astype(np.int64),
            sizes=np.concatenate((sizes, seg_sizes)).astype(np.int64),
            group_start=np.concatenate((starts, fan_starts)).astype(np.int64),
            members=np.concatenate((members, fans)).astype(np.int64),
            running=np.concatenate((running, fan_running)).astype(np.int64),
            scoped=scoped,
        )  # fmt: skip

    def _scope_weight(
        self, members: np.ndarray, sizes: np.ndarray, weights: np.ndarray, local_of: np.ndarray, country: str
    ) -> int:
        """World._scope_weight: the weight of an hour's viewers of one country."""
        inside = np.where(self._countries[members] == country, weights, 0)
        per_group = np.add.reduceat(inside, _exclusive_cumsum(sizes)) if len(members) else np.zeros(0, np.int64)
        return int((per_group * local_of).sum())

    def _scope_subscribers(self, epoch_hour: int, country: str, released: bool) -> tuple[np.ndarray, ...]:
        """World._scope_subscribers as viewer_set_arrays: one country's subscribers on the hour's day, by index."""
        day = epoch_hour // 24
        chosen = np.flatnonzero((self._first <= day) & (day < self._end) & (self._countries == country))
        if not len(chosen) or not released:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(5))
        n = len(chosen)
        one = np.array([n], dtype=np.int64)
        return one, one.copy(), np.zeros(1, np.int64), chosen.astype(np.int64), np.arange(1, n + 1, dtype=np.int64)

    def expected_events(self, start_ms: int, end_ms: int) -> float:
        """World.expected_events, from `counts`: mean events with timestamps in [start_ms, end_ms)."""
        total = 0.0
        ms = start_ms
        surges = any(i.volume_permille != 1000 for i in self.world.incidents(start_ms, end_ms))
        while ms < end_ms:
            stop = min(end_ms, (ms // wm.SLOT_MS + 1) * wm.SLOT_MS if surges else (ms // 3_600_000 + 1) * 3_600_000)
            _, _, rate, admitted = self.counts(ms // 3_600_000)
            if surges and (live := self.world.surges_at(ms // wm.SLOT_MS)):
                rate += sum(self._surge_rates(self.plan(ms // 3_600_000), live))
            plays = self.world.catalogue.on(ms // 86_400_000).plays_per_start
            total += rate * admitted * plays * (stop - ms) / wm.SLOT_MS
            ms = stop
        return total * wm.EVENTS_PER_SESSION

    @staticmethod
    def _surge_rates(plan: PlanArrays, surges: list) -> list[float]:
        """World._surge_rates of a plan's arrays."""
        weights = {country: weight for country, weight, _ in plan.scoped}
        own = plan.set_groups[1] if len(plan.set_groups) > 1 else len(plan.cumulative)
        total = int(plan.cumulative[own - 1]) if own else 0
        return wm.surge_rates(
            plan.rate, total, tuple((i.country or "", i.volume_permille, weights[i.country or ""]) for i in surges)
        )

    def slot_counts(self, slot_lo: int, slot_hi: int, slot_plan: np.ndarray, plans: list[PlanArrays]) -> tuple:
        """Per slot of [slot_lo, slot_hi): (whole, threshold) of its own candidates (its plan's), then its live
        surges' extra ones (World.slot_surges): candidates slot_first .. extra_at[j + 1] - 1 of `extra_count` and
        `extra_set`, each entry a count and its scope's set (the k-th of all plans' `scoped`, in plan order)."""
        whole = np.array([p.whole for p in plans], dtype=np.int64)[slot_plan] if plans else np.zeros(0, np.int64)
        threshold = np.array([p.threshold for p in plans], dtype=np.uint64)[slot_plan] if plans else whole.astype(_U)
        first_scope = np.cumsum([0] + [len(p.scoped) for p in plans])
        extra_at = np.zeros(max(0, slot_hi - slot_lo) + 1, dtype=np.int64)
        counts: list[int] = []
        sets: list[int] = []
        for j, slot in enumerate(range(slot_lo, slot_hi)):
            p = int(slot_plan[j])
            plan = plans[p]
            surges = self.world.surges_at(slot) if plan.scoped else []  # World.slot_surges
            if surges:
                scope_index = {country: k for k, (country, _, _) in enumerate(plan.scoped)}
                counts += wm.surge_counts(wm.draw(self.world.key, slot), self._surge_rates(plan, surges))
                sets += [int(first_scope[p]) + scope_index[i.country] for i in surges]
            extra_at[j + 1] = len(counts)
        return whole, threshold, extra_at, np.array(counts, dtype=np.int64), np.array(sets, dtype=np.int64)
