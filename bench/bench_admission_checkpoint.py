"""A checkpointed coordinator step (restore the pass saved a tick earlier, prepare the window, snapshot) against the
cold pass of the same window, in one run; figures extrapolated to a large batchSize.

    nice .venv/bin/python bench/bench_admission_checkpoint.py [--batch-sizes 5000 20000]
        [--at 2026-11-22T10:00:00Z 2026-11-22T02:00:00Z] [--extrapolate 1000000] [--base main]

For each batchSize and window end `--at` (the window is the 5 minutes before it; 10:00 UTC ends the longest cold
pass, a whole admission day and its look-back, and its checkpoint holds the next day's look-back too; 02:00 UTC is
prime time in the Americas, the most candidates a slot), each part in a process of its own (a new container):

- baseline: `functions/` as of git `--base` (extracted by `git archive`), a new container's cold window: `admitted`
  for every slot of the window's slot_range (today's generator);
- cold: this tree, the window 5 minutes earlier prepared cold (what saved the checkpoint), its snapshot timed and
  written to a file, then the window prepared on in memory (a warm container's tick);
- step: this tree, a new process restoring that file, preparing the window and taking its snapshot: the
  coordinator of a tick with a checkpoint store.

CPU seconds (time.process_time: the shared machine's load does not count), candidates judged, snapshot bytes
(raw and as stored: zlib), the holds kept, and the bytes of verdicts each shard's request would carry (bit-packed,
base64) at the window's shard count (handler.shard_count). The extrapolation takes the step's and the cold pass's
candidates at `--extrapolate` from the hour plans (nothing judged) at the measured CPU µs a candidate, and the
snapshot's size and seconds from the line through the measured batchSizes (state and verdicts grow with volume).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK_MS = 300_000
LAMBDA_TIMEOUT_S = 900
"""Lambda's longest timeout (15 minutes: AWS Lambda quotas, "Function timeout")."""


def _world(batch_size: int) -> Any:
    from functions.shared import households
    from functions.shared import world as wm
    from functions.shared.dimensions import world_dimensions

    return wm.World(1, world_dimensions(42, households.audience_size(batch_size), 500), batch_size)


def _count(world: Any, slots: range) -> int:
    return sum(world.slot_count(s) for s in slots)


def _cold_slots(world: Any, end_ms: int) -> range:
    """The slots a cold pass of the window ending at `end_ms` judges: its day's look-back and day up to the window."""
    from functions.shared import concurrency

    last = world.slot_range(end_ms - TICK_MS, end_ms).stop - 1
    return range(concurrency.pass_start(last) - concurrency.lookback_slots(world), last + 1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(batch_size: int, end_ms: int) -> dict:
    """A new container's cold window with functions/ as imported (`admitted` for each slot of its slot_range)."""
    from functions.shared import concurrency

    world = _world(batch_size)
    admission = concurrency.Admission(world)
    started = time.process_time()
    for slot in world.slot_range(end_ms - TICK_MS, end_ms):
        admission.admitted(slot)
    seconds = time.process_time() - started
    return {"seconds": seconds, "candidates": _count(world, _cold_slots(world, end_ms)), "rss_mb": _rss_mb()}


def _snapshot_figures(admission: Any, data: bytes) -> dict:
    from functions.shared import concurrency

    stored, raw, _ = struct.unpack_from("<QQI", data, concurrency._HEAD.size)
    devices, homes = admission.state_size()
    return {"bytes": len(data), "raw_bytes": raw + len(data) - stored, "devices": devices, "households": homes}


def cold(batch_size: int, end_ms: int, path: str) -> dict:
    """The window a tick earlier prepared cold and snapshot to `path`, then this window prepared on in memory."""
    from functions.shared import concurrency

    world = _world(batch_size)
    admission = concurrency.Admission(world)
    before = world.slot_range(end_ms - 2 * TICK_MS, end_ms - TICK_MS)
    day = concurrency.pass_start(before.stop - 1)
    hourly, cold_s = [], 0.0
    for hour in [*range(day, before.stop - 1, 60), None]:  # the pass's checkpoint at each hour of its day
        started = time.process_time()
        assert admission.prepare(*((hour, hour + 1) if hour is not None else (before.start, before.stop)))
        cold_s += time.process_time() - started
        if hour is not None and hour > day:
            hourly.append((hour, _snapshot_figures(admission, admission.snapshot())))
    prepared = time.process_time()
    data = admission.snapshot()
    snapshot_s = time.process_time() - prepared
    Path(path).write_bytes(data)
    slots = world.slot_range(end_ms - TICK_MS, end_ms)
    position = admission.position
    started_warm = time.process_time()
    assert admission.prepare(slots.start, slots.stop)
    warm_s = time.process_time() - started_warm
    return {
        "cold_s": cold_s,
        "hourly": hourly,
        "cold_candidates": _count(world, _cold_slots(world, end_ms - TICK_MS)),
        "snapshot_s": snapshot_s,
        "warm_s": warm_s,
        "warm_candidates": _count(world, range(position, admission.position)),
        **_snapshot_figures(admission, data),
        "rss_mb": _rss_mb(),
    }


def _shard_payloads(world: Any, slots: range, shards: int) -> int:
    """The largest shard's verdicts as its request carries them: per slot its candidates' bits, base64."""
    most = 0
    for shard in range(shards):
        packed = sum(
            (world.slot_count(s) + 7) // 8
            for s in range(slots.start + (shard - slots.start) % shards, slots.stop, shards)
        )
        most = max(most, len(base64.b64encode(bytes(packed))))
    return most


def step(batch_size: int, end_ms: int, path: str) -> dict:
    """A new process's coordinator: restore the checkpoint at `path`, prepare the window, snapshot."""
    from functions.generator.handler import shard_count
    from functions.shared import concurrency

    world = _world(batch_size)
    data = Path(path).read_bytes()
    admission = concurrency.Admission(world)
    started = time.process_time()
    admission.restore(data)
    restored = time.process_time()
    slots = world.slot_range(end_ms - TICK_MS, end_ms)
    position = admission.position
    assert admission.prepare(slots.start, slots.stop)
    prepared = time.process_time()
    again = admission.snapshot()
    done = time.process_time()
    shards = shard_count(world, end_ms - TICK_MS, end_ms)
    return {
        "restore_s": restored - started,
        "prepare_s": prepared - restored,
        "snapshot_s": done - prepared,
        "slots": admission.position - position,
        "candidates": _count(world, range(position, admission.position)),
        "shards": shards,
        "shard_verdict_bytes": _shard_payloads(world, slots, shards),
        **_snapshot_figures(admission, again),
        "rss_mb": _rss_mb(),
    }


def _mean_bytes(cold_figures: dict) -> float:
    return sum(h[1]["bytes"] for h in cold_figures["hourly"]) / len(cold_figures["hourly"])


def _run(role: str, root: str, batch: int, at: str, path: str = "") -> dict:
    command = [sys.executable, __file__, "--role", role, "--root", root, "--batch-sizes", str(batch), "--at", at]
    out = subprocess.run([*command, "--file", path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def _end_ms(at: str) -> int:
    return int(dt.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[5_000, 20_000])
    parser.add_argument("--at", nargs="+", default=["2026-11-22T10:00:00Z", "2026-11-22T02:00:00Z"])
    parser.add_argument("--extrapolate", type=int, default=1_000_000, help="batchSize to extrapolate to")
    parser.add_argument("--base", default="main", help="git ref of the baseline's functions/ ('' to skip it)")
    parser.add_argument("--role", choices=["baseline", "cold", "step"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        sys.path.insert(0, args.root)
        batch, end_ms = args.batch_sizes[0], _end_ms(args.at[0])
        roles = {"baseline": lambda: baseline(batch, end_ms), "cold": lambda: cold(batch, end_ms, args.file)}
        roles["step"] = lambda: step(batch, end_ms, args.file)
        print(json.dumps(roles[args.role]()))
        return
    sys.path.insert(0, str(ROOT))
    from functions.generator.handler import shard_count

    base = tempfile.TemporaryDirectory()
    if args.base:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base, "functions"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", base.name], input=archive.stdout, check=True)
    big = _world(args.extrapolate)
    for at in args.at:
        end_ms = _end_ms(at)
        window = big.slot_range(end_ms - TICK_MS, end_ms)
        big_shards = shard_count(big, end_ms - TICK_MS, end_ms)
        big_cold = _count(big, _cold_slots(big, end_ms))
        print(
            f"\n## window {dt.datetime.fromtimestamp((end_ms - TICK_MS) / 1000, dt.UTC):%Y-%m-%d %H:%M}"
            f"-{at[11:16]} UTC\n"
        )
        rows = []
        for batch in args.batch_sizes:
            with tempfile.NamedTemporaryFile(suffix=".pass") as file:
                b = _run("baseline", base.name, batch, at) if args.base else None
                c = _run("cold", str(ROOT), batch, at, file.name)
                s = _run("step", str(ROOT), batch, at, file.name)
            rows.append((batch, b, c, s))
            print(f"batchSize {batch:,}:")
            if b:
                print(
                    f"  baseline ({args.base}) cold window: {b['candidates']:,} candidates, {b['seconds']:.1f} CPU s "
                    f"({b['seconds'] / b['candidates'] * 1e6:.1f} µs each), peak RSS {b['rss_mb']:.0f} MB"
                )
            print(
                f"  this tree, cold window a tick earlier: {c['cold_candidates']:,} candidates, "
                f"{c['cold_s']:.1f} CPU s "
                f"({c['cold_s'] / c['cold_candidates'] * 1e6:.1f} µs each); then this window in memory: "
                f"{c['warm_candidates']:,} candidates, {c['warm_s']:.2f} s"
            )
            print(
                f"  its checkpoint: {c['bytes']:,} bytes stored ({c['raw_bytes']:,} raw), "
                f"snapshot {c['snapshot_s']:.2f} s;"
                f" holds of {c['devices']:,} devices, {c['households']:,} households"
            )
            top = max(c["hourly"], key=lambda h: h[1]["bytes"])
            print(
                f"  the pass's checkpoint at each hour of that day: {min(h[1]['bytes'] for h in c['hourly']):,}"
                f"-{top[1]['bytes']:,} bytes stored (mean {_mean_bytes(c):,.0f}), "
                f"largest at {top[0] % 1440 // 60:02d}:00 UTC "
                f"({top[1]['raw_bytes']:,} raw; {top[1]['devices']:,} devices, {top[1]['households']:,} households)"
            )
            print(
                f"  coordinator step (new process): restore {s['restore_s']:.2f} s, prepare {s['slots']} slots / "
                f"{s['candidates']:,} candidates {s['prepare_s']:.2f} s, snapshot {s['snapshot_s']:.2f} s "
                f"({s['bytes']:,} bytes stored, {s['raw_bytes']:,} raw); peak RSS {s['rss_mb']:.0f} MB"
            )
            print(f"  verdicts per shard request: {s['shard_verdict_bytes']:,} bytes (base64) at {s['shards']} shards")
        (n0, _, _, s0), (n1, _, c1, s1) = rows[0], rows[-1]
        per = s1["prepare_s"] / max(1, s1["candidates"])
        per_cold = c1["cold_s"] / c1["cold_candidates"]
        big_step = _count(big, range(window.stop - s1["slots"], window.stop))
        print(f"\nat {args.extrapolate:,} (candidates from the hour plans; µs each as measured at {n1:,}):")
        print(
            f"  cold window: {big_cold:,} candidates, ~{big_cold * per_cold:,.0f} CPU s "
            f"(Lambda's timeout {LAMBDA_TIMEOUT_S} s)"
        )
        print(f"  coordinator step: {big_step:,} candidates, ~{big_step * per:,.0f} CPU s to prepare")
        print(
            f"  verdicts per shard request: {_shard_payloads(big, window, big_shards):,} bytes (base64) "
            f"at {big_shards} shards"
        )
        if n1 != n0:
            for name, key in (("stored", "bytes"), ("raw", "raw_bytes")):
                slope = (s1[key] - s0[key]) / (n1 - n0)
                print(
                    f"  checkpoint {name}: {s0[key] - slope * n0:,.0f} + {slope:,.1f} × batchSize bytes "
                    f"→ {s0[key] + slope * (args.extrapolate - n0):,.0f} bytes"
                )
            for name, of in (
                ("largest hourly checkpoint stored", lambda c: max(h[1]["bytes"] for h in c["hourly"])),
                ("mean hourly checkpoint stored", _mean_bytes),
            ):
                low, high = of(rows[0][2]), of(rows[-1][2])
                slope = (high - low) / (n1 - n0)
                print(
                    f"  {name}: {low - slope * n0:,.0f} + {slope:,.1f} × batchSize bytes "
                    f"→ {low + slope * (args.extrapolate - n0):,.0f} bytes"
                )
            slope = (s1["rss_mb"] - s0["rss_mb"]) / (n1 - n0)
            print(f"  coordinator step's peak RSS: ~{s0['rss_mb'] + slope * (args.extrapolate - n0):,.0f} MB")
            for name in ("restore_s", "snapshot_s"):
                slope = (s1[name] - s0[name]) / (n1 - n0)
                print(f"  {name}: ~{s0[name] + slope * (args.extrapolate - n0):,.1f} s")


if __name__ == "__main__":
    main()
