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

At a large batchSize a day's pass takes hours, so it runs in one place and advances with the schedule
(docs/checkpoint.md): `Admission.prepare` judges a window's new slots from where the pass is, going on across the
day's start without a second look-back (the next day's look-back state is taken in on the way); `snapshot` and
`restore` carry the pass and the verdicts a later window reads from one invocation to the next; a shard is
`supply`'d its slots' verdicts and runs no pass (MissingVerdicts). None of it changes a verdict.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import struct
import sys
import zlib
from array import array
from collections.abc import Callable, Mapping

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


def series_reach(sk: int, device: int, allowed: int, seconds: int, sees_ads: bool) -> int:
    """What chain_links adds for a chain of at most `allowed` links each at most `seconds` long: at least what the
    chain of any episode of a series adds (its links out are at most Catalogue.bound_links, each link at most the
    series' longest, Catalogue.bound_seconds), whichever episode its household plays."""
    steps = wm.draw(sk, wm.D_CHAIN)
    below = plays.COMPLETE_BELOW[device * _N_TYPES + binge.SERIES]
    stops = plays.STOP_FRACTION[device]
    reach = 0
    for j in range(allowed):
        if (steps >> (binge.STEP_BITS * j)) & 0xFFFF >= binge.CONTINUE_BELOW:
            break
        lk = wm.draw(sk, wm.D_CHAIN + 1 + j)
        complete = ((lk >> wm.END_SHIFT) & 0x3FF) < below
        span_max = seconds if complete else 1 + (((seconds - 2) * stops[(lk & 0xFF) + 1]) >> 32)
        reach += binge.COUNTDOWN_MAX_MS + span_max * 1000 + _PAUSE_MAX[(lk >> wm.PAUSE_SHIFT) & 0x3FF]
        if sees_ads:
            reach += ads.max_ad_ms(seconds)
        if not complete:
            break
    return reach


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


DAY_SLOTS = 1440
"""Slots of an admission day."""


CONTINUE_WITHIN_SLOTS = 6 * 60
"""A household's sitting of a series it follows goes on after the last episode it played of it that admission day
when that play started at most this many slots (6 hours) before: most later sittings of a series on one day come
within it (a median 2.3 hours apart on the default world, docs/binge.md), and older entries are forgotten with the
holds, so the pass keeps the last 6 hours' (household, series) plays, not a whole day's."""
MAX_FURTHER = 254
"""The most episodes past its household's own (World.followed_episode) a continued sitting plays: a verdict byte
is 0 (refused) or 1 + that many (docs/binge.md); a continuation further along is not taken."""


class MissingVerdicts(LookupError):
    """A strict Admission (a shard's, supplied its verdicts) was asked for a slot it does not hold: it runs no pass."""


def verdict_span(world: wm.World) -> int:
    """How many slots before the pass's position a later window may still read verdicts of: a window's slot_range
    reaches max_session_ms before its start (the window writer's look-back), and a window lasts at most
    MAX_WINDOW_SECONDS; a snapshot keeps these slots' verdicts."""
    return -(-world.max_session_ms // wm.SLOT_MS) + 1 + domains.MAX_WINDOW_SECONDS * 1000 // wm.SLOT_MS


class Admission:
    """The generator's admission pass over one world: per slot, which of its candidates are played.

    The pass judges an admission day's slots in order, from `pass_start` after its look-back's candidates (all of
    which count), and keeps what later slots need (per device the latest end bound, per household its `limit`
    latest); the verdicts of each slot are kept, so a warm container's tick judges only its few new slots. Within
    `lookback` slots of the next day's start every candidate also counts in that day's look-back state, so the pass
    runs on into the next day without starting it over. A slot the pass has gone by and no longer holds is judged by
    its day's pass run again, unless the Admission is `strict` (a shard supplied its verdicts: `supply`). `snapshot`
    and `restore` carry the pass, with the verdicts a later window may read, from one process to another.
    """

    def __init__(self, world: wm.World, *, strict: bool = False) -> None:
        self.world = world
        self.lookback = lookback_slots(world)
        self.strict = strict
        """Whether `admitted` refuses (MissingVerdicts) a slot it does not hold instead of running a pass."""
        self._tiers: dict[int, str] = {}
        self.verdicts: dict[int, bytes] = {}
        """Slot -> one byte per candidate in key order: 0 if it is refused, else 1 + how many episodes past its
        household's own episode (World.played_title) it plays (the continuation of a series that day)."""
        self.judged = 0
        """Slots this Admission's passes have judged (look-back slots included): their work, for tests and benches."""
        self._day: int | None = None
        self._next = 0
        self._device: dict[int, int] = {}
        self._household: dict[int, list[int]] = {}
        self._ahead: tuple[dict[int, int], dict[int, list[int]]] | None = None
        """The next day's look-back state (devices, households), while the pass is within its look-back."""
        self._series = max(1, len(world.catalogue.order))
        self._cont: dict[int, int] = {}
        """Per (household, series), as customer * series count + series: ((the episode after the last one it played
        of the series that day, the chain's last link's next) + 1) << 32 | the slot of that play; kept before the
        next day's start (`_continues`)."""
        self._identity: tuple[tuple[int, ...], bytes] | None = None

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

    @property
    def position(self) -> int | None:
        """The next slot the pass will judge (before its day's start while it takes in the look-back); None with no
        pass."""
        return None if self._day is None else self._next

    def admitted(self, slot: int) -> bytes:
        """One byte per candidate of a slot, in key order: 0 if a device or plan refuses it, else 1 + k, played k
        episodes past World.played_title's (catalogue.next k times) (a slot not held is prepared, or refused with
        MissingVerdicts when `strict`)."""
        hit = self.verdicts.get(slot)
        if hit is not None:
            return hit
        if not self.world.exclusive:
            return _every(self.world, slot)
        if self.strict:
            raise MissingVerdicts(
                f"slot {slot}: its verdicts were neither supplied nor judged here, and a strict Admission runs no pass"
            )
        self.prepare(slot, slot + 1)
        return self.verdicts[slot]

    def supply(self, verdicts: Mapping[int, bytes]) -> None:
        """Hold verdicts judged elsewhere (one byte per candidate, as `admitted` gives them), and become strict: from
        now on a slot neither supplied nor held raises MissingVerdicts instead of running a pass."""
        for slot, flags in verdicts.items():
            if not isinstance(flags, bytes):
                raise ValueError(f"verdicts of slot {slot} must be bytes (a verdict each), got {type(flags).__name__}")
            if len(flags) != self.world.slot_count(slot):
                raise ValueError(
                    f"verdicts of slot {slot} must hold one byte per candidate ({self.world.slot_count(slot)}), "
                    f"got {len(flags)}"
                )
        self.verdicts.update(verdicts)
        self.strict = True

    def prepare(self, first_slot: int, stop_slot: int, deadline: Callable[[], bool] | None = None) -> bool:
        """Judge what [first_slot, stop_slot) still needs, each slot by its own day's pass, so that `verdicts` holds
        every slot of it; True when it does. The pass goes on from where it is when it can reach a slot (it is at or
        before it and not more than a look-back before its day), else starts the slot's day from its look-back.
        `deadline()` is asked between slots: when True, stop and return False with a consistent state (`snapshot`
        saves it; a later `prepare` goes on). At least one slot is judged per call, so a chain always advances."""
        if not self.world.exclusive:
            return True
        if len(self.verdicts) >= _MAX_SLOTS:
            for old in [s for s in self.verdicts if s < first_slot - 2 * self.lookback]:
                del self.verdicts[old]
        held = self.verdicts
        days: dict[int, list[int]] = {}
        for slot in range(first_slot, stop_slot):
            if slot not in held:
                span = days.setdefault(pass_start(slot), [slot, slot])
                span[1] = slot
        stepped = False
        for day, (lo, hi) in sorted(days.items()):
            if not (self._day is not None and self._day <= day and day - self.lookback <= self._next <= lo):
                self._start(day)
            while self._next <= hi:
                if stepped and deadline is not None and deadline():
                    return False
                self._step()
                stepped = True
        return True

    def _start(self, day: int) -> None:
        """Start the pass of the admission day beginning at slot `day`, from its look-back, with nothing held."""
        self._day, self._next = day, day - self.lookback
        self._device, self._household, self._ahead, self._cont = {}, {}, None, {}

    def _step(self) -> None:
        """Judge the pass's next slot: within its day keep its verdicts; before it (the look-back) every candidate
        counts. Within a look-back of the next day every candidate also counts in that day's look-back state, which
        becomes the pass's at the day's start."""
        slot, day = self._next, self._day
        assert day is not None
        following = day + DAY_SLOTS
        if self._ahead is None and slot >= following - self.lookback:
            self._ahead = ({}, {})
        flags = self._judge(slot, played_only=slot >= day, ahead=self._ahead, cont=self._continues(slot))
        self.judged += 1
        if slot >= day:
            self.verdicts[slot] = flags
        self._next = slot = slot + 1
        if slot == following:
            assert self._ahead is not None
            (self._device, self._household), self._ahead, self._cont = self._ahead, None, {}
            self._day = following
        if slot % PRUNE_EVERY == 0:
            self._prune(slot * wm.SLOT_MS)

    def _continues(self, slot: int) -> dict[int, int] | None:
        """The continuation state when a slot's sittings go on from the household's last play of a series (within
        its day), else None (its look-back: a cold pass knows no earlier play)."""
        day = self._day
        assert day is not None
        return self._cont if slot >= day else None

    def _prune(self, now: int) -> None:
        """Forget the holds that end by `now`, the start of the next slot to judge: a candidate from then on attempts
        at or after it, and a hold that ends by its attempt refuses it no more than no hold does; and the
        continuations older than CONTINUE_WITHIN_SLOTS, which no later candidate takes."""
        oldest = now // wm.SLOT_MS - CONTINUE_WITHIN_SLOTS
        self._cont = {key: value for key, value in self._cont.items() if value & 0xFFFFFFFF >= oldest}
        self._device = {d: until for d, until in self._device.items() if until > now}
        self._household = {c: top for c, top in self._household.items() if max(top) > now}
        if self._ahead is not None:
            device, household = self._ahead
            self._ahead = (
                {d: until for d, until in device.items() if until > now},
                {c: top for c, top in household.items() if max(top) > now},
            )

    def state_size(self) -> tuple[int, int]:
        """(devices, households) whose holds the pass keeps (the next day's look-back's included)."""
        ahead = self._ahead or ({}, {})
        return len(self._device) + len(ahead[0]), len(self._household) + len(ahead[1])

    @property
    def continuations(self) -> int:
        """(household, series) entries the pass keeps to continue later sittings (CONTINUE_WITHIN_SLOTS)."""
        return len(self._cont)

    def snapshot(self) -> bytes:
        """The pass's state (its day, position, holds and the next day's look-back holds) and the verdicts of the
        `verdict_span` slots before its position, as bytes that `restore` reads in another process (header: magic,
        format version, the world's identity, a CRC-32 of the body; the body zlib-compressed)."""
        body = bytearray()
        position = self._next if self._day is not None else None
        if position is None:
            body += struct.pack("<B", 0)
        else:
            now = position * wm.SLOT_MS
            self._prune(now)
            body += struct.pack("<BqqB", 1, self._day, position, self._ahead is not None)
            _put_holds(body, self._device, self._household, now)
            if self._ahead is not None:
                _put_holds(body, *self._ahead, now)
            _put_continuations(body, self._cont, position)
        if position is None or not self.world.exclusive:
            slots: list[int] = []
        else:
            slots = [s for s in range(position - verdict_span(self.world), position) if s in self.verdicts]
        _put_array(body, array("q", slots))
        _put_array(body, array("I", [len(self.verdicts[s]) for s in slots]))
        bits, steps = pack_verdicts(b"".join(self.verdicts[s] for s in slots))
        body += struct.pack("<QQ", len(bits), len(steps)) + bits + steps
        raw = bytes(body)
        compressed = zlib.compress(raw, _ZLIB_LEVEL)
        stored, flags = (compressed, _ZLIB) if len(compressed) < len(raw) else (raw, 0)
        fields, digest = self.identity()
        head = _HEAD.pack(_MAGIC, FORMAT_VERSION, flags, *fields, digest, -1 if position is None else position)
        return head + _SIZES.pack(len(stored), len(raw), zlib.crc32(stored)) + stored

    def restore(self, data: bytes) -> None:
        """Take the pass's state and verdicts from `snapshot`'s bytes (of an Admission of this world); ValueError
        naming what is wrong (not a snapshot, another format version, another world, a checksum mismatch,
        truncated) leaves this Admission unchanged."""
        fixed = _HEAD.size + _SIZES.size
        if len(data) < fixed:
            raise ValueError(f"admission snapshot truncated: {len(data)} bytes, shorter than its {fixed}-byte header")
        magic, version, flags, *fields, digest, _ = _HEAD.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError(f"not an admission snapshot: magic {magic!r}, expected {_MAGIC!r}")
        if version != FORMAT_VERSION:
            raise ValueError(f"admission snapshot format version {version}, this code reads {FORMAT_VERSION}")
        own_fields, own_digest = self.identity()
        if (tuple(fields), digest) != (own_fields, own_digest):
            differ = [
                f"{name} {theirs} (this world's {ours})"
                for name, theirs, ours in zip(_IDENTITY_FIELDS, fields, own_fields, strict=True)
                if theirs != ours
            ] or ["titles or campaigns"]
            raise ValueError(f"admission snapshot of another world: {', '.join(differ)}")
        stored_length, raw_length, crc = _SIZES.unpack_from(data, _HEAD.size)
        stored = data[fixed:]
        if len(stored) != stored_length:
            raise ValueError(
                f"admission snapshot truncated: its header says {stored_length} body bytes, got {len(stored)}"
            )
        if zlib.crc32(stored) != crc:
            raise ValueError(
                f"admission snapshot checksum mismatch: CRC-32 {zlib.crc32(stored):#010x}, header {crc:#010x}"
            )
        try:
            raw = zlib.decompress(stored) if flags & _ZLIB else stored
            if len(raw) != raw_length:
                raise ValueError(f"body of {len(raw)} bytes, header says {raw_length}")
            state, verdicts = _read_body(memoryview(raw))
        except (ValueError, struct.error, zlib.error, IndexError) as error:
            raise ValueError(f"admission snapshot malformed: {error}") from error
        if state is None:
            self._day, self._next, self._device, self._household, self._ahead = None, 0, {}, {}, None
            self._cont = {}
        else:
            self._day, self._next, (self._device, self._household), self._ahead, self._cont = state
        self.verdicts.update(verdicts)

    def identity(self) -> tuple[tuple[int, ...], bytes]:
        """What makes this world's verdicts what they are, as a snapshot's header holds it: (seed, batch_size,
        max_session_ms, dimension seed, customers, titles) and a digest of those and of the titles' and campaigns'
        rows."""
        if self._identity is None:
            world = self.world
            dimension_seed, count = world.dims.lifecycle or (0, 0)
            fields = (
                world.seed,
                world.batch_size,
                world.max_session_ms,
                dimension_seed & wm.M64,
                count,
                len(world.dims.titles),
            )
            rows = json.dumps([fields, world.dims.titles, world.dims.campaigns], sort_keys=True, default=str)
            self._identity = fields, hashlib.sha256(rows.encode()).digest()[:16]
        return self._identity

    def _judge(
        self,
        slot: int,
        *,
        played_only: bool,
        ahead: tuple[dict[int, int], dict[int, list[int]]] | None = None,
        cont: dict[int, int] | None = None,
    ) -> bytes:
        """The verdicts of one slot's candidates, the pass's state carried on: by the played candidates
        (`played_only`) or, before the pass's day, by all; every candidate also counts in `ahead`, the next day's
        look-back state (attempt_ms and end_bound inlined, World.pick_customer called: this runs for every candidate
        of every new slot).

        With `cont` (`_continues`), a candidate whose household follows the series it draws (World.followed_episode)
        plays the later of its own episode and the one after the last it played of the series, if that one is out
        that day and that last play was at most CONTINUE_WITHIN_SLOTS before; it is bounded as that title, and an
        admitted one records where it leaves the series (the episode after its chain's last link by its key).

        Where every candidate counts (a look-back: before the day, or `ahead`), such a candidate holds its device
        and stream until a bound of any episode of the series (its longest, `series_reach`): a look-back taken
        cold cannot know which episode a played one went on to, and must still hold it (the proof above)."""
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
        ahead_until, ahead_household = ahead if ahead is not None else (None, {})
        lay = world.devices
        device_of, device_type, pick_customer = lay.device, lay.type, world.pick_customer
        followed_episode, links_out = world.followed_episode, world.catalogue.links_out
        bound_seconds, bound_links = world.catalogue.bound_seconds, world.catalogue.bound_links
        counting_all = ahead is not None or not played_only
        series_of, rank, release, n_series = (
            world.catalogue.series_of,
            world.catalogue.rank,
            world.catalogue.release,
            self._series,
        )
        utc_day, oldest = slot // 1440, slot - CONTINUE_WITHIN_SLOTS
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
            drawn = day.title[field]
            own_episode = followed_episode(customer, drawn, slot)
            title = drawn if own_episode < 0 else own_episode
            further = 0
            ckey = -1
            if cont is not None and own_episode >= 0:
                ckey = customer * n_series + series_of[own_episode]
                entry = cont.get(ckey)
                if entry is not None and entry & 0xFFFFFFFF >= oldest:
                    after = (entry >> 32) - 1
                    if after >= 0 and release[after] <= utc_day and 0 < rank[after] - rank[title] <= MAX_FURTHER:
                        further = rank[after] - rank[title]
                        title = after
            duration = title_seconds[title]
            complete = ((sk >> s_end) & 0x3FF) < complete_below[screen * n_types + types[field]]
            span_max = duration if complete else 1 + (((duration - 2) * stop_fraction[screen][(sk & 0xFF) + 1]) >> 32)
            bound = base + (coarse + 1) * step_ms // steps + span_max * 1000 + pause_max[(sk >> s_pause) & 0x3FF]
            sees_ads = ad_tier(customer)
            if sees_ads:  # ad_bound, inlined
                bound += ad_ms(duration, span_max, complete)
            allowed = links[field] if title == drawn else links_out(title, plan.day)
            last = title
            if complete and allowed:  # the binge chain it starts holds the device too
                _, chained, reach = chain_links(sk, screen, title, allowed, following, title_seconds, sees_ads)
                bound += reach
                if chained:
                    last = chained[-1]
            hold = (bound // bucket_ms + 1) * bucket_ms if sees_ads else bound  # ad_hold, inlined
            wide = hold
            if counting_all and own_episode >= 0:  # a look-back's hold: any episode of the series
                most, kind = bound_seconds[drawn], types[field]
                wide = end_bound(sk, base, most, kind, screen) + ad_bound(sk, most, kind, screen, sees_ads)
                if complete and bound_links[drawn]:
                    wide += series_reach(sk, screen, bound_links[drawn], most, sees_ads)
                wide = (wide // bucket_ms + 1) * bucket_ms if sees_ads else wide
            if ahead_until is not None:  # the next day's look-back: every candidate counts
                if wide > ahead_until.get(device, 0):
                    ahead_until[device] = wide
                top = ahead_household.get(customer)
                if top is None:
                    top = ahead_household[customer] = [0] * limit_of(customer)
                least = min(top)
                if wide > least:
                    top[top.index(least)] = wide
            if not played_only:
                hold = wide
            busy = device_until.get(device, 0)
            top = household.get(customer)
            if top is None:
                top = household[customer] = [0] * limit_of(customer)
            least = min(top)
            if busy <= attempt and least <= attempt:
                flags[i] = 1 + further
                if ckey >= 0:  # where the household leaves the series this sitting
                    cont[ckey] = ((following[last] + 1) << 32) | slot  # type: ignore[index]
            elif played_only:
                continue
            if hold > busy:
                device_until[device] = hold
            if hold > least:
                top[top.index(least)] = hold
        return bytes(flags)


FORMAT_VERSION = 2
"""The snapshot layout `restore` reads; a change to it (or to what a pass holds) raises it."""
_MAGIC = b"ACMEPASS"
_ZLIB = 1
_ZLIB_LEVEL = 1
"""zlib's fastest level: the holds' deltas and offsets compress ~2x at it, and higher levels gain little more."""
_IDENTITY_FIELDS = ("seed", "batch_size", "max_session_ms", "dimension seed", "customers", "titles")
_HEAD = struct.Struct("<8sHH6Q16sq")
"""magic, version, flags, the identity's fields and digest, position (-1: no pass)."""
_SIZES = struct.Struct("<QQI")
"""The stored body's length, its length uncompressed, the stored body's CRC-32."""
assert array("I").itemsize == 4 and array("Q").itemsize == 8 and array("q").itemsize == 8
_LITTLE = sys.byteorder == "little"
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_DIGITS = bytes.maketrans(b"01", b"\x00\x01")


def pack_bits(flags: bytes) -> bytes:
    """Verdicts (one byte, 0 or 1, per candidate) as bits, candidate i in bit i % 8 of byte i // 8."""
    if not flags:
        return b""
    return int(flags[::-1].translate(_TO_DIGITS), 2).to_bytes((len(flags) + 7) // 8, "little")


def unpack_bits(packed: bytes, count: int) -> bytes:
    """`count` verdicts (one byte, 0 or 1, each) from pack_bits' bytes; ValueError if they hold another count."""
    if len(packed) != (count + 7) // 8:
        raise ValueError(f"{count} verdicts take {(count + 7) // 8} bytes as bits, got {len(packed)}")
    if not count:
        return b""
    value = int.from_bytes(packed, "little")
    if value >> count:
        raise ValueError(f"bits set beyond the {count} verdicts")
    return format(value, "b").zfill(count).encode()[::-1].translate(_FROM_DIGITS)


_PLAYED = bytes([0] + [1] * 255)
_LESS_ONE = bytes([0, *range(255)])


def pack_verdicts(flags: bytes) -> tuple[bytes, bytes]:
    """Verdicts (0, or 1 + k) as (pack_bits of played or not, per played candidate its k as a byte): mostly zeros,
    the k's compress well."""
    return pack_bits(flags.translate(_PLAYED)), flags.translate(None, b"\x00").translate(_LESS_ONE)


def unpack_verdicts(bits: bytes, steps: bytes, count: int) -> bytes:
    """`count` verdicts from pack_verdicts' parts; ValueError if they disagree."""
    flags = unpack_bits(bits, count)
    if len(steps) != flags.count(1):
        raise ValueError(f"{len(steps)} episodes-further bytes for {flags.count(1)} played candidates")
    if 255 in steps:
        raise ValueError(f"a verdict {1 + 255} is past MAX_FURTHER ({MAX_FURTHER})")
    if not steps.translate(None, b"\x00"):
        return flags
    out = bytearray(flags)
    ones = [i for i, v in enumerate(flags) if v]
    for j, k in enumerate(steps):
        if k:
            out[ones[j]] = 1 + k
    return bytes(out)


def _put_array(body: bytearray, values: array) -> None:
    if not _LITTLE:
        values.byteswap()
    body += struct.pack("<Q", len(values))
    body += values.tobytes()


def _take_array(raw: memoryview, at: int, code: str) -> tuple[array, int]:
    (count,) = struct.unpack_from("<Q", raw, at)
    at += 8
    values = array(code)
    end = at + count * values.itemsize
    if end > len(raw):
        raise ValueError(f"an array of {count} entries runs past the body's {len(raw)} bytes")
    values.frombytes(raw[at:end])
    if not _LITTLE:
        values.byteswap()
    return values, end


def _deltas(ids: list[int]) -> array:
    return array("Q", [b - a for a, b in zip([0, *ids], ids, strict=False)])


def _undelta(deltas: array) -> list[int]:
    return list(itertools.accumulate(deltas))


def _put_holds(body: bytearray, device: dict[int, int], household: dict[int, list[int]], now: int) -> None:
    """Devices (sorted, as deltas) and their holds, households (sorted, as deltas), their limits and holds, each hold
    as its ms after `now` (0: ended by now, which refuses nothing a hold of 0 would not)."""
    ids = sorted(device)
    _put_array(body, _deltas(ids))
    _put_array(body, array("I", [device[d] - now for d in ids]))
    homes = sorted(household)
    _put_array(body, _deltas(homes))
    _put_array(body, array("B", [len(household[c]) for c in homes]))
    _put_array(body, array("I", [h - now if h > now else 0 for c in homes for h in household[c]]))


def _take_holds(raw: memoryview, at: int, now: int) -> tuple[tuple[dict[int, int], dict[int, list[int]]], int]:
    ids, at = _take_array(raw, at, "Q")
    until, at = _take_array(raw, at, "I")
    homes, at = _take_array(raw, at, "Q")
    limits, at = _take_array(raw, at, "B")
    holds, at = _take_array(raw, at, "I")
    if len(ids) != len(until) or len(homes) != len(limits) or sum(limits) != len(holds):
        raise ValueError("the holds' arrays disagree in length")
    device = dict(zip(_undelta(ids), [now + u for u in until], strict=True))
    flat = [now + h if h else 0 for h in holds]
    household, k = {}, 0
    for customer, limit in zip(_undelta(homes), limits, strict=True):
        household[customer] = flat[k : k + limit]
        k += limit
    return (device, household), at


def _put_continuations(body: bytearray, cont: dict[int, int], position: int) -> None:
    """The continuations (sorted keys as deltas, each one's next episode + 1 and its play's slot before
    `position`)."""
    keys = sorted(cont)
    _put_array(body, _deltas(keys))
    _put_array(body, array("I", [cont[k] >> 32 for k in keys]))
    _put_array(body, array("I", [position - (cont[k] & 0xFFFFFFFF) for k in keys]))


def _take_continuations(raw: memoryview, at: int, position: int) -> tuple[dict[int, int], int]:
    keys, at = _take_array(raw, at, "Q")
    after, at = _take_array(raw, at, "I")
    ages, at = _take_array(raw, at, "I")
    if not len(keys) == len(after) == len(ages):
        raise ValueError("the continuations' arrays disagree in length")
    values = [(a << 32) | (position - age) for a, age in zip(after, ages, strict=True)]
    return dict(zip(_undelta(keys), values, strict=True)), at


def _read_body(
    raw: memoryview,
) -> tuple[
    tuple[
        int,
        int,
        tuple[dict[int, int], dict[int, list[int]]],
        tuple[dict[int, int], dict[int, list[int]]] | None,
        dict[int, int],
    ]
    | None,
    dict[int, bytes],
]:
    """(None or (day, position, holds, the next day's look-back holds or None, continuations), verdicts) of a
    snapshot's body."""
    (has_state,) = struct.unpack_from("<B", raw, 0)
    at, state = 1, None
    if has_state:
        day, position, has_ahead = struct.unpack_from("<qqB", raw, at)
        at += 17
        now = position * wm.SLOT_MS
        holds, at = _take_holds(raw, at, now)
        ahead = None
        if has_ahead:
            ahead, at = _take_holds(raw, at, now)
        cont, at = _take_continuations(raw, at, position)
        state = (day, position, holds, ahead, cont)
    slots, at = _take_array(raw, at, "q")
    lengths, at = _take_array(raw, at, "I")
    size, played = struct.unpack_from("<QQ", raw, at)
    at += 16
    if len(slots) != len(lengths) or at + size + played != len(raw):
        raise ValueError("the verdicts' arrays disagree in length")
    flat = unpack_verdicts(bytes(raw[at : at + size]), bytes(raw[at + size :]), sum(lengths))
    verdicts, k = {}, 0
    for slot, length in zip(slots, lengths, strict=True):
        verdicts[slot] = flat[k : k + length]
        k += length
    return state, verdicts
