"""A shard's admission verdicts as its request carries them: one bit per candidate, base64 in JSON.

The coordinator judges the window's slots once (concurrency.Admission.prepare) and hands each shard the verdicts of
its slots (`world.slot_range` of the window, those ≡ the shard's index modulo the shard count), so no shard runs an
admission pass. In the request:

    "verdicts": {"first": 29412345, "counts": [90146, 89911, ...], "bits": "<base64>"}

`first` is the shard's first slot and slot k of the list is `first + k * count` (the shard's count); `counts[k]` is
how many candidates it has; `bits` (standard base64) is, slot after slot, each slot's flags packed eight to a byte
as the pass's snapshots pack them (concurrency.pack_bits: candidate i in bit i % 8 of byte i // 8, the last byte's
unused bits 0).

Lambda code: standard library only.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.shared.concurrency import pack_bits, unpack_bits

_KEYS = ("first", "counts", "bits")


@dataclass(frozen=True)
class ShardVerdicts:
    """The verdicts of a shard's slots: `first`, `first + step`, ... (`len(counts)` slots)."""

    first: int
    step: int
    counts: tuple[int, ...]
    bits: bytes
    """Each slot's flags packed (concurrency.pack_bits), one slot after another."""

    @property
    def slots(self) -> range:
        return range(self.first, self.first + len(self.counts) * self.step, self.step)

    @classmethod
    def of(cls, slots: range, flags_of: Callable[[int], bytes]) -> ShardVerdicts:
        """Pack the flags of `slots` (a range with a positive step) as `flags_of` gives them."""
        counts, parts = [], []
        for slot in slots:
            flags = flags_of(slot)
            counts.append(len(flags))
            parts.append(pack_bits(flags))
        return cls(slots.start, slots.step, tuple(counts), b"".join(parts))

    @functools.cached_property
    def verdicts(self) -> dict[int, bytes]:
        """Slot -> one byte per candidate, 1 if it is played (concurrency.Admission's form)."""
        out, at = {}, 0
        for slot, n in zip(self.slots, self.counts, strict=True):
            size = (n + 7) // 8
            try:
                out[slot] = unpack_bits(self.bits[at : at + size], n)
            except ValueError as exc:
                raise ValueError(f"verdicts.bits: slot {slot}'s {exc}") from None
            at += size
        return out

    def to_json(self) -> dict[str, Any]:
        return {"first": self.first, "counts": list(self.counts), "bits": base64.b64encode(self.bits).decode("ascii")}

    @classmethod
    def from_json(cls, value: Any, step: int) -> ShardVerdicts:
        """Parse and check a request's `verdicts` (of a shard of `step` shards); ValueError naming the key."""
        if not isinstance(value, Mapping) or sorted(value) != sorted(_KEYS):
            raise ValueError(
                f'verdicts must be an object {{"first": slot, "counts": [n, ...], "bits": base64}}, got {_short(value)}'
            )
        first, counts, bits = value["first"], value["counts"], value["bits"]
        if not _is_int(first) or first < 0:
            raise ValueError(f"verdicts.first must be a slot (an integer >= 0), got {_short(first)}")
        if not isinstance(counts, list) or not all(_is_int(n) and n >= 0 for n in counts):
            raise ValueError(
                f"verdicts.counts must be a list of integers >= 0 (candidates per slot), got {_short(counts)}"
            )
        if not isinstance(bits, str):
            raise ValueError(f"verdicts.bits must be a base64 string, got {_short(bits)}")
        try:
            data = base64.b64decode(bits, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"verdicts.bits must be standard base64, got {_short(bits)}") from None
        expected = sum((n + 7) // 8 for n in counts)
        if len(data) != expected:
            raise ValueError(
                f"verdicts.bits must hold {expected} bytes (a bit per candidate of verdicts.counts, each slot's "
                f"rounded up to a byte), got {len(data)}"
            )
        parsed = cls(first, step, tuple(counts), data)
        _ = parsed.verdicts  # checks the padding bits
        return parsed


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
