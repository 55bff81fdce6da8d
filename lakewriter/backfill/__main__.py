"""Command line: `python -m lakewriter.backfill --start WHEN --end WHEN [--seed S] [--batch-size N] --out DIR`."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence

from functions.shared.dimensions import DEFAULT_DIMENSION_SEED
from functions.shared.domains import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, TITLES
from functions.shared.world import DEFAULT_WORLD_SEED, MAX_WORLD_SEED
from lakewriter.backfill.run import (
    DEFAULT_CHUNK_EVENTS,
    MAX_CHUNK_EVENTS,
    MAX_RANGE_DAYS,
    MIN_YEAR,
    as_moment,
    run_backfill,
)
from lakewriter.durable import sigterm_unwinds

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?\Z"
)


def _when(text: str) -> dt.date | dt.datetime:
    """A date YYYY-MM-DD (midnight UTC) or an ISO 8601 time with Z or an offset (naive times are UTC)."""
    rule = "must be a date YYYY-MM-DD or an ISO 8601 UTC time like 2026-01-31T23:55:00Z"
    # fromisoformat alone would also take 20260101 and week dates like 2026-W01-1.
    try:
        if _DATE.match(text):
            value: dt.date | dt.datetime = dt.date.fromisoformat(text)
        elif _TIME.match(text):
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            value = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        else:
            raise ValueError(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{rule}, got {text!r}") from None
    if value.year < MIN_YEAR:
        raise argparse.ArgumentTypeError(f"must be from year {MIN_YEAR} on, got {text!r}")
    return value


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an ISO 8601 time like 2026-01-31T23:59:59Z, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _count(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    rule = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum:,}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {value}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lakewriter.backfill",
        description=(
            "Write historical streaming_events over [start, end) into the lake's hour partitions: at most "
            f"{MAX_RANGE_DAYS} days per run; into a local directory one run at a time, all of the range or none."
        ),
    )
    p.add_argument("--start", type=_when, required=True, help="start (inclusive): YYYY-MM-DD or ISO 8601 UTC time")
    p.add_argument("--end", type=_when, required=True, help="end (exclusive): YYYY-MM-DD or ISO 8601 UTC time")
    p.add_argument(
        "--seed",
        type=_count(0, MAX_WORLD_SEED),
        default=DEFAULT_WORLD_SEED,
        help=f"world seed, the stack's worldSeed (default {DEFAULT_WORLD_SEED}): same seed, same events as the stream",
    )
    p.add_argument(
        "--batch-size",
        type=_count(1, MAX_BATCH_SIZE),
        default=DEFAULT_BATCH_SIZE,
        help=f"the stack's batchSize, mean events per 5 minutes (default {DEFAULT_BATCH_SIZE})",
    )
    p.add_argument("--out", required=True, help="lake root: a directory or s3://bucket/prefix")
    p.add_argument("--dimension-seed", type=_count(0), default=DEFAULT_DIMENSION_SEED, help="seed of the dimensions")
    p.add_argument("--customers", type=_count(1), default=CUSTOMERS.default_rows, help="customers in the dimensions")
    p.add_argument("--titles", type=_count(1), default=TITLES.default_rows, help="titles in the dimensions")
    p.add_argument(
        "--campaigns", type=_count(1), default=CAMPAIGNS.default_rows, help="campaigns in the dimensions (ad breaks)"
    )
    p.add_argument(
        "--chunk-events",
        type=_count(1, MAX_CHUNK_EVENTS),
        default=DEFAULT_CHUNK_EVENTS,
        help="events generated and written at a time",
    )
    p.add_argument(
        "--written-at",
        type=_moment,
        help="time stamped into the file names (default: the end of the range, so a rerun replaces its files)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for another backfill writing the same local lake (default 0: refuse at once)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    start, end = (as_moment(name, getattr(args, name)) for name in ("start", "end"))
    if not start < end:
        p.error(f"--start must be before --end, got --start {args.start} --end {args.end}")
    if not args.out.strip():
        p.error("--out must be a directory or s3://bucket/prefix, got an empty string")

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r{done:,} of about {total:,} events", end="", file=sys.stderr, flush=True)

    try:
        with sigterm_unwinds():  # SIGTERM, like Ctrl-C, removes what the run staged before it exits
            report = run_backfill(
                start,
                end,
                seed=args.seed,
                batch_size=args.batch_size,
                out=args.out,
                dimension_seed=args.dimension_seed,
                customers=args.customers,
                titles=args.titles,
                campaigns=args.campaigns,
                chunk_events=args.chunk_events,
                written_at=args.written_at,
                progress=progress,
                wait=args.wait,
            )
    except ValueError as exc:
        p.error(str(exc))
    except OSError as exc:  # the lake stopped taking files mid-run; what this run wrote has been deleted
        print(f"{p.prog}: error: writing to {args.out} failed, nothing kept: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(file=sys.stderr)
    print(
        f"wrote {report.events:,} events in {report.sessions:,} sessions to {report.files:,} files "
        f"({report.partitions:,} hour partitions, {report.bytes / 1e6:,.1f} MB) under {args.out} "
        f"in {report.seconds:.1f} s ({report.events_per_second:,.0f} events/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
