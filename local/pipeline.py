"""The whole data path on one machine: generator -> producer -> Kinesis (moto) -> delivery -> lake -> DuckDB.

Every write into the lake is crash-safe (`lakewriter.durable`): a run holds the lake's lock, and each stretch it
writes (one tick's delivered files, one backfill range) enters the lake whole through a journaled commit that
records it in the marker, so a run killed at any point leaves whole stretches only, and the next run streams or
backfills exactly what is missing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from functions.shared.dimensions import Dimensions
from functions.shared.domains import DEFAULT_WINDOW_SECONDS
from functions.shared.schema import CUSTOMERS, DIMENSION_TABLES
from functions.shared.world import check_world_seed
from lakewriter import durable, faults
from lakewriter.customers import CUSTOMERS_PER_PART, customer_parts, part_name
from lakewriter.parquet import dimension_parquet, parquet_bytes
from local.delivery import DeliveryStats
from local.lambda_standin import DeadLetter
from local.marker import DEAD_LETTER_PREFIX, LAKE_MARKER, Held, Lake, LakeError, open_lake, settle
from local.moto_setup import LocalStack
from local.plan import moment, ms, plan_backfill, plan_stretches, plan_ticks
from local.settings import LocalSettings


def write_dimensions(lake: Path, dims: Dimensions, world_seed: int) -> list[Path]:
    """Write the dimension tables but customers (`write_customer_parts`) where the stack uploads them,
    `<prefix><table>.parquet`, each atomically (the incidents those of world `world_seed`)."""
    written = []
    blobs = dimension_parquet(dims, world_seed)
    for table in DIMENSION_TABLES:
        if table.name == CUSTOMERS.name:
            continue
        path = lake / table.prefix / f"{table.name}.parquet"
        if not path.is_file() or path.read_bytes() != blobs[table.name]:
            durable.atomic_write(path, blobs[table.name])
        written.append(path)
    return written


def write_customer_parts(
    lake: Lake, seed: int, count: int, as_of: dt.date, rows_per_part: int = CUSTOMERS_PER_PART
) -> list[Path]:
    """Write the customers table of `count` (dimension seed `seed`) as of `as_of` where the stack uploads it, as
    `customers/customers.parquet`, `customers/customers_00001.parquet` …, in one journaled commit: a part whose
    bytes change is staged and moved in, and any other file under the prefix (a part past the table's end) is
    deleted by the same commit.

    A run stopped before the commit's intent is written leaves the old table. After it, the commit only goes
    forward (a replaced part's old bytes are gone): a run stopped by an error or a signal finishes it before it
    stops, and one killed outright leaves each file whole and each customer once (part k always holds the same
    ids: a table as of a later day only adds customers at the end), some parts as of the earlier day, until the
    next run's recovery finishes the moves. The marker records what the parts hold (`customers`), so a run for the
    same table makes and writes nothing.
    """
    prefix = lake.path / CUSTOMERS.prefix
    wanted = {"seed": seed, "count": count, "as_of": as_of.isoformat(), "rows_per_part": rows_per_part}
    held = durable.read_state(lake.marker).get("customers")
    present = sorted(p for p in prefix.iterdir() if p.is_file()) if prefix.is_dir() else []
    if isinstance(held, dict) and {k: held.get(k) for k in wanted} == wanted:
        parts = [prefix / name for name in held.get("parts", ())]
        if present == sorted(parts):
            return parts
    staging = lake.staging()
    try:
        return _commit_parts(lake, staging, wanted, present)
    except BaseException:
        if "pending" not in durable.read_state(lake.marker):  # nothing left to finish needs what was staged
            durable.remove_staging(staging)
        raise


def _commit_parts(lake: Lake, staging: Path, wanted: dict, present: list[Path]) -> list[Path]:
    """Stage the parts whose bytes change and commit them with the deletion of every other file under the prefix."""
    prefix = lake.path / CUSTOMERS.prefix
    parts, moves = [], []
    as_of = dt.date.fromisoformat(wanted["as_of"])
    for index, table in enumerate(customer_parts(wanted["seed"], wanted["count"], as_of, wanted["rows_per_part"])):
        final = prefix / part_name(index)
        data = parquet_bytes(table)
        parts.append(final)
        if final.is_file() and final.read_bytes() == data:
            continue
        staged = staging / CUSTOMERS.prefix / final.name
        staged.parent.mkdir(parents=True, exist_ok=True)
        faults.step("write customers part")
        staged.write_bytes(data)
        moves.append((staged, final))
    stale = [p for p in present if p not in parts and not p.name.startswith(durable.TMP_MARK)]
    # The lake's own journal, never an Iceberg lake's table commit: the parts are files of the lake either way.
    record = {"customers": {**wanted, "parts": [p.name for p in parts]}}
    journal = durable.Journal(lake.path, lake.marker, record, settle)
    journal.begin(moves, deletes=stale)
    relative = [(str(s.relative_to(lake.path)), str(f.relative_to(lake.path))) for s, f in moves]

    def finish() -> None:
        durable.apply_moves(lake.path, relative)
        journal.end()

    try:
        finish()
    except BaseException:
        finish()  # forward, not back; failing again, the intent stays for the next run's recovery
        raise
    durable.remove_staging(staging)
    return parts


@dataclass
class RunReport:
    """What a local run did."""

    lake: Path
    run_number: int
    ticks: int = 0
    events_generated: int = 0
    payloads: int = 0
    put_calls: int = 0
    delivered: int = 0
    errors: int = 0
    dead_letters: int = 0
    """Payloads that failed every retry in this run and wait in the lake's dead-letter area."""
    files: int = 0
    backfill_events: int = 0
    backfill_files: int = 0
    redriven: int = 0
    """Dead-lettered payloads of earlier runs delivered by this one."""
    recovered: str | None = None
    """What this run did with a commit a killed run left: "finished", "undone", or None."""
    table_format: str = "parquet"
    event_ids: list[str] = field(default_factory=list)


def _dead_letter_document(letter: DeadLetter, function: str, attempts: int) -> bytes:
    """The failed invocation as Lambda's on-failure destination records it: request, error, attempts."""
    try:
        request: object = json.loads(letter.payload)
    except ValueError:
        request = {"base64": base64.b64encode(letter.payload).decode("ascii")}
    record = {
        "requestContext": {
            "functionArn": function,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": request,
        "responsePayload": {"errorMessage": letter.error},
    }
    return json.dumps(record).encode("utf-8")


def dead_letter_payload(path: Path) -> bytes:
    """The producer payload a dead-letter document holds."""
    request = json.loads(path.read_text(encoding="utf-8"))["requestPayload"]
    if isinstance(request, dict) and set(request) == {"base64"}:
        return base64.b64decode(request["base64"])
    return json.dumps(request, separators=(",", ":")).encode("utf-8")


class _Stretches:
    """Delivers and commits what a run writes, one stretch at a time."""

    def __init__(self, stack: LocalStack, lake: Lake, report: RunReport) -> None:
        self.stack = stack
        self.lake = lake
        self.report = report
        self._letters_seen = 0

    def _new_dead_letters(self) -> list[DeadLetter]:
        letters = self.stack.lambda_client.dead_letters[self._letters_seen :]
        self._letters_seen = len(self.stack.lambda_client.dead_letters)
        return letters

    def deliver(self, low: int, high: int, replaces: Held | None = None) -> None:
        """Deliver what the stream holds as the stretch [low, high) and commit it, its dead letters with it."""
        staging = self.lake.staging()
        try:
            stats = self._commit(staging, low, high, replaces)
        except BaseException:  # the stretch did not go in: drop what was staged for it (the next run would)
            durable.remove_staging(staging)
            raise
        self.report.delivered += stats.delivered
        self.report.errors += stats.errors
        self.report.files += len(stats.files)

    def _commit(self, staging: Path, low: int, high: int, replaces: Held | None) -> DeliveryStats:
        stats = self.stack.deliver(into=staging)
        letters = self._new_dead_letters()
        moves = [(Path(f), self.lake.path / Path(f).relative_to(staging)) for f in stats.files + stats.error_files]
        kept = []
        attempts = self.stack.settings.producer_max_retry_attempts + 1
        for i, letter in enumerate(letters):
            rel = f"{DEAD_LETTER_PREFIX}{low}-{high}/payload-{i:04d}.json"
            staged = staging / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            faults.step("write dead letter")
            staged.write_bytes(_dead_letter_document(letter, self.stack.settings.producer_function_name, attempts))
            moves.append((staged, self.lake.path / rel))
            kept.append(rel)
        record: dict = (
            {"held": {"from": low, "until": high, "dead_letters": kept}} if kept else {"covered": [low, high]}
        )
        old_letters: list[str] = []
        if replaces is not None:
            record["unhold"] = [replaces.from_ms, replaces.until_ms]
            old_letters = [d for d in replaces.dead_letters if d not in kept]
        journal = self.lake.journal(record)
        journal.replaces = old_letters
        journal.commit(moves)
        durable.remove_staging(staging)
        self.report.dead_letters += len(letters)
        return stats

    def redrive(self) -> None:
        """Send every dead-lettered payload of the lake to the producer again and deliver what it writes: a stretch
        whose letters all go through is covered; one whose letters fail again keeps them, with the new error."""
        for held in self.lake.state.held:
            failed_before = self.report.dead_letters
            for rel in held.dead_letters:
                self.stack.redrive(dead_letter_payload(self.lake.path / rel))
            self.deliver(held.from_ms, held.until_ms, replaces=held)
            self.report.redriven += len(held.dead_letters) - (self.report.dead_letters - failed_before)


def run_pipeline(
    settings: LocalSettings,
    lake: Path,
    *,
    ticks: int | None = None,
    events: int | None = None,
    seed: int | None = None,
    backfill_days: int = 0,
    now: dt.datetime | None = None,
    wait: float = 0.0,
    on_progress: Callable[[str, int, int], None] | None = None,
    before_delivery: Callable[[LocalStack], None] | None = None,
    table_format: str | None = None,
) -> RunReport:
    """Stream the schedule's last ticks before `now` through the local stack, and backfill the history before them.

    Ticks end on the schedule's period boundaries (the last at or before `now`); the backfill writes the same
    world from midnight `backfill_days` ago up to the first tick. The lake remembers the stretches of the world
    it holds, so a later run streams only what it lacks: what the ticks ask for that is missing, history it asks
    for, and any gap between what the lake holds and the ticks (backfilled). Dead-lettered payloads of earlier
    runs are re-driven first. No event is ever written twice, whatever interrupts a run. `table_format` (default:
    the lake's, else the stack's) says whether the events are Hive-style Parquet or an Iceberg table; a lake keeps
    the format it was made with.
    """
    window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    period_ms = window_seconds * 1000
    tick_count = plan_ticks(ticks, events, settings.batch_size, window_seconds)
    now = now or dt.datetime.now(dt.UTC)
    history_from = plan_backfill(backfill_days, now.date(), settings)
    if seed is not None:
        check_world_seed("--seed", seed)
    from lakewriter.backfill.run import MAX_RANGE_DAYS, run_backfill  # numpy/pyarrow path

    progress = on_progress or (lambda _stage, _done, _total: None)
    with (
        durable.sigterm_unwinds(),
        open_lake(lake, settings, seed=seed, wait=wait, table_format=table_format) as opened,
    ):
        report = RunReport(
            lake=lake, run_number=opened.run_number, recovered=opened.recovered, table_format=opened.table_format
        )
        state = opened.state
        end_ms = ms(now) // period_ms * period_ms
        windows, history = plan_stretches(
            taken=[*state.covered, *((h.from_ms, h.until_ms) for h in state.held)],
            ticks_from=end_ms - tick_count * period_ms,
            end_ms=end_ms,
            period_ms=period_ms,
            want_from=ms(history_from) if history_from else None,
            max_history_ms=MAX_RANGE_DAYS * 86_400_000,
        )
        with LocalStack(
            settings, lake, seed=opened.world.seed, run_number=opened.run_number, table_format=opened.table_format
        ) as stack:
            # The customers table as known at the lake's end: everyone its events reference, dates as of that day.
            lake_end_ms = max([end_ms, *(until for _, until in state.covered), *(h.until_ms for h in state.held)])
            write_dimensions(lake, stack.dims, opened.world.seed)
            world = opened.world
            write_customer_parts(opened, world.dimension_seed, world.customers, moment(lake_end_ms - 1).date())
            stretches = _Stretches(stack, opened, report)
            if state.held:
                stretches.redrive()
            for i, (start, end) in enumerate(windows):
                summary = stack.tick(start, end)
                report.ticks += 1
                report.events_generated += summary.get("events", 0)
                report.payloads += summary.get("payloads", 0)
                if before_delivery and i == 0:
                    before_delivery(stack)
                stretches.deliver(start, end)
                progress("ticks", i + 1, len(windows))
            report.put_calls = stack.lambda_client.put_calls
            report.event_ids = list(stack.lambda_client.accepted_event_ids)
            for start, end in history:
                result = run_backfill(
                    moment(start),
                    moment(end),
                    seed=opened.world.seed,
                    batch_size=settings.batch_size,
                    out=str(lake),
                    dims=stack.dims,
                    dimension_seed=opened.world.dimension_seed,
                    progress=lambda done, total: progress("backfill", done, total),
                    journal=opened.journal({"covered": [start, end]}),
                    table_format=opened.table_format,
                )
                report.backfill_events += result.events
                report.backfill_files += result.files
    return report


def redrive(settings: LocalSettings, lake: Path, *, wait: float = 0.0) -> RunReport:
    """Re-drive the lake's dead-lettered payloads through the producer and deliver them (`python -m local redrive`)."""
    if not (lake / LAKE_MARKER).is_file():
        raise LakeError(
            f"--lake {lake} is not a lake made by `python -m local run` (no {LAKE_MARKER}): nothing to re-drive"
        )
    with durable.sigterm_unwinds(), open_lake(lake, settings, wait=wait) as opened:
        report = RunReport(lake=lake, run_number=opened.run_number, recovered=opened.recovered)
        if opened.state.held:
            with LocalStack(
                settings, lake, seed=opened.world.seed, run_number=opened.run_number, table_format=opened.table_format
            ) as stack:
                _Stretches(stack, opened, report).redrive()
        return report
