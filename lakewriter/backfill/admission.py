"""Which candidate sessions are played (a device one at a time, a household within its plan's limit), compiled.

The twin of `functions.shared.concurrency` (which states the rule and proves the guarantee): the same pass over
the same candidates in the same order, on the same integers, so the backfill admits exactly the sessions the
generator does. `admit` judges a range of slots and carries its state (per device the latest end bound, per
household its `limit` latest) in arrays the caller keeps over the households whose holds are still live
(model._Admission), so consecutive blocks of a backfill are one pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from functions.shared import ads, binge, concurrency, domains
from functions.shared import world as wm
from lakewriter.backfill import kernel
from lakewriter.backfill.kernel import (
    COMPLETE_BELOW,
    MAX_DEVICES,
    PAUSE_REACH,
    STOP_FRACTION,
    _field,
    chain_links,
    device_of,
    mix,
)

kernel.drop_stale_cache(__file__, (*kernel.COMPILED_IN, kernel, concurrency))

_U = np.uint64
_GAMMA = _U(wm.GAMMA)
_S11 = _U(11)
N_TITLE_TYPES = len(domains.TITLE_TYPES)
MAX_LIMIT = max(domains.PLAN_STREAM_LIMITS.values())
"""Columns of the per-household state: the largest plan's limit."""


@njit(cache=True, inline="always")
def attempt_ms(sk: np.uint64, base: int) -> int:  # pragma: no cover - compiled
    """concurrency.attempt_ms."""
    return base + (_field(sk, wm.START_SHIFT, wm.START_BITS) * wm.SLOT_MS) // wm.START_STEPS


@njit(cache=True, inline="always")
def end_bound(
    sk: np.uint64, base: int, duration: int, title_type: int, device: int
) -> int:  # pragma: no cover - compiled
    """concurrency.end_bound: an upper bound of a candidate's last event (`device` its screen's type)."""
    complete = _field(sk, wm.END_SHIFT, wm.COMPLETE_BITS) < COMPLETE_BELOW[device * N_TITLE_TYPES + title_type]
    s8 = _field(sk, wm.SPAN_SHIFT, wm.COARSE_BITS)
    span_max = duration if complete else 1 + (((duration - 2) * STOP_FRACTION[device, s8 + 1]) >> 32)
    coarse_end = base + ((_field(sk, wm.START_SHIFT, wm.START_BITS) + 1) * wm.SLOT_MS) // wm.START_STEPS
    return coarse_end + span_max * 1000 + PAUSE_REACH[_field(sk, wm.PAUSE_SHIFT, wm.PAUSE_TABLE_BITS)]


_PRE_POD_MS, _MID_POD_MS, _POST_POD_MS = ads._LONGEST_POD_MS


@njit(cache=True, inline="always")
def play_ad_bound(sk: np.uint64, duration: int, title_type: int, device: int) -> int:  # pragma: no cover - compiled
    """ads.play_ad_ms of a candidate's key on its screen type (concurrency.ad_bound for a viewer on an ad tier)."""
    complete = _field(sk, wm.END_SHIFT, wm.COMPLETE_BITS) < COMPLETE_BELOW[device * N_TITLE_TYPES + title_type]
    s8 = _field(sk, wm.SPAN_SHIFT, wm.COARSE_BITS)
    span_max = duration if complete else 1 + (((duration - 2) * STOP_FRACTION[device, s8 + 1]) >> 32)
    mids = min(
        max(0, (duration - ads.MID_ROLL_TAIL_SECONDS) // ads.MID_ROLL_EVERY_SECONDS),
        span_max // ads.MID_ROLL_EVERY_SECONDS + 1,
    )
    return _PRE_POD_MS + mids * _MID_POD_MS + (_POST_POD_MS if complete else 0)


@njit(cache=True, nogil=True)
def admit(  # pragma: no cover - compiled
    world_key: np.uint64,
    slot_lo: int,
    slot_whole: np.ndarray,
    slot_threshold: np.ndarray,
    extra_at: np.ndarray,
    extra_count: np.ndarray,
    slot_plan: np.ndarray,
    cand_title: np.ndarray,
    cand_links: np.ndarray,
    title_next: np.ndarray,
    title_seconds: np.ndarray,
    title_types: np.ndarray,
    cand_house: np.ndarray,
    cand_state: np.ndarray,
    h_profile: np.ndarray,
    device_tables: np.ndarray,
    h_type: np.ndarray,
    h_limit: np.ndarray,
    h_ad_tier: np.ndarray,
    device_until: np.ndarray,
    household_top: np.ndarray,
    played_only: bool,
    admitted: np.ndarray,
    cand_customer: np.ndarray,
    cand_own: np.ndarray,
    series_of: np.ndarray,
    rank: np.ndarray,
    release: np.ndarray,
    n_series: int,
    cont: dict,
    title_bound: np.ndarray,
) -> None:
    """Judge the candidates of slots slot_lo + j (the inputs of kernel.world_sessions) in slot and key order.

    `admitted[x]` becomes 1 if candidate x (kernel.candidates' order) is played; its household is row
    `cand_house[x]` of model.Households (-1: no viewer found, not played) and row `cand_state[x]` of the pass's
    state: `device_until` (per state row times MAX_DEVICES plus the device's slot, kernel.device_of) and
    `household_top` (per state row, its household's `h_limit` largest in the first columns) hold the admitted
    candidates' holds (concurrency.ad_hold: end bounds, to a bucket's end on an ad tier, `h_ad_tier`) and carry
    the pass from the slot before slot_lo and on to the next call: by the played candidates (`played_only`,
    within a pass's day) or by all (its look-back before the day). A candidate's end bound adds its title's ad
    time when its household is on an ad tier (concurrency.ad_bound).

    Within its day (`played_only`, concurrency.Admission._continues), a candidate that plays its household's own
    episode (`cand_own`) plays the later of it and the one after the last episode the household
    played of the series (`cont`: a numba Dict keyed customer * series count + series, as the pass keeps it), as
    Admission._judge does: its `cand_title` and `cand_links` become that title's, and its verdict 1 + k (k
    episodes further). Where every candidate counts (not `played_only`), such a candidate holds until a bound of
    any episode of its series (`title_bound`: model.Catalog's, concurrency.series_reach).
    """
    n = 0
    link_keys = np.zeros(binge.MAX_AUTOPLAY, dtype=np.uint64)
    link_titles = np.zeros(binge.MAX_AUTOPLAY, dtype=np.int64)
    for j in range(slot_whole.shape[0]):
        slot = slot_lo + j
        slot_key, _, count = kernel.slot_candidates(
            world_key, slot, slot_whole[j], slot_threshold[j], extra_at[j], extra_at[j + 1], extra_count
        )
        base = slot * wm.SLOT_MS
        for i in range(1, count + 1):
            house = cand_house[n]
            if house < 0:  # no viewer found (World.pick_customer): not played, holds nothing
                admitted[n] = 0
                n += 1
                continue
            sk = mix(slot_key + _U(i) * _GAMMA)
            title = cand_title[n]  # the title its household plays (kernel.candidates: World.played_title)
            further = 0
            ckey = -1
            if played_only and cand_own[n]:  # concurrency.Admission._judge's continuation
                ckey = cand_customer[n] * n_series + series_of[title]
                entry = cont.get(ckey, -1)
                if entry >= 0 and (entry & 0xFFFFFFFF) >= slot - concurrency.CONTINUE_WITHIN_SLOTS:
                    after = (entry >> 32) - 1
                    if after >= 0 and release[after] <= slot // 1440:
                        k = rank[after] - rank[title]
                        if 0 < k <= concurrency.MAX_FURTHER:
                            further = k
                            title = after
                            cand_title[n] = after
                            cand_links[n] = kernel.links_out(after, slot // 1440, title_next, release)
            attempt = attempt_ms(sk, base)
            slot_of = device_of(house, sk, h_profile, device_tables) - house * MAX_DEVICES
            screen = h_type[house * MAX_DEVICES + slot_of]
            state = cand_state[n]
            device = state * MAX_DEVICES + slot_of
            duration = title_seconds[title]
            bound = end_bound(sk, base, duration, title_types[title], screen)
            sees_ads = h_ad_tier[house]
            if sees_ads:  # concurrency.ad_bound
                bound += play_ad_bound(sk, duration, title_types[title], screen)
            allowed = cand_links[n]
            completes = (
                _field(sk, wm.END_SHIFT, wm.COMPLETE_BITS) < COMPLETE_BELOW[screen * N_TITLE_TYPES + title_types[title]]
            )
            last = title
            if allowed > 0 and completes:  # the binge chain it starts holds the device too (concurrency.chain_links)
                links, reach = chain_links(
                    sk, screen, title, allowed, title_next, title_seconds, link_keys, link_titles, sees_ads
                )
                bound += reach
                if links > 0:
                    last = link_titles[links - 1]
            if not played_only and cand_own[n]:  # a look-back's hold: any episode of the series
                most = title_bound[title, 0]
                bound = end_bound(sk, base, most, title_types[title], screen)
                if sees_ads:
                    bound += play_ad_bound(sk, most, title_types[title], screen)
                if completes and title_bound[title, 1] > 0:
                    bound += series_reach(sk, screen, title_bound[title, 1], most, sees_ads)
            busy = device_until[device]
            limit = h_limit[house]
            least_at = 0
            for c in range(1, limit):
                if household_top[state, c] < household_top[state, least_at]:
                    least_at = c
            least = household_top[state, least_at]
            admitted[n] = 1 + further if busy <= attempt and least <= attempt else 0
            if admitted[n] and ckey >= 0:  # where the household leaves the series this sitting
                cont[ckey] = ((title_next[last] + 1) << 32) | slot
            n += 1
            if played_only and not admitted[n - 1]:
                continue  # a refused candidate holds nothing (concurrency.Admission)
            hold = (bound // ads.BUCKET_MS + 1) * ads.BUCKET_MS if sees_ads else bound  # concurrency.ad_hold
            if hold > busy:
                device_until[device] = hold
            if hold > least:
                household_top[state, least_at] = hold


@njit(cache=True, inline="always")
def series_reach(sk: np.uint64, device: int, allowed: int, seconds: int, sees_ads: bool) -> int:  # pragma: no cover
    """concurrency.series_reach: what a chain of at most `allowed` links, each at most `seconds` long, adds."""
    steps = kernel.draw(sk, wm.D_CHAIN)
    below = COMPLETE_BELOW[device * N_TITLE_TYPES + binge.SERIES]
    reach = 0
    for j in range(allowed):
        if _field(steps, binge.STEP_BITS * j, binge.STEP_BITS) >= binge.CONTINUE_BELOW:
            break
        lk = kernel.draw(sk, wm.D_CHAIN + 1 + j)
        complete = _field(lk, wm.END_SHIFT, wm.COMPLETE_BITS) < below
        s8 = _field(lk, wm.SPAN_SHIFT, wm.COARSE_BITS)
        span_max = seconds if complete else 1 + (((seconds - 2) * STOP_FRACTION[device, s8 + 1]) >> 32)
        reach += binge.COUNTDOWN_MAX_MS + span_max * 1000 + PAUSE_REACH[_field(lk, wm.PAUSE_SHIFT, wm.PAUSE_TABLE_BITS)]
        if sees_ads:
            reach += kernel.max_ad_ms(seconds)
        if not complete:
            break
    return reach


@njit(cache=True)
def prune_continuations(cont: dict, oldest: int) -> None:  # pragma: no cover - compiled
    """Forget the continuations of plays before slot `oldest` (concurrency.Admission._prune)."""
    stale = [key for key, value in cont.items() if (value & 0xFFFFFFFF) < oldest]
    for key in stale:
        del cont[key]
