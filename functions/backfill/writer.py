"""One open Parquet writer per hour partition that is still receiving events, closed as time moves on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from functions.parquet import COMPRESSION
from functions.shared import layout

MS_PER_HOUR = 3_600_000


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

    `schema` is the schema of the tables passed to `write`; the files hold its Parquet form only.
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
    ) -> None:
        self._fs = filesystem
        self._root = root.rstrip("/")
        self._schema = schema
        self._file_name = file_name
        self._dictionary_columns = dictionary_columns
        self._statistics_columns = statistics_columns
        self._open: dict[int, _Open] = {}
        self._closed: set[int] = set()
        self._made_dirs = filesystem.type_name not in ("s3", "gcs")  # object stores have no directories
        self.paths: list[str] = []
        self.bytes = 0

    def _writer(self, hour_start_ms: int) -> _Open:
        entry = self._open.get(hour_start_ms)
        if entry is None:
            if hour_start_ms in self._closed:
                raise RuntimeError(f"partition {hour_prefix(hour_start_ms)} was closed and reopened")
            directory = f"{self._root}/{hour_prefix(hour_start_ms)}".rstrip("/")
            if self._made_dirs:
                self._fs.create_dir(directory, recursive=True)
            path = f"{directory}/{self._file_name}"
            sink = self._fs.open_output_stream(path)
            writer = pq.ParquetWriter(
                sink,
                self._schema,
                compression=COMPRESSION,
                use_dictionary=self._dictionary_columns,
                write_statistics=self._statistics_columns,
                # Like Firehose's files, no Arrow schema: readers see the Parquet types (dictionary columns
                # come back as plain strings).
                store_schema=False,
            )
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
        entry.writer.close()
        self.bytes += entry.sink.tell()
        entry.sink.close()
        self.paths.append(entry.path)

    @property
    def open_count(self) -> int:
        return len(self._open)
