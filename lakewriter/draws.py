"""The world's counter-based draws on numpy arrays: SplitMix64 (functions/shared/splitmix.py) and the customers'
subscriptions (people.subscription_days), for the code that makes many customers at once (the backfill's plans, the
customers table). Not Lambda code (numpy); no numba, so the stack's program can import it."""

from __future__ import annotations

import numpy as np

from functions.shared import domains, people
from functions.shared.splitmix import GAMMA, MIX_1, MIX_2

_U = np.uint64
_GAMMA, _MIX_1, _MIX_2 = _U(GAMMA), _U(MIX_1), _U(MIX_2)


def draws(key: int, n: np.ndarray) -> np.ndarray:
    """splitmix.draw(key, n) for every n of an array (uint64): SplitMix64 wraps mod 2**64 as the Python side masks."""
    z = _U(key) + n.astype(np.uint64) * _GAMMA
    z = (z ^ (z >> _U(30))) * _MIX_1
    z = (z ^ (z >> _U(27))) * _MIX_2
    return z ^ (z >> _U(31))


def subscription_arrays(seed: int, count: int, index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """people.subscription_days of customers `index` (default: all `count`) as (start, end) int64 arrays."""
    i = np.arange(count, dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
    d = draws(people.subscription_key(seed), 2 * i)
    join = (d >> _U(64 - people.JOIN_BITS)).astype(np.int64)
    start = people.SIGNUP_FROM_DAY + (((i << people.JOIN_BITS) | join) * people.SIGNUP_SPAN_DAYS) // (
        count << people.JOIN_BITS
    )
    u = (d & _U(0xFFFFFFFF)).astype(np.int64)
    k, f = u >> people.TENURE_FRACTION_BITS, u & ((1 << people.TENURE_FRACTION_BITS) - 1)
    q = np.array(people.TENURE_QUANTILES, dtype=np.int64)
    days = (q[k] * ((1 << people.TENURE_FRACTION_BITS) - f) + q[k + 1] * f) >> (
        people.TENURE_FRACTION_BITS + people.TENURE_UNIT_BITS
    )
    return start, start + np.maximum(days, domains.MIN_TENURE_DAYS)
