"""One session at a time per device, and a household within its plan's stream limit: which sessions are played.

The world's session starts are independent *candidates* (world.py: a slot's keys). A candidate is *admitted*, and
played, only if, when it is judged, no session played before it on the same device (the household screen its
key's screen field picks, devices.py) is still running and fewer than its plan's limit (domains.PLAN_STREAM_LIMITS)
of the household's are: two TVs of one household may play at once. Candidates are judged in slot order, then key
order within a slot; a candidate's *attempt* is the coarse start of its key (`attempt_ms`, never after its exact
start) and it *runs* until `end_bound`, an upper bound of its last event from its key, its screen's type and the
title its household plays (binge.followed_title: the pass draws the viewer first), plus `ad_bound` when its viewer is
on an ad tier, so an earlier C "runs" at a later S's judgement when end_bound(C) > attempt_ms(S). A candidate
whose first play starts a binge chain (binge.py) is the chain: the same device plays its links one after another,
and its bound is the chain's (end_bound plus `chain_links`' reach), so the proof below holds for every session of a
chain.

The judgement is a pass over an *admission day* (PASS_START_MINUTE UTC to the next; `pass_start`): before its first
slot the pass takes in every candidate of the `lookback_slots` slots before the day, played or not, as running;
from then on only the sessions it admits. A verdict therefore depends only on the candidates from its day's
look-back on: any process that runs its day's pass (a cold window, a warm tick continuing one, a backfill block)
gives the same verdicts, and the generator (`Admission`) and the compiled backfill (lakewriter/backfill/
admission.py) run the same pass on the same integers.

Guarantee: at any instant a device plays at most one admitted session and a household at most its limit.
Proof. Take admitted sessions S1, ..., Sm of one household all running at an instant t (start <= t < last event),
in the order they were judged. For i < m, end_bound(Si) >= end(Si) > t >= start(Sm) >= attempt_ms(Sm), so Si
runs at Sm's judgement. If Si lies in Sm's admission day, the pass admitted it and counts it. If not, Si is of an
earlier day; it still runs at attempt_ms(Sm), which is at or after the day's start, and no session lasts longer
than the look-back, so Si lies in the day's look-back, where every candidate counts. So all m - 1 count against
Sm; Sm was admitted, so m - 1 < limit. With the device instead of the household and a limit of one, m <= 1.

A played candidate of an ad-tier household holds its device and stream a little longer, to the end of the quarter
hour of its end bound (`ad_hold`), which keeps the household's ad breaks of one position in distinct buckets (the
frequency cap per household, docs/ads.md); the proof holds with the hold for end_bound.

Suppressed candidates are not played at all; each hour's start rate is divided by the share admitted at its load
(households.ADMITTED_SHARES), so the volume stays batchSize. Lambda-safe: standard library only.
"""

from __future__ import annotations

import functools

from functions.shared import ads, binge, domains, plays
from functions.shared import world as wm

_N_TYPES = len(domains.TITLE_TYPES)
_PAUSE_MAX = wm.PAUSE_REACH_MS


_play_ad_ms = functools.lru_cache(maxsize=65536)(ads.play_ad_ms)


def attempt_ms(sk: int, base_ms: int) -> int:
    """When a candidate asks to play: the coarse start of its key (its exact start is never earlier)."""
    return base_ms + (sk >> wm.START_SHIFT) * wm.SLOT_MS // wm.START_STEPS


def end_bound(sk: int, base_ms: int, duration: int, title_type: int, device: int) -> int:
    """An upper bound (epoch ms) of a candidate's last event, from its key, its title's length and type and its
    screen's type (devices.py: the household device the key's screen field picks), without its binge chain
    (`chain_links` gives what that adds).

    The one bound admission uses (the kernel's `end_bound` is its twin): whatever makes a session last longer
    (stalls, start-up time) must raise it here and there, and World.max_session_ms with it. A viewer on an ad tier
    may also watch ads: admission, which knows the viewer, adds `ad_bound` for them.
    """
    complete = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[device * _N_TYPES + title_type]
    span_max = duration if complete else 1 + (((duration - 2) * plays.STOP_FRACTION[device][(sk & 0xFF) + 1]) >> 32)
    coarse_end = base_ms + ((sk >> wm.START_SHIFT) + 1) * wm.SLOT_MS // wm.START_STEPS
    return coarse_end + span_max * 1000 + _PAUSE_MAX[(sk >> wm.PAUSE_SHIFT) & 0x3FF]


def chain_links(
    sk: int, device: int, title: int, allowed: int, following: list[int], seconds: list[int], sees_ads: bool
) -> tuple[list[int], list[int], int]:
    """(link keys, their titles, the most they add to its end bound) of the binge chain a candidate's key draws, for
    a candidate whose first play completes (by its key) of a title with `allowed` next episodes out (binge.py), its
    viewer on an ad tier or not (`sees_ads`: each link's breaks, ads.max_ad_ms).

    Link j (from 1) is there when step j's draw is taken and link j - 1 completes by its key; a link's own key bounds
    it as end_bound does a first play's (its start is the last one's end plus at most the countdown, its resume point
    0). The player may still end a chain sooner (a link that never starts): the bound only needs to hold.
    """
    steps = wm.draw(sk, wm.D_CHAIN)
    keys: list[int] = []
    titles: list[int] = []
    reach, at = 0, title
    below = plays.COMPLETE_BELOW[device * _N_TYPES + binge.SERIES]
    stops = plays.STOP_FRACTION[device]
    for j in range(allowed):
        if (steps >> (binge.STEP_BITS * j)) & 0xFFFF >= binge.CONTINUE_BELOW:
            break
        at = following[at]
        lk = wm.draw(sk, wm.D_CHAIN + 1 + j)
        duration = seconds[at]
        complete = ((lk >> wm.END_SHIFT) & 0x3FF) < below
        span_max = duration if complete else 1 + (((duration - 2) * stops[(lk & 0xFF) + 1]) >> 32)
        reach += binge.COUNTDOWN_MAX_MS + span_max * 1000 + _PAUSE_MAX[(lk >> wm.PAUSE_SHIFT) & 0x3FF]
        if sees_ads:
            reach += ads.max_ad_ms(duration)
        keys.append(lk)
        titles.append(at)
        if not complete:
            break
    return keys, titles, reach


def ad_bound(sk: int, duration: int, title_type: int, device: int, customer_sees_ads: bool) -> int:
    """What ad breaks may add to a candidate's end (ads.play_ad_ms of its key's span bound and end, on its screen
    type `device`) when its viewer is on an ad tier, else 0."""
    if not customer_sees_ads:
        return 0
    complete = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[device * _N_TYPES + title_type]
    span_max = duration if complete else 1 + (((duration - 2) * plays.STOP_FRACTION[device][(sk & 0xFF) + 1]) >> 32)
    return ads.play_ad_ms(duration, span_max, complete)


def ad_tiers(world: wm.World) -> list[bool]:
    """Whether each customer (World.customers order) is on an ad tier, so may see ad breaks."""
    return [ads.sees_ads(c["subscription_tier"]) for c in world.customers]


def ad_hold(bound: int, sees_ads: bool) -> int:
    """Until when an admitted candidate with end bound `bound` holds its device and a stream of its household: the
    bound, or for a viewer on an ad tier the end of the ad schedule's bucket (ads.BUCKET_MS) that holds the bound.

    An ad tier streams one play at a time (AD_TIER_STREAMS), so a household's next play then starts its breaks in a
    later bucket than every break of the one before: with one play's breaks of a position in distinct buckets
    (ads.day_schedule), a household never shows two breaks of one position in one bucket, and the day schedule's
    frequency cap holds per household over all its devices and plays.
    """
    return (bound // ads.BUCKET_MS + 1) * ads.BUCKET_MS if sees_ads else bound


AD_TIER_STREAMS = 1
"""Streams a household on an ad tier plays at once (domains.PLAN_STREAM_LIMITS): what ad_hold's cap proof needs."""
assert all(domains.PLAN_STREAM_LIMITS[t] == AD_TIER_STREAMS for t in domains.AD_SUPPORTED_TIERS)


def lookback_slots(world: wm.World) -> int:
    """How many slots before its own hold every candidate that may still run, or hold its device, at a candidate's
    attempt (the pass's look-back before its day; ad_hold adds at most a bucket)."""
    return -(-(world.max_session_ms + ads.BUCKET_MS + wm.SLOT_MS) // wm.SLOT_MS)


def stream_limits(world: wm.World) -> list[int]:
    """Each customer's plan limit (streams at once), in World.customers order."""
    return [domains.PLAN_STREAM_LIMITS[c["subscription_tier"]] for c in world.customers]


PASS_START_MINUTE = 10 * 60
"""Admission days start at 10:00 UTC, late night in the Americas and morning in Europe (few streams running)."""
_VIEWER_GAMMA = (wm.D_VIEWER * wm.GAMMA) & wm.M64
_MAX_SLOTS = 4096
"""Verdicts of at most this many slots are kept per world (a day's windows and their look-backs)."""
PRUNE_EVERY = 30
"""Every this many slots the pass forgets the holds that have ended: they refuse no later candidate, so its state is
the households running, not every household seen since the day began (tens of millions at batchSize 1,000,000)."""


def _every(world: wm.World, slot: int) -> bytes:
    """Every candidate of a slot played (a world too dense for the rule: World.exclusive)."""
    return b"\x01" * world.slot_count(slot)


def pass_start(slot: int) -> int:
    """The first slot of the admission day holding `slot` (days run from PASS_START_MINUTE UTC)."""
    return (slot - PASS_START_MINUTE) // 1440 * 1440 + PASS_START_MINUTE


class Admission:
    """The generator's admission pass over one world: per slot, which of its candidates are played.

    A pass judges an admission day's slots in order, from `pass_start` (after its look-back's candidates, all of
    which count), and keeps what later slots need (per device the latest end bound, per household its `limit`
    latest); the verdicts of each slot are kept, so a warm container's tick judges only its few new slots. A slot
    the pass has gone by and no longer holds is judged by the pass of its day run again.
    """

    def __init__(self, world: wm.World) -> None:
        self.world = world
        self.lookback = lookback_slots(world)
        self._tiers: dict[int, str] = {}
        self.verdicts: dict[int, bytes] = {}
        """Slot -> one byte per candidate in key order, 1 if it is played."""
        self._day: int | None = None
        self._next = 0
        self._device: dict[int, int] = {}
        self._household: dict[int, list[int]] = {}

    def _tier(self, customer: int) -> str:
        hit = self._tiers.get(customer)
        if hit is None:
            if len(self._tiers) >= 65_536:
                self._tiers.clear()
            hit = self._tiers[customer] = self.world.customers[customer]["subscription_tier"]
        return hit

    def limit(self, customer: int) -> int:
        """A household's plan limit (streams at once: stream_limits' entry, made when first needed)."""
        return domains.PLAN_STREAM_LIMITS[self._tier(customer)]

    def ad_tier(self, customer: int) -> bool:
        """Whether a household is on an ad tier (ad_tiers' entry, made when first needed)."""
        return ads.sees_ads(self._tier(customer))

    def admitted(self, slot: int) -> bytes:
        """One byte per candidate of a slot, in key order: 1 if it is played, 0 if a device or plan refuses it."""
        hit = self.verdicts.get(slot)
        if hit is not None:
            return hit
        if not self.world.exclusive:
            return _every(self.world, slot)
        day = pass_start(slot)
        if self._day != day or slot < self._next:
            self._device.clear()
            self._household.clear()
            for before in range(day - self.lookback, day):
                self._judge(before, played_only=False)
            self._day, self._next = day, day
        if len(self.verdicts) >= _MAX_SLOTS:
            for old in [s for s in self.verdicts if s < slot - 2 * self.lookback]:
                del self.verdicts[old]
        while self._next <= slot:
            self.verdicts[self._next] = self._judge(self._next, played_only=True)
            self._next += 1
            if self._next % PRUNE_EVERY == 0:
                self._prune(self._next * wm.SLOT_MS)
        return self.verdicts[slot]

    def _prune(self, now: int) -> None:
        """Forget the holds that end by `now`, the start of the next slot to judge: a candidate from then on attempts
        at or after it, and a hold that ends by its attempt refuses it no more than no hold does."""
        self._device = {d: until for d, until in self._device.items() if until > now}
        self._household = {c: top for c, top in self._household.items() if max(top) > now}

    def state_size(self) -> tuple[int, int]:
        """(devices, households) whose holds the pass keeps."""
        return len(self._device), len(self._household)

    def _judge(self, slot: int, *, played_only: bool) -> bytes:
        """The verdicts of one slot's candidates, the pass's state carried on: by the played candidates
        (`played_only`) or, before the pass's day, by all (attempt_ms and end_bound inlined, World.pick_customer called:
        this runs for every candidate of every new slot)."""
        world = self.world
        M64, G, X1, X2 = wm.M64, wm.GAMMA, wm.MIX_1, wm.MIX_2
        plan = world.hour(slot // 60)
        slot_key = wm.mix64((world.key + slot * G) & M64)
        own = plan.whole + ((slot_key >> 11) < plan.threshold)
        # A live surge's extra candidates follow the slot's own, each picking among its scope's subscribers.
        scoped = [country for count, country in world.slot_surges(slot, plan) for _ in range(count)]
        n = own + len(scoped)
        if not n:
            return b""
        base = slot * wm.SLOT_MS
        day = plan.titles
        types, genres, links = day.types, day.genres, day.links
        following, title_seconds = world.catalogue.next, world.catalogue.seconds
        device_until, household = self._device, self._household
        lay = world.devices
        device_of, device_type, pick_customer = lay.device, lay.type, world.pick_customer
        played_title, links_out = world.played_title, world.catalogue.links_out
        complete_below, stop_fraction, pause_max = (
            plays.COMPLETE_BELOW,
            plays.STOP_FRACTION,
            _PAUSE_MAX,
        )
        s_start, s_title, s_device, s_end, s_pause = (
            wm.START_SHIFT,
            wm.TITLE_SHIFT,
            wm.DEVICE_SHIFT,
            wm.END_SHIFT,
            (wm.PAUSE_SHIFT),
        )
        step_ms, steps, n_types = wm.SLOT_MS, wm.START_STEPS, _N_TYPES
        viewer_gamma = _VIEWER_GAMMA
        ad_ms, ad_tier, limit_of = _play_ad_ms, self.ad_tier, self.limit
        bucket_ms = ads.BUCKET_MS
        flags = bytearray(n)
        for i, z in enumerate(range(slot_key + G, slot_key + (n + 1) * G, G)):
            z &= M64
            z = ((z ^ (z >> 30)) * X1) & M64
            z = ((z ^ (z >> 27)) * X2) & M64
            sk = z ^ (z >> 31)
            field = (sk >> s_title) & 0xFFFF
            coarse = sk >> s_start
            attempt = base + coarse * step_ms // steps
            # Its viewer (World.pick_customer) from draw D_VIEWER
            z = (sk + viewer_gamma) & M64
            z = ((z ^ (z >> 30)) * X1) & M64
            z = ((z ^ (z >> 27)) * X2) & M64
            h = z ^ (z >> 31)
            customer = pick_customer(plan, h, genres[field], scoped[i - own] if i >= own else None)
            if customer < 0:
                continue  # no viewer found: not played, holds nothing
            # World.device and end_bound, inlined, of the title its household plays (binge.followed_title)
            device = device_of(customer, (sk >> s_device) & 0x3F)
            screen = device_type[device]
            title = played_title(customer, day.title[field], slot)
            duration = title_seconds[title]
            complete = ((sk >> s_end) & 0x3FF) < complete_below[screen * n_types + types[field]]
            span_max = duration if complete else 1 + (((duration - 2) * stop_fraction[screen][(sk & 0xFF) + 1]) >> 32)
            bound = base + (coarse + 1) * step_ms // steps + span_max * 1000 + pause_max[(sk >> s_pause) & 0x3FF]
            sees_ads = ad_tier(customer)
            if sees_ads:  # ad_bound, inlined
                bound += ad_ms(duration, span_max, complete)
            allowed = links[field] if title == day.title[field] else links_out(title, plan.day)
            if complete and allowed:  # the binge chain it starts holds the device too
                bound += chain_links(sk, screen, title, allowed, following, title_seconds, sees_ads)[2]
            busy = device_until.get(device, 0)
            top = household.get(customer)
            if top is None:
                top = household[customer] = [0] * limit_of(customer)
            least = min(top)
            if busy <= attempt and least <= attempt:
                flags[i] = 1
            elif played_only:
                continue
            hold = (bound // bucket_ms + 1) * bucket_ms if sees_ads else bound  # ad_hold, inlined
            if hold > busy:
                device_until[device] = hold
            if hold > least:
                top[top.index(least)] = hold
        return bytes(flags)
