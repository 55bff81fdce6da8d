"""The admission pass prepared window by window, checkpointed to bytes and carried on in another process: every
verdict equals the readable definitions' pass of its own admission day (test_admission_reference.ReferencePass,
which equals today's cold `Admission.admitted`), whatever the cut points, and no more work is done than a pass that
never stopped."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

import pytest

from functions.shared import concurrency
from functions.shared import world as wm
from functions.shared.concurrency import Admission
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
