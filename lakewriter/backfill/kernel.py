"""The world's sessions over a range of start slots as flat arrays, compiled (numba): one pass per session.

Every value equals the generator Lambda's (`functions.generator.events`), because both follow
`functions.shared.world` draw for draw: the same SplitMix64 draws on uint64 (which wraps mod 2**64 as the Python
side masks), the same integer bit-field arithmetic on int64, the same tables, the same float divisions. Numba
turns arithmetic that mixes uint64 and int64 into float64, so every uint64 operand here is a uint64 constant or
cast, and every field leaves as int64.

The compiled kernels are cached in __pycache__ (numba, cache=True), which numba keys by this file's source only,
while the tables and constants they read from functions.shared are frozen into the cache: `drop_stale_cache` keeps
a digest of those modules beside the cache and deletes the cache when it changes, before anything is compiled.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

import numpy as np
from numba import njit

from functions.shared import ads, binge, devices, domains, households, people, player, plays
from functions.shared import world as wm

COMPILED_IN = (ads, binge, devices, domains, households, people, player, plays, wm)
"""Modules whose tables and constants the compiled kernels hold as constants."""


def drop_stale_cache(source: str, compiled_in: tuple[ModuleType, ...]) -> None:
    """Delete the numba cache files of module file `source` if a module of `compiled_in` changed since they were
    written (numba keys them by `source` alone, while the tables they hold came from those modules).

    Looks where numba caches first (the source's __pycache__, when writable) and in NUMBA_CACHE_DIR if set; a
    cache elsewhere is numba's own to manage. Racing processes at worst delete a fresh file: numba recompiles.
    """
    from numba.core.config import CACHE_DIR

    digest = hashlib.sha256()
    for module in compiled_in:
        digest.update(Path(module.__file__ or "").read_bytes())
    stamp_text = digest.hexdigest()
    here = Path(source).resolve()
    places = [here.parent / "__pycache__"]
    if CACHE_DIR:
        places += [p for p in Path(CACHE_DIR).rglob("__pycache__") if p.is_dir()] + [Path(CACHE_DIR)]
    for place in places:
        stamp = place / f"{here.stem}.compiled-in.sha256"
        try:
            if stamp.read_text() == stamp_text:
                continue
        except OSError:
            pass
        try:
            for cached in [*place.glob(f"{here.stem}.*.nbi"), *place.glob(f"{here.stem}.*.nbc")]:
                cached.unlink(missing_ok=True)
            place.mkdir(parents=True, exist_ok=True)
            stamp.write_text(stamp_text)
        except OSError:
            continue  # not writable: numba caches elsewhere too


drop_stale_cache(__file__, COMPILED_IN)

_U = np.uint64
_GAMMA, _MIX_1, _MIX_2 = _U(wm.GAMMA), _U(wm.MIX_1), _U(wm.MIX_2)
_S11, _S27, _S30, _S31, _S32 = _U(11), _U(27), _U(30), _U(31), _U(32)
_BYTE = _U(0xFF)

SLOT_MS = wm.SLOT_MS
MAX_PAUSES = wm.MAX_PAUSES
MAX_DEVICES = devices.MAX_DEVICES
EVENTS_PER_SESSION_MAX = wm.MAX_EVENTS
PAUSE_COUNTS = np.array(wm.PAUSE_COUNTS, dtype=np.int64)
PAUSE_LOW = np.array(wm.PAUSE_LOW_MS, dtype=np.int64)
PAUSE_WIDTH = np.array(wm.PAUSE_HIGH_MS, dtype=np.int64) - PAUSE_LOW
STOP_FRACTION = np.array(plays.STOP_FRACTION, dtype=np.int64)
COMPLETE_BELOW = np.array(plays.COMPLETE_BELOW, dtype=np.int64)
STOP_FRACTION_ANY = np.array(plays.STOP_FRACTION_ANY, dtype=np.int64)
COMPLETE_BELOW_ANY = np.array(plays.COMPLETE_BELOW_ANY, dtype=np.int64)
N_TITLE_TYPES = len(domains.TITLE_TYPES)
N_GENRES = len(domains.GENRES)
SERIES = binge.SERIES
COUNTDOWN_SPAN = binge.COUNTDOWN_MAX_MS - binge.COUNTDOWN_MIN_MS
PAUSE_REACH = np.array(wm.PAUSE_REACH_MS, dtype=np.int64)
"""world.PAUSE_REACH_MS, by the key's pause-count field."""
EVENT_TYPE_NAMES = wm.EVENT_KINDS
START, PAUSE, RESUME, STOP, COMPLETE, START_FAILED, EXIT, SWITCH, ERROR = (
    wm.START, wm.PAUSE, wm.RESUME, wm.STOP, wm.COMPLETE, wm.START_FAILED, wm.EXIT, wm.SWITCH, wm.ERROR
)  # fmt: skip
ERROR_CODE_NAMES: tuple[str, ...] = player.START_ERROR_CODES + player.PLAYBACK_ERROR_CODES
"""error_code values by code (-1: null)."""
STARTUP_PERMILLE = np.array(player.STARTUP_PERMILLE, dtype=np.int64)
SWITCH_COUNTS = np.array(player.SWITCH_COUNTS, dtype=np.int64)
LADDER = np.array(player.LADDER_KBPS, dtype=np.int64)
FIRST_RUNG_DROP = np.array(player.FIRST_RUNG_DROP, dtype=np.int64)
SWITCH_DROP = np.array(player.SWITCH_DROP, dtype=np.int64)
NEED10 = np.array(player.NEED10, dtype=np.int64)
EBVS_MAX = player.EBVS_MAX_PERMILLE * (1 << player.RATE_BITS) // 1000
AD_COMPLETE_BELOW = np.array([ads.COMPLETE_BELOW[d] for d in domains.DEVICE_TYPES], dtype=np.int64)
"""ads.COMPLETE_BELOW by device index."""
POD_SIZES = np.array([[*ads.POD_SIZES[p], 0, 0][:2] for p in ads.POSITIONS], dtype=np.int64)
POD_CHOICES = np.array([len(ads.POD_SIZES[p]) for p in ads.POSITIONS], dtype=np.int64)
assert all(len(ads.POD_SIZES[p]) <= 2 for p in ads.POSITIONS)
_MOST_PRE, _MOST_MID, _MOST_POST = (max(ads.POD_SIZES[p]) for p in ads.POSITIONS)
_AD_UNIT_MS = ads.MAX_AD_SECONDS * 1000 + ads.AD_EVENT_MS
AD_START, AD_COMPLETE = (EVENT_TYPE_NAMES.index(t) for t in ("ad_start", "ad_complete"))
INCIDENT_COLUMNS = (
    "start_ms", "end_ms", "country", "state", "isp", "device_os", "app_version",
    "startup_permille", "start_fail_permille", "stall_permille", "error_permille", "bitrate_permille",
)  # fmt: skip
"""An incident as the kernel reads it: its window, its scope as codes of the viewer columns (-1: any), its factors."""


@njit(cache=True, inline="always")
def mix(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """splitmix.mix64."""
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def draw(key: np.uint64, n: int) -> np.uint64:  # pragma: no cover - compiled
    """splitmix.draw: the n-th draw of the stream keyed by `key`."""
    return mix(key + _U(n) * _GAMMA)


@njit(cache=True, inline="always")
def _field(value: np.uint64, shift: int, bits: int) -> int:  # pragma: no cover - compiled
    return np.int64((value >> _U(shift)) & _U((1 << bits) - 1))


@njit(cache=True, inline="always")
def _put_be(out: np.ndarray, row: int, at: int, value: np.uint64) -> None:  # pragma: no cover - compiled
    for b in range(8):
        out[row, at + b] = (value >> _U(56 - 8 * b)) & _BYTE


@njit(cache=True, inline="always")
def hundredths(position: int, duration: int) -> tuple[float, bool]:  # pragma: no cover - compiled
    """`round(100.0 * position / duration, 2)` as q / 100, q the nearest integer to 10000 * position / duration.

    That is the double `round` returns unless the ratio lies exactly halfway (the flag): Python settles those.
    """
    q, rem = divmod(20_000 * position + duration, 2 * duration)
    return q / 100, rem == 0


@njit(cache=True, nogil=True)
def hundredths_of(
    position: np.ndarray, duration: np.ndarray, out: np.ndarray, tie: np.ndarray
) -> None:  # pragma: no cover - compiled
    """`hundredths` element-wise."""
    for i in range(position.shape[0]):
        out[i], tie[i] = hundredths(position[i], duration[i])


@njit(cache=True, inline="always")
def max_ad_ms(duration: int) -> int:  # pragma: no cover - compiled
    """ads.max_ad_ms."""
    mids = max(0, (duration - ads.MID_ROLL_TAIL_SECONDS) // ads.MID_ROLL_EVERY_SECONDS)
    return (_MOST_PRE + mids * _MOST_MID + _MOST_POST) * _AD_UNIT_MS


@njit(cache=True, inline="always")
def rung_level(rung: int, top: int, own_top: int, base10: int, fraction: int) -> int:  # pragma: no cover - compiled
    """player.rung_level: the throughput level (tenths of Mbps) at which ABR plays `rung`."""
    if rung < top:
        return NEED10[rung] + (((NEED10[rung + 1] - NEED10[rung]) * fraction) >> player.LEVEL_BITS)
    level = max(base10, NEED10[top])
    if top < own_top and level >= NEED10[top + 1]:
        level = NEED10[top + 1] - 1
    return level


@njit(cache=True, inline="always")
def _gcd(a: int, b: int) -> int:  # pragma: no cover - compiled
    while b:
        a, b = b, a % b
    return a


@njit(cache=True)
def break_pod(  # pragma: no cover - compiled
    ads_key: np.uint64,
    customer: int,
    house: int,
    position: int,
    at_ms: int,
    h_fit: np.ndarray,
    fit: np.ndarray,
    t_first: np.ndarray,
    t_last: np.ndarray,
    h_zone: np.ndarray,
    ranks: np.ndarray,
    rank_day0: int,
    pod: np.ndarray,
) -> int:
    """ads.Book.live + ads.bucket_ranks + ads.pod_campaigns: the campaigns (target indexes) a break of `position`
    (code) starting at `at_ms` shows the customer, by ordinal, into `pod`; returns how many. The customer is household
    `house` of model.Households: `fit[h_fit[house, p]:h_fit[house, p + 1]]` are its fitting targets of position p,
    `ranks[h_zone[house], day - rank_day0]` each bucket's busyness rank."""
    lo, hi = h_fit[house, position], h_fit[house, position + 1]
    if lo == hi:
        return 0
    day = at_ms // ads.DAY_MS
    n = 0
    for x in range(lo, hi):
        t = fit[x]
        if t_first[t] <= day <= t_last[t]:
            n += 1
    if n == 0:
        return 0
    h = draw(draw(ads_key, customer), day * len(ads.POSITIONS) + position)
    offset = np.int64((h & _U(0xFFFFFFFF)) % _U(n))
    step = 1 + np.int64((h >> _S32) % _U(n))
    while _gcd(step, n) != 1:
        step += 1
    width = min(ads.MAX_POD, n)
    rank = ranks[h_zone[house], day - rank_day0, (at_ms % ads.DAY_MS) // ads.BUCKET_MS]
    first = rank * width
    count = 0
    for k in range(first, min(first + width, ads.FREQUENCY_CAP * n)):
        want = (offset + k * step) % n
        seen = 0
        for x in range(lo, hi):
            t = fit[x]
            if t_first[t] <= day <= t_last[t]:
                if seen == want:
                    pod[count] = t
                    break
                seen += 1
        count += 1
    return count


_BLOCK_MASK = people.BLOCK - 1
_FADE = households.DISENGAGE_DAYS
_JOIN_SHIFT = _U(64 - people.JOIN_BITS)
_TENURE_ONE = 1 << people.TENURE_FRACTION_BITS
_TENURE_SHIFT = people.TENURE_FRACTION_BITS + people.TENURE_UNIT_BITS


@njit(cache=True, inline="always")
def position(lkey: np.uint64, block: int, slot: int) -> int:  # pragma: no cover - compiled
    """people.position: the customer of a block that holds a layout slot."""
    d = draw(lkey, block)
    a = np.int64(d & _U(_BLOCK_MASK)) | 1
    c = np.int64((d >> _S32) & _U(_BLOCK_MASK))
    x = a
    for _ in range(3):
        x = (x * (2 - a * x)) & _BLOCK_MASK
    return (block << people.BLOCK_BITS) | ((x * (slot - c)) & _BLOCK_MASK)


@njit(cache=True, inline="always")
def subscription_days(  # pragma: no cover - compiled
    skey: np.uint64, count: int, index: int, tenure_q: np.ndarray
) -> tuple[int, int]:
    """people.subscription_days_of: (start, end) days of a customer's subscription."""
    d = draw(skey, 2 * index)
    join = np.int64(d >> _JOIN_SHIFT)
    start = people.SIGNUP_FROM_DAY + (((index << people.JOIN_BITS) | join) * people.SIGNUP_SPAN_DAYS) // (
        count << people.JOIN_BITS
    )
    u = np.int64(d & _U(0xFFFFFFFF))
    k = u >> people.TENURE_FRACTION_BITS
    f = u & (_TENURE_ONE - 1)
    days = (tenure_q[k] * (_TENURE_ONE - f) + tenure_q[k + 1] * f) >> _TENURE_SHIFT
    return start, start + max(domains.MIN_TENURE_DAYS, days)


@njit(cache=True, inline="always")
def pick_customer(hv: np.uint64, plan: int, genre: int, scope: int, viewers: tuple) -> int:  # pragma: no cover
    """World.pick_customer over the arrays `candidates` reads (`viewers`: plan_cum, plan_vday, plan_keys,
    plan_info and plans.layout_arrays'): up to MAX_TRIES proposals of a zone by the plan's weights (of the genre's
    fans, AFFINITY_BELOW), a block and a slot, the first subscribed and watching accepted; a live surge's extra
    candidate (`scope` >= 0, a country) among the country's slots, subscribed; -1 if none is found."""
    plan_cum, plan_vday, plan_keys, plan_info, set_at, set_slots, set_running = viewers[:7]
    tail_at, tail_slots, tail_running, slot_below, tenure_q, ints, keys = viewers[7:]
    n_zones = plan_vday.shape[1]
    row = plan * (1 + N_GENRES)
    if plan_cum[row, n_zones - 1] == 0:
        return -1
    base = 0
    zoned = scope < 0
    if not zoned:
        base = (1 + N_GENRES) * n_zones + scope
    elif (
        _field(hv, 0, households.AFFINITY_BITS) < households.AFFINITY_BELOW
        and plan_cum[row + 1 + genre, n_zones - 1] > 0
    ):
        row += 1 + genre
        base = (1 + genre) * n_zones
    count, day, blocks = ints[0], plan_info[plan, 0], plan_info[plan, 1]
    choices = blocks + plan_info[plan, 2]
    zone = -1
    k = base
    for j in range(people.MAX_TRIES):
        r = draw(hv, 2 * j)
        r2 = draw(hv, 2 * j + 1)
        if zoned:
            target = (_field(r, people.TRY_ZONE_SHIFT, people.TRY_BITS) * plan_cum[row, n_zones - 1]) >> 24
            zone = 0
            while plan_cum[row, zone] <= target:
                zone += 1
            k = base + zone
        b = (_field(r, people.TRY_BLOCK_SHIFT, people.TRY_BITS) * choices) >> people.TRY_BITS
        lo, hi = set_at[k], set_at[k + 1]
        total = set_running[hi - 1] if hi > lo else 0
        aim = _field(r2, people.TRY_SLOT_SHIFT, people.TRY_BITS)
        if b < blocks:
            s = _bisected(set_slots, set_running, lo, hi, (aim * total) >> 24)
        else:  # the partial block: each of its ids as likely as a whole block's
            t_lo, t_hi = tail_at[k], tail_at[k + 1]
            part = tail_running[t_hi - 1] if t_hi > t_lo else 0
            if part == 0 or (blocks > 0 and (_field(r, 0, people.TAIL_BITS) * total) >> 16 >= part):
                continue
            s = _bisected(tail_slots, tail_running, t_lo, t_hi, (aim * part) >> 24)
        i = position(keys[0], b, s)
        if i >= count:
            continue
        start, end = subscription_days(keys[1], count, i, tenure_q)
        last = end - 1
        if not (start <= day and day < last):
            continue
        if zone >= 0:
            vday = plan_vday[plan, zone]
            limit = slot_below[s]
            if last - vday < _FADE:  # disengaging before the cancellation
                limit = limit * max(0, last - vday) // _FADE
            if np.int64(draw(plan_keys[plan, zone], i) >> _S11) >= limit:
                continue
        return i
    return -1


@njit(cache=True, inline="always")
def _bisected(slots: np.ndarray, running: np.ndarray, lo: int, hi: int, aim: int) -> int:  # pragma: no cover
    """The slot of lo..hi - 1 whose running weight first exceeds `aim` (bisect.bisect_right)."""
    low, high = lo, hi - 1
    while low < high:
        mid = (low + high) >> 1
        if running[mid] <= aim:
            low = mid + 1
        else:
            high = mid
    return slots[low]


@njit(cache=True, inline="always")
def surge_set(  # pragma: no cover - compiled
    i: int, own: int, lo: int, hi: int, extra_count: np.ndarray, extra_set: np.ndarray
) -> int:
    """The scope (a country's index) of a slot's candidate i (from 1) when it is one of its live surges' extra
    candidates (after its `own`, entries lo..hi - 1 of `extra_count` and `extra_set`, World.slot_surges), else -1."""
    if i <= own:
        return -1
    at = own
    for x in range(lo, hi):
        at += extra_count[x]
        if i <= at:
            return extra_set[x]
    return -1


@njit(cache=True, inline="always")
def candidate_customer(  # pragma: no cover - compiled
    hv: np.uint64,
    i: int,
    own: int,
    extra_lo: int,
    extra_hi: int,
    extra_count: np.ndarray,
    extra_set: np.ndarray,
    plan: int,
    genre: int,
    viewers: tuple,
) -> int:
    """Who starts a slot's candidate i (-1: nobody found): a live surge's extra candidate among its scope's
    subscribers (`surge_set`), any other among the hour's viewers, as World.pick_customer does."""
    scope = surge_set(i, own, extra_lo, extra_hi, extra_count, extra_set)
    return pick_customer(hv, plan, genre, scope, viewers)


@njit(cache=True, inline="always")
def chain_links(  # pragma: no cover - compiled
    sk: np.uint64,
    device: int,
    title: int,
    allowed: int,
    title_next: np.ndarray,
    title_seconds: np.ndarray,
    link_keys: np.ndarray,
    link_titles: np.ndarray,
    sees_ads: bool,
) -> tuple[int, int]:
    """concurrency.chain_links: the binge chain's links into link_keys and link_titles; returns (links, the most
    they add to the end bound)."""
    steps = draw(sk, wm.D_CHAIN)
    below = COMPLETE_BELOW[device * N_TITLE_TYPES + SERIES]
    reach = 0
    at = title
    n = 0
    for j in range(allowed):
        if _field(steps, binge.STEP_BITS * j, binge.STEP_BITS) >= binge.CONTINUE_BELOW:
            break
        at = title_next[at]
        lk = draw(sk, wm.D_CHAIN + 1 + j)
        duration = title_seconds[at]
        complete = _field(lk, wm.END_SHIFT, wm.COMPLETE_BITS) < below
        s8 = _field(lk, wm.SPAN_SHIFT, wm.COARSE_BITS)
        span_max = duration if complete else 1 + (((duration - 2) * STOP_FRACTION[device, s8 + 1]) >> 32)
        reach += binge.COUNTDOWN_MAX_MS + span_max * 1000 + PAUSE_REACH[_field(lk, wm.PAUSE_SHIFT, wm.PAUSE_TABLE_BITS)]
        if sees_ads:
            reach += max_ad_ms(duration)
        link_keys[n] = lk
        link_titles[n] = at
        n += 1
        if not complete:
            break
    return n, reach


@njit(cache=True, inline="always")
def followed_episode(  # pragma: no cover - compiled
    follow_key: np.uint64,
    customer: int,
    title: int,
    slot: int,
    series_of: np.ndarray,
    order_at: np.ndarray,
    order: np.ndarray,
    release: np.ndarray,
) -> int:
    """binge.followed_episode: a household's own episode when the title draw of its session starting in `slot`
    gives `title`, else -1 (series s's episodes in order are `order[order_at[s]:order_at[s + 1]]`)."""
    s = series_of[title]
    if s < 0:
        return -1
    base = draw(draw(follow_key, customer), s)
    shifted = slot + ((_field(base, 40, 24) * binge.CYCLE_MINUTES) >> 24)
    cycle = draw(base, 1 + shifted // binge.CYCLE_MINUTES)
    if _field(cycle, 0, 16) >= binge.FOLLOW_BELOW:
        return -1
    pace = binge.PACE_MIN_Q16 + ((_field(cycle, 16, 16) * (binge.PACE_MAX_Q16 - binge.PACE_MIN_Q16)) >> 16)
    at = (pace * (shifted % binge.CYCLE_MINUTES)) // (1440 << 16)
    episode = order[order_at[s] + at % (order_at[s + 1] - order_at[s])]
    return episode if release[episode] <= slot // 1440 else -1


@njit(cache=True, inline="always")
def followed_title(  # pragma: no cover - compiled
    follow_key: np.uint64,
    customer: int,
    title: int,
    slot: int,
    series_of: np.ndarray,
    order_at: np.ndarray,
    order: np.ndarray,
    release: np.ndarray,
) -> int:
    """binge.followed_title: the title a household plays when the title draw of its session starting in `slot`
    gives `title`."""
    episode = followed_episode(follow_key, customer, title, slot, series_of, order_at, order, release)
    return title if episode < 0 else episode


@njit(cache=True, inline="always")
def links_out(title: int, day: int, title_next: np.ndarray, release: np.ndarray) -> int:  # pragma: no cover
    """catalogue.Catalogue.links_out: how many of a title's next episodes are out by a day, at most MAX_AUTOPLAY."""
    n = 0
    at = title_next[title]
    while n < binge.MAX_AUTOPLAY and at >= 0 and release[at] <= day:
        n += 1
        at = title_next[at]
    return n


@njit(cache=True, inline="always")
def device_of(house: int, sk: np.uint64, h_profile: np.ndarray, device_tables: np.ndarray) -> int:  # pragma: no cover
    """World.device: the household device the key's screen field picks, as `house * MAX_DEVICES + its slot`
    (devices.Households' key, with the household's row of model.Households for its customer)."""
    return house * MAX_DEVICES + device_tables[h_profile[house], _field(sk, wm.DEVICE_SHIFT, wm.DEVICE_BITS)]


@njit(cache=True, nogil=True)
def slot_candidates(  # pragma: no cover - compiled
    world_key: np.uint64,
    slot: int,
    whole: int,
    threshold: np.uint64,
    extra_lo: int,
    extra_hi: int,
    extra_count: np.ndarray,
) -> tuple:
    """(slot key, own candidates, all candidates) of a slot: World.slot_count's hour-plan part, then its live surges'
    extra candidates (entries extra_lo..extra_hi - 1 of `extra_count`)."""
    slot_key = mix(world_key + _U(slot) * _GAMMA)
    own = whole + (1 if (slot_key >> _S11) < threshold else 0)
    count = own
    for x in range(extra_lo, extra_hi):
        count += extra_count[x]
    return slot_key, own, count


@njit(cache=True, nogil=True)
def candidates(  # pragma: no cover - compiled
    world_key: np.uint64,
    slot_lo: int,
    slot_whole: np.ndarray,
    slot_threshold: np.ndarray,
    extra_at: np.ndarray,
    extra_count: np.ndarray,
    extra_set: np.ndarray,
    slot_plan: np.ndarray,
    viewers: tuple,
    title_genres: np.ndarray,
    plan_day: np.ndarray,
    day_titles: np.ndarray,
    follow: tuple,
    customer: np.ndarray,
    screen: np.ndarray,
    played: np.ndarray,
    played_links: np.ndarray,
    played_own: np.ndarray,
    slot_first: np.ndarray,
) -> int:
    """Who starts each candidate of slots slot_lo + j (the inputs of world_sessions), in slot and key order:
    `customer[slot_first[j] + i - 1]` for candidate i of slot j (-1: no viewer found, World.pick_customer),
    `screen[...]` its key's screen field, `played[...]` the title its household plays (World.played_title; `follow`
    is (follow key as a 1-array, series_of, order_at, order, release, title_next), model.Catalog.follow) and
    `played_links[...]` that title's next episodes out on the day (links_out), `played_own[...]` 1 when it is the
    household's own episode of a series it follows (binge.followed_episode), else 0. Returns the candidates, or -1
    when `customer` is too small."""
    follow_key, series_of, order_at, order, release, title_next = follow
    plan_info = viewers[3]
    n = 0
    for j in range(slot_whole.shape[0]):
        slot = slot_lo + j
        slot_key, own, count = slot_candidates(
            world_key, slot, slot_whole[j], slot_threshold[j], extra_at[j], extra_at[j + 1], extra_count
        )
        slot_first[j] = n
        if n + count > customer.shape[0]:
            return -1
        plan = slot_plan[j]
        for i in range(1, count + 1):
            sk = mix(slot_key + _U(i) * _GAMMA)
            title = day_titles[plan_day[plan], _field(sk, wm.TITLE_SHIFT, wm.TITLE_BITS)]
            who = candidate_customer(
                draw(sk, wm.D_VIEWER), i, own, extra_at[j], extra_at[j + 1], extra_count, extra_set, plan,
                title_genres[title], viewers,
            )  # fmt: skip
            customer[n] = who
            screen[n] = _field(sk, wm.DEVICE_SHIFT, wm.DEVICE_BITS)
            day = plan_info[plan, 0]
            played_own[n] = 0
            if who >= 0:
                episode = followed_episode(follow_key[0], who, title, slot, series_of, order_at, order, release)
                if episode >= 0:
                    title = episode
                    played_own[n] = 1
            played[n] = title
            played_links[n] = links_out(title, day, title_next, release)
            n += 1
    slot_first[slot_whole.shape[0]] = n
    return n


@njit(cache=True, nogil=True)
def world_sessions(  # pragma: no cover - compiled
    world_key: np.uint64,
    slot_lo: int,
    start_ms: int,
    end_ms: int,
    slot_whole: np.ndarray,
    slot_threshold: np.ndarray,
    extra_at: np.ndarray,
    extra_count: np.ndarray,
    extra_set: np.ndarray,
    admitted: np.ndarray,
    slot_first: np.ndarray,
    cand_customer: np.ndarray,
    cand_house: np.ndarray,
    cand_viewer: np.ndarray,
    slot_plan: np.ndarray,
    plan_day: np.ndarray,
    day_titles: np.ndarray,
    cand_title: np.ndarray,
    cand_links: np.ndarray,
    title_bound: np.ndarray,
    title_next: np.ndarray,
    title_seconds: np.ndarray,
    title_types: np.ndarray,
    h_profile: np.ndarray,
    device_tables: np.ndarray,
    h_type: np.ndarray,
    viewer_ints: np.ndarray,
    viewer_scope: np.ndarray,
    incidents: np.ndarray,
    ads_key: np.uint64,
    h_fit: np.ndarray,
    fit: np.ndarray,
    t_first: np.ndarray,
    t_last: np.ndarray,
    t_seconds: np.ndarray,
    h_zone: np.ndarray,
    ranks: np.ndarray,
    rank_day0: int,
    zone_load: np.ndarray,
    s_viewer: np.ndarray,
    s_title: np.ndarray,
    s_bytes: np.ndarray,
    e_session: np.ndarray,
    e_type: np.ndarray,
    e_ts: np.ndarray,
    e_position: np.ndarray,
    e_watch: np.ndarray,
    e_completion: np.ndarray,
    e_tie: np.ndarray,
    e_bandwidth: np.ndarray,
    e_stalls: np.ndarray,
    e_stalled: np.ndarray,
    e_errors: np.ndarray,
    e_startup: np.ndarray,
    e_bitrate: np.ndarray,
    e_code: np.ndarray,
    e_campaign: np.ndarray,
    e_ad_position: np.ndarray,
    e_ad_seconds: np.ndarray,
    e_bytes: np.ndarray,
) -> tuple[int, int]:
    """Fill the session (s_*) and event (e_*) arrays with the events in [start_ms, end_ms) of slots' sessions.

    Slot `slot_lo + j` has `slot_whole[j]` starts, one more if its count draw is below `slot_threshold[j]`, then its
    live surges' `extra_count[extra_at[j]:extra_at[j + 1]]` more, each picking its viewer among the subscribers of
    country `extra_set` (World.slot_surges); start i, at x = `slot_first[j] + i - 1`, is played if `admitted[x]`
    (lakewriter.backfill.admission) by customer `cand_customer[x]` (`candidates`), household row `cand_house[x]` and
    viewer row `cand_viewer[x]` (model.Households, model.Viewers); it picks titles from row `plan_day[p]` of
    `day_titles` by hour plan p = `slot_plan[j]`, and plays `cand_title[x]` (its household's own episode of a series it
    follows, `candidates`), bounded before its viewer is known by `title_bound[title]` (per drawn title: its series'
    longest episode and the most links a chain from any episode has, Catalogue.bound_seconds and bound_links); a first
    play that completes chains up to `cand_links[x]` next episodes (`title_next`, binge.py), each a session of its own
    after the one before. A household's devices are `device_of`'s (`h_profile`, `device_tables`; `h_type` per household
    row times MAX_DEVICES plus slot); `viewer_ints` holds, per viewer row, VIEWER_INTS (model.py); `viewer_scope` its
    country, state, isp, device_os and app_version codes; `incidents` one row per incident (INCIDENT_COLUMNS, scope
    codes -1 for any). Ads (ads.py): household h's fitting campaigns of position p are `fit[h_fit[h, p]:h_fit[h, p +
    1]]` (target indexes; `t_first`, `t_last`, `t_seconds` per target), `ranks[h_zone[h], day - rank_day0]` each
    bucket's busyness rank for the UTC days a break may start on; `e_campaign` (-1 null), `e_ad_position`,
    `e_ad_seconds` the ad columns. `zone_load[p, z]` is the (start-up, throughput) load factors (player.load_factors) of
    zone z (`h_zone`'s codes) in plan p's hour. Returns (sessions, events) written, or (-1, -1) when the arrays are too
    small. Events are session-major, in time order within a session; `e_tie` marks a completion that lies exactly
    halfway between two hundredths (the caller rounds those as Python does); -1 stands for null in `e_startup`,
    `e_bitrate` and `e_code`.
    """
    points = np.zeros(MAX_PAUSES + 2, dtype=np.int64)
    paused = np.zeros(MAX_PAUSES + 1, dtype=np.int64)
    switches = np.zeros(wm.MAX_SWITCHES, dtype=np.int64)
    offsets = np.zeros(wm.MAX_EVENTS, dtype=np.int64)
    before = np.zeros(wm.MAX_EVENTS, dtype=np.int64)
    kinds = np.zeros(wm.MAX_EVENTS, dtype=np.int64)
    most_mids = 0
    for x in range(title_seconds.shape[0]):
        most_mids = max(most_mids, (title_seconds[x] - ads.MID_ROLL_TAIL_SECONDS) // ads.MID_ROLL_EVERY_SECONDS)
    b_pos = np.zeros(most_mids + 2, dtype=np.int64)
    b_off = np.zeros(most_mids + 2, dtype=np.int64)
    pod = np.zeros(ads.MAX_POD, dtype=np.int64)
    slack = player.MAX_STARTUP_MS + player.MAX_STALLED_MS
    link_keys = np.zeros(binge.MAX_AUTOPLAY, dtype=np.uint64)
    link_titles = np.zeros(binge.MAX_AUTOPLAY, dtype=np.int64)
    n_s = 0
    n_e = 0
    for j in range(slot_whole.shape[0]):
        slot = slot_lo + j
        slot_key, _, count = slot_candidates(
            world_key, slot, slot_whole[j], slot_threshold[j], extra_at[j], extra_at[j + 1], extra_count
        )
        base = slot * SLOT_MS
        for i in range(1, count + 1):
            at_x = slot_first[j] + i - 1
            if not admitted[at_x]:
                continue  # a device or the household's plan refuses it (functions.shared.concurrency)
            sk = mix(slot_key + _U(i) * _GAMMA)
            # The key's shape bounds the session's end on any screen: most look-back sessions stop here.
            coarse = _field(sk, wm.START_SHIFT, wm.START_BITS)
            plan = slot_plan[j]
            field = _field(sk, wm.TITLE_SHIFT, wm.TITLE_BITS)
            title = day_titles[plan_day[plan], field]
            duration = title_bound[title, 0]  # whichever episode of its series the household plays
            k = PAUSE_COUNTS[_field(sk, wm.PAUSE_SHIFT, wm.PAUSE_TABLE_BITS)]
            end_field = _field(sk, wm.END_SHIFT, wm.COMPLETE_BITS)
            complete = end_field < COMPLETE_BELOW_ANY[title_types[title]]
            s8 = _field(sk, wm.SPAN_SHIFT, wm.COARSE_BITS)
            span_max = duration if complete else 1 + (((duration - 2) * STOP_FRACTION_ANY[s8 + 1]) >> 32)
            pause_max = min(k * wm.MAX_PAUSE_MS, wm.MAX_PAUSED_MS)
            reach = span_max * 1000 + pause_max + 2 * k + 1 + wm.MAX_QOE_MS + max_ad_ms(duration)
            allowed = title_bound[title, 1]
            if base + ((coarse + 1) * SLOT_MS) // wm.START_STEPS + reach < start_ms and not (complete and allowed > 0):
                continue  # ends before the window on any screen (a chain is bounded once its screen is known)
            if base + (coarse * SLOT_MS) // wm.START_STEPS >= end_ms:
                continue
            # Viewer (draw 2, `candidates`): who starts it, and on which of the household's devices.
            customer = cand_customer[at_x]
            if customer < 0:
                continue  # no viewer found (World.pick_customer): not played
            house = cand_house[at_x]
            viewer = cand_viewer[at_x]
            title = cand_title[at_x]
            duration = title_seconds[title]
            allowed = cand_links[at_x]
            device = h_type[device_of(house, sk, h_profile, device_tables)]
            complete = end_field < COMPLETE_BELOW[device * N_TITLE_TYPES + title_types[title]]
            span_max = duration if complete else 1 + (((duration - 2) * STOP_FRACTION[device, s8 + 1]) >> 32)
            # Breaks only for a customer some campaign may fit (ads.py): then every play's, at most max_ad_ms.
            sees_ads = h_fit[house, 3] > h_fit[house, 0]
            ad_ms = max_ad_ms(duration) if sees_ads else 0
            reach = span_max * 1000 + pause_max + 2 * k + 1 + wm.MAX_QOE_MS + ad_ms
            n_links = 0
            if complete and allowed > 0:
                n_links, chain_reach = chain_links(
                    sk, device, title, allowed, title_next, title_seconds, link_keys, link_titles, sees_ads
                )  # fmt: skip
                reach += chain_reach
            if base + ((coarse + 1) * SLOT_MS) // wm.START_STEPS + reach < start_ms:
                continue  # ends, with its chain, before the window on its own screen
            # The first session, then each link of its binge chain (binge.py): the same viewer and screen, the next
            # episode, a countdown after the last event of the one before, from the episode's start.
            lk = sk
            ended = 0
            vi = viewer_ints[viewer]
            for link in range(n_links + 1):
                if link > 0:
                    lk = link_keys[link - 1]
                    title = link_titles[link - 1]
                    duration = title_seconds[title]
                    k = PAUSE_COUNTS[_field(lk, wm.PAUSE_SHIFT, wm.PAUSE_TABLE_BITS)]
                    end_field = _field(lk, wm.END_SHIFT, wm.COMPLETE_BITS)
                    complete = end_field < COMPLETE_BELOW[device * N_TITLE_TYPES + SERIES]
                    s8 = _field(lk, wm.SPAN_SHIFT, wm.COARSE_BITS)
                # Exact start, resume point and span (draw 1).
                h = draw(lk, wm.D_FINE)
                p0 = 0
                if link == 0:
                    t0 = base + ((((coarse << 16) | _field(h, 0, 16)) * SLOT_MS) >> wm.START_FRACTION_BITS)
                    r = (_field(sk, wm.RESUME_SHIFT, wm.COARSE_BITS) << 24) | _field(h, 40, 24)
                    if r < wm.RESUMED_THRESHOLD:
                        p0 = (r * duration * wm.RESUMED_MAX_PERMILLE) // (wm.RESUMED_THRESHOLD * 1000)
                else:
                    t0 = ended + binge.COUNTDOWN_MIN_MS + ((COUNTDOWN_SPAN * _field(h, 0, 16)) >> 16)
                    if t0 >= end_ms:
                        break
                low = STOP_FRACTION[device, s8]
                frac = low + (((STOP_FRACTION[device, s8 + 1] - low) * _field(h, 16, 24)) >> 24)
                span = duration - p0 if complete else 1 + ((max(0, duration - p0 - 2) * frac) >> 32)
                # Pauses (draws D_PAUSE..): playhead points sorted, lengths in draw order, their total capped.
                paused[0] = 0
                total = 0
                for p in range(k):
                    hp = draw(lk, wm.D_PAUSE + p)
                    _insert(points, p, np.int64((_U(span) * (hp >> _S32)) >> _S32))
                    b = _field(hp, 20, 12)
                    total += PAUSE_LOW[b] + ((PAUSE_WIDTH[b] * _field(hp, 0, 20)) >> 20)
                    paused[p + 1] = min(total, wm.MAX_PAUSED_MS)
                # Bitrate switches (count by screen from draw D_PLAYER + 1, points from draws D_SWITCH..).
                d2 = draw(lk, wm.D_PLAYER + 1)
                n_sw = SWITCH_COUNTS[device, _field(d2, 0, player.SWITCH_TABLE_BITS)]
                for q in range(n_sw):
                    _insert(switches, q, np.int64((_U(span) * (draw(lk, wm.D_SWITCH + q) >> _S32)) >> _S32))
                # The timeline in playhead order: start, each switch and pause/resume pair, the end.
                offsets[0] = 0
                before[0] = 0
                kinds[0] = START
                n = 1
                q = 0
                for p in range(k):
                    while q < n_sw and switches[q] <= points[p]:
                        offsets[n], before[n], kinds[n] = switches[q], paused[p], SWITCH
                        n += 1
                        q += 1
                    offsets[n], before[n], kinds[n] = points[p], paused[p], PAUSE
                    offsets[n + 1], before[n + 1], kinds[n + 1] = points[p], paused[p + 1], RESUME
                    n += 2
                while q < n_sw:
                    offsets[n], before[n], kinds[n] = switches[q], paused[k], SWITCH
                    n += 1
                    q += 1
                offsets[n], before[n], kinds[n] = span, paused[k], COMPLETE if complete else STOP
                last = n
                n += 1
                # Only sessions with an event that may lie in the window, whatever the start-up and stalls, go on
                # (a chain's links are played through: each one's end places the next).
                # (An ad break lies between two events: anything after event e - 1 comes after its earliest time.)
                if n_links == 0:
                    possible = 0
                    floor = t0
                    for e in range(n):
                        earliest = t0 + offsets[e] * 1000 + before[e] + e
                        if floor < end_ms and earliest + slack + ad_ms >= start_ms:
                            possible += 1
                        floor = earliest + 1
                    if possible == 0:
                        break
                if n_s >= s_viewer.shape[0] or n_e + n + 2 * ads.MAX_POD * (2 + most_mids) > e_ts.shape[0]:
                    return -1, -1
                # Incidents whose window holds the attempt and whose scope holds the viewer: their factors multiply.
                f_startup = f_fail = f_stall = f_error = f_bitrate = 1000
                for x in range(incidents.shape[0]):
                    if incidents[x, 0] <= t0 < incidents[x, 1]:
                        fits = True
                        for c in range(5):
                            if incidents[x, 2 + c] != -1 and incidents[x, 2 + c] != viewer_scope[viewer, c]:
                                fits = False
                        if fits:
                            f_startup = f_startup * incidents[x, 7] // 1000
                            f_fail = f_fail * incidents[x, 8] // 1000
                            f_stall = f_stall * incidents[x, 9] // 1000
                            f_error = f_error * incidents[x, 10] // 1000
                            f_bitrate = f_bitrate * incidents[x, 11] // 1000
                # The viewer's local load in its start hour (player.load_factors): a longer start-up, a lower line.
                f_load = zone_load[slot_plan[j], h_zone[house], 0]
                base10 = vi[0] * zone_load[slot_plan[j], h_zone[house], 1] // 1000
                # The start (draw D_PLAYER): start-up time, a failed start, or an exit during a long wait.
                d1 = draw(lk, wm.D_PLAYER)
                startup = min(
                    vi[3] * STARTUP_PERMILLE[_field(d1, 0, 12)] // 1000 * f_load // 1000 * f_startup // 1000,
                    player.MAX_STARTUP_MS,
                )
                outcome = START
                waited = startup
                if _field(d1, 12, 20) < vi[4] * f_fail // 1000:
                    outcome = START_FAILED
                else:
                    wait = startup - player.EBVS_GRACE_MS
                    if wait > 0 and _field(d1, 32, 24) < min(EBVS_MAX, wait * vi[5]):
                        outcome = EXIT
                        waited = player.EBVS_GRACE_MS + ((wait * _field(d1, 56, 8)) >> 8)
                wrote = 0
                if outcome != START:
                    ts = t0 + waited
                    if start_ms <= ts < end_ms:
                        v = draw(lk, wm.D_EVENT + 2)
                        failed = outcome == START_FAILED
                        errors = 1 if failed else 0
                        code = _field(d1, 56, 2) if failed else -1
                        _put_event(e_session, e_type, e_ts, e_position, e_watch, e_completion, e_tie, e_bandwidth,
                                   e_stalls, e_stalled, e_errors, e_startup, e_bitrate, e_code, e_bytes, vi, base10,
                                   n_e, n_s, outcome, ts, p0, 0, duration, v, 0, 0, errors, waited, -1, code, lk,
                                   wm.D_EVENT, e_campaign, e_ad_position, e_ad_seconds, -1, -1, -1)  # fmt: skip
                        n_e += 1
                        wrote = 1
                else:
                    stall_rate = vi[7] * f_stall // 1000 if _field(d2, 10, 16) < vi[6] else 0
                    if not complete and _field(d2, 26, 20) < vi[9] * f_error // 1000:
                        kinds[last] = ERROR
                    rung_low, own_top = vi[10], vi[11]
                    rung_top = own_top
                    if f_bitrate != 1000:  # congestion caps the ladder (player.congested_top)
                        cap = LADDER[rung_top] * f_bitrate
                        while rung_top > rung_low + 1 and LADDER[rung_top] * 1000 > cap:
                            rung_top -= 1
                    while rung_top > rung_low + 1 and NEED10[rung_top] > base10:  # player.loaded_top
                        rung_top -= 1
                    rung = max(rung_low, rung_top - FIRST_RUNG_DROP[_field(d2, 46, 2)])
                    level = rung_level(rung, rung_top, own_top, base10, _field(d2, 50, 14) << 2)
                    code = len(player.START_ERROR_CODES) + _field(d2, 48, 2)
                    stalls = stalled = 0
                    previous = 0
                    # The play's ad breaks (ads.play_breaks), for a customer some campaign may fit: break b goes in
                    # before the first event after the start whose offset passes b_off[b] (the pre-roll right after
                    # the start), the post-roll after the end; every event after a break is later by its ad time.
                    n_b = 0
                    if sees_ads:
                        b_pos[0], b_off[0] = ads.PRE_ROLL, -1
                        n_b = 1
                        at = (p0 // ads.MID_ROLL_EVERY_SECONDS + 1) * ads.MID_ROLL_EVERY_SECONDS
                        while at <= duration - ads.MID_ROLL_TAIL_SECONDS and at < p0 + span:
                            b_pos[n_b], b_off[n_b] = ads.MID_ROLL, at - p0
                            n_b += 1
                            at += ads.MID_ROLL_EVERY_SECONDS
                        if complete:
                            b_pos[n_b], b_off[n_b] = ads.POST_ROLL, span
                            n_b += 1
                    shift = 0
                    nb = 0
                    done = False
                    for e in range(n + 1):
                        while nb < n_b and e > 0 and (e == n or b_off[nb] < offsets[e]):
                            o = max(b_off[nb], 0)
                            at = t0 + startup + o * 1000 + before[min(e, last)] + stalled + e + shift
                            if at >= end_ms:
                                ended = at
                                done = True
                                break
                            got = break_pod(ads_key, customer, house, b_pos[nb], at, h_fit, fit, t_first, t_last,
                                            h_zone, ranks, rank_day0, pod)  # fmt: skip
                            if got > 0:
                                base_draw = wm.D_AD + nb * wm.AD_DRAWS
                                id_base = base_draw + 1 + ads.MAX_POD
                                pd = draw(lk, base_draw)
                                size = POD_SIZES[b_pos[nb], np.int64((pd >> _S32) % _U(POD_CHOICES[b_pos[nb]]))]
                                for i in range(min(size, got)):
                                    ad = draw(lk, base_draw + 1 + i)
                                    target = pod[i]
                                    seconds = t_seconds[target]
                                    completes = _field(ad, 0, ads.COMPLETION_BITS) < AD_COMPLETE_BELOW[device]
                                    ran = seconds * 1000
                                    if not completes:
                                        ran = 1000 + (
                                            (_field(ad, ads.COMPLETION_BITS, 32) * (seconds * 1000 - 1000)) >> 32
                                        )
                                    for half in range(2 if completes else 1):
                                        ts = at
                                        ad_kind = AD_START
                                        if half:
                                            ts = at + ran + 1
                                            ad_kind = AD_COMPLETE
                                        ended = ts
                                        if ts >= end_ms:
                                            done = True
                                            break
                                        if ts >= start_ms:
                                            _put_event(e_session, e_type, e_ts, e_position, e_watch, e_completion,
                                                       e_tie, e_bandwidth, e_stalls, e_stalled, e_errors, e_startup,
                                                       e_bitrate, e_code, e_bytes, vi, level, n_e, n_s, ad_kind, ts,
                                                       p0, o, duration, ad >> _U(48), stalls, stalled, 0, -1,
                                                       LADDER[rung], -1, lk, id_base + 4 * i + 2 * half, e_campaign,
                                                       e_ad_position, e_ad_seconds, target, b_pos[nb],
                                                       seconds)  # fmt: skip
                                            n_e += 1
                                            wrote += 1
                                    if done:
                                        break
                                    at += ran + ads.AD_EVENT_MS
                                    shift += ran + ads.AD_EVENT_MS
                                    if not completes:
                                        break
                            if done:
                                break
                            nb += 1
                        if done or e == n:
                            break
                        off = offsets[e]
                        played = off - previous
                        previous = off
                        v = draw(lk, wm.D_EVENT + 3 * e + 2)
                        if played > 0 and stall_rate > 0:
                            new_stalls = (stall_rate * played + _field(v, 40, 24)) >> 24
                            if new_stalls > 0:
                                stalls += new_stalls
                                stalled += (new_stalls * vi[8] * (128 + _field(v, 8, 8))) >> 8
                                stalled = min(stalled, player.MAX_STALLED_MS)
                        kind = kinds[e]
                        if kind == SWITCH:
                            to = max(rung_low, rung_top - SWITCH_DROP[_field(v, 32, 3)])
                            if to != rung:
                                rung = to
                            elif rung > rung_low:
                                rung -= 1
                            else:
                                rung += 1
                            level = rung_level(rung, rung_top, own_top, base10, _field(v, 16, player.LEVEL_BITS))
                        ts = t0 + startup + off * 1000 + before[e] + stalled + e + shift
                        ended = ts
                        if ts >= end_ms:
                            break
                        if ts < start_ms:
                            continue
                        errors = 1 if kind == ERROR else 0
                        shown = startup if e == 0 else -1
                        event_code = code if kind == ERROR else -1
                        _put_event(e_session, e_type, e_ts, e_position, e_watch, e_completion, e_tie, e_bandwidth,
                                   e_stalls, e_stalled, e_errors, e_startup, e_bitrate, e_code, e_bytes, vi, level, n_e,
                                   n_s, kind, ts, p0, off, duration, v, stalls, stalled, errors, shown, LADDER[rung],
                                   event_code, lk, wm.D_EVENT + 3 * e, e_campaign, e_ad_position, e_ad_seconds, -1,
                                   -1, -1)  # fmt: skip
                        n_e += 1
                        wrote += 1
                if wrote:
                    s_viewer[n_s] = viewer
                    s_title[n_s] = title
                    _put_be(s_bytes, n_s, 0, draw(lk, wm.D_SESSION_ID))
                    _put_be(s_bytes, n_s, 8, draw(lk, wm.D_SESSION_ID + 1))
                    n_s += 1
                if outcome != START:
                    break  # a link that never starts ends its chain
    return n_s, n_e


@njit(cache=True, inline="always")
def _insert(values: np.ndarray, count: int, value: int) -> None:  # pragma: no cover - compiled
    """Insert `value` into the sorted first `count` entries (insertion sort: count is at most a dozen)."""
    q = count
    while q > 0 and values[q - 1] > value:
        values[q] = values[q - 1]
        q -= 1
    values[q] = value


@njit(cache=True)
def _put_event(  # pragma: no cover - compiled
    e_session, e_type, e_ts, e_position, e_watch, e_completion, e_tie, e_bandwidth, e_stalls, e_stalled, e_errors,
    e_startup, e_bitrate, e_code, e_bytes, vi, level, n_e, n_s, kind, ts, p0, off, duration, v, stalls, stalled, errors,
    startup, bitrate, code, sk, id_draw, e_campaign, e_ad_position, e_ad_seconds, campaign, ad_position, ad_seconds,
) -> None:  # fmt: skip
    """Write event row n_e: its values, its bandwidth reading (the throughput level, tenths of Mbps, jittered by value
    draw v, within the viewer's band vi[1]..vi[2]) and its id (draws id_draw, + 1: D_EVENT + 3e for content event
    e)."""
    jitter = wm.JITTER_PERMILLE[0] + ((wm.JITTER_PERMILLE[1] * _field(v, 0, 8)) >> 8)
    position = p0 + off
    e_session[n_e] = n_s
    e_type[n_e] = kind
    e_ts[n_e] = ts
    e_position[n_e] = position
    e_watch[n_e] = off
    e_completion[n_e], e_tie[n_e] = hundredths(position, duration)
    e_bandwidth[n_e] = min(max((level * jitter + 500) // 1000, vi[1]), vi[2]) / 10
    e_stalls[n_e] = stalls
    e_stalled[n_e] = stalled / 1000
    e_errors[n_e] = errors
    e_startup[n_e] = startup
    e_bitrate[n_e] = bitrate
    e_code[n_e] = code
    e_campaign[n_e] = campaign
    e_ad_position[n_e] = ad_position
    e_ad_seconds[n_e] = ad_seconds
    _put_be(e_bytes, n_e, 0, draw(sk, id_draw))
    _put_be(e_bytes, n_e, 8, draw(sk, id_draw + 1))


@njit(cache=True, nogil=True)
def used_values(
    rows: np.ndarray, codes: np.ndarray, value_offsets: np.ndarray, value_data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Code rows' values against only the values they use: (indices, dictionary offsets, dictionary bytes).

    Row `rows[i]` has value `codes[rows[i]]`, a string at value_data[value_offsets[c]:value_offsets[c + 1]]; the
    dictionary keeps the used values in value order.
    """
    n_values = value_offsets.shape[0] - 1
    position = np.full(n_values, -1, dtype=np.int32)
    for i in range(rows.shape[0]):
        position[codes[rows[i]]] = 0
    kept = 0
    size = 0
    for c in range(n_values):
        if position[c] == 0:
            position[c] = kept
            kept += 1
            size += value_offsets[c + 1] - value_offsets[c]
        else:
            position[c] = -1
    offsets = np.empty(kept + 1, dtype=np.int32)
    data = np.empty(size, dtype=np.uint8)
    offsets[0] = 0
    at = 0
    for c in range(n_values):
        if position[c] >= 0:
            for b in range(value_offsets[c], value_offsets[c + 1]):
                data[at] = value_data[b]
                at += 1
            offsets[position[c] + 1] = at
    indices = np.empty(rows.shape[0], dtype=np.int32)
    for i in range(rows.shape[0]):
        indices[i] = position[codes[rows[i]]]
    return indices, offsets, data
