"""Plan a backfill over [start, end), generate it slice by slice in time order and write the hour partitions."""

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs

from functions.shared import layout
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, generate_dimensions
from functions.shared.layout import TIMESTAMP_FIELD
from functions.shared.schema import CUSTOMERS, STREAMING_EVENTS, TITLES
from lakewriter.backfill import model, strings
from lakewriter.backfill.model import Block, Catalog
from lakewriter.backfill.writer import PartitionWriters
from lakewriter.parquet import arrow_schema

STREAM_NAME = "backfill"
"""Stands in for the delivery stream name in Firehose-style object names."""
OBJECT_VERSION = 1
DEFAULT_CHUNK_EVENTS = 500_000
"""Events formatted and written at a time; bounds memory whatever the run's size."""
MAX_CHUNK_EVENTS = 5_000_000
"""A chunk's string columns use 32-bit offsets (at most 2 GiB of text, ~36 bytes per event in the widest) and
it takes about 450 bytes of memory per event, so larger chunks buy nothing and risk both limits."""
MIN_YEAR = 1000
MAX_CHUNK_HOURS = 24
"""A chunk also ends once it covers this many hours of session starts, which bounds the open files (one per hour
still receiving events) when events per hour are few."""
MAX_SLICE_EVENTS = 200_000
"""Expected events of one slice of time at most; busier hours are split into several slices."""
TARGET_SLICE_EVENTS = 50_000
"""Quiet hours are grouped into slices of about this many expected events, so per-slice overhead stays small."""
MAX_SLICE_HOURS = 24
MS_PER_HOUR = model.MS_PER_HOUR
MS_PER_DAY = model.MS_PER_DAY
_PLAN_STREAM, _SLICE_STREAM = 0, 1
"""Seed-sequence tags: the plan and each slice draw from independent streams of the same seed."""

DICTIONARY_COLUMNS = [*model.VIEWER_COLUMNS, "title_id", "title_type", "event_type", "buffering_events", "error_count"]
"""Columns worth Parquet dictionary encoding (few distinct values per file)."""
STATISTICS_COLUMNS = [TIMESTAMP_FIELD] + [c.name for c in STREAMING_EVENTS.columns if c.type != "string"]
"""Columns given min/max statistics. Rows are in session order within an hour, so every row group spans
nearly all values of the other string columns (ids, countries, devices): their statistics could never
prune a row group and cost a fifth of the write time."""


def write_schema(schema: pa.Schema, catalog: Catalog) -> pa.Schema:
    """`schema` with the columns built from a shared dictionary typed dictionary<int32, string>.

    The files are written without the Arrow schema, so readers see those columns as plain strings.
    """
    coded = {"event_type": True}
    coded.update({name: c.small for name, c in (catalog.viewer_columns | catalog.title_columns).items()})
    for name, small in coded.items():
        if small:
            i = schema.get_field_index(name)
            schema = schema.set(i, schema.field(i).with_type(pa.dictionary(pa.int32(), pa.string())))
    return schema


_EVENT_TYPES = strings.string_table(model.EVENT_TYPE_NAMES)


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


@dataclass(frozen=True)
class SliceSpec:
    """One slice of time and how many of its drawn sessions' events the plan keeps."""

    index: int
    start_ms: int
    end_ms: int
    window_ms: int
    """Sessions start in windows of this length from start_ms (whole hours, or the slice if it is shorter)."""
    draw_sessions: int
    keep_events: int

    def windows(self, weights: _CustomerWeights) -> list[model.Window]:
        """The slice's windows with their weights and viewer distributions."""
        return [
            model.Window(
                w,
                min(w + self.window_ms, self.end_ms),
                float(weights.weights(w).sum()) * min(self.window_ms, self.end_ms - w) / MS_PER_HOUR,
                weights.cdf(w),
            )
            for w in range(self.start_ms, self.end_ms, self.window_ms)
        ]


def _epoch_ms(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * MS_PER_DAY


def _slice_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _SLICE_STREAM, index])))


class _CustomerWeights:
    """Per-slice viewer distribution: local-hour rhythm times who had subscribed that day."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._by_hour = catalog.local_hour_weights()
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def weights(self, start_ms: int) -> np.ndarray:
        day, hour = divmod(start_ms // MS_PER_HOUR, 24)
        key = (int(day), int(hour))
        w = self._cache.get(key)
        if w is None:
            if len(self._cache) > 256:
                self._cache.clear()
            w = self._cache[key] = self._by_hour[hour] * self._catalog.subscribed_on(int(day))
        return w

    def cdf(self, start_ms: int) -> np.ndarray:
        c = np.cumsum(self.weights(start_ms))
        return c / c[-1]


def plan_slices(events: int, start_ms: int, end_ms: int, seed: int, weights: _CustomerWeights) -> list[SliceSpec]:
    """Split [start_ms, end_ms) into slices, give each a session count, and fix the total at exactly `events`.

    Sessions are spread over slices by viewing rhythm; each slice's session shapes (and so its event
    count) come from its own stream. The overall total is then made exact at the end of the range: the
    last slice draws enough sessions and keeps what is missing, or, if earlier slices already reach the
    total, the slice that reaches it stops there and later slices are dropped.
    """
    hours = (end_ms - start_ms) // MS_PER_HOUR
    hour_starts = start_ms + np.arange(hours, dtype=np.int64) * MS_PER_HOUR
    hour_weight = np.array([weights.weights(int(h)).sum() for h in hour_starts])
    hour_events = events * hour_weight / hour_weight.sum()
    per_hour = max(1, math.ceil(hour_events.max() / MAX_SLICE_EVENTS))
    if per_hour > 1:  # busy: each hour split into per_hour slices of one window each
        bounds = np.array([(i * MS_PER_HOUR) // per_hour for i in range(per_hour + 1)], dtype=np.int64)
        slice_starts = (hour_starts[:, None] + bounds[None, :-1]).reshape(-1)
        slice_ends = (hour_starts[:, None] + bounds[None, 1:]).reshape(-1)
        slice_weight = (hour_weight[:, None] * (np.diff(bounds) / MS_PER_HOUR)[None, :]).reshape(-1)
        window_ms = slice_ends - slice_starts
    else:  # quiet: consecutive whole hours grouped into slices of about TARGET_SLICE_EVENTS
        groups: list[list[int]] = [[]]
        expected = 0.0
        for h in range(hours):
            if groups[-1] and (expected + hour_events[h] > TARGET_SLICE_EVENTS or len(groups[-1]) == MAX_SLICE_HOURS):
                groups.append([])
                expected = 0.0
            groups[-1].append(h)
            expected += hour_events[h]
        slice_starts = np.array([hour_starts[g[0]] for g in groups], dtype=np.int64)
        slice_ends = np.array([hour_starts[g[-1]] + MS_PER_HOUR for g in groups], dtype=np.int64)
        slice_weight = np.array([hour_weight[g].sum() for g in groups])
        window_ms = np.full(len(groups), MS_PER_HOUR, dtype=np.int64)
    plan_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _PLAN_STREAM])))
    total_sessions = max(1, round(events / model.expected_events_per_session()))
    sessions = plan_rng.multinomial(total_sessions, slice_weight / slice_weight.sum())
    used = np.flatnonzero(sessions)
    totals = np.array(
        [
            int(model.event_counts(model.session_shapes(_slice_rng(seed, int(i)), int(sessions[i]))[0]).sum())
            for i in used
        ],
        dtype=np.int64,
    )
    keep = totals.copy()
    draw = sessions[used].astype(np.int64)
    before_last = int(totals[:-1].sum())
    if before_last >= events:
        cum = np.cumsum(totals)
        stop = int(np.searchsorted(cum, events))
        keep[stop] = events - (int(cum[stop - 1]) if stop else 0)
        used, keep, draw = used[: stop + 1], keep[: stop + 1], draw[: stop + 1]
    else:
        missing = events - before_last
        draw[-1] = max(int(draw[-1]), -(-missing // 2))  # every session has at least 2 events: enough to reach it
        keep[-1] = missing
    return [
        SliceSpec(int(i), int(slice_starts[i]), int(slice_ends[i]), int(window_ms[i]), int(d), int(k))
        for i, d, k in zip(used, draw, keep, strict=True)
    ]


def build_table(block: Block, catalog: Catalog, schema: pa.Schema) -> pa.Table:
    """The streaming_events rows of a block, column for column in the schema's order."""
    s = block.session
    viewer = block.viewer[s]
    title = block.title[s]
    take = strings.lookup
    columns = {name: coded.column(viewer) for name, coded in catalog.viewer_columns.items()}
    columns.update({name: coded.column(title) for name, coded in catalog.title_columns.items()})
    columns.update(
        {
            "event_id": strings.uuid4_strings(block.event_bytes),
            "event_type": pa.DictionaryArray.from_arrays(pa.array(block.event_type.astype(np.int32)), _EVENT_TYPES),
            "event_timestamp": strings.timestamp_strings(block.timestamp_ms),
            "session_id": take(strings.uuid4_strings(block.session_bytes), s),
            "bandwidth_mbps": block.bandwidth,
            "buffering_events": block.buffering_events,
            "buffering_duration_seconds": block.buffering_seconds,
            "error_count": block.error_count,
            "watch_duration_seconds": block.watch,
            "position_seconds": block.position,
            "completion_percentage": block.completion,
        }
    )
    arrays = [
        pa.array(columns[f.name], type=f.type) if isinstance(columns[f.name], np.ndarray) else columns[f.name]
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum:,}, got {value:,}")
    return value


def _check_date(name: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"{name} must be a date (YYYY-MM-DD, UTC), got {value!r}")
    if value.year < MIN_YEAR:
        raise ValueError(f"{name} must be a date from year {MIN_YEAR} on (timestamps have 4-digit years), got {value}")
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
    seed: int, events: int, start: dt.date, end: dt.date, dimension_seed: int, customers: int, titles: int
) -> str:
    """A UUID-shaped id that is the same for the same arguments (stands in for Firehose's random suffix)."""
    key = f"{seed}|{events}|{start.isoformat()}|{end.isoformat()}|{dimension_seed}|{customers}|{titles}"
    return str(uuid.UUID(bytes=hashlib.sha256(key.encode()).digest()[:16], version=4))


class _Chunks:
    """Collects events into chunks of `size`, sorts each by hour and writes it to the hour files."""

    def __init__(
        self,
        size: int,
        writers: PartitionWriters,
        catalog: Catalog,
        schema: pa.Schema,
        start_ms: int,
        progress: Callable[[int], None],
    ) -> None:
        self.size = size
        self.writers = writers
        self.catalog = catalog
        self.schema = schema
        self.start_ms = start_ms
        self.progress = progress
        self.pending: list[Block] = []
        self.pending_events = 0
        self.pending_since_ms = 0
        self.written = 0

    def add(self, block: Block, since_ms: int) -> Iterator[int]:
        """Queue a block of sessions starting from `since_ms`; each time a chunk fills, write it and yield how many
        of the block's events were used."""
        if not self.pending:
            self.pending_since_ms = since_ms
        pos = 0
        while pos < block.events:
            take = min(block.events - pos, self.size - self.pending_events)
            self.pending.append(block if take == block.events else block.event_slice(pos, pos + take))
            self.pending_events += take
            pos += take
            if self.pending_events >= self.size:
                self.flush()
                self.pending_since_ms = since_ms
                yield pos

    def flush(self) -> None:
        if not self.pending:
            return
        block = Block.concat(self.pending)
        hours = (block.timestamp_ms - self.start_ms) // MS_PER_HOUR
        order = np.argsort(hours.astype(np.int32), kind="stable")
        block.take_events(order)
        hours = hours[order]
        table = build_table(block, self.catalog, self.schema)
        cuts = [0, *(np.flatnonzero(np.diff(hours)) + 1).tolist(), len(hours)]
        for a, b in itertools.pairwise(cuts):
            self.writers.write(self.start_ms + int(hours[a]) * MS_PER_HOUR, table.slice(a, b - a))
        self.written += block.events
        self.pending, self.pending_events = [], 0
        self.progress(self.written)


def run_backfill(
    events: int,
    start: dt.date,
    end: dt.date,
    *,
    seed: int,
    out: str,
    dims: Dimensions | None = None,
    dimension_seed: int = DEFAULT_DIMENSION_SEED,
    customers: int = CUSTOMERS.default_rows or 1000,
    titles: int = TITLES.default_rows or 500,
    chunk_events: int = DEFAULT_CHUNK_EVENTS,
    filesystem: pafs.FileSystem | None = None,
    written_at: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Write `events` streaming_events over [start, end) into `<out>/telemetry/year=/month=/day=/hour=/`.

    `out` is a local directory, an `s3://bucket/prefix` URI, or a path within `filesystem`. Without `dims`
    the dimensions are generated from `dimension_seed`, `customers` and `titles`, as the stack does.
    Same arguments give the same rows whatever `chunk_events`, in files of the same names unless `written_at`
    (default: the end of the range) says otherwise, so a repeated run replaces rather than duplicates. A run
    that fails or is interrupted deletes what it wrote.
    """
    began = time.perf_counter()
    _check_int("events", events, 1)
    _check_date("start", start)
    _check_date("end", end)
    if not start < end:
        raise ValueError(f"start must be before end, got start={start.isoformat()} end={end.isoformat()}")
    _check_int("seed", seed, 0)
    _check_int("chunk_events", chunk_events, 1, MAX_CHUNK_EVENTS)
    fs, root = resolve_output(out, filesystem)
    check_output(fs, root, out)
    if dims is None:
        _check_int("dimension_seed", dimension_seed, 0)
        dims = generate_dimensions(seed=dimension_seed, customers=customers, titles=titles, campaigns=1)
    start_ms, end_ms = _epoch_ms(start), _epoch_ms(end)
    catalog = Catalog.from_dimensions(dims, dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC))
    max_span = catalog.max_session_ms()
    if max_span >= end_ms - start_ms:
        raise ValueError(f"the range {start}..{end} is shorter than the longest possible session; widen it")
    weights = _CustomerWeights(catalog)
    plan = plan_slices(events, start_ms, end_ms, seed, weights)

    # Firehose stamps an object with its delivery time; history is stamped, by default, with the moment its
    # range ends, so running the same backfill again rewrites the same objects instead of adding copies.
    moment = written_at or dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
    stamp = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    suffix = run_id(seed, events, start, end, dimension_seed, len(dims.customers), len(dims.titles))
    name = layout.firehose_object_name(stream_name=STREAM_NAME, version=OBJECT_VERSION, written_at=stamp, suffix=suffix)
    schema = write_schema(arrow_schema(STREAMING_EVENTS), catalog)
    writers = PartitionWriters(
        fs,
        root,
        schema,
        name,
        dictionary_columns=DICTIONARY_COLUMNS,
        statistics_columns=STATISTICS_COLUMNS,
    )
    clamp_floor = end_ms - 1 - max_span
    """Sessions near the end start early enough to finish in range, so none starts before this."""

    chunks = _Chunks(
        chunk_events, writers, catalog, schema, start_ms, lambda done: progress(done, events) if progress else None
    )
    sessions = 0
    try:
        for k, spec in enumerate(plan):
            if chunks.pending and spec.start_ms - chunks.pending_since_ms >= MAX_CHUNK_HOURS * MS_PER_HOUR:
                chunks.flush()
                writers.close_before(min(spec.start_ms, clamp_floor))
            block = model.generate_block(
                _slice_rng(seed, spec.index),
                catalog,
                draw_sessions=spec.draw_sessions,
                keep_events=spec.keep_events,
                windows=spec.windows(weights),
                range_end_ms=end_ms,
            )
            sessions += block.sessions
            next_start = plan[k + 1].start_ms if k + 1 < len(plan) else end_ms
            suffix_min = None
            for used in chunks.add(block, spec.start_ms):
                # Hours that end before every event still to come are complete: close their files.
                if used < block.events:
                    if suffix_min is None:
                        suffix_min = np.minimum.accumulate(block.timestamp_ms[::-1])[::-1]
                    lowest = min(int(suffix_min[used]), next_start)
                else:
                    lowest = next_start
                writers.close_before(min(lowest, clamp_floor))
        chunks.flush()
        writers.close_all()
        writers.commit()
    except BaseException:  # including Ctrl-C: leave no partial run that reads as complete
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
