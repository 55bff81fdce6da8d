"""The backfill at any audience (docs/scale.md, step 3): a block holds state for the households and viewers its
candidates draw, never per customer of the audience."""

from __future__ import annotations

import tracemalloc

from functions.shared import concurrency, households
from functions.shared import world as wm
from functions.shared.dimensions import world_dimensions
from functions.shared.world import World
from lakewriter.backfill import model
from tests.functions.test_scale import CAMPAIGNS, HEAP_LIMIT_MB, PRIME_TIME_MS

BATCH = 100
"""A volume a test can afford; the audience is batchSize 1,000,000's."""


def test_a_backfill_block_over_22_million_customers_holds_state_only_for_the_households_it_draws() -> None:
    """A block of the compiled backfill (its admission day's look-back pass, then its own slots) over the audience
    batchSize 1,000,000 derives: the heap stays under HEAP_LIMIT_MB, and the households, viewers and admission
    state it keeps are those its candidates drew, none else (the audience is 22.5 million customers)."""
    customers = households.audience_size(1_000_000)
    world = World(1, world_dimensions(42, customers, 500, CAMPAIGNS), BATCH)
    lo = concurrency.pass_start(PRIME_TIME_MS // wm.SLOT_MS) + 2  # just after an admission day's start
    tracemalloc.start()
    try:
        catalog = model.Catalog.from_dimensions(world.dims)
        block = model.world_block(world, catalog, lo, lo + 5, lo * wm.SLOT_MS, (lo + 5) * wm.SLOT_MS)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    homes, viewers = catalog.households, catalog.viewers
    drawn = sum(world.slot_count(s) for s in range(lo - 2 - concurrency.lookback_slots(world), lo + 5))
    assert world.count == customers and world.exclusive and block.sessions > 5
    assert 0 < homes.size <= drawn and 0 < viewers.size <= drawn  # one row per household and device drawn
    for rows, made in ((homes.profile, homes.size), (homes.fit_at, homes.size), (viewers.ints, viewers.size)):
        assert len(rows) <= max(model.MIN_ROWS, 2 * made)  # room grows by doubling, from what is drawn
    assert len(model._admission_of(world, catalog).live) <= homes.size  # the pass's state: households with a hold
    assert peak < HEAP_LIMIT_MB, f"{peak:.1f} MB"
