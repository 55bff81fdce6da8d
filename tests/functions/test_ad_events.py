"""Ad breaks in the world's sessions: their volume, their bounds, and the compiled deal equal to the Python one."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import random

import numpy as np
import pytest

from functions.generator import events as generator
from functions.generator.events import clear_window_cache, window_events
from functions.shared import ads, domains
from functions.shared import world as wm
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, generate_dimensions
from functions.shared.world import World
from tests.functions.invariants import check_events

DAY_MS = 86_400_000
FIRST_MS = generator.epoch_ms(dt.datetime(2026, 11, 2, tzinfo=dt.UTC))


@functools.cache
def dims() -> Dimensions:
    """The default world's tables: 1,000 customers and the default campaigns table."""
    return generate_dimensions(DEFAULT_DIMENSION_SEED, customers=1000, titles=500, delivery=False)


@functools.cache
def three_days() -> list[dict]:
    return window_events(World(1, dims(), 25), FIRST_MS, FIRST_MS + 3 * DAY_MS)


def test_ad_events_per_session_are_what_batch_size_counts_for_them() -> None:
    """world.AD_EVENTS_PER_SESSION (in EVENTS_PER_SESSION, so in batchSize and the cost model) is the default
    world's mean, and a day then carries batchSize events per 5 minutes with its ads."""
    events = three_days()
    kinds = collections.Counter(e["event_type"] for e in events)
    attempts = kinds["start"] + kinds["start_failed"] + kinds["exit_before_start"]
    per_session = (kinds["ad_start"] + kinds["ad_complete"]) / attempts
    assert per_session == pytest.approx(wm.AD_EVENTS_PER_SESSION, rel=0.15)
    # households.ADMITTED_SHARES predates the ads (an ad-tier play holds its device longer): 21.4 here (docs/ads.md)
    assert len(events) / (3 * 288) == pytest.approx(25, rel=0.2)
    assert kinds["ad_start"] > 3000


def test_the_default_worlds_events_keep_every_invariant_with_their_ads() -> None:
    check_events(three_days(), dims())


def test_no_session_with_ads_lasts_longer_than_the_look_back_and_a_longer_one_finds_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(1, dims(), 300)
    start = FIRST_MS + 20 * 3_600_000
    clear_window_cache()
    events = window_events(world, start, start + 300_000)
    assert any(e["event_type"] == "ad_start" for e in events)
    longer = World(1, dims(), 300)
    monkeypatch.setattr(longer, "max_session_ms", 2 * world.max_session_ms)
    clear_window_cache()
    assert window_events(longer, start, start + 300_000) == events
    spans: dict[str, list[int]] = collections.defaultdict(list)
    for ev in three_days():
        spans[ev["session_id"]].append(generator.epoch_ms(dt.datetime.fromisoformat(ev["event_timestamp"])))
    assert max(max(t) - min(t) for t in spans.values()) <= world.max_session_ms


def test_a_tick_warm_from_the_one_before_equals_a_cold_scan_of_it() -> None:
    """The generator's cache bounds (a break lies between two events) never hide an ad event."""
    world = World(1, dims(), 300)
    start = FIRST_MS + 19 * 3_600_000
    clear_window_cache()
    warm = [window_events(world, start + i * 300_000, start + (i + 1) * 300_000) for i in range(12)]
    cold = []
    for i in range(12):
        clear_window_cache()
        cold.append(window_events(world, start + i * 300_000, start + (i + 1) * 300_000))
    assert warm == cold
    assert sum(e["event_type"] == "ad_complete" for tick in warm for e in tick) > 50


def test_the_compiled_deal_shows_the_pods_the_python_book_shows() -> None:
    from lakewriter.backfill import kernel, model

    catalog = model.Catalog.from_dimensions(dims())
    book, homes = catalog.ad_book, catalog.households
    python_book = ads.Book(dims().campaigns, dims().customers)  # the definition
    rng = random.Random(5)
    first_day = FIRST_MS // DAY_MS
    drawn = [rng.randrange(len(dims().customers)) for _ in range(3000)]
    houses = homes.rows(np.array(drawn, dtype=np.int64)).tolist()  # each household's row, made as drawn
    ranks = homes.ranks(first_day, first_day + 1)
    pod = np.zeros(ads.MAX_POD, dtype=np.int64)
    shown = 0
    for customer, house in zip(drawn, houses, strict=True):
        position = rng.randrange(len(ads.POSITIONS))
        at = FIRST_MS + rng.randrange(2 * DAY_MS)
        got = kernel.break_pod(
            np.uint64(77), customer, house, position, at, homes.fit_at, homes.fit, book.first_day, book.last_day,
            homes.zone, ranks, first_day, pod,
        )  # fmt: skip
        day, bucket = ads.bucket_of(at)
        ids, step, offset = python_book.live(77, customer, day, position)
        tz = dims().customers[customer]["timezone"]
        want = ads.pod_campaigns(ids, step, offset, ads.bucket_ranks(tz, day)[bucket]) if ids else ()
        assert tuple(pod[:got]) == want
        shown += bool(want)
    assert shown > 300


def test_ad_tier_viewers_see_ads_and_others_never_do() -> None:
    tiers = {c["customer_id"]: c["subscription_tier"] for c in dims().customers}
    watched = collections.Counter(
        (tiers[e["customer_id"]] in domains.AD_SUPPORTED_TIERS, e["event_type"] == "ad_start") for e in three_days()
    )
    assert watched[(False, True)] == 0
    assert watched[(True, True)] > 1000


def test_a_busy_worlds_households_see_no_campaign_more_than_the_cap_a_day_over_all_their_devices_and_plays() -> None:
    """The frequency cap per household (customer) and UTC day, by construction (ads.day_schedule per play,
    concurrency.ad_hold between plays): a world at the top of the audience band, a whole day of the compiled
    backfill. It is busy where the cap could break: households with several screens, plays one after another."""
    from functions.shared import households
    from lakewriter.backfill import model

    customers = 600
    batch = int(households.HOURS_PER_SUBSCRIBER_BAND[1] * customers * households.SUBSCRIBED_SHARE
                / households.VIEWING_HOURS_PER_BATCH_UNIT)  # fmt: skip
    busy = generate_dimensions(DEFAULT_DIMENSION_SEED, customers=customers, titles=200, delivery=False)
    world = World(1, busy, batch)
    assert world.exclusive
    catalog = model.Catalog.from_dimensions(busy)
    day_ms = FIRST_MS + 3 * DAY_MS
    block = model.world_block(
        world, catalog, (day_ms - world.max_session_ms) // wm.SLOT_MS, (day_ms + DAY_MS) // wm.SLOT_MS, day_ms,
        day_ms + DAY_MS,
    )  # fmt: skip
    ad_start = wm.EVENT_KINDS.index("ad_start")
    shown: collections.Counter[tuple[int, int]] = collections.Counter()
    screens: dict[int, set[int]] = collections.defaultdict(set)
    plays: dict[int, set[int]] = collections.defaultdict(set)
    for e in np.flatnonzero(block.event_type == ad_start):
        session = int(block.session[e])
        device = int(block.viewer[session])
        customer = int(block.viewer_keys[device]) // model.MAX_DEVICES
        shown[(customer, int(block.ad_campaign[e]))] += 1
        screens[customer].add(device)
        plays[customer].add(session)
    assert len(shown) > 1500
    assert sum(len(s) > 1 for s in screens.values()) > 30, "households see ads on several screens in the day"
    assert sum(len(p) >= 3 for p in plays.values()) > 40, "and in three plays or more"
    assert max(shown.values()) == ads.FREQUENCY_CAP
    assert [k for k, n in shown.items() if n > ads.FREQUENCY_CAP] == []
