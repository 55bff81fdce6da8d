"""A fixed number of the world's events, for tests about what happens to events rather than which ones exist."""

from __future__ import annotations

import datetime as dt
import math
import random

from functions.generator.events import epoch_ms, window_events, window_records
from functions.shared.dimensions import Dimensions
from functions.shared.domains import MAX_BATCH_SIZE
from functions.shared.world import World


def _sample(
    count: int, dims: Dimensions, window_end: dt.datetime, rng: random.Random, window_seconds: int, *, records: bool
) -> list:
    """The last `count` events before `window_end` of a world seeded from `rng`, dense enough to hold them in the
    window (doubling the span back from it if it falls short)."""
    if count == 0:
        return []
    end = epoch_ms(window_end)
    batch = min(MAX_BATCH_SIZE, max(1, math.ceil(count * 1.5 * 300 / window_seconds)))
    world = World(rng.getrandbits(63), dims, batch)
    make = window_records if records else window_events
    span = window_seconds * 1000
    while True:
        out = make(world, end - span, end)
        if len(out) >= count:
            return out[-count:]
        span *= 2


def generate_events(
    count: int, dims: Dimensions, *, window_end: dt.datetime, rng: random.Random, window_seconds: int = 300
) -> list[dict]:
    """`count` rows by time, the latest before `window_end` of a world drawn from `rng`."""
    return _sample(count, dims, window_end, rng, window_seconds, records=False)


def generate_records(
    count: int, dims: Dimensions, *, window_end: dt.datetime, rng: random.Random, window_seconds: int = 300
) -> list[dict]:
    """The same events as `generate_events` for the same arguments, as the generator's PutRecords entries."""
    return _sample(count, dims, window_end, rng, window_seconds, records=True)
