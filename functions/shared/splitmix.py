"""SplitMix64: the counter-based draws every part of the world is made of (the numba twins are in
lakewriter/backfill/kernel.py)."""

from __future__ import annotations

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
"""SplitMix64's increment (2**64 / golden ratio, odd)."""
MIX_1 = 0xBF58476D1CE4E5B9
MIX_2 = 0x94D049BB133111EB


def mix64(z: int) -> int:
    """SplitMix64's output function: a bijection of 64-bit ints that scatters every input bit."""
    z = ((z ^ (z >> 30)) * MIX_1) & M64
    z = ((z ^ (z >> 27)) * MIX_2) & M64
    return z ^ (z >> 31)


def draw(key: int, n: int) -> int:
    """The n-th 64-bit draw of a stream keyed by `key`."""
    z = (key + n * GAMMA) & M64
    z = ((z ^ (z >> 30)) * MIX_1) & M64
    z = ((z ^ (z >> 27)) * MIX_2) & M64
    return z ^ (z >> 31)
