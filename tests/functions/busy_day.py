"""One day of ticks of a world whose audience carries its volume, shared by the tests of admission and binge chains
(computed once per test process: a day of ticks is the slow part)."""

from __future__ import annotations

import datetime as dt
import functools

from functions.generator.events import clear_window_cache, epoch_ms, window_events
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World

DAY = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
DAY_MS = epoch_ms(DAY)
TICK_MS = 300_000
BATCH = 20
"""With 1,000 customers, about 0.9 hours per subscriber a day: an audience that carries the volume."""


@functools.cache
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=1000, titles=200, delivery=False)  # the default campaigns


@functools.cache
def world() -> World:
    return World(2026, dims(), BATCH)


@functools.cache
def day_ticks() -> list[list[dict]]:
    clear_window_cache()
    return [window_events(world(), DAY_MS + i * TICK_MS, DAY_MS + (i + 1) * TICK_MS) for i in range(288)]
