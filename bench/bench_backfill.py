"""Backfill throughput and peak memory against a per-row Python baseline measured in the same run.

    python bench/bench_backfill.py [--events 10000000] [--baseline-events 100000]

Each part runs in its own subprocess pinned to one CPU, so peak RSS (ru_maxrss) and CPU time are its own.
Rates are given per wall-clock second and per CPU second (the process's user + system time, which other
work on a shared machine does not inflate; the backfill's CPU time also counts its dimension generation).
The baseline is what a straightforward generator does: one dict per event drawn field by field with
`random`, serialised with `json.dumps` and written as JSON lines. The backfill writes SNAPPY Parquet
hour partitions to a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from functions.shared import domains  # noqa: E402
from functions.shared.dimensions import generate_dimensions  # noqa: E402

START, END = dt.date(2025, 11, 1), dt.date(2025, 12, 1)


def _pin_to_one_cpu() -> int | None:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    return None


def _usage() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mb": r.ru_maxrss / 1024, "cpu_seconds": r.ru_utime + r.ru_stime}


def baseline(events: int, out: Path) -> dict:
    """Per-row Python: one dict per event, each field drawn on its own, json.dumps, one line per event."""
    dims = generate_dimensions()
    customers, titles = dims.customers, dims.titles
    rng = random.Random(1)
    devices, device_weights = list(domains.DEVICE_TYPES), list(domains.DEVICE_TYPES.values())
    span_ms = (END - START).days * 86_400_000
    start_ms = int(dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
    began = time.perf_counter()
    with out.open("w", encoding="utf-8") as f:
        for _ in range(events):
            c = customers[rng.randrange(len(customers))]
            t = titles[rng.randrange(len(titles))]
            device = rng.choices(devices, device_weights)[0]
            connection = rng.choice(list(domains.CONNECTION_TYPES))
            low, high = domains.CONNECTION_TYPES[connection]
            ms = start_ms + rng.randrange(span_ms)
            moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
            duration = t["duration_minutes"] * 60
            position = rng.randrange(duration + 1)
            ev = {
                "event_id": f"{rng.getrandbits(128):032x}",
                "event_type": rng.choice(list(domains.EVENT_TYPES)),
                "event_timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z",
                "customer_id": c["customer_id"],
                "title_id": t["title_id"],
                "session_id": f"{rng.getrandbits(128):032x}",
                "device_id": f"dev_{rng.getrandbits(64):016x}",
                "title_type": t["title_type"],
                "device_type": device,
                "device_os": rng.choice(domains.DEVICE_OS[device]),
                "app_version": rng.choice(domains.APP_VERSIONS),
                "quality": rng.choice(domains.QUALITY_ORDER),
                "bandwidth_mbps": round(rng.uniform(low, high), 1),
                "buffering_events": rng.randrange(3),
                "buffering_duration_seconds": round(rng.random() * 5, 3),
                "error_count": rng.randrange(2),
                "watch_duration_seconds": position,
                "position_seconds": position,
                "completion_percentage": round(100.0 * position / duration, 2),
                "ip_address": ".".join(str(rng.randrange(1, 224 if i == 0 else 255)) for i in range(4)),
                "isp": rng.choice(domains.ISPS),
                "connection_type": connection,
                "country": c["country"],
                "state": c["state"],
                "city": c["city"],
            }
            f.write(json.dumps(ev))
            f.write("\n")
    return {"events": events, "seconds": time.perf_counter() - began}


def backfill(events: int, out: Path) -> dict:
    """The fast backfill into a local lake directory (dimension generation included in the time)."""
    from functions.backfill import run_backfill

    report = run_backfill(events, START, END, seed=1, out=str(out))
    return {
        "events": report.events,
        "seconds": report.seconds,
        "files": report.files,
        "sessions": report.sessions,
        "bytes": report.bytes,
    }


def _child(part: str, events: int, out: Path) -> None:
    cpu = _pin_to_one_cpu()
    result = baseline(events, out / "events.jsonl") if part == "baseline" else backfill(events, out / "lake")
    result.update(_usage(), part=part, cpu=cpu)
    print(json.dumps(result))


def _run_part(part: str, events: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-backfill-{part}-"))
    try:
        cmd = [sys.executable, __file__, "--child", part, "--events", str(events), "--out", str(work)]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="events for the backfill")
    parser.add_argument("--baseline-events", type=int, default=100_000, help="events for the per-row baseline")
    parser.add_argument("--child", choices=("baseline", "backfill"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.events, args.out)
        return

    print(f"range {START} .. {END} ({(END - START).days} days), each part pinned to one CPU in its own process")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine slows the wall-clock figures)")
    rows = [_run_part("baseline", args.baseline_events), _run_part("backfill", args.events)]
    base_wall = rows[0]["events"] / rows[0]["seconds"]
    base_cpu = rows[0]["events"] / rows[0]["cpu_seconds"]
    print(
        f"{'part':<10}{'events':>12}{'seconds':>9}{'events/s':>12}{'x base':>8}{'cpu s':>8}{'events/cpu-s':>14}"
        f"{'x base':>8}{'peak RSS':>10}"
    )
    for r in rows:
        wall, cpu = r["events"] / r["seconds"], r["events"] / r["cpu_seconds"]
        print(
            f"{r['part']:<10}{r['events']:>12,}{r['seconds']:>9.2f}{wall:>12,.0f}{wall / base_wall:>7.1f}x"
            f"{r['cpu_seconds']:>8.1f}{cpu:>14,.0f}{cpu / base_cpu:>7.1f}x{r['peak_rss_mb']:>7.0f} MB"
        )
    b = rows[1]
    print(
        f"backfill wrote {b['files']:,} files, {b['bytes'] / 1e6:,.0f} MB, {b['sessions']:,} sessions "
        f"({b['bytes'] / b['events']:.0f} bytes/event)"
    )


if __name__ == "__main__":
    main()
