"""`python -m local run|preview`: the data path or the stack's plan, on this machine, without AWS."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from functions.shared.queries import NAMED_QUERIES_BY_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAKE = REPO_ROOT / "lake"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="generate, produce, deliver and query telemetry locally (moto + DuckDB)")
    amount = run.add_mutually_exclusive_group()
    amount.add_argument("--ticks", type=int, help="schedule ticks to stream, the last ending now (default 3)")
    amount.add_argument("--events", type=int, help="stream enough ticks for about this many events")
    run.add_argument("--seed", type=int, help="world seed (default: the lake's, else the stack's worldSeed)")
    run.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake, git-ignored)")
    run.add_argument("--backfill-days", type=int, default=0, help="also write history from midnight D days ago")
    run.add_argument(
        "--query",
        action="append",
        choices=sorted(NAMED_QUERIES_BY_NAME),
        help="named query to run (repeatable; default: all)",
    )
    run.add_argument("--stack", default="dev", help="stack whose config names the resources (default: dev)")

    preview = sub.add_parser("preview", help="show what `pulumi up` would create, from the program run under mocks")
    preview.add_argument("--stack", default="dev", help="stack config to use (Pulumi.<stack>.yaml; default: dev)")
    return parser


def _print_results(console: Console, results: list) -> None:
    for result in results:
        console.print(f"\n[bold]{result.query.name}[/] — {result.query.description}", soft_wrap=True)
        table = RichTable()
        for column in result.columns:
            table.add_column(column)
        for row in result.rows:
            table.add_row(*("NULL" if v is None else str(v) for v in row))
        console.print(table)


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    from local.pipeline import run_pipeline
    from local.settings import load_settings
    from local.sql import connect, run_named_queries

    settings = load_settings(args.stack)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = run_pipeline(
            settings,
            args.lake,
            ticks=args.ticks,
            events=args.events,
            seed=args.seed,
            backfill_days=args.backfill_days,
            on_progress=on_progress,
        )
    console.print(
        f"[bold]run {report.run_number + 1}[/] into {report.lake}: {report.ticks} tick(s), "
        f"{report.events_generated:,} events in {report.payloads} payload(s), {report.put_calls} PutRecords call(s); "
        f"delivered {report.delivered:,} to {report.files} Parquet file(s), {report.errors} error record(s), "
        f"{report.dead_letters} dead letter(s)"
        + (
            f"; backfill {report.backfill_events:,} events in {report.backfill_files} file(s)"
            if args.backfill_days
            else ""
        )
        + f" — {time.perf_counter() - started:.1f}s"
    )
    con = connect(args.lake, settings.database_name)
    _print_results(console, run_named_queries(con, settings.database_name, args.query))
    return 0 if report.dead_letters == 0 else 1


def _cmd_preview(args: argparse.Namespace, console: Console) -> int:
    from local.preview import render_preview

    render_preview(args.stack, console)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    try:
        if args.command == "run":
            return _cmd_run(args, console)
        return _cmd_preview(args, console)
    except ValueError as exc:  # config, lake and argument errors: one clear line, no traceback
        console.print(f"[red]error:[/] {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
