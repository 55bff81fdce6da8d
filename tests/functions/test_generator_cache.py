"""The generator's window cache: warm windows give byte for byte what cold ones do, and the cache stays bounded."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.generator import events
from functions.generator.events import (
    WindowCacheSize,
    clear_window_cache,
    epoch_ms,
    window_cache_size,
    window_events,
    window_records,
)
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World, world_key

DAY_MS = epoch_ms(dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
TICK_MS = 300_000
HOUR_MS = 3_600_000
PRIME_TIME_MS = DAY_MS + 19 * HOUR_MS

Window = tuple[World, int, int, int, int]
"""(world, start_ms, end_ms, shard, shards): one request."""


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=300, titles=200, delivery=False)  # its ads are pinned too


@pytest.fixture(scope="module")
def world(dims: Dimensions) -> World:
    return World(2026, dims, 40)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    clear_window_cache()
    yield
    clear_window_cache()


def ticks(world: World, start_ms: int, count: int, shards: int = 1) -> list[Window]:
    """`count` consecutive 5-minute ticks of a world from start_ms, each whole or as all its shards in turn."""
    return [
        (world, start_ms + i * TICK_MS, start_ms + (i + 1) * TICK_MS, shard, shards)
        for i in range(count)
        for shard in range(shards)
    ]


def run(
    make: Callable, windows: list[Window], *, cold: bool, check: Callable[[WindowCacheSize], bool] | None = None
) -> list[bytes]:
    """Each window's output as exact bytes (repr keeps key order and float text): the cache cleared before each
    window if `cold`, else left warm from one to the next and its size `check`ed after each."""
    out = []
    for world, start, end, shard, shards in windows:
        if cold:
            clear_window_cache()
        out.append(repr(make(world, start, end, shard=shard, shards=shards)).encode())
        assert cold or check is None or check(window_cache_size()), window_cache_size()
    return out


def warm_and_cold(
    make: Callable, windows: list[Window], check: Callable[[WindowCacheSize], bool] | None = None
) -> tuple[list[bytes], list[bytes]]:
    """The windows' outputs made in turn on a warm cache (from empty), then each from an empty one."""
    clear_window_cache()
    return run(make, windows, cold=False, check=check), run(make, windows, cold=True)


@pytest.mark.parametrize("make", [window_records, window_events], ids=["records", "events"])
def test_consecutive_ticks_over_hours_with_a_warm_cache_equal_cold_runs(make: Callable, world: World) -> None:
    warm, cold = warm_and_cold(make, ticks(world, PRIME_TIME_MS - 2 * HOUR_MS, 48))  # 17-21 h UTC, the peak
    assert warm == cold
    assert sum(map(len, warm)) > 1_000_000  # over a megabyte of output: not a comparison of empty windows


def test_consecutive_ticks_of_a_dense_world_with_a_warm_cache_equal_cold_runs(dims: Dimensions) -> None:
    dense = World(11, dims, 600)  # many sessions per slot: events land in every part of the window
    warm, cold = warm_and_cold(window_records, ticks(dense, PRIME_TIME_MS, 12))
    assert warm == cold


def test_a_warm_tick_scans_only_the_slots_no_earlier_tick_did(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[int] = []
    scan = events._scan_slot

    def counting(writer: events._WindowWriter, slot: int, *args: object) -> object:
        scanned.append(slot)
        return scan(writer, slot, *args)

    monkeypatch.setattr(events, "_scan_slot", counting)
    windows = ticks(world, PRIME_TIME_MS, 6)
    run(window_records, windows[:1], cold=False)
    assert len(scanned) == len(world.slot_range(PRIME_TIME_MS, PRIME_TIME_MS + TICK_MS))
    for window in windows[1:]:
        scanned.clear()
        run(window_records, [window], cold=False)
        end = window[2]
        assert scanned == list(range((end - TICK_MS) // 60_000, end // 60_000))  # its five new minutes


def test_outputs_equal_the_pinned_digests_of_this_world_model_warm_and_cold(world: World) -> None:
    """Digests of these windows, pinned when the world model last changed on purpose (docs/audience.md): the
    cache changes no output, and any change to the model shows here and is re-pinned deliberately."""
    expected = {
        "records": "8e30ad46d67a190dd5f9817aff9f07514bf73eba5ec10ac6770e983185c6effa",
        "events": "8eaf118c13b6cb96007a083408cdea17335d940cd2997be907d362cde11a43f4",
        "shards": "ea7f1c263d35b8de5b65dc41b651fb3355cadd2a3535807a773b2acd97c459ae",
    }
    for name, make, windows in (
        ("records", window_records, ticks(world, PRIME_TIME_MS, 12)),
        ("events", window_events, ticks(world, PRIME_TIME_MS, 12)),
        ("shards", window_records, ticks(world, PRIME_TIME_MS, 12, shards=3)),
    ):
        for outputs in warm_and_cold(make, windows):
            assert hashlib.sha256(b"".join(outputs)).hexdigest() == expected[name], name


def test_a_replayed_older_tick_after_newer_ones_equals_its_cold_result_and_leaves_the_cache_intact(
    world: World,
) -> None:
    windows = ticks(world, PRIME_TIME_MS, 10)
    sequence = [*windows[:9], windows[8], windows[2], windows[8], windows[0], *windows[9:]]
    look_back = len(world.slot_range(PRIME_TIME_MS, PRIME_TIME_MS + TICK_MS))
    warm, cold = warm_and_cold(window_records, sequence, lambda size: size.slots <= look_back)  # old slots not kept
    assert warm == cold
    assert warm[9] == warm[8] and warm[11] == warm[8]  # a retried tick repeats its records


def test_sharded_ticks_equal_their_cold_results_and_together_the_whole_window(world: World) -> None:
    for shards in (2, 3):
        warm, cold = warm_and_cold(window_events, ticks(world, PRIME_TIME_MS, 8, shards))
        assert warm == cold
    # One shard's ticks served alone, then the other shards': each continues from its own slots' last tick.
    windows = ticks(world, PRIME_TIME_MS, 8, shards=3)
    warm, cold = warm_and_cold(window_records, windows[1::3] + windows[0::3] + windows[2::3])
    assert warm == cold
    for start in range(PRIME_TIME_MS, PRIME_TIME_MS + 8 * TICK_MS, TICK_MS):
        whole = window_events(world, start, start + TICK_MS)
        parts = [ev for shard in range(3) for ev in window_events(world, start, start + TICK_MS, shard=shard, shards=3)]
        assert sorted(map(repr, parts)) == sorted(map(repr, whole))


def test_windows_that_jump_forward_overlap_go_back_or_are_empty_equal_their_cold_results(world: World) -> None:
    t, later = PRIME_TIME_MS, PRIME_TIME_MS + 5 * HOUR_MS
    windows = [
        (world, t, t + TICK_MS, 0, 1),
        (world, t + TICK_MS, t + 2 * TICK_MS, 0, 1),
        (world, later, later + TICK_MS, 0, 1),  # five hours ahead: the whole look-back is new
        (world, later + 123_456, later + 1_000_000, 0, 1),  # overlaps the last, off the minute
        (world, later + 1_000_000, later + 1_000_000, 0, 1),  # empty
        (world, later + 1_000_000, later + 1_000_000 + HOUR_MS, 0, 1),  # an hour, from the empty one
        (world, t + 4 * HOUR_MS, t + 4 * HOUR_MS + TICK_MS, 0, 1),  # back an hour and more
        (world, t - 24 * HOUR_MS, t - 24 * HOUR_MS + TICK_MS, 0, 1),  # back a day
        (world, later + 4_600_000, later + 4_900_000, 0, 1),  # on from the latest again
        (world, t + 30 * HOUR_MS + 59_999, t + 30 * HOUR_MS + 60_001, 0, 1),  # two milliseconds across a minute
    ]
    for make in (window_records, window_events):
        warm, cold = warm_and_cold(make, windows)
        assert warm == cold


def test_interleaved_worlds_never_mix_even_of_one_seed(dims: Dimensions, world: World) -> None:
    # Another seed; the same seed at another batch size (10 % more: enough to change some slot's start count); an equal
    # World that is another object.
    worlds = [world, World(7, dims, 40), World(2026, dims, 44), World(2026, dims, 40)]
    each = [ticks(w, PRIME_TIME_MS, 6) for w in worlds]
    windows = [tick for same_time in zip(*each, strict=True) for tick in same_time]
    warm, cold = warm_and_cold(window_records, windows, lambda size: size.worlds <= len(worlds))
    assert warm == cold
    own = [warm[i :: len(worlds)] for i in range(len(worlds))]  # each world's ticks
    assert own[0] != own[1] and own[0] != own[2] and own[0] == own[3]


def test_a_world_given_another_seed_in_place_uses_none_of_its_old_entries(dims: Dimensions) -> None:
    changing = World(2026, dims, 40)
    before = ticks(changing, PRIME_TIME_MS, 3)
    run(window_records, before, cold=False)
    changing.__init__(7, dims, 40)  # type: ignore[misc]  # the same object, now another world
    assert changing.key == world_key(7)
    assert run(window_records, ticks(changing, PRIME_TIME_MS + 3 * TICK_MS, 3), cold=False) == run(
        window_records, ticks(World(7, dims, 40), PRIME_TIME_MS + 3 * TICK_MS, 3), cold=True
    )


def test_at_most_the_bounded_number_of_worlds_is_cached_and_a_dropped_world_starts_over(dims: Dimensions) -> None:
    each = [ticks(World(seed, dims, 20), PRIME_TIME_MS, 3) for seed in range(events._MAX_CACHED_WORLDS + 2)]
    windows = [tick for same_time in zip(*each, strict=True) for tick in same_time]
    warm, cold = warm_and_cold(window_events, windows, lambda size: size.worlds <= events._MAX_CACHED_WORLDS)
    assert warm == cold


def test_over_a_simulated_day_of_ticks_the_cache_holds_one_look_back_and_only_sessions_still_going(
    world: World,
) -> None:
    look_back = len(world.slot_range(DAY_MS, DAY_MS + TICK_MS))
    sizes = []
    for _, start, end, _, _ in ticks(world, DAY_MS, 288):
        window_records(world, start, end)
        size = window_cache_size()
        assert size.worlds == 1 and size.slots <= look_back
        assert size.sessions <= sum(world.slot_count(s) for s in world.slot_range(start, end)) // 2
        sizes.append(size)
    assert sizes[-1].slots == look_back
    assert sizes[-1].sessions <= 2 * sizes[0].sessions  # a day on, about what it held at first: nothing piles up
    assert max(s.sessions for s in sizes) <= events._MAX_CACHED_SESSIONS


@pytest.mark.parametrize("bound", [0, 40, 150])
def test_a_session_bound_below_the_steady_state_holds_every_tick_and_changes_no_output(
    world: World, bound: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "_MAX_CACHED_SESSIONS", bound)
    warm, cold = warm_and_cold(
        window_records, ticks(world, DAY_MS + 17 * HOUR_MS, 36), lambda size: size.sessions <= bound
    )
    assert warm == cold


def test_a_slot_bound_holds_and_changes_no_output(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_MAX_CACHED_SLOTS", 50)
    warm, cold = warm_and_cold(window_events, ticks(world, PRIME_TIME_MS, 12), lambda size: size.slots <= 50)
    assert warm == cold


_STEP = st.tuples(
    st.sampled_from(["next", "gap", "back", "repeat"]),
    st.integers(0, 6 * HOUR_MS),
    st.integers(0, HOUR_MS),
    st.sampled_from([1, 1, 2, 3]),
    st.integers(0, 2),
    st.booleans(),
)
"""How a window follows the last: straight on, after a gap, before it, the same again; by how much (ms); how long
it lasts (ms); into how many shards it is cut and which one is asked for; and whether of the other world."""


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(_STEP, min_size=1, max_size=8), as_records=st.booleans())
def test_any_sequence_of_windows_of_two_worlds_equals_cold_runs_window_by_window(
    dims: Dimensions, world: World, steps: list, as_records: bool
) -> None:
    other = World(99, dims, 40)
    windows: list[Window] = []
    start, end = PRIME_TIME_MS, PRIME_TIME_MS
    for how, move, length, shards, shard, of_other in steps:
        if how == "next":
            start = end
        elif how == "gap":
            start = end + move
        elif how == "back":
            start = max(0, start - move)
        if how != "repeat":
            end = start + length
        windows.append((other if of_other else world, start, end, shard % shards, shards))
    warm, cold = warm_and_cold(window_records if as_records else window_events, windows)
    assert warm == cold


def _where(story: events._Story) -> set[str]:
    """Where a suspended story stopped: in a binge chain's later link, inside an ad break, before a play's start."""
    found = set()
    while story is not None:
        name = story.gi_code.co_name
        if name == "_chain" and "lk" in story.gi_frame.f_locals:
            found.add("later link")
        elif name == "_ad_break":
            found.add("ad break")
        elif name == "_write_unstarted":
            found.add("unstarted")
        story = story.gi_yieldfrom
    return found


def _resumed_kinds(world: World, windows: list[Window], make: Callable = window_records) -> dict[str, int]:
    """Run the windows warm and count the stories each resumed: by where they had stopped, and how many were
    resumed in a third window or later (kept across two tick boundaries or more)."""
    counts = dict.fromkeys(("later link", "ad break", "unstarted", "third window"), 0)
    resumes: dict[int, int] = {}
    kept: list[tuple[events._Story, int, set[str]]] = []
    for w, start, end, shard, shards in windows:
        for story, next_ms, where in kept:
            if next_ms < end:  # due in this window: the warm tick resumes it
                resumes[id(story)] = resumes.get(id(story), 0) + 1
                counts["third window"] += resumes[id(story)] == 2
                for kind in where:
                    counts[kind] += 1
        make(w, start, end, shard=shard, shards=shards)
        kept = [
            (story, at, _where(story))
            for cached in events._CACHE.worlds.values()
            for entry in cached.slots.values()
            for story, at in zip(entry.stories, entry.next_ms, strict=True)
            if story is not None
        ]
    return counts


def test_sessions_resumed_mid_ad_break_mid_chain_and_across_tick_boundaries_equal_cold_runs(world: World) -> None:
    windows = ticks(world, PRIME_TIME_MS - HOUR_MS, 24)
    warm, cold = warm_and_cold(window_records, windows)
    assert warm == cold
    clear_window_cache()
    counts = _resumed_kinds(world, windows)
    # The warm run did resume each kind of stopped story (else the equality above would prove less than it says).
    assert counts["ad break"] > 0 and counts["later link"] > 0 and counts["third window"] > 0, counts


def test_sessions_resumed_in_windows_of_other_lengths_and_after_gaps_equal_cold_runs(world: World) -> None:
    t = PRIME_TIME_MS
    lengths = [60_000, 1, 299_999, 7 * 60_000 + 3, 0, 45 * 60_000, 1_000, 2 * HOUR_MS]
    windows: list[Window] = []
    for i, length in enumerate(lengths):
        t += 17_000 if i % 3 == 2 else 0  # now and then a gap: stories resume past events no window asked for
        windows.append((world, t, t + length, 0, 1))
        t += length
    for make in (window_records, window_events):
        warm, cold = warm_and_cold(make, windows)
        assert warm == cold


def test_a_story_started_as_records_and_resumed_as_event_dicts_equals_cold_runs(world: World) -> None:
    windows = ticks(world, PRIME_TIME_MS, 8)
    makes = [window_records if i % 2 else window_events for i in range(len(windows))]
    warm = [repr(make(w, s, e)).encode() for make, (w, s, e, _, _) in zip(makes, windows, strict=True)]
    cold = []
    for make, (w, s, e, _, _) in zip(makes, windows, strict=True):
        clear_window_cache()
        cold.append(repr(make(w, s, e)).encode())
    assert warm == cold


@pytest.mark.parametrize("bound", [0, 5, 12])
def test_a_story_bound_below_the_steady_state_holds_every_tick_and_changes_no_output(
    world: World, bound: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "_MAX_CACHED_STORIES", bound)
    sizes: list[WindowCacheSize] = []
    warm, cold = warm_and_cold(
        window_records, ticks(world, PRIME_TIME_MS, 24), lambda size: sizes.append(size) or size.stories <= bound
    )
    assert warm == cold
    assert max(size.sessions for size in sizes) > bound  # the bound left some sessions without their story


def test_a_window_that_fails_midway_drops_the_worlds_stories_and_later_windows_equal_cold_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows = ticks(world, PRIME_TIME_MS, 6)
    run(window_records, windows[:3], cold=False)
    assert window_cache_size().stories > 0
    write, calls = events._SessionWriter.write, []

    def failing(self: events._SessionWriter, *args: object) -> None:
        calls.append(1)
        if len(calls) == 10:
            raise MemoryError("the container ran out midway")
        write(self, *args)

    monkeypatch.setattr(events._SessionWriter, "write", failing)
    with pytest.raises(MemoryError):
        window_records(world, *windows[3][1:3])
    assert window_cache_size().worlds == 0  # its half-written stories are not resumed
    monkeypatch.setattr(events._SessionWriter, "write", write)
    warm = run(window_records, windows[3:], cold=False)
    assert warm == run(window_records, windows[3:], cold=True)
