"""Write the world over [start, end) into the lake's hour partitions, a block of start slots at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import math
import os
import posixpath
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs

from functions.generator.events import epoch_ms
from functions.shared import layout
from functions.shared import world as wm
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, world_dimensions
from functions.shared.domains import DEFAULT_BATCH_SIZE
from functions.shared.layout import TIMESTAMP_FIELD
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, STREAMING_EVENTS, TITLES
from functions.shared.world import World, check_batch_size, check_world_seed
from lakewriter import durable
from lakewriter.backfill import kernel, model, strings
from lakewriter.backfill.model import Block, Catalog
from lakewriter.backfill.writer import MS_PER_HOUR, PartitionWriters
from lakewriter.parquet import arrow_schema

MS_PER_DAY = 86_400_000
STREAM_NAME = "backfill"
"""Stands in for the delivery stream name in Firehose-style object names."""
OBJECT_VERSION = 1
DEFAULT_CHUNK_EVENTS = 500_000
"""Events formatted and written at a time; bounds memory whatever the run's size."""
MAX_CHUNK_EVENTS = 5_000_000
"""A chunk's string columns use 32-bit offsets (at most 2 GiB of text, ~36 bytes per event in the widest) and
it takes about 450 bytes of memory per event, so larger chunks buy nothing and risk both limits."""
MIN_YEAR = 1000
MAX_RANGE_DAYS = 366
"""Days one backfill may cover: a year of the stack's default world (about 105 million events, a few minutes
here). Longer history is several adjacent runs, which the ledger keeps apart."""
LEDGER = ".backfill-ledger.json"
"""The ranges a local lake holds from earlier backfills, and the intent of a commit under way (lakewriter.durable)."""
MAX_CHUNK_HOURS = 24
"""A chunk also ends once it covers this many hours of session starts, which bounds the open files (one per hour
still receiving events) when events per hour are few."""
BLOCK_SESSIONS = 100_000
"""Mean session starts generated as one numpy block (most of a block's look-back sessions are dropped early)."""
MAX_BLOCK_SLOTS = 60
"""A block covers at most an hour of start slots, so hour files close soon after their hour when events are few."""
BACKGROUND_WRITER = True
"""Write each chunk on a thread of its own while the next is generated (the same files; `_Chunks`)."""

DICTIONARY_COLUMNS = [
    *model.VIEWER_COLUMNS, *model.TITLE_COLUMNS, "event_type", "buffering_events", "error_count", "error_code",
    "bitrate_kbps", "campaign_id", "ad_position", "ad_duration_seconds",
]  # fmt: skip
"""Columns worth Parquet dictionary encoding (few distinct values per file)."""
STATISTICS_COLUMNS = [TIMESTAMP_FIELD] + [c.name for c in STREAMING_EVENTS.columns if c.type != "string"]
"""Columns given min/max statistics. Rows are in session order within an hour, so every row group spans
nearly all values of the other string columns (ids, countries, devices): their statistics could never
prune a row group and cost a fifth of the write time."""


def write_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with the columns built from dimension values (and event_type) typed dictionary<int32, string>.

    The files are written without the Arrow schema, so readers see those columns as plain strings.
    """
    partition_columns = [name for name in layout.TIME_PARTITION_KEYS if name in schema.names]  # an Iceberg table's
    for name in (
        "event_type",
        "error_code",
        "campaign_id",
        "ad_position",
        *model.VIEWER_COLUMNS,
        *model.TITLE_COLUMNS,
        *partition_columns,
    ):
        i = schema.get_field_index(name)
        schema = schema.set(i, schema.field(i).with_type(pa.dictionary(pa.int32(), pa.string())))
    return schema


_EVENT_TYPES = strings.string_table(model.EVENT_TYPE_NAMES)
_ERROR_CODES, _ERROR_CODE_AT = strings.coded_table(kernel.ERROR_CODE_NAMES)
"""error_code's values (one network error is both a start and a playback code) and each code's index among them."""
_AD_POSITIONS = strings.string_table(model.AD_POSITION_NAMES)


@dataclass(frozen=True)
class BackfillReport:
    """What a backfill wrote."""

    events: int
    sessions: int
    partitions: int
    files: int
    bytes: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf


def as_moment(name: str, value: object) -> dt.datetime:
    """A date (midnight UTC) or a timezone-aware datetime as an aware UTC datetime; ValueError naming `name`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a UTC time (timezone-aware), got naive {value.isoformat()}")
        moment = value.astimezone(dt.UTC)
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    else:
        raise ValueError(f"{name} must be a date or an ISO 8601 UTC time, got {value!r}")
    if moment.year < MIN_YEAR:
        raise ValueError(f"{name} must be from year {MIN_YEAR} on (timestamps have 4-digit years), got {moment}")
    return moment


def plan_blocks(world: World, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """Slot ranges [lo, hi), in time order, whose sessions hold every event of [start_ms, end_ms)."""
    slots = world.slot_range(start_ms, end_ms)
    per = max(1, min(MAX_BLOCK_SLOTS, int(BLOCK_SESSIONS / world.sessions_per_slot)))
    return [(lo, min(lo + per, slots.stop)) for lo in range(slots.start, slots.stop, per)]


def build_tables(block: Block, catalog: Catalog, schema: pa.Schema, cuts: list[int]) -> Iterator[pa.Table]:
    """The streaming_events rows of a block as one table per file, rows [cuts[i], cuts[i + 1]) each.

    Columns of dimension values with few distinct values carry all of them as their dictionary; the others only
    those of the file's rows (`Coded.column`).
    """
    s = block.session.astype(np.intp)
    by_row = (
        (np.take(block.viewer, s).astype(np.intp), block.viewer_columns()),
        (np.take(block.title, s).astype(np.intp), catalog.title_columns),
    )
    whole: dict[str, pa.Array] = {
        name: coded.column(rows) for rows, columns in by_row for name, coded in columns.items() if coded.small
    }
    whole.update(
        {
            "event_id": strings.uuid4_strings(block.event_bytes),
            "event_type": pa.DictionaryArray.from_arrays(
                pa.array(block.event_type.astype(np.int32)), _EVENT_TYPES, safe=False
            ),
            "event_timestamp": strings.timestamp_strings(block.timestamp_ms),
            "session_id": strings.uuid4_strings(block.session_bytes, s),
        }
    )
    numbers = {
        "bandwidth_mbps": block.bandwidth,
        "buffering_events": block.buffering_events,
        "buffering_duration_seconds": block.buffering_seconds,
        "error_count": block.error_count,
        "watch_duration_seconds": block.watch,
        "position_seconds": block.position,
        "completion_percentage": block.completion,
    }
    whole.update({name: pa.array(values, type=schema.field(name).type) for name, values in numbers.items()})
    for name, values in (("startup_time_ms", block.startup_ms), ("bitrate_kbps", block.bitrate_kbps)):
        whole[name] = pa.array(values, type=schema.field(name).type, mask=values < 0)
    no_error = block.error_code < 0
    whole["error_code"] = pa.DictionaryArray.from_arrays(
        pa.array(_ERROR_CODE_AT[np.where(no_error, 0, block.error_code)], mask=no_error), _ERROR_CODES, safe=False
    )
    no_ad = block.ad_campaign < 0
    whole["campaign_id"] = pa.DictionaryArray.from_arrays(
        pa.array(block.ad_campaign, mask=no_ad), catalog.ad_book.campaign_ids, safe=False
    )
    whole["ad_position"] = pa.DictionaryArray.from_arrays(
        pa.array(block.ad_position.astype(np.int32), mask=no_ad), _AD_POSITIONS, safe=False
    )
    whole["ad_duration_seconds"] = pa.array(block.ad_seconds, type=schema.field("ad_duration_seconds").type, mask=no_ad)
    for a, b in itertools.pairwise(cuts):
        columns = {name: array.slice(a, b - a) for name, array in whole.items()}
        for name, start, end in layout.PARTITION_SLICES if "year" in schema.names else ():
            # A file holds one hour: its partition columns (an Iceberg table's) are the first event's slices.
            value = columns["event_timestamp"][0].as_py()[start:end] if b > a else ""
            codes = pa.array(np.zeros(b - a, dtype=np.int32))
            columns[name] = pa.DictionaryArray.from_arrays(codes, pa.array([value]))
        for rows, coded_columns in by_row:
            columns.update(
                {name: c.column(rows[a:b], own_values=True) for name, c in coded_columns.items() if not c.small}
            )
        yield pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum:,}, got {value:,}")
    return value


def check_output(fs: pafs.FileSystem, root: str, out: str) -> None:
    """Raise ValueError, naming `out`, if the lake root cannot take files: before any work or any write."""
    try:
        if fs.type_name == "s3":
            bucket = root.split("/", 1)[0]
            if not bucket:
                raise ValueError(f"out must name a bucket, like s3://bucket/prefix, got {out!r}")
            if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
                raise ValueError(f"out {out!r}: bucket {bucket!r} does not exist")
            return
        if fs.get_file_info(root).type not in (pafs.FileType.Directory, pafs.FileType.NotFound):
            raise ValueError(f"out {out!r} exists and is not a directory")
    except OSError as exc:
        raise ValueError(f"out {out!r} cannot be reached: {exc}") from exc
    # Writing is the only reliable test (permissions alone say nothing to root): make the directory and a
    # file in it, then take away whatever the probe made.
    made = []
    path = root
    while path and fs.get_file_info(path).type == pafs.FileType.NotFound:
        made.append(path)
        path = path.rsplit("/", 1)[0] if "/" in path.strip("/") else ""
    probe = f"{root}/.backfill-probe-{uuid.uuid4().hex}"
    try:
        fs.create_dir(root, recursive=True)
        with fs.open_output_stream(probe):
            pass
        fs.delete_file(probe)
    except OSError as exc:
        raise ValueError(f"out {out!r} is not a writable directory: {exc}") from exc
    finally:
        for directory in made:  # deepest first; only if still empty, so nothing anyone else put there is lost
            with contextlib.suppress(OSError):
                if fs.type_name == "local":
                    os.rmdir(directory)  # refuses a non-empty directory, with no window for a race
                elif not fs.get_file_info(pafs.FileSelector(directory)):
                    fs.delete_dir(directory)


def resolve_output(out: str, filesystem: pafs.FileSystem | None) -> tuple[pafs.FileSystem, str]:
    """(filesystem, root path) for a local directory, an `s3://bucket/prefix` URI, or a path in `filesystem`."""
    if not isinstance(out, str) or not out.strip():
        raise ValueError(f"out must be a directory or s3://bucket/prefix URI, got {out!r}")
    # `..` is resolved here, so no later step can mistake an existing directory for one this run made.
    if filesystem is not None:
        return filesystem, _normalized(out.split("://", 1)[-1])
    if "://" in out:
        fs, path = pafs.FileSystem.from_uri(out)
        return fs, _normalized(path)
    local = pafs.LocalFileSystem()
    return local, str(Path(out).resolve())


def _normalized(path: str) -> str:
    if not path.strip("/"):
        return ""
    return posixpath.normpath(path).rstrip("/")


def run_id(
    seed: int, batch_size: int, start_ms: int, end_ms: int, dimension_seed: int, customers: int, titles: int
) -> str:
    """A UUID-shaped id that is the same for the same arguments (stands in for Firehose's random suffix)."""
    key = f"{seed}|{batch_size}|{start_ms}|{end_ms}|{dimension_seed}|{customers}|{titles}"
    return str(uuid.UUID(bytes=hashlib.sha256(key.encode()).digest()[:16], version=4))


class _Chunks:
    """Collects blocks into chunks of about `size` events, sorts each by hour and writes it to the hour files.

    With `background`, a chunk is written (its text columns built, its hour tables encoded and compressed) on a
    thread of its own while the caller generates the next: the kernels and pyarrow's writer release the GIL, so
    the two use both cores. The writer's steps (`flush`, `close_before`, `finish`) run in the order they are given,
    as they would in line, so the files are the same bytes; at most one chunk is being written while the next
    fills, which bounds memory at about one chunk more than in line.
    """

    def __init__(
        self,
        size: int,
        writers: PartitionWriters,
        catalog: Catalog,
        schema: pa.Schema,
        start_ms: int,
        *,
        background: bool = True,
    ) -> None:
        self.size = size
        self.writers = writers
        self.catalog = catalog
        self.schema = schema
        self.start_ms = start_ms
        self.pending: list[Block] = []
        self.pending_events = 0
        self.pending_first_ms: int | None = None
        """The earliest time of a pending event (each block's found once, as it is queued)."""
        self.written = 0
        """Events handed to the writer (written once `finish` returns)."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="backfill-writer") if background else None
        self._steps: list[Future[None]] = []
        """Writer steps given to the thread and not yet seen done, in order."""
        self._chunk: Future[None] | None = None
        """The last chunk given to the thread."""
        self._failed = False
        """A step on the thread raised: the steps after it do nothing (the caller sees the error and aborts)."""

    def add(self, block: Block) -> None:
        """Queue a block, writing whole chunks of `size` events as they fill."""
        pos = 0
        while pos < block.events:
            take = min(block.events - pos, self.size - self.pending_events)
            piece = block if take == block.events else block.event_slice(pos, pos + take)
            self.pending.append(piece)
            self.pending_events += take
            first = int(piece.timestamp_ms.min())
            self.pending_first_ms = first if self.pending_first_ms is None else min(self.pending_first_ms, first)
            pos += take
            if self.pending_events >= self.size:
                self.flush()

    def flush(self) -> None:
        """Write the pending blocks as one chunk (on the writer thread, once the chunk before is written)."""
        if not self.pending:
            return
        pending = self.pending
        self.written += self.pending_events
        self.pending, self.pending_events, self.pending_first_ms = [], 0, None
        if self._chunk is not None:
            self._chunk.result()  # one chunk in the writer's hands at a time; its error, if any, here
        self._chunk = self._then(self._write, pending)

    def close_before(self, ms: int) -> None:
        """`PartitionWriters.close_before` once every chunk given before is written."""
        self._then(self.writers.close_before, ms)

    def finish(self) -> None:
        """Write what is pending, close every file and wait until all of it is done (raising the writer's error)."""
        self.flush()
        self._then(self.writers.close_all)
        if self._thread is not None:
            while self._steps:
                self._steps.pop(0).result()
            self._thread.shutdown()

    def stop(self) -> None:
        """Drop the steps not started and wait for the one running (before the writers are aborted)."""
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)
        # No frame or attribute here holds a step's future: its error (with the thread's frames, and through them
        # the writers) is freed with the run's error, not at some later garbage collection.
        self._steps.clear()
        self._chunk = None

    def _then(self, step: Callable[..., None], *args: object) -> Future[None] | None:
        """Run a writer step after every one given before: on the writer thread, or now without one."""
        if self._thread is None:
            step(*args)
            return None
        while self._steps and self._steps[0].done():  # they finish in order
            self._steps.pop(0).result()  # a failed step's error, raised in the caller's thread
        future = self._thread.submit(self._step, step, args)
        self._steps.append(future)
        return future

    def _step(self, step: Callable[..., None], args: tuple[object, ...]) -> None:
        if self._failed:
            return
        try:
            step(*args)
        except BaseException:
            self._failed = True
            raise

    def _write(self, pending: list[Block]) -> None:
        block = Block.concat(pending)
        hours = (block.timestamp_ms - self.start_ms) // MS_PER_HOUR
        first, last = int(hours.min()), int(hours.max())
        # numpy's stable sort of 16-bit keys is a radix sort; a chunk spans far fewer hours than that.
        order = np.argsort((hours - first).astype(np.uint16 if last - first < 1 << 16 else np.int64), kind="stable")
        block.take_events(order)
        hours = hours[order]
        cuts = [0, *(np.flatnonzero(np.diff(hours)) + 1).tolist(), len(hours)]
        for a, table in zip(cuts, build_tables(block, self.catalog, self.schema, cuts), strict=False):
            self.writers.write(self.start_ms + int(hours[a]) * MS_PER_HOUR, table)


def iceberg_hour_dir(hour_start_ms: int) -> str:
    """Lake-relative folder of an hour's data files in the Iceberg table (layout.iceberg_data_path)."""
    moment = dt.datetime.fromtimestamp(hour_start_ms / 1000, tz=dt.UTC)
    return layout.iceberg_data_path(layout.partition_values(layout.format_timestamp(moment)))


def settle_ledger(state: dict, record: dict) -> dict:
    """Record a committed range in the ledger, in place of an identical earlier one."""
    entry = {**record["range"], "files": record.get("files", [])}
    kept = [r for r in state.get("ranges", []) if (r["start_ms"], r["end_ms"]) != (entry["start_ms"], entry["end_ms"])]
    state["ranges"] = sorted([*kept, entry], key=lambda r: r["start_ms"])
    return state


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def _replaced_files(ledger: Path, entry: dict, out: str) -> list[str]:
    """The files of an identical earlier range (replaced by this run); ValueError naming any other overlap."""
    state = durable.read_state(ledger)
    ranges = state.get("ranges")
    if not isinstance(ranges, list) or not all(
        isinstance(r, dict) and isinstance(r.get("start_ms"), int) and isinstance(r.get("end_ms"), int)
        and isinstance(r.get("files"), list) for r in ranges
    ):  # fmt: skip
        raise durable.StateError(f"{ledger}: damaged (ranges must be a list of {{start_ms, end_ms, files}})")
    replaces: list[str] = []
    for earlier in ranges:
        if earlier["start_ms"] >= entry["end_ms"] or entry["start_ms"] >= earlier["end_ms"]:
            continue
        same_range = (earlier["start_ms"], earlier["end_ms"]) == (entry["start_ms"], entry["end_ms"])
        same_world = all(earlier.get(k) == v for k, v in entry.items())
        if same_range and same_world:
            replaces.extend(str(f) for f in earlier["files"])
            continue
        raise ValueError(
            f"start {_iso(entry['start_ms'])} to end {_iso(entry['end_ms'])} overlaps the backfill of "
            f"{_iso(earlier['start_ms'])} to {_iso(earlier['end_ms'])} (seed {earlier.get('seed')}, batch_size "
            f"{earlier.get('batch_size')}) already in {out}: its events would be there twice. Backfill only what is "
            f"missing, or repeat exactly that range and those arguments to replace it"
        )
    return replaces


def run_backfill(
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    seed: int,
    out: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dims: Dimensions | None = None,
    dimension_seed: int = DEFAULT_DIMENSION_SEED,
    customers: int = CUSTOMERS.default_rows or 1000,
    titles: int = TITLES.default_rows or 500,
    campaigns: int = CAMPAIGNS.default_rows or 1,
    chunk_events: int = DEFAULT_CHUNK_EVENTS,
    filesystem: pafs.FileSystem | None = None,
    written_at: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    journal: durable.Journal | None = None,
    wait: float = 0.0,
    table_format: str = layout.TABLE_FORMAT_PARQUET,
) -> BackfillReport:
    """Write the world's events with timestamps in [start, end) into `<out>/telemetry/year=/month=/day=/hour=/`.

    The world is that of `seed` (the stack's worldSeed) at `batch_size` mean events per 5 minutes: exactly the
    events the generator's ticks over the range emit, ids and values alike. `start`/`end` are dates (midnight
    UTC) or aware datetimes (to the millisecond). `out` is a local directory, an `s3://bucket/prefix` URI, or a
    path within `filesystem`. Without `dims` the dimensions are generated from `dimension_seed`, `customers` and
    `titles`, as the stack does. Same arguments give the same rows whatever `chunk_events`, in files of the
    same names unless `written_at` (default: the end of the range) says otherwise, so a repeated run replaces
    rather than duplicates. A run that fails or is interrupted deletes what it wrote.

    Into a local directory, a run holds the lake's lock (another writer waits up to `wait` seconds, then is
    refused), first finishes or cleans up whatever a killed run left, refuses a range that overlaps another
    backfill's (an identical one is replaced), and commits its files through the lake's ledger, so even SIGKILL
    leaves the whole range or none of it. `journal` is given by a caller that holds the lock and keeps the lake's
    state itself (the local pipeline). With `table_format` iceberg the hour files go into the Iceberg table's data
    directory and the journal's external commit adds them to the table (only through such a journal: `python -m
    local run --table-format iceberg`).
    """
    began = time.perf_counter()
    start_at, end_at = as_moment("start", start), as_moment("end", end)
    if not start_at < end_at:
        raise ValueError(f"start must be before end, got start={start_at.isoformat()} end={end_at.isoformat()}")
    check_world_seed("seed", seed)
    check_batch_size("batch_size", batch_size)
    _check_int("chunk_events", chunk_events, 1, MAX_CHUNK_EVENTS)
    if end_at - start_at > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ValueError(
            f"start to end must be at most {MAX_RANGE_DAYS} days (backfill longer history in adjacent ranges), "
            f"got {(end_at - start_at) / dt.timedelta(days=1):,.1f} days"
        )
    if table_format not in layout.TABLE_FORMATS:
        raise ValueError(f"table_format must be one of {', '.join(layout.TABLE_FORMATS)}, got {table_format!r}")
    iceberg = table_format == layout.TABLE_FORMAT_ICEBERG
    if iceberg and (journal is None or journal.external is None):
        raise ValueError(
            "table_format iceberg needs the lake's Iceberg table: backfill it with "
            "`python -m local run --table-format iceberg --backfill-days D`"
        )
    fs, root = resolve_output(out, filesystem)
    check_output(fs, root, out)
    if dims is None:
        _check_int("dimension_seed", dimension_seed, 0)
        # The tables the world reads (customers per index; the full campaigns table, whose breaks the events carry).
        dims = world_dimensions(dimension_seed, customers, titles, campaigns)
    if journal is None and fs.type_name == "local":
        lake = Path(root)
        entry = {
            "start_ms": epoch_ms(start_at, "start"),
            "end_ms": epoch_ms(end_at, "end"),
            "seed": seed,
            "batch_size": batch_size,
            "dimension_seed": dimension_seed,
            "customers": len(dims.customers),
            "titles": len(dims.titles),
        }
        with durable.lake_lock(lake, what="out", timeout=wait):
            ledger = lake / LEDGER
            if not ledger.is_file():
                durable.write_state(ledger, {"ranges": []})
            durable.recover(lake, ledger, settle_ledger)
            replaces = _replaced_files(ledger, entry, out)
            return run_backfill(
                start_at, end_at, seed=seed, out=out, batch_size=batch_size, dims=dims,
                dimension_seed=dimension_seed, chunk_events=chunk_events, filesystem=filesystem,
                written_at=written_at, progress=progress,
                journal=durable.Journal(lake, ledger, {"range": entry}, settle_ledger, replaces),
            )  # fmt: skip
    start_ms, end_ms = epoch_ms(start_at, "start"), epoch_ms(end_at, "end")
    world = World(seed, dims, batch_size)
    planner = model.planner_of(world)
    catalog = Catalog.from_dimensions(dims)  # households and viewers made as the sessions draw them
    expected = round(planner.expected_events(start_ms, end_ms)) if progress else 0  # only progress reads it

    # Firehose stamps an object with its delivery time; history is stamped, by default, with the moment its
    # range ends, so running the same backfill again rewrites the same objects instead of adding copies.
    moment = written_at or end_at
    stamp = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    suffix = run_id(seed, batch_size, start_ms, end_ms, dimension_seed, len(dims.customers), len(dims.titles))
    name = layout.firehose_object_name(stream_name=STREAM_NAME, version=OBJECT_VERSION, written_at=stamp, suffix=suffix)
    # An Iceberg table's rows also hold year, month, day and hour (as the producer adds them to the stream's events).
    schema = write_schema(arrow_schema(layout.iceberg_rows(STREAMING_EVENTS) if iceberg else STREAMING_EVENTS))
    writers = PartitionWriters(
        fs,
        root,
        schema,
        name,
        dictionary_columns=[*DICTIONARY_COLUMNS, *(layout.TIME_PARTITION_KEYS if iceberg else ())],
        statistics_columns=STATISTICS_COLUMNS,
        journal=journal,
        partition_dir=iceberg_hour_dir if iceberg else None,
    )
    hour_floor = start_ms - start_ms % MS_PER_HOUR
    chunks = _Chunks(chunk_events, writers, catalog, schema, hour_floor, background=BACKGROUND_WRITER)
    sessions = 0
    blocks = plan_blocks(world, start_ms, end_ms)
    pending_since = blocks[0][0] if blocks else 0
    try:
        for i, (lo, hi) in enumerate(blocks):
            block = model.world_block(world, catalog, lo, hi, start_ms, end_ms)
            sessions += block.sessions
            chunks.add(block)
            if (hi - pending_since) * wm.SLOT_MS >= MAX_CHUNK_HOURS * MS_PER_HOUR:
                chunks.flush()
            if not chunks.pending:
                pending_since = hi
            # Every later block's events are at or after its first slot, and nothing pending is earlier than its
            # own first event: the hours before both are complete.
            lowest = blocks[i + 1][0] * wm.SLOT_MS if i + 1 < len(blocks) else end_ms
            if chunks.pending_first_ms is not None:
                lowest = min(lowest, chunks.pending_first_ms)
            chunks.close_before(max(start_ms, lowest))
            if progress:
                progress(chunks.written + chunks.pending_events, expected)
        chunks.finish()
        writers.commit()
    except BaseException:  # including Ctrl-C: leave no partial run that reads as complete
        chunks.stop()  # nothing writes while the run is undone
        writers.abort()
        raise
    return BackfillReport(
        events=chunks.written,
        sessions=sessions,
        partitions=len(writers.paths),
        files=len(writers.paths),
        bytes=writers.bytes,
        seconds=time.perf_counter() - began,
    )
