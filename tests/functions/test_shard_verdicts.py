"""A shard's verdicts in its request: the bit packing, the episodes further, parse_request's checks, and the size
bound at 1,000,000."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
from typing import Any

import pytest

from functions.generator import handler as gen
from functions.generator.events import epoch_ms
from functions.generator.verdicts import ShardVerdicts
from functions.shared import concurrency, domains, households
from functions.shared.dimensions import world_dimensions
from functions.shared.world import World

NOW = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
WINDOW = {"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z"}


def _parse(event: Any) -> gen.Request:
    return gen.parse_request(event, window_seconds=300, now=NOW)


@pytest.mark.parametrize(("further_share", "encoding"), [(0.05, 1), (0.9, 0)], ids=["sparse-zlib", "dense-raw"])
def test_a_shards_verdicts_go_through_its_request_unchanged(further_share: float, encoding: int) -> None:
    """Refused (0), played (1) and played k episodes further (1 + k, up to 1 + MAX_FURTHER) verdicts come back as
    they went: the episodes further zlib-compressed when that is shorter (mostly zeros), else raw."""
    rng = random.Random(5)

    def verdict() -> int:
        if rng.random() < 0.3:
            return 0
        return 1 + rng.randrange(1, concurrency.MAX_FURTHER + 1) if rng.random() < further_share else 1

    held = {s: bytes(verdict() for _ in range(rng.randrange(0, 300))) for s in range(1000, 1100)}
    slots = gen.shard_slots(range(1000, 1100), 3, 7)
    verdicts = ShardVerdicts.of(slots, held.__getitem__)
    assert verdicts.slots == slots == range(1004, 1100, 7)  # 1004 ≡ 3 (mod 7)
    assert verdicts.further[0] == encoding
    request = gen.Request(epoch_ms(NOW) - 300_000, epoch_ms(NOW))
    parsed = _parse(json.loads(request.payload(3, 7, verdicts=verdicts)))
    assert (parsed.shard, parsed.shards, parsed.verdicts) == (3, 7, verdicts)
    assert parsed.verdicts is not None and parsed.verdicts.verdicts == {s: held[s] for s in slots}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _with_verdicts(**change: Any) -> dict:
    good = ShardVerdicts.of(range(10, 20, 2), lambda s: b"\x01" * s).to_json()
    return {**WINDOW, "shard": {"index": 0, "count": 2}, "verdicts": {**good, **change}}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({**WINDOW, "verdicts": {}}, "verdicts may only come with shard"),
        ({**WINDOW, "shard": {"index": 0, "count": 2}, "verdicts": [1]}, r"verdicts must be an object \{\"first\""),
        ({**WINDOW, "shard": {"index": 0, "count": 2}, "verdicts": {"first": 1}}, "verdicts must be an object"),
        (_with_verdicts(first=-1), r"verdicts.first must be a slot \(an integer >= 0\), got -1"),
        (_with_verdicts(first="10"), r"verdicts.first must be a slot"),
        (_with_verdicts(counts=[1, -1]), r"verdicts.counts must be a list of integers >= 0"),
        (_with_verdicts(counts=[True]), r"verdicts.counts must be a list of integers >= 0"),
        (_with_verdicts(bits=5), "verdicts.bits must be a base64 string, got 5"),
        (_with_verdicts(bits="not base64!"), "verdicts.bits must be standard base64"),
        (_with_verdicts(counts=[64], bits=_b64(b"\xff" * 3)), r"verdicts.bits must hold 8 bytes .* got 3"),
        (
            _with_verdicts(counts=[8, 7], bits=_b64(b"\xff\x80")),
            r"verdicts.bits: slot 12's bits set beyond the 7 verdicts",
        ),
        (_with_verdicts(further=None), "verdicts.further must be a base64 string, got None"),
        (_with_verdicts(further="?"), "verdicts.further must be standard base64"),
        (_with_verdicts(further=_b64(b"\x02")), r"verdicts.further must start with a byte 0 \(raw\) or 1 \(zlib\)"),
        (_with_verdicts(further=_b64(b"\x01not zlib")), "verdicts.further: not zlib data"),
        (_with_verdicts(further=_b64(b"\x00\x00")), r"verdicts.further must hold a byte per played candidate \(70\)"),
        (_with_verdicts(further=_b64(b"\x00\xff" + bytes(69))), "verdicts.further: a candidate plays 255 episodes"),
        ({**WINDOW, "hop": 0.5}, r"hop must be an integer from 0 to 64 \(MAX_CHAIN_HOPS\), got 0.5"),
        ({**WINDOW, "hop": gen.MAX_CHAIN_HOPS + 1}, r"hop must be an integer from 0 to 64"),
        ({**WINDOW, "hop": 1, "shard": {"index": 0, "count": 2}}, "hop may not come with shard"),
        ({**WINDOW, "until": "2026-11-26T02:44:00Z"}, r"until must be at or after end and at most 604800 s"),
        ({**WINDOW, "until": "2026-12-03T02:40:00.001Z"}, r"until must be at or after end and at most 604800 s"),
        ({**WINDOW, "until": "soon"}, "until must be an ISO 8601 UTC time"),
        ({**WINDOW, "until": "2026-11-26T03:00:00Z", "shard": {"index": 0, "count": 2}}, "until may not come with"),
    ],
)
def test_bad_verdicts_and_hops_are_refused_naming_the_key(event: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _parse(event)


def test_a_chain_link_names_its_hop_and_keeps_its_window_its_world_and_its_tick() -> None:
    request = _parse({**WINDOW, "seed": 9, "until": "2026-11-26T04:40:00Z"})
    link = _parse(json.loads(request.payload(hop=3)))
    assert link == gen.Request(request.start_ms, request.end_ms, 9, hop=3, until_ms=request.until_ms)
    assert _parse(WINDOW).hop == 0 and _parse(WINDOW).until_ms is None


def test_a_long_ticks_next_window_is_at_most_an_hour_and_ends_at_its_end() -> None:
    first = gen.Request(0, 3_600_000, 9, until_ms=9_000_000)
    second = first.following()
    assert second == gen.Request(3_600_000, 7_200_000, 9, until_ms=9_000_000)
    third = second.following() if second else None
    assert third == gen.Request(7_200_000, 9_000_000, 9, until_ms=9_000_000) and third.following() is None


def test_the_state_bucket_and_prefix_come_from_the_environment() -> None:
    cfg = gen.GeneratorConfig.from_env({"STATE_BUCKET": "acme-state-1"})
    assert (cfg.state_bucket, cfg.state_prefix) == ("acme-state-1", domains.STATE_PREFIX)
    assert gen.GeneratorConfig.from_env({"STATE_BUCKET": "acme-state-1", "STATE_PREFIX": "p/"}).state_prefix == "p/"
    assert gen.GeneratorConfig.from_env({}).state_bucket == ""
    with pytest.raises(ValueError, match="environment variable STATE_BUCKET must be an S3 bucket name"):
        gen.GeneratorConfig.from_env({"STATE_BUCKET": "Not_A_Bucket"})
    with pytest.raises(ValueError, match="environment variable STATE_PREFIX must be a key prefix"):
        gen.GeneratorConfig.from_env({"STATE_BUCKET": "acme-state-1", "STATE_PREFIX": "/abs"})


def test_every_shard_request_fits_lambdas_async_limit_at_batch_size_one_million() -> None:
    """From candidate counts (World.slot_count), no pass run: every 5-minute and one-hour window of the busiest
    week measured (docs/scale.md, step 6), each split as the coordinator splits it. A shard's request is largest
    when every candidate is played with episodes further that do not compress (`further` raw: a byte per played
    candidate, besides its bit); the shard with the most bits and bytes is built so, and must fit
    MAX_ASYNC_PAYLOAD_BYTES."""
    dims = world_dimensions(42, households.audience_size(domains.MAX_BATCH_SIZE), 500, 1500)
    world = World(1, dims, domains.MAX_BATCH_SIZE)
    assert world.exclusive
    week_start = epoch_ms(dt.datetime(2026, 11, 16, tzinfo=dt.UTC))
    first = world.slot_range(week_start, week_start + 1).start
    stop = (week_start + 7 * 86_400_000) // 60_000
    counts = {s: world.slot_count(s) for s in range(first, stop)}
    most = {s: (n + 7) // 8 + n for s, n in counts.items()}  # its bits and, at worst, a byte per candidate
    worst = (0, 0, 0, 0, 0)  # (bytes, window start, window seconds, shard, shards)
    for seconds in (300, domains.MAX_WINDOW_SECONDS):
        for start in range(week_start, week_start + 7 * 86_400_000, seconds * 1000):
            end = start + seconds * 1000
            slots = world.slot_range(start, end)
            shards = gen.shard_count(world, start, end)
            for i in range(shards):
                worst = max(worst, (sum(most[s] for s in gen.shard_slots(slots, i, shards)), start, seconds, i, shards))
    largest, start, seconds, shard, shards = worst
    request = gen.Request(start, start + seconds * 1000)
    assert shards == gen.shard_count(world, request.start_ms, request.end_ms)
    rng = random.Random(1)
    incompressible = bytes.maketrans(bytes(range(256)), bytes(1 + v % concurrency.MAX_FURTHER for v in range(256)))
    slots = gen.shard_slots(world.slot_range(request.start_ms, request.end_ms), shard, shards)
    verdicts = ShardVerdicts.of(slots, lambda s: rng.randbytes(counts[s]).translate(incompressible))
    assert verdicts.further[0] == 0  # raw: the worst case
    size = len(request.payload(shard, shards, verdicts=verdicts))
    print(f"worst shard request {size:,} bytes: {largest:,} bytes of verdicts, {seconds} s window at {start}")
    assert 4 * math.ceil(largest / 3) < size <= domains.MAX_ASYNC_PAYLOAD_BYTES


def test_a_shard_request_over_the_limit_is_refused_naming_its_size() -> None:
    world = World(1, world_dimensions(42, 300, 40, 5), 200)
    request = gen.Request(epoch_ms(NOW) - 300_000, epoch_ms(NOW))
    with pytest.raises(ValueError, match=r"shard 0 of 1's request is [\d,]+ bytes \(\d+ slots, [\d,]+ candidates'"):
        gen.shard_payloads(request, world, 1, lambda s: b"\x01" * 40_000)  # a slot of ~40,000 candidates each
