"""The world's hour plans and its customers' layout as the kernel's arrays: `World.hour` for the backfill.

`functions.shared.world` is the definition (pure Python, what the generator Lambda runs): per UTC hour, the zones'
expected viewer weights (and each genre's fans'), their viewing days and the hour's start rate, O(zones x genres)
whatever the audience; a session's viewer is drawn by rejection through the customers' layout (people.py). The
backfill reads the same plans as arrays (`plan_arrays`) and the layout's proposal sets, subscriptions and
watching thresholds as `Planner.layout` (kernel.pick_customer's inputs): nothing per customer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from functions.shared import domains, people
from functions.shared import world as wm
from functions.shared.catalogue import DayTitles

_U = np.uint64
MAX_CACHED_PLANS = 48
"""Hour plans kept (a block reads one or two; the admission pass's look-back a few hours before its day)."""
N_GENRES = len(domains.GENRES)


class PlanArrays(NamedTuple):
    """One UTC hour's plan (world.HourPlan) as the kernel reads it."""

    whole: int
    threshold: int
    rate: float
    admitted: float
    titles: DayTitles
    cumulative: np.ndarray
    """[1 + G, zones]: row 0 HourPlan.cumulative, row 1 + g its by_genre[g] (all zeros: nobody can watch)."""
    viewing_days: np.ndarray
    """Per zone, HourPlan.viewing_days."""
    day_keys: np.ndarray
    """Per zone, HourPlan.day_keys (uint64)."""
    day: int
    blocks: int
    tail: bool
    scoped: tuple[tuple[str, int], ...] = ()
    """HourPlan.scoped: per live surge's scope, its viewers' expected weight."""


def plan_arrays(plan: wm.HourPlan, zones: int) -> PlanArrays:
    """A World.hour plan as the kernel's arrays."""
    cumulative = np.zeros((1 + N_GENRES, zones), dtype=np.int64)
    if plan.cumulative:
        cumulative[0] = plan.cumulative
        for g, fans in enumerate(plan.by_genre):
            cumulative[1 + g] = fans
    return PlanArrays(
        plan.whole, plan.threshold, plan.rate, plan.admitted, plan.titles, cumulative,
        np.array(plan.viewing_days, dtype=np.int64), np.array(plan.day_keys, dtype=np.uint64), plan.day, plan.blocks,
        plan.tail, plan.scoped,
    )  # fmt: skip


def layout_arrays(world: wm.World) -> tuple[np.ndarray, ...]:
    """The world's proposal sets and customers as kernel.pick_customer reads them: (set_at, set_slots, set_running,
    the same of the partial block's sets, slot_below, tenure_q, people_ints (count), people_keys (layout key,
    subscription key))."""
    out = []
    for sets in (world.sets, world.tail):
        out += [
            np.cumsum([0] + [len(s) for s in sets.slots]).astype(np.int64),
            np.array([s for slots in sets.slots for s in slots], dtype=np.int64),
            np.array([w for running in sets.running for w in running], dtype=np.int64),
        ]
    return (
        *out,
        np.array(world.layout.active_below, dtype=np.int64),
        np.array(people.TENURE_QUANTILES, dtype=np.int64),
        np.array([world.count], dtype=np.int64),
        np.array([world._lkey, world._skey], dtype=np.uint64),
    )


class Planner:
    """World.hour of one world as PlanArrays (kept for the next blocks)."""

    def __init__(self, world: wm.World) -> None:
        self.world = world
        self.layout = layout_arrays(world)
        self._plans: dict[int, PlanArrays] = {}

    def counts(self, epoch_hour: int) -> tuple[int, int, float, float]:
        """(whole, threshold, rate, admitted) of an hour (World.hour's)."""
        p = self.world.hour(epoch_hour)
        return p.whole, p.threshold, p.rate, p.admitted

    def plan(self, epoch_hour: int) -> PlanArrays:
        """World.hour(epoch_hour) as the kernel's arrays."""
        hit = self._plans.get(epoch_hour)
        if hit is None:
            if len(self._plans) >= MAX_CACHED_PLANS:
                self._plans.pop(next(iter(self._plans)))
            hit = self._plans[epoch_hour] = plan_arrays(self.world.hour(epoch_hour), self.world.sets.zones)
        return hit

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
        weights = dict(plan.scoped)
        total = int(plan.cumulative[0, -1])
        return wm.surge_rates(
            plan.rate, total, tuple((i.country or "", i.volume_permille, weights[i.country or ""]) for i in surges)
        )

    def slot_counts(self, slot_lo: int, slot_hi: int, slot_plan: np.ndarray, plans: list[PlanArrays]) -> tuple:
        """Per slot of [slot_lo, slot_hi): (whole, threshold) of its own candidates (its plan's), then its live
        surges' extra ones (World.slot_surges): candidates slot_first .. extra_at[j + 1] - 1 of `extra_count` and
        `extra_set`, each entry a count and its scope (a country's index in the layout's countries)."""
        whole = np.array([p.whole for p in plans], dtype=np.int64)[slot_plan] if plans else np.zeros(0, np.int64)
        threshold = np.array([p.threshold for p in plans], dtype=np.uint64)[slot_plan] if plans else whole.astype(_U)
        countries = self.world.layout.countries
        extra_at = np.zeros(max(0, slot_hi - slot_lo) + 1, dtype=np.int64)
        counts: list[int] = []
        sets: list[int] = []
        for j, slot in enumerate(range(slot_lo, slot_hi)):
            p = int(slot_plan[j])
            plan = plans[p]
            surges = self.world.surges_at(slot) if plan.scoped else []  # World.slot_surges
            if surges:
                counts += wm.surge_counts(wm.draw(self.world.key, slot), self._surge_rates(plan, surges))
                sets += [countries.index(i.country or "") for i in surges]
            extra_at[j + 1] = len(counts)
        return whole, threshold, extra_at, np.array(counts, dtype=np.int64), np.array(sets, dtype=np.int64)
