"""A shard's admission verdicts as its request carries them: one bit per candidate, base64 in JSON.

The coordinator judges the window's slots once (concurrency.Admission.prepare) and hands each shard the verdicts of
its slots (`world.slot_range` of the window, those ≡ the shard's index modulo the shard count), so no shard runs an
admission pass. In the request:

    "verdicts": {"first": 29412345, "counts": [90146, 89911, ...], "bits": "<base64>", "further": "<base64>"}

`first` is the shard's first slot and slot k of the list is `first + k * count` (the shard's count); `counts[k]` is
how many candidates it has; `bits` (standard base64) is, slot after slot, each slot's played flags packed eight to
a byte (concurrency.pack_bits: candidate i in bit i % 8 of byte i // 8, the last byte's unused bits 0); `further`
(standard base64) is, for each played candidate in that order, one byte k: how many episodes past its household's
own it plays (its verdict is 1 + k, concurrency.Admission), those bytes zlib-compressed after a leading byte 1 when
that is shorter, else after a leading byte 0 as they are. Mostly zeros, they compress to a small part of `bits`;
at worst (raw) they add a byte per candidate, which still fits Lambda's limit at batchSize 1,000,000
(tests/functions/test_shard_verdicts.py).

Lambda code: standard library only.
"""

from __future__ import annotations

import base64
import binascii
import functools
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.shared.concurrency import MAX_FURTHER, pack_verdicts, unpack_bits, unpack_verdicts

_KEYS = ("first", "counts", "bits", "further")
_RAW, _ZLIB = 0, 1


@dataclass(frozen=True)
class ShardVerdicts:
    """The verdicts of a shard's slots: `first`, `first + step`, ... (`len(counts)` slots)."""

    first: int
    step: int
    counts: tuple[int, ...]
    bits: bytes
    """Each slot's played flags packed (concurrency.pack_bits), one slot after another."""
    further: bytes = b"\x00"
    """Per played candidate (in slot and key order) its verdict less one, encoded (a leading byte: 0 raw, 1 zlib)."""

    @property
    def slots(self) -> range:
        return range(self.first, self.first + len(self.counts) * self.step, self.step)

    @classmethod
    def of(cls, slots: range, flags_of: Callable[[int], bytes]) -> ShardVerdicts:
        """Pack the flags of `slots` (a range with a positive step) as `flags_of` gives them."""
        counts, parts, steps = [], [], []
        for slot in slots:
            flags = flags_of(slot)
            counts.append(len(flags))
            bits, further = pack_verdicts(flags)
            parts.append(bits)
            steps.append(further)
        raw = b"".join(steps)
        packed = zlib.compress(raw, 6)
        further = bytes([_ZLIB]) + packed if len(packed) < len(raw) else bytes([_RAW]) + raw
        return cls(slots.start, slots.step, tuple(counts), b"".join(parts), further)

    @functools.cached_property
    def _steps(self) -> bytes:
        """Per played candidate its verdict less one (`further` decoded)."""
        if not self.further or self.further[0] not in (_RAW, _ZLIB):
            raise ValueError("verdicts.further must start with a byte 0 (raw) or 1 (zlib)")
        if self.further[0] == _RAW:
            return self.further[1:]
        try:
            return zlib.decompress(self.further[1:])
        except zlib.error as exc:
            raise ValueError(f"verdicts.further: not zlib data ({exc})") from None

    @functools.cached_property
    def verdicts(self) -> dict[int, bytes]:
        """Slot -> one byte per candidate, 0 refused, else 1 + k (concurrency.Admission's form)."""
        steps = self._steps
        played, at = [], 0
        for slot, n in zip(self.slots, self.counts, strict=True):
            try:  # each slot's bits checked before any episode byte is read
                played.append(unpack_bits(self.bits[at : at + (n + 7) // 8], n).count(1))
            except ValueError as exc:
                raise ValueError(f"verdicts.bits: slot {slot}'s {exc}") from None
            at += (n + 7) // 8
        if sum(played) != len(steps):
            need = sum(played)
            raise ValueError(f"verdicts.further must hold a byte per played candidate ({need}), got {len(steps)}")
        if 255 in steps:
            raise ValueError(f"verdicts.further: a candidate plays 255 episodes further ({MAX_FURTHER} at most)")
        out, at, taken = {}, 0, 0
        for slot, n, ones in zip(self.slots, self.counts, played, strict=True):
            size = (n + 7) // 8
            try:
                out[slot] = unpack_verdicts(self.bits[at : at + size], steps[taken : taken + ones], n)
            except ValueError as exc:
                raise ValueError(f"verdicts.bits: slot {slot}'s {exc}") from None
            at, taken = at + size, taken + ones
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "counts": list(self.counts),
            "bits": base64.b64encode(self.bits).decode("ascii"),
            "further": base64.b64encode(self.further).decode("ascii"),
        }

    @classmethod
    def from_json(cls, value: Any, step: int) -> ShardVerdicts:
        """Parse and check a request's `verdicts` (of a shard of `step` shards); ValueError naming the key."""
        if not isinstance(value, Mapping) or sorted(value) != sorted(_KEYS):
            raise ValueError(
                'verdicts must be an object {"first": slot, "counts": [n, ...], "bits": base64, "further": base64}, '
                f"got {_short(value)}"
            )
        first, counts, bits, further = value["first"], value["counts"], value["bits"], value["further"]
        if not _is_int(first) or first < 0:
            raise ValueError(f"verdicts.first must be a slot (an integer >= 0), got {_short(first)}")
        if not isinstance(counts, list) or not all(_is_int(n) and n >= 0 for n in counts):
            raise ValueError(
                f"verdicts.counts must be a list of integers >= 0 (candidates per slot), got {_short(counts)}"
            )
        data, steps = _base64("bits", bits), _base64("further", further)
        expected = sum((n + 7) // 8 for n in counts)
        if len(data) != expected:
            raise ValueError(
                f"verdicts.bits must hold {expected} bytes (a bit per candidate of verdicts.counts, each slot's "
                f"rounded up to a byte), got {len(data)}"
            )
        parsed = cls(first, step, tuple(counts), data, steps)
        _ = parsed.verdicts  # checks the padding bits and `further`
        return parsed


def _base64(key: str, value: Any) -> bytes:
    """The bytes of verdicts.<key>, a standard base64 string; ValueError naming the key otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"verdicts.{key} must be a base64 string, got {_short(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"verdicts.{key} must be standard base64, got {_short(value)}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
