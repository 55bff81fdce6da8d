"""The backfill's files are the same bytes run after run, written on a thread or in line; the thread's errors fail
the run and leave nothing behind."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakewriter import faults
from lakewriter.backfill import kernel, model, strings
from lakewriter.backfill import run as backfill_run
from tests.lakewriter.test_backfill import BOOKKEEPING, backfill, lake_files

WRITER_THREAD = "backfill-writer"


def _file_bytes(root: Path) -> dict[str, bytes]:
    return {rel: path.read_bytes() for rel, path in lake_files(root).items()}


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(WRITER_THREAD)]


def _leftovers(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.name not in BOOKKEEPING)


def test_a_shared_dictionary_with_a_repeated_value_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="must be distinct, got 'b' twice"):
        strings.string_table(["a", "b", "c", "b"])


def test_codes_whose_names_repeat_share_one_dictionary_entry() -> None:
    values, at = strings.coded_table(["a", "b", "a", "c"])
    assert values.to_pylist() == ["a", "b", "c"]
    assert at.tolist() == [0, 1, 0, 2]
    names, at = strings.coded_table(kernel.ERROR_CODE_NAMES)
    assert [names[i].as_py() for i in at] == list(kernel.ERROR_CODE_NAMES)
    assert len(names) < len(kernel.ERROR_CODE_NAMES), "a network error is both a start and a playback code"


def test_a_dictionary_column_written_twice_gives_the_same_bytes() -> None:
    values, at = strings.coded_table(kernel.ERROR_CODE_NAMES)
    codes = np.full(600, -1, dtype=np.int32)
    codes[::97] = np.arange(len(codes[::97])) % len(kernel.ERROR_CODE_NAMES)
    column = pa.DictionaryArray.from_arrays(pa.array(at[np.maximum(codes, 0)], mask=codes < 0), values, safe=False)

    def written() -> bytes:
        sink = pa.BufferOutputStream()
        noise = [bytes([n]) * 4096 for n in range(64)]  # memory the writer may reuse holds other bytes each time
        with pq.ParquetWriter(sink, pa.schema([("error_code", column.type)]), use_dictionary=True) as writer:
            writer.write_table(pa.table({"error_code": column}))
        del noise
        return sink.getvalue().to_pybytes()

    assert len({written() for _ in range(20)}) == 1


@pytest.mark.parametrize("chunk", [997, 8000])
def test_writing_on_the_thread_gives_the_same_files_byte_for_byte_as_writing_in_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    threaded = backfill(tmp_path / "threaded", chunk=chunk)
    monkeypatch.setattr(backfill_run, "BACKGROUND_WRITER", False)
    in_line = backfill(tmp_path / "in-line", chunk=chunk)
    assert threaded == in_line.__class__(**{**vars(in_line), "seconds": threaded.seconds})
    first, second = _file_bytes(tmp_path / "threaded"), _file_bytes(tmp_path / "in-line")
    assert len(first) == threaded.files > 1
    assert first == second
    assert not _writer_threads()


def test_an_error_on_the_writer_thread_fails_the_run_with_that_error_and_keeps_nothing(tmp_path: Path) -> None:
    hours = []

    def fail_at_the_fifth_hour_file(name: str) -> None:
        if name == "write backfill hour":
            hours.append(threading.current_thread().name)
            if len(hours) == 5:
                raise faults.InjectedFault("the fifth hour file")

    faults.hook = fail_at_the_fifth_hour_file
    try:
        with pytest.raises(faults.InjectedFault, match="the fifth hour file"):
            backfill(tmp_path / "lake", chunk=997)
    finally:
        faults.hook = None
    assert len(hours) == 5, "no file is started after the failed step"
    assert all(name.startswith(WRITER_THREAD) for name in hours)
    assert _leftovers(tmp_path / "lake") == []
    assert not _writer_threads()


def test_an_interruption_while_the_thread_writes_stops_it_before_the_run_is_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = model.world_block
    staged: list[Path] = []

    def interrupted(*args: object, **kwargs: object) -> model.Block:
        staged.extend((tmp_path / "lake").rglob("*.parquet"))
        if staged:  # the thread has started hour files (in staging): Ctrl-C now
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "world_block", interrupted)
    with pytest.raises(KeyboardInterrupt):
        backfill(tmp_path / "lake", chunk=500)
    assert staged, "the thread had written hour files when the run was interrupted"
    assert _leftovers(tmp_path / "lake") == []
    assert not _writer_threads()
