"""The admission pass prepared window by window, checkpointed to bytes and carried on in another process: every
verdict equals the readable definitions' pass of its own admission day (test_admission_reference.ReferencePass,
which equals today's cold `Admission.admitted`), whatever the cut points, and no more work is done than a pass that
never stopped."""

from __future__ import annotations

import functools
import itertools
import random
import re
import struct
import zlib
from collections.abc import Callable

import pytest

from functions.shared import concurrency
from functions.shared import world as wm
from functions.shared.concurrency import Admission, MissingVerdicts
from functions.shared.world import World
from tests.functions import busy_day
from tests.functions.busy_day import BATCH, TICK_MS
from tests.functions.test_admission_reference import ReferencePass

DAY_START = concurrency.pass_start(busy_day.DAY_MS // wm.SLOT_MS + 12 * 60)
"""2026-11-26 10:00 UTC: the admission day the windows below reach into."""
DAY_START_MS = DAY_START * wm.SLOT_MS


def fresh_world() -> World:
    """busy_day's world, built anew (a new container's)."""
    return World(busy_day.world().seed, busy_day.dims(), BATCH)


@functools.cache
def _reference_day(day: int) -> dict[int, bytes]:
    world = busy_day.world()
    reference = ReferencePass(world)
    for slot in range(day - concurrency.lookback_slots(world), day):
        reference.judge(slot, played_only=False)
    return {slot: reference.judge(slot, played_only=True) for slot in range(day, day + concurrency.DAY_SLOTS)}


def truth(slot: int) -> bytes:
    """A slot's verdicts by its day's whole pass, judged with the readable definitions."""
    return _reference_day(concurrency.pass_start(slot))[slot]


def window(start_ms: int, end_ms: int | None = None) -> range:
    """The slots a window starting at `start_ms` (a tick of five minutes unless `end_ms`) reads."""
    return busy_day.world().slot_range(start_ms, start_ms + TICK_MS if end_ms is None else end_ms)


def assert_true_verdicts(admission: Admission, slots: range) -> None:
    wrong = [slot for slot in slots if admission.verdicts.get(slot) != truth(slot)]
    assert not wrong, f"slots {wrong[:5]}... of {slots}"


def after(slots: int) -> Callable[[], bool]:
    """A deadline that passes when asked after `slots` answers of no (it is asked before every slot but the first)."""
    asked = iter(range(slots))
    return lambda: next(asked, None) is None


def carried(admission: Admission) -> Admission:
    """The admission's pass snapshot to bytes and restored in a new process's Admission of a new World."""
    restored = Admission(fresh_world())
    restored.restore(bytes(admission.snapshot()))
    assert restored.position == admission.position
    return restored


# prepare, position, the next day's look-back


def test_a_window_reaching_back_into_the_previous_day_is_prepared_by_each_days_pass() -> None:
    """The window 10:00-10:05 reads slots from hours before 10:00 (its writer's look-back): those are the previous
    day's pass's. A cold prepare runs that day from its look-back and on across 10:00, where the next day's look-back
    state, taken in on the way, becomes the pass's: no second look-back is run."""
    admission = Admission(fresh_world())
    assert admission.position is None
    slots = window(DAY_START_MS)
    assert slots.start < DAY_START < slots.stop
    assert admission.prepare(slots.start, slots.stop)
    assert_true_verdicts(admission, slots)
    assert admission.position == slots.stop
    previous = DAY_START - concurrency.DAY_SLOTS
    assert admission.judged == admission.lookback + slots.stop - previous


def test_ticks_across_the_days_start_judge_only_their_new_slots() -> None:
    """Tick by tick from 09:40 to 10:20 the pass judges each tick's five new slots, 10:00 included."""
    admission = Admission(fresh_world())
    first = window(DAY_START_MS - 4 * TICK_MS)
    assert admission.prepare(first.start, first.stop)
    for k in range(-3, 4):
        slots = window(DAY_START_MS + k * TICK_MS)
        judged = admission.judged
        assert admission.prepare(slots.start, slots.stop)
        assert admission.judged - judged == 5, k
        assert_true_verdicts(admission, slots)


def test_a_deadline_stops_the_pass_between_slots_and_the_next_prepare_goes_on() -> None:
    """Stopped every 200 slots (in the previous day's look-back, within that day, across 10:00), the pass goes on
    where it stopped: the same verdicts and the same slots judged as a pass that never stopped."""
    slots = window(DAY_START_MS + 3 * TICK_MS)
    admission = Admission(fresh_world())
    positions = []
    while not admission.prepare(slots.start, slots.stop, after(199)):
        positions.append(admission.position)
    assert positions[0] == DAY_START - concurrency.DAY_SLOTS - admission.lookback + 200  # within the look-back
    assert [b - a for a, b in itertools.pairwise(positions)] == [200] * (len(positions) - 1)
    assert_true_verdicts(admission, slots)
    whole = Admission(fresh_world())
    assert whole.prepare(slots.start, slots.stop)
    assert admission.judged == whole.judged and admission.position == whole.position


def test_a_slot_the_pass_has_gone_by_and_no_longer_holds_is_judged_by_its_day_again() -> None:
    admission = Admission(fresh_world())
    slots = window(DAY_START_MS + 12 * TICK_MS)
    assert admission.prepare(slots.start, slots.stop)
    gone = slots.start + 3
    del admission.verdicts[gone]
    assert admission.admitted(gone) == truth(gone)
    assert admission.position == gone + 1


def test_a_world_too_dense_for_the_rule_needs_no_pass() -> None:
    dense = World(3, busy_day.dims(), 200)
    assert not dense.exclusive
    admission = Admission(dense)
    assert admission.prepare(DAY_START - 400, DAY_START + 5, after(0))
    assert admission.position is None and admission.judged == 0
    restored = Admission(World(3, busy_day.dims(), 200))
    restored.restore(admission.snapshot())
    assert restored.position is None and set(restored.admitted(DAY_START)) == {1}
    with pytest.raises(ValueError, match=re.escape("another world: seed 3 (this world's 2026), batch_size 200")):
        Admission(fresh_world()).restore(admission.snapshot())


# snapshot and restore: cut points through bytes into a fresh World


def test_a_bootstrap_chain_of_fresh_processes_reaches_the_window_and_its_ticks_go_on_from_there() -> None:
    """A coordinator with no state, given 250 slots per invocation, snapshots and hands on to a new process (a new
    World) until the window is prepared: cut points in the previous day's look-back (where no verdict is kept), within
    that day and within the next day's look-back (two states carried). The ticks after it, each a new process
    restoring the last one's snapshot, judge only their five new slots."""
    slots = window(DAY_START_MS + 2 * TICK_MS)
    data, positions, hops = None, [], 0
    while True:
        admission = Admission(fresh_world())
        if data is not None:
            admission.restore(data)
        done = admission.prepare(slots.start, slots.stop, after(249))
        data = admission.snapshot()
        hops += 1
        if done:
            break
        positions.append(admission.position)
    previous = DAY_START - concurrency.DAY_SLOTS
    assert positions[0] < previous < positions[1]  # cut in the look-back, then within the previous day
    assert any(DAY_START - admission.lookback < p < DAY_START for p in positions)  # and within the next look-back
    assert hops == -(-(admission.lookback + slots.stop - previous) // 250)
    assert_true_verdicts(admission, slots)
    for k in range(3, 6):
        admission = Admission(fresh_world())
        admission.restore(data)
        slots = window(DAY_START_MS + k * TICK_MS)
        assert admission.prepare(slots.start, slots.stop)
        assert admission.judged == 5
        assert_true_verdicts(admission, slots)
        data = admission.snapshot()


CUTS = sorted({*random.Random(15).sample(range(-33, 33), 6), -2, -1, 0, 1})
"""Ticks after whose window the pass moves to a new process: six at random between 07:15 and 12:45 UTC, and those
just before and after 10:00 (ticks -1 and 0 are 09:55-10:00 and 10:00-10:05)."""


def test_at_any_cut_point_a_restored_pass_judges_the_ticks_as_one_pass_that_never_stopped() -> None:
    """Ticks from 07:10 to 12:50, the pass moved to a new process after the ticks of CUTS and, within the tick after
    each, stopped by a deadline part way and moved again: every tick's verdicts are the whole pass's, and the pass
    judges exactly the slots one pass that never stopped judges."""
    first = window(DAY_START_MS - 34 * TICK_MS)
    admission = Admission(fresh_world())
    assert admission.prepare(first.start, first.stop)
    judged = 0
    rng = random.Random(16)
    for k in range(-33, 34):
        slots = window(DAY_START_MS + k * TICK_MS)
        if k - 1 in CUTS:
            while not admission.prepare(slots.start, slots.stop, after(rng.randrange(4))):
                judged += admission.judged
                admission = carried(admission)
        elif not admission.prepare(slots.start, slots.stop):
            raise AssertionError(k)
        assert_true_verdicts(admission, slots)
        if k in CUTS:
            judged += admission.judged
            admission = carried(admission)
    judged += admission.judged
    whole = Admission(fresh_world())
    assert whole.prepare(first.start, slots.stop)
    assert judged == whole.judged
    # Not vacuous: the rule refuses candidates in these ticks, on both sides of 10:00.
    for part in (range(first.start, DAY_START), range(DAY_START, slots.stop)):
        assert sum(truth(slot).count(0) for slot in part) > 5


def test_continued_sittings_are_judged_alike_by_a_pass_carried_through_the_day() -> None:
    """Through an admission day's afternoon and evening, the pass moved to a new process every 47 minutes (and at
    the next day's look-back) judges every slot as the whole day's pass: the continuations it carries (a later
    sitting of a series going on where its household left off, a verdict above 1) included."""
    admission = Admission(fresh_world())
    stop = DAY_START + concurrency.DAY_SLOTS - concurrency.lookback_slots(admission.world) + 3
    lo = DAY_START + 150
    continued = 0
    for cut in [*range(DAY_START + 200, stop, 47), stop]:
        assert admission.prepare(lo, cut)
        assert_true_verdicts(admission, range(lo, cut))
        continued += sum(max(admission.verdicts[slot], default=0) > 1 for slot in range(lo, cut))
        admission = carried(admission)
        lo = cut
    assert continued > 5


def test_a_snapshot_holds_the_pruned_state_and_the_verdicts_a_later_window_reads() -> None:
    """After a tick the snapshot holds the running households only (the pass pruned to its position), the verdicts
    of verdict_span slots before the position and none other: enough for an hour's window that starts up to an hour
    before the position, which then judges nothing. Restored and snapshot again, it is the same bytes."""
    admission = Admission(fresh_world())
    slots = window(DAY_START_MS + 30 * TICK_MS)
    assert admission.prepare(slots.start - 600, slots.stop)
    assert len(admission.verdicts) > concurrency.verdict_span(admission.world) + 500
    data = admission.snapshot()
    restored = carried(admission)
    span = concurrency.verdict_span(restored.world)
    assert sorted(restored.verdicts) == list(range(slots.stop - span, slots.stop))
    assert restored.state_size() == admission.state_size()
    assert restored.continuations == admission.continuations > 0
    oldest = slots.stop - concurrency.CONTINUE_WITHIN_SLOTS
    assert all(value & 0xFFFFFFFF >= oldest for value in restored._cont.values())
    now = slots.stop * wm.SLOT_MS
    assert all(until > now for until in restored._device.values())
    assert all(max(top) > now for top in restored._household.values())
    assert restored.snapshot() == data
    hour = window(slots.stop * wm.SLOT_MS - 3_600_000, slots.stop * wm.SLOT_MS)
    assert hour.stop == slots.stop and restored.prepare(hour.start, hour.stop) and restored.judged == 0


def _reversion(data: bytes) -> bytes:
    return data[:8] + struct.pack("<H", concurrency.FORMAT_VERSION + 1) + data[10:]


def _flip_body_byte(data: bytes) -> bytes:
    return data[:-3] + bytes([data[-3] ^ 0x40]) + data[-2:]


def _other_seed(data: bytes) -> bytes:
    other = Admission(World(7, busy_day.dims(), BATCH))
    assert other.prepare(DAY_START, DAY_START + 3)
    return other.snapshot()


def _other_batch_size(data: bytes) -> bytes:
    return Admission(World(busy_day.world().seed, busy_day.dims(), BATCH + 1)).snapshot()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda data: b"PARQUET1" + data[8:], "not an admission snapshot: magic b'PARQUET1'"),
        (_reversion, f"format version {concurrency.FORMAT_VERSION + 1}, this code reads {concurrency.FORMAT_VERSION}"),
        (_other_seed, "of another world: seed 7 (this world's 2026)"),
        (_other_batch_size, f"of another world: batch_size {BATCH + 1} (this world's {BATCH})"),
        (_flip_body_byte, "checksum mismatch"),
        (lambda data: data[:-100], "truncated: its header says"),
        (lambda data: data[:30], "truncated: 30 bytes, shorter than its"),
        (lambda data: b"", "truncated: 0 bytes"),
    ],
    ids=["bad-magic", "other-version", "other-seed", "other-batch-size", "checksum", "cut-body", "cut-header", "empty"],
)
def test_restore_refuses_what_is_not_this_worlds_snapshot_and_changes_nothing(
    spoil: Callable[[bytes], bytes], reason: str
) -> None:
    source = Admission(fresh_world())
    assert source.prepare(DAY_START + 60, DAY_START + 65)
    target = Admission(fresh_world())
    assert target.prepare(DAY_START + 20, DAY_START + 25)
    before = target.snapshot()
    with pytest.raises(ValueError, match=re.escape(reason)):
        target.restore(spoil(source.snapshot()))
    assert target.position == DAY_START + 25 and target.snapshot() == before


def test_a_snapshot_of_no_pass_restores_to_no_pass() -> None:
    admission = Admission(fresh_world())
    restored = carried(admission)
    assert restored.position is None and not restored.verdicts


def test_the_snapshot_body_is_compressed_when_it_pays() -> None:
    admission = Admission(fresh_world())
    assert admission.prepare(DAY_START, DAY_START + 600)
    data = admission.snapshot()
    fixed = struct.calcsize("<8sHH6Q16sq") + struct.calcsize("<QQI")
    stored, raw, _ = struct.unpack_from("<QQI", data, fixed - struct.calcsize("<QQI"))
    assert stored == len(data) - fixed < raw and len(zlib.decompress(data[fixed:])) == raw


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 64, 1001])
def test_verdicts_pack_to_bits_and_back(count: int) -> None:
    rng = random.Random(count)
    flags = bytes(rng.randrange(2) for _ in range(count))
    packed = concurrency.pack_bits(flags)
    assert len(packed) == (count + 7) // 8 and concurrency.unpack_bits(packed, count) == flags
    if count % 8:
        with pytest.raises(ValueError, match="bits set beyond"):
            concurrency.unpack_bits(packed[:-1] + b"\xff", count)
    with pytest.raises(ValueError, match="take"):
        concurrency.unpack_bits(packed + b"\x00", count)
    verdicts = bytes(rng.choice((0, 1, 1, 2, 1 + concurrency.MAX_FURTHER)) for _ in range(count))
    bits, steps = concurrency.pack_verdicts(verdicts)
    assert concurrency.unpack_verdicts(bits, steps, count) == verdicts and len(steps) == count - verdicts.count(0)
    with pytest.raises(ValueError, match="episodes-further bytes"):
        concurrency.unpack_verdicts(bits, steps + b"\x00", count)


# supply and strict mode: a shard runs no pass


def test_a_shard_supplied_its_slots_verdicts_runs_no_pass_and_refuses_the_others() -> None:
    """A coordinator prepares the window; shard 1 of 3 is supplied its slots (slot_range's slots = 1 mod 3) and reads
    them without judging anything; a slot it was not given raises MissingVerdicts naming it, not an hour's pass."""
    coordinator = Admission(fresh_world())
    slots = window(DAY_START_MS + 40 * TICK_MS)
    assert coordinator.prepare(slots.start, slots.stop)
    mine = range(slots.start + (1 - slots.start) % 3, slots.stop, 3)
    shard = Admission(fresh_world())
    shard.supply({slot: coordinator.verdicts[slot] for slot in mine})
    assert shard.strict and [shard.admitted(slot) for slot in mine] == [truth(slot) for slot in mine]
    assert shard.judged == 0 and shard.position is None
    other = mine.start + 1
    with pytest.raises(MissingVerdicts, match=f"slot {other}: its verdicts were neither supplied nor judged here"):
        shard.admitted(other)
    assert issubclass(MissingVerdicts, LookupError) and shard.judged == 0


def test_a_strict_admission_runs_no_pass_but_prepare_does() -> None:
    admission = Admission(fresh_world(), strict=True)
    with pytest.raises(MissingVerdicts, match=f"slot {DAY_START}"):
        admission.admitted(DAY_START)
    assert admission.prepare(DAY_START, DAY_START + 1) and admission.admitted(DAY_START) == truth(DAY_START)
    assert not Admission(fresh_world()).strict


def test_a_strict_admission_of_a_world_too_dense_for_the_rule_plays_every_candidate() -> None:
    dense = World(3, busy_day.dims(), 200)
    verdicts = Admission(dense, strict=True).admitted(DAY_START)
    assert verdicts and set(verdicts) == {1} and len(verdicts) == dense.slot_count(DAY_START)


def _slot_with_candidates() -> int:
    return next(slot for slot in range(DAY_START + 1, DAY_START + 600) if busy_day.world().slot_count(slot))


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (lambda n: b"\x01" * (n + 1), "must hold one byte per candidate"),
        (lambda n: b"\x02" * (n - 1), "must hold one byte per candidate"),
        (lambda n: "1" * n, "must be bytes"),
    ],
    ids=["too-many", "too-few", "not-bytes"],
)
def test_supply_refuses_verdicts_that_are_not_a_slots_and_holds_nothing(
    flags: Callable[[int], bytes], reason: str
) -> None:
    slot = _slot_with_candidates()
    admission = Admission(fresh_world())
    good = {slot - 1: truth(slot - 1)}
    with pytest.raises(ValueError, match=f"verdicts of slot {slot} {reason}"):
        admission.supply({**good, slot: flags(busy_day.world().slot_count(slot))})
    assert not admission.verdicts and not admission.strict
