"""One open Parquet writer per hour partition that is still receiving events, closed as time moves on."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from functions.shared import layout
from lakewriter import faults
from lakewriter.durable import Journal, fsync_all
from lakewriter.parquet import COMPRESSION

MS_PER_HOUR = 3_600_000
WRITE_BATCH_ROWS = 65_536
"""Rows the Parquet writer encodes at a time (its default is 1,024): fewer, larger encoding steps per column."""
STAGING_PREFIX = "_backfill-staging-"
REPLACED_DIR = "replaced"
"""Name start of a run's staging directory; the underscore keeps it out of every table's prefix."""


def hour_prefix(hour_start_ms: int) -> str:
    """Lake key prefix of the hour partition that starts at an epoch millisecond."""
    moment = dt.datetime.fromtimestamp(hour_start_ms / 1000, tz=dt.UTC)
    return layout.partition_path(layout.partition_values(layout.format_timestamp(moment)))


@dataclass
class _Open:
    sink: pa.NativeFile
    writer: pq.ParquetWriter
    path: str


class PartitionWriters:
    """Writes each hour's rows to one file `<root>/<partition path>/<file_name>` in a filesystem.

    Files are written under a staging directory of their own (`<root>/_backfill-staging-<token>/`, outside every
    table's prefix) and moved into place only by `commit`, once every file is complete; `abort` deletes the
    staging directory. So a failed or interrupted run never leaves a file in the lake, nor replaces one (an object
    store completes an upload whenever its stream is closed, even a half-written one), and nothing but the run's
    own staging directory is ever deleted. `schema` is the schema of the tables passed to `write`; the files
    hold its Parquet form only.
    """

    def __init__(
        self,
        filesystem: pafs.FileSystem,
        root: str,
        schema: pa.Schema,
        file_name: str,
        *,
        dictionary_columns: list[str],
        statistics_columns: list[str],
        journal: Journal | None = None,
        partition_dir: Callable[[int], str] | None = None,
    ) -> None:
        self._fs = filesystem
        self._partition_dir = partition_dir or hour_prefix
        """Lake-relative directory of an hour's file (the Hive path, or an Iceberg table's data directory)."""
        self._journal = journal if filesystem.type_name == "local" else None
        self._root = root.rstrip("/")
        self._staging = f"{self._root}/{STAGING_PREFIX}{uuid.uuid4().hex}"
        self._schema = schema
        self._file_name = file_name
        self._dictionary_columns = dictionary_columns
        self._statistics_columns = statistics_columns
        self._open: dict[int, _Open] = {}
        self._closed: set[int] = set()
        self._made_dirs = filesystem.type_name not in ("s3", "gcs")  # object stores have no directories
        self._new_dirs: list[str] = []
        self._dirs: set[str] = set()
        """Directories known to exist (this run made or found them)."""
        self._committed: list[tuple[str, str | None]] = []
        """(final path, where an earlier file of that name was moved aside or None), in commit order."""
        self.paths: list[str] = []
        """Final paths of the files, once committed."""
        self.bytes = 0

    def _staged(self, hour_start_ms: int) -> str:
        # Flat: one staging directory holds every hour's file, so staging makes and removes no partition tree
        # (720 empty directories took ~1 s to delete for a month).
        return f"{self._staging}/{hour_start_ms}-{self._file_name}"

    def _final(self, hour_start_ms: int) -> str:
        return f"{self._root}/{self._partition_dir(hour_start_ms)}{self._file_name}"

    def _writer(self, hour_start_ms: int) -> _Open:
        entry = self._open.get(hour_start_ms)
        if entry is None:
            if hour_start_ms in self._closed:
                raise RuntimeError(f"partition {hour_prefix(hour_start_ms)} was closed and reopened")
            path = self._staged(hour_start_ms)
            if self._made_dirs:
                self._make_dir(path.rsplit("/", 1)[0])
            faults.step("write backfill hour")
            sink = self._fs.open_output_stream(path)
            try:
                writer = pq.ParquetWriter(
                    sink,
                    self._schema,
                    compression=COMPRESSION,
                    use_dictionary=self._dictionary_columns,
                    write_statistics=self._statistics_columns,
                    # Like Firehose's files, no Arrow schema: readers see the Parquet types (dictionary columns
                    # come back as plain strings).
                    store_schema=False,
                    write_batch_size=WRITE_BATCH_ROWS,
                )
            except BaseException:
                with contextlib.suppress(Exception):
                    sink.close()
                raise
            entry = self._open[hour_start_ms] = _Open(sink, writer, path)
        return entry

    def write(self, hour_start_ms: int, rows: pa.Table) -> None:
        """Append rows (one row group) to the hour's file."""
        self._writer(hour_start_ms).writer.write_table(rows)

    def close_before(self, ms: int) -> None:
        """Close the files of hours that end at or before `ms`: no later event can fall in them."""
        for hour in sorted(h for h in self._open if h + MS_PER_HOUR <= ms):
            self._close(hour)

    def close_all(self) -> None:
        for hour in sorted(self._open):
            self._close(hour)

    def _close(self, hour: int) -> None:
        entry = self._open.pop(hour)
        self._closed.add(hour)
        try:
            entry.writer.close()
            self.bytes += entry.sink.tell()
        finally:
            entry.sink.close()

    def commit(self) -> None:
        """Move every closed file from staging to its partition, then remove the staging directory.

        A file of the same name already there (an earlier run with the same arguments) is first moved aside
        into staging, so `abort` can put it back; each step is recorded before it is taken, so an interruption
        between a move and its record cannot hide it from `abort`.
        """
        if self._open:
            raise RuntimeError(f"{len(self._open)} partition file(s) still open; close them before commit")
        if self._journal is not None:  # the intent first: a crash from here on is finished by the next run
            self._journal.begin([(Path(self._staged(h)), Path(self._final(h))) for h in sorted(self._closed)])
        for hour in sorted(self._closed):
            final = self._final(hour)
            replaced = self._fs.get_file_info(final).type == pafs.FileType.File
            backup = (
                f"{self._staging}/{REPLACED_DIR}/{self._partition_dir(hour)}{self._file_name}" if replaced else None
            )
            self._committed.append((final, backup))
            if self._made_dirs:
                self._make_dir(final.rsplit("/", 1)[0])
                if backup:
                    self._make_dir(backup.rsplit("/", 1)[0])
            if backup and self._made_dirs:
                self._fs.move(final, backup)  # a rename
            elif backup:
                self._fs.copy_file(final, backup)  # an object store: deleting the original would leave a folder marker
            faults.step("rename staged")
            self._fs.move(self._staged(hour), final)
        self.paths = [final for final, _ in self._committed]
        if self._journal is not None:
            fsync_all({Path(final).parent for final in self.paths}, directories=True)
            self._journal.end()  # the stretch is recorded: nothing after this may undo it
        self._committed.clear()
        self._remove_staging()

    def abort(self) -> None:
        """Undo the run: put back what commit replaced, delete what it added, drop the staging directory.

        Errors while undoing are ignored so the original failure is the one reported. A stretch whose external
        commit (an Iceberg snapshot) went through is recorded instead: it is in the table, so it stays.
        """
        if self._journal is not None and self._journal.went_through():
            with contextlib.suppress(Exception):  # if recording fails too, the intent stays for `recover`
                self._journal.end()
            self._committed.clear()
            with contextlib.suppress(OSError):
                self._remove_staging()
            return
        for entry in self._open.values():
            with contextlib.suppress(Exception):  # its upload or file is in staging, deleted next
                entry.writer.close()
            with contextlib.suppress(Exception):
                entry.sink.close()
        self._open.clear()
        for final, backup in reversed(self._committed):  # only if commit itself failed part way
            with contextlib.suppress(OSError):
                if backup is None:  # nothing was there before: whatever is there now is this run's
                    if self._fs.get_file_info(final).type == pafs.FileType.File:
                        self._fs.delete_file(final)
                elif self._fs.get_file_info(backup).type == pafs.FileType.File:
                    self._fs.move(backup, final)  # the earlier run's file, back in place
        if self._journal is not None:
            with contextlib.suppress(Exception):
                self._journal.cancel()
        with contextlib.suppress(OSError):
            self._remove_staging()
        for directory in reversed(self._new_dirs):  # deepest first, and only if empty: never anyone else's
            with contextlib.suppress(OSError):
                self._remove_if_empty(directory)
        self._committed.clear()
        self.paths.clear()
        self.bytes = 0

    def _remove_if_empty(self, directory: str) -> None:
        if self._fs.type_name == "local":
            os.rmdir(directory)  # refuses a directory that is not empty, with no window for a race
        elif not self._fs.get_file_info(pafs.FileSelector(directory)):
            self._fs.delete_dir(directory)

    def _remove_staging(self) -> None:
        if self._fs.get_file_info(self._staging).type != pafs.FileType.NotFound:
            self._fs.delete_dir(self._staging)  # this run's own directory: a unique name nobody else writes to

    def _make_dir(self, directory: str) -> None:
        """Create a directory and its missing parents, remembering which ones this run made."""
        if directory in self._dirs:
            return
        missing = []
        path = directory
        while path and path not in self._dirs and self._fs.get_file_info(path).type == pafs.FileType.NotFound:
            missing.append(path)
            parent = path.rsplit("/", 1)[0] if "/" in path else ""
            if parent == path:
                break
            path = parent
        self._fs.create_dir(directory, recursive=True)
        self._new_dirs.extend(reversed(missing))
        self._dirs.update(missing)
        self._dirs.add(directory)

    @property
    def open_count(self) -> int:
        return len(self._open)
