"""The audience at any batchSize (docs/scale.md, steps 1 and 2): the generator holds no per-customer table, so what
a tick costs follows its volume, not its audience."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest

from functions.generator import events
from functions.shared import households
from functions.shared import world as wm
from functions.shared.dimensions import world_dimensions
from functions.shared.world import World

PRIME_TIME_MS = int(dt.datetime(2026, 12, 1, 20, tzinfo=dt.UTC).timestamp() * 1000)
HEAP_LIMIT_MB = 48
"""The most Python heap a container's tables, world, plans and drawn viewers may take here, whatever the audience
(the table itself took ~2.3 KB a customer: 52 GB at 22.5 million, docs/scale.md)."""
CAMPAIGNS = 50
"""Fewer campaigns than the default 1,500: ad fitting per drawn customer is the volume's cost, not the audience's."""
DRAWN = 3_000
"""Candidates of a prime-time slot drawn (of ~4,500 at batchSize 100,000 and ~45,000 at 1,000,000)."""


def _traced(make: object) -> tuple[object, float]:
    tracemalloc.start()
    try:
        out = make()  # type: ignore[operator]
        return out, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("batch", [100_000, 1_000_000])
def test_an_hours_plans_and_a_slots_viewers_at_a_huge_batch_size_hold_no_per_customer_table(batch: int) -> None:
    """At batchSize 100,000 and 1,000,000 with the derived audience (2.175 and 21.75 million customers): the tables,
    the world, a day's hour plans and DRAWN candidates of a prime-time slot drawn (its viewer, device and viewer
    profile) stay under HEAP_LIMIT_MB, and only the drawn customers were ever made."""
    customers = households.audience_size(batch)

    def run() -> tuple[World, int, int]:
        world = World(1, world_dimensions(42, customers, 500, CAMPAIGNS), batch)
        prep = events.PreparedDimensions(world.dims)
        for h in range(PRIME_TIME_MS // 3_600_000 - 20, PRIME_TIME_MS // 3_600_000 + 4):
            world.hour(h)
        slot = PRIME_TIME_MS // wm.SLOT_MS
        plan = world.hour(slot // 60)
        slot_key = wm.draw(world.key, slot)
        drawn = found = 0
        for i in range(1, min(DRAWN, world.slot_count(slot)) + 1):
            sk = wm.draw(slot_key, i)
            genre = plan.titles.genres[(sk >> wm.TITLE_SHIFT) & 0xFFFF]
            customer = world.pick_customer(plan, wm.draw(sk, wm.D_VIEWER), genre)
            drawn += 1
            if customer >= 0:
                found += 1
                prep.viewer(world.device(customer, sk))
        return world, drawn, found

    (world, drawn, found), peak = _traced(run)
    assert world.count == customers and world.exclusive
    assert drawn == DRAWN and found == drawn  # every one with a viewer
    assert len(world.customers._kept) <= 2 * drawn  # each made when drawn (and for its device), none else
    assert peak < HEAP_LIMIT_MB, f"{peak:.1f} MB"


def test_a_tick_of_a_world_of_22_million_customers_holds_no_per_customer_table() -> None:
    """A cold generator tick (its admission day's pass and its window) over the audience batchSize 1,000,000
    derives, at a volume a test can afford: the heap stays under HEAP_LIMIT_MB."""
    customers = households.audience_size(1_000_000)

    def run() -> list[dict]:
        world = World(1, world_dimensions(42, customers, 500, CAMPAIGNS), 300)
        return events.window_records(world, PRIME_TIME_MS, PRIME_TIME_MS + 300_000)

    records, peak = _traced(run)
    assert len(records) > 150
    assert peak < HEAP_LIMIT_MB, f"{peak:.1f} MB"
