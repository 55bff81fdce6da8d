"""`python -m local run|redrive|compact|history|query|incidents|preview|cost|profile`: the data path, its dead
letters, the Iceberg lake's upkeep, snapshots and time travel, the anomaly query scored against the seeded incidents,
the stack's plan, its monthly bill, or the audience's figures against their reference bands, on this machine."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from functions.shared import layout
from functions.shared.queries import NAMED_QUERIES_BY_NAME
from local.plan import MAX_TICKS

if TYPE_CHECKING:
    from pyiceberg.table import Table as IcebergTable

    from local.compact import CompactReport
    from local.settings import LocalSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAKE = REPO_ROOT / "lake"


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an ISO 8601 time like 2026-11-26T00:10:00Z, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="generate, produce, deliver and query telemetry locally (moto + DuckDB)")
    amount = run.add_mutually_exclusive_group()
    amount.add_argument(
        "--ticks",
        type=int,
        help=f"schedule ticks to stream, the last ending now (default 3, at most {MAX_TICKS})",
    )
    amount.add_argument(
        "--events", type=int, help=f"stream enough ticks for about this many events (at most {MAX_TICKS} ticks' worth)"
    )
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
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for another run writing the same lake (default 0: refuse at once)",
    )
    run.add_argument(
        "--table-format",
        choices=layout.TABLE_FORMATS,
        help="how the lake stores events: Hive-style parquet or an Apache iceberg table (default: the lake's, "
        "else the stack's)",
    )
    run.add_argument("--compact", action="store_true", help="compact an Iceberg lake after the run (`local compact`)")

    compact = sub.add_parser(
        "compact", help="rewrite an Iceberg lake's small files, expire old snapshots, delete orphan files"
    )
    compact.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    compact.add_argument("--stack", default="dev", help="stack whose config names the database (default: dev)")
    compact.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another run on the lake")

    history = sub.add_parser("history", help="list an Iceberg lake's snapshots (for time travel)")
    history.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    history.add_argument("--stack", default="dev", help="stack whose config names the database (default: dev)")

    query = sub.add_parser("query", help="run SQL or named queries over a lake, at a snapshot of an Iceberg lake")
    query.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    query.add_argument("--stack", default="dev", help="stack whose config names the database (default: dev)")
    what = query.add_mutually_exclusive_group(required=True)
    what.add_argument("--sql", help="SQL text; {database} stands for the database, as in the named queries")
    what.add_argument("--query", action="append", choices=sorted(NAMED_QUERIES_BY_NAME), help="named query")
    when = query.add_mutually_exclusive_group()
    when.add_argument("--snapshot-id", type=int, help="read the Iceberg table at this snapshot (`local history`)")
    when.add_argument("--as-of", type=_moment, help="read the Iceberg table as it was at this ISO 8601 UTC time")

    redrive = sub.add_parser(
        "redrive", help="send the lake's dead-lettered payloads to the producer again and deliver them"
    )
    redrive.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    redrive.add_argument("--stack", default="dev", help="stack whose config names the resources (default: dev)")
    redrive.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another run on the lake")

    preview = sub.add_parser("preview", help="show what `pulumi up` would create, from the program run under mocks")
    preview.add_argument("--stack", default="dev", help="stack config to use (Pulumi.<stack>.yaml; default: dev)")

    cost = sub.add_parser("cost", help="monthly cost per service at an event rate, before and after aggregation")
    cost.add_argument("--stack", default="dev", help="stack config to price (Pulumi.<stack>.yaml; default: dev)")
    cost.add_argument(
        "--rate",
        help="events per unit of time: 100/s, 6000/min, 360000/h, 8640000/d (default: what the stack's schedule makes)",
    )
    cost.add_argument("--markdown", action="store_true", help="print the per-service table as Markdown")
    cost.add_argument(
        "--table-format",
        choices=layout.TABLE_FORMATS,
        help="price this table format instead of the stack's tableFormat (iceberg: Firehose's Iceberg destination "
        "and Glue's table optimizers)",
    )
    cost.add_argument(
        "--backup-source-records",
        action="store_true",
        help="price Firehose's source-record backup to S3 (firehoseBackupSourceRecords) though the stack leaves it off",
    )

    incidents = sub.add_parser(
        "incidents", help="score the anomaly query against the lake's incidents table: found, missed, false alarms"
    )
    incidents.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    incidents.add_argument("--stack", default="dev", help="stack whose config names the database (default: dev)")

    profile = sub.add_parser(
        "profile", help="the audience's figures measured from a lake, beside reference bands and their sources"
    )
    profile.add_argument("--lake", type=Path, default=DEFAULT_LAKE, help="lake directory (default: ./lake)")
    profile.add_argument("--png", type=Path, help="also draw each figure against its band into this PNG file")
    profile.add_argument("--json", action="store_true", help="print the figures, bands and sources as JSON")
    profile.add_argument("--markdown", action="store_true", help="print the figures table as Markdown")
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
    for note in settings.notes:
        console.print(f"[yellow]warning:[/] {note}", soft_wrap=True)
    for line in settings.info:
        console.print(f"info: {line}", soft_wrap=True)
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
            wait=args.wait,
            on_progress=on_progress,
            table_format=args.table_format,
        )
    if report.recovered:
        console.print(f"a commit an interrupted run left in {report.lake} was {report.recovered}", soft_wrap=True)
    console.print(
        f"[bold]run {report.run_number + 1}[/] into {report.lake}: {report.ticks} tick(s), "
        f"{report.events_generated:,} events in {report.payloads} payload(s), {report.put_calls} PutRecords call(s); "
        f"delivered {report.delivered:,} to {report.files} "
        + ("data file(s) of the Iceberg table" if report.table_format == "iceberg" else "Parquet file(s)")
        + f", {report.errors} error record(s), "
        f"{report.dead_letters} dead letter(s)"
        + (f" (kept under {report.lake}/dead-letter/; `python -m local redrive`)" if report.dead_letters else "")
        + (f"; re-drove {report.redriven} dead letter(s)" if report.redriven else "")
        + (
            f"; backfill {report.backfill_events:,} events in {report.backfill_files} file(s)"
            if args.backfill_days
            else ""
        )
        + f" — {time.perf_counter() - started:.1f}s"
    )
    if args.compact and report.table_format == "iceberg":
        _print_compaction(console, args.lake, _compact(settings, args.lake, args.wait))
    con = connect(args.lake, settings.database_name)
    _print_results(console, run_named_queries(con, settings.database_name, args.query))
    return 0 if report.dead_letters == 0 else 1


def _compact(settings: LocalSettings, lake: Path, wait: float) -> CompactReport:
    from local.compact import compact_lake

    return compact_lake(settings, lake, wait=wait)


def _print_compaction(console: Console, lake: Path, report: CompactReport) -> None:
    m = report.maintenance
    console.print(
        f"compacted {lake}: {report.rewritten} small file(s) rewritten into {report.written}, data files "
        f"{report.files_before} → {report.files_after}; expired {m.expired_snapshots} snapshot(s) "
        f"({m.kept_snapshots} kept) and {m.expired_files} file(s) only they referenced; deleted {m.orphan_files} "
        "orphan file(s)",
        soft_wrap=True,
    )


def _cmd_compact(args: argparse.Namespace, console: Console) -> int:
    from local.settings import load_settings

    _print_compaction(console, args.lake, _compact(load_settings(args.stack), args.lake, args.wait))
    return 0


def _iceberg_table(args: argparse.Namespace) -> tuple[IcebergTable, str]:
    from local import iceberg
    from local.marker import LakeError, lake_database, lake_table_format
    from local.settings import load_settings

    if lake_table_format(args.lake) != "iceberg":
        raise LakeError(f"--lake {args.lake} is not an Iceberg lake (made by `local run --table-format iceberg`)")
    database = lake_database(args.lake) or load_settings(args.stack).database_name
    return iceberg.open_table(args.lake, database, create=False), database


HISTORY_WIDTH = 100
"""Columns `local history` needs to show snapshot ids and commit times unbroken."""


def _cmd_history(args: argparse.Namespace, console: Console) -> int:
    from local import iceberg

    table, database = _iceberg_table(args)
    out = RichTable(title=f"{database}.streaming_events in {args.lake}: snapshots, oldest first")
    for column in ("snapshot id", "committed at (UTC)", "operation", "records", "data files"):
        out.add_column(column, no_wrap=True)
    for s in iceberg.snapshots(table):
        when = s.committed_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        out.add_row(str(s.snapshot_id), when, s.operation, f"{s.records:,}", str(s.data_files))
    # Snapshot ids and times whole, even in a narrow terminal: they are copied into `local query`.
    Console(file=console.file, width=max(console.width, HISTORY_WIDTH)).print(out)
    return 0


def _cmd_query(args: argparse.Namespace, console: Console) -> int:
    from functions.shared.queries import NamedQuery
    from local.settings import load_settings
    from local.sql import QueryResult, connect, run_named_queries

    database = load_settings(args.stack).database_name
    con = connect(args.lake, database, snapshot_id=args.snapshot_id, as_of=args.as_of)
    if args.query:
        _print_results(console, run_named_queries(con, database, args.query))
        return 0
    query = NamedQuery("sql", "--sql", args.sql)
    try:
        cursor = con.execute(query.sql(database))
    except (KeyError, IndexError) as exc:
        raise ValueError(f"--sql: only {{database}} may appear in braces, got {exc}") from None
    except Exception as exc:  # DuckDB's parser, binder and catalog errors: the message is the answer
        raise ValueError(f"--sql: {str(exc).splitlines()[0]}") from None
    _print_results(console, [QueryResult(query, [d[0] for d in cursor.description], cursor.fetchall())])
    return 0


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _cmd_cost(args: argparse.Namespace, console: Console) -> int:
    from local import prices
    from local.cost import (
        KINESIS_ON_DEMAND_ADVANTAGE,
        SECONDS_PER_MONTH,
        advantage_break_even,
        default_rate,
        estimate,
        kinesis_cost,
        measure_profile,
        parse_rate,
        provisioned_break_even,
        provisioned_shards,
    )
    from local.settings import load_settings

    settings = load_settings(args.stack)
    if args.table_format:
        settings = settings.but(table_format=args.table_format)
    if args.backup_source_records:
        settings = settings.but(firehose_backup_source_records=True)
    rate = parse_rate(args.rate) if args.rate is not None else default_rate(settings)
    profile = measure_profile(settings.batch_size)
    bill = estimate(settings, rate, profile)
    services = bill.by_service()
    title = (
        f"{args.stack}: {rate:,.2f} events/s ({rate * 86_400:,.0f} a day), Kinesis {bill.stream_mode}, "
        f"{settings.table_format} table, {prices.REGION} list prices of {prices.READ_ON}"
    )
    events = rate * SECONDS_PER_MONTH
    sent = "before" if settings.table_format == layout.TABLE_FORMAT_ICEBERG else "after"
    kinesis_modes = (
        f"Kinesis for this rate ({'one event per record' if sent == 'before' else 'aggregated'}): ON_DEMAND "
        f"{_money(kinesis_cost('ON_DEMAND', 0, events, profile, sent))}, PROVISIONED "
        f"{_money(kinesis_cost('PROVISIONED', provisioned_shards(rate, profile, sent), events, profile, sent))} "
        f"({provisioned_shards(rate, profile, sent)} shard(s)), On-demand Advantage "
        f"{_money(kinesis_cost(KINESIS_ON_DEMAND_ADVANTAGE, 0, events, profile, sent))} (billed for at least "
        f"{prices.KINESIS_ADVANTAGE_COMMIT_BYTES_PER_SECOND / 1024**2:.0f} MiB/s, an account-wide commitment)"
    )
    advantage = advantage_break_even(profile, sent)
    advantage_line = (
        "On-demand Advantage never costs this stream less than ON_DEMAND below 1,000,000 events/s"
        if advantage is None
        else f"On-demand Advantage costs this stream alone less than ON_DEMAND from {advantage:,.0f} events/s "
        f"({advantage * profile.kinesis_billed[sent] / 1024**2:,.1f} MiB/s billed); other on-demand streams of "
        "the account share its commitment"
    )
    if args.markdown:
        print(f"<!-- python -m local cost --stack {args.stack} --rate {args.rate or 'default'} -->")
        print(f"**{title}**\n")
        print("| service | one event per record | aggregated |\n|---|---:|---:|")
        for service, (before, after) in services.items():
            print(f"| {service} | {_money(before)} | {_money(after)} |")
        print(f"| **total / month** | **{_money(bill.total('before'))}** | **{_money(bill.total('after'))}** |")
        print(f"\n{kinesis_modes}. {advantage_line}.")
        shards = {w: provisioned_shards(rate, profile, w) for w in ("before", "after")}
        print(
            "\nKinesis as PROVISIONED, shards for twice the mean rate: "
            f"{_money(kinesis_cost('PROVISIONED', shards['before'], events, profile, 'before'))} "
            f"({shards['before']} shard(s)) one event per record, "
            f"{_money(kinesis_cost('PROVISIONED', shards['after'], events, profile, 'after'))} "
            f"({shards['after']} shard(s)) aggregated."
        )
        return 0
    table = RichTable(title=title)
    for column in ("service", "what", "one event per record", "aggregated"):
        table.add_column(column, justify="right" if column != "service" and column != "what" else "left")
    for line in bill.lines:
        table.add_row(line.service, line.item, _money(line.before), _money(line.after))
    table.add_row("total / month", "", _money(bill.total("before")), _money(bill.total("after")), style="bold")
    console.print(table)
    per_k = {k: v * 1000 for k, v in profile.records.items()}
    billed_k = {k: v * 1000 / 1024 for k, v in profile.firehose_billed.items()}
    console.print(
        f"workload: {profile.json_bytes:,.0f} bytes of JSON per event; Kinesis records per 1,000 events "
        f"{per_k['before']:,.0f} → {per_k['after']:,.1f}; billed Firehose KB per 1,000 events "
        f"{billed_k['before']:,.0f} → {billed_k['after']:,.0f} ({billed_k['before'] / billed_k['after']:.1f}× fewer); "
        f"{profile.parquet_bytes:,.0f} bytes of Parquet per event",
        soft_wrap=True,
    )
    break_even = provisioned_break_even(profile)
    if break_even is None:
        console.print("a PROVISIONED stream never costs less than ON_DEMAND at these prices", soft_wrap=True)
    elif break_even == 0:
        console.print(
            "a PROVISIONED stream sized for the rate (peak twice the mean) costs less than ON_DEMAND at every rate, "
            "from 0 events/s: one shard-hour is cheaper than one on-demand stream-hour, and provisioned data is "
            "billed per 25 KB PUT unit, not per GB; ON_DEMAND pays for not having to size the stream",
            soft_wrap=True,
        )
    else:
        console.print(f"a PROVISIONED stream costs less than ON_DEMAND from {break_even:,.1f} events/s", soft_wrap=True)
    console.print(kinesis_modes, soft_wrap=True)
    console.print(advantage_line, soft_wrap=True)
    for note in bill.notes:
        console.print(f"note: {note}", soft_wrap=True)
    return 0


def _cmd_profile(args: argparse.Namespace, console: Console) -> int:
    from local.profile import as_json, format_value, markdown_table, measure

    profile = measure(args.lake)
    if args.png is not None:
        from local.profile_chart import render_png

        render_png(profile, args.png)
    if args.json:
        print(json.dumps(as_json(profile), indent=2))
        return 0
    if args.markdown:
        print(markdown_table(profile))
        return 0
    days = profile.days
    span = f"{days[0]} to {days[-1]}, {len(days)} whole day(s)" if days else "no whole day"
    passed = sum(f.ok for f in profile.figures)
    table = RichTable(
        title=f"{args.lake}: {profile.plays:,} plays, {profile.customers:,} customers, {span} — "
        f"{passed} of {len(profile.figures)} figures inside their bands"
    )
    for column, justify in (("figure", "left"), ("value", "right"), ("band", "right"), ("", "center")):
        table.add_column(column, justify=justify)
    table.add_column("source", overflow="fold")
    for figure in profile.figures:
        sources = "; ".join(s.cite for s in figure.band.sources)
        table.add_row(
            figure.band.figure,
            format_value(figure),
            figure.band.describe(),
            "[green]ok[/]" if figure.ok else "[red]out[/]",
            sources,
        )
    console.print(table)
    if args.png is not None:
        console.print(f"chart: {args.png}")
    console.print("each band's sources and how its range follows from them: local/bands.py (or --json)")
    return 0


def _cmd_redrive(args: argparse.Namespace, console: Console) -> int:
    from local.pipeline import redrive
    from local.settings import load_settings

    report = redrive(load_settings(args.stack), args.lake, wait=args.wait)
    console.print(
        f"re-drove {report.redriven} dead letter(s) into {report.lake}: delivered {report.delivered:,} events; "
        f"{report.dead_letters} failed again and stay under dead-letter/",
        soft_wrap=True,
    )
    return 0 if report.dead_letters == 0 else 1


def _cmd_incidents(args: argparse.Namespace, console: Console) -> int:
    from local.incidents import report_lines, score_lake
    from local.settings import load_settings

    for line in report_lines(score_lake(args.lake, load_settings(args.stack).database_name)):
        console.print(line, soft_wrap=True, highlight=False)
    return 0


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
        if args.command == "cost":
            return _cmd_cost(args, console)
        if args.command == "profile":
            return _cmd_profile(args, console)
        if args.command == "redrive":
            return _cmd_redrive(args, console)
        if args.command == "compact":
            return _cmd_compact(args, console)
        if args.command == "history":
            return _cmd_history(args, console)
        if args.command == "query":
            return _cmd_query(args, console)
        if args.command == "incidents":
            return _cmd_incidents(args, console)
        return _cmd_preview(args, console)
    except ValueError as exc:  # config, lake and argument errors: one clear line, no traceback
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    except OSError as exc:  # the disk or the lake's directory stopped taking files: nothing half-written is kept
        console.print(
            f"[red]error:[/] {exc}; the lake keeps only whole stretches, run again to fill the rest", soft_wrap=True
        )
        return 1
    except KeyboardInterrupt:
        console.print("interrupted: the lake keeps only whole stretches; run again to fill the rest", soft_wrap=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
