"""Exactly once, whatever happens: `local run` and the backfill killed at every kind of write step (SIGKILL,
SIGTERM, SIGINT), failed by a full disk or an exception, then run again, leave every event of the world in the
lake once, none missing, and no staging or temporary file; a second writer is refused naming the holder's pid.

A crash is a forked child that runs the pipeline with the fault hook set to kill it at step N (a real signal to
itself: SIGKILL runs no clean-up at all); the rerun and the checks run in this process. A few cases run the real
command line in a subprocess with the `ACME_FAULT_*` environment hook.
"""

from __future__ import annotations

import collections
import datetime as dt
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.generator.events import window_events
from functions.shared import layout
from functions.shared.schema import DIMENSION_TABLES
from functions.shared.world import World
from lakewriter import durable, faults
from lakewriter.backfill import run_backfill
from lakewriter.backfill.run import LEDGER, MAX_RANGE_DAYS
from local import lambda_standin
from local.marker import DEAD_LETTER_PREFIX, LAKE_MARKER, LakeError
from local.moto_setup import LocalStack
from local.pipeline import RunReport, redrive, run_pipeline
from local.plan import ms
from local.settings import load_settings
from stack import PROJECT_DIR as REPO_ROOT
from tests.local.forks import CHILD_TIMEOUT, crash, recorded

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 11, 26, 0, 12, tzinfo=dt.UTC)
"""Two ticks (00:00-00:10) and, with --backfill-days 1, the 24 hours before them: 24 hour files of history."""
SEED = 3
SETTINGS = load_settings("dev").but(batch_size=20, customer_count=50, title_count=20, campaign_count=5)
ARGS = {"ticks": 2, "backfill_days": 1, "now": NOW, "seed": SEED}


def _run(lake: Path) -> RunReport:
    return run_pipeline(SETTINGS, lake, **ARGS)


def _lake_events(lake: Path) -> collections.Counter[str]:
    return collections.Counter(
        eid
        for path in (lake / layout.TELEMETRY_PREFIX).rglob("*")
        if path.is_file()
        for eid in pq.read_table(path, columns=["event_id"])["event_id"].to_pylist()
    )


def _strays(lake: Path) -> list[str]:
    """Staging directories, temporary files, and anything in a table's prefix that is not a whole Parquet file."""
    found = []
    for path in lake.rglob("*"):
        rel = str(path.relative_to(lake))
        if path.name.startswith(durable.TMP_MARK) or rel.startswith(durable.STAGING_PREFIXES):
            found.append(rel)
        elif path.is_file() and rel.startswith(layout.TELEMETRY_PREFIX):
            try:
                pq.read_metadata(path)
            except Exception:
                found.append(rel)
    return found


@pytest.fixture(scope="module")
def expected() -> collections.Counter[str]:
    """The world's events from midnight a day before NOW up to the last tick: each once."""
    world = World(SEED, LocalStack(SETTINGS, Path("."), seed=SEED).dims, SETTINGS.batch_size)
    end = ms(NOW) // 300_000 * 300_000
    return collections.Counter(
        e["event_id"] for e in window_events(world, ms(NOW - dt.timedelta(days=1)) - 720_000, end)
    )


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory, expected) -> list[str]:
    """The write steps of a clean run into a new lake, in order (and the clean run holds exactly `expected`)."""
    lake = tmp_path_factory.mktemp("clean") / "lake"
    _, names = recorded(lambda: _run(lake))
    assert _lake_events(lake) == expected and not _strays(lake)
    return names


def _points(steps: list[str], first_and_last: bool) -> list[int]:
    """1-based step numbers: the first (and last) step of each kind."""
    points = {steps.index(name) + 1 for name in set(steps)}
    if first_and_last:
        points |= {len(steps) - steps[::-1].index(name) for name in set(steps)}
    return sorted(points)


def _check_rerun(lake: Path, expected: collections.Counter[str]) -> None:
    report = _run(lake)
    assert _lake_events(lake) == expected, f"after the rerun (recovered: {report.recovered})"
    assert not _strays(lake)
    assert "pending" not in durable.read_state(lake / LAKE_MARKER)


# --- local run: killed at every kind of write step ------------------------------------------------------


KINDS = (
    "write .acme-telemetry-lake.json",
    "rename .acme-telemetry-lake.json",
    "write titles.parquet",
    "rename titles.parquet",
    "write campaigns.parquet",
    "rename campaigns.parquet",
    "write incidents.parquet",
    "rename incidents.parquet",
    "write customers part",
    "write delivered file",
    "fsync staged",
    "rename staged",
    "remove staging",
    "write backfill hour",
)
"""Every kind of write step a run makes (held to the clean run's steps below)."""
CORE = (KINDS[0], KINDS[1], KINDS[2], KINDS[3], *KINDS[2 * len(DIMENSION_TABLES) :])
"""The kinds that differ from each other (the dimension files but the customers parts are written alike)."""
COMMIT = ("fsync staged", "rename staged", "remove staging")
"""A journaled commit's steps: their first ones are the customers parts' commit, then a tick's ("tick")."""
SIGNAL_CASES = [
    *(("kill", kind, "first") for kind in CORE),
    *(("kill", kind, "tick") for kind in COMMIT),
    ("kill", "rename staged", "last"),
    ("kill", "rename .acme-telemetry-lake.json", "last"),
    *(("term", kind, "first") for kind in CORE[0::2]),
    *(("int", kind, "first") for kind in CORE[1::2]),
    *(("term", kind, "tick") for kind in COMMIT[0::2]),
    *(("int", kind, "tick") for kind in COMMIT[1::2]),
]
FAILURE_CASES = [
    *(("enospc", kind) for kind in CORE[0::2]),
    *(("raise", kind) for kind in CORE[1::2]),
]


def _at(steps: list[str], kind: str, which: str = "first") -> int:
    """1-based number of the first or last step of a kind, or ("tick") the first once the first tick is delivered."""
    if which == "tick":
        return steps.index(kind, steps.index("write delivered file")) + 1
    return steps.index(kind) + 1 if which == "first" else len(steps) - steps[::-1].index(kind)


def test_the_cases_below_cover_every_kind_of_write_step(steps: list[str]) -> None:
    assert set(steps) == set(KINDS)
    assert {kind for _, kind, _ in SIGNAL_CASES} == {kind for _, kind in FAILURE_CASES} | set(CORE) == set(CORE)


@pytest.mark.parametrize(("action", "kind", "which"), SIGNAL_CASES)
def test_a_run_killed_at_a_write_step_then_rerun_holds_every_event_once(
    tmp_path: Path, steps: list[str], expected, action: str, kind: str, which: str
) -> None:
    at = _at(steps, kind, which)
    lake = tmp_path / "lake"
    status = crash(lambda: _run(lake), at, action)
    if action == "kill":
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    else:  # SIGTERM and SIGINT unwind: the run stops with an exception, its clean-up done
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3, status
        assert not _strays(lake)
    partial = _lake_events(lake)
    assert max(partial.values(), default=1) == 1, "a duplicate before the rerun"
    assert set(partial) <= set(expected)
    _check_rerun(lake, expected)


@pytest.mark.parametrize(("failure", "kind"), FAILURE_CASES)
def test_a_full_disk_or_an_exception_at_a_write_step_fails_the_run_and_the_rerun_fills_the_gap(
    tmp_path: Path, steps: list[str], expected, failure: str, kind: str
) -> None:
    at = _at(steps, kind)
    count = iter(range(1, 10**6))

    def fail_at(name: str) -> None:
        if next(count) == at:
            faults.fail(failure, name)

    lake = tmp_path / "lake"
    faults.hook = fail_at
    try:
        with pytest.raises(OSError if failure == "enospc" else faults.InjectedFault):
            _run(lake)
    finally:
        faults.hook = None
    assert not _strays(lake)
    assert max(_lake_events(lake).values(), default=1) == 1
    _check_rerun(lake, expected)


def test_a_rename_that_fails_with_a_full_disk_leaves_whole_stretches_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected
) -> None:
    real = os.replace
    calls = iter(range(10**6))

    def replace(src: object, dst: object) -> None:
        # The second tick's file: after the marker, the dimension files but customers, the customers parts' commit
        # (intent, part, record), the first tick (3) and its intent.
        if next(calls) == 1 + len(DIMENSION_TABLES) - 1 + 3 + 3 + 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    lake = tmp_path / "lake"
    with pytest.raises(OSError, match="No space left"):
        _run(lake)
    monkeypatch.setattr(os, "replace", real)
    assert max(_lake_events(lake).values(), default=1) == 1
    _check_rerun(lake, expected)


def test_the_command_line_stopped_by_sigterm_mid_commit_cleans_up_and_the_rerun_holds_every_event_once(
    tmp_path: Path, steps: list[str], expected
) -> None:
    at = _at(steps, "rename staged", "tick") + 2  # inside the first backfill range's commit
    lake = tmp_path / "lake"
    code = f"""
import datetime as dt, sys
from pathlib import Path
from local.settings import load_settings
from local.__main__ import main
import local.pipeline as p
settings = load_settings("dev").but(batch_size=20, customer_count=50, title_count=20, campaign_count=5)
p.run_pipeline.__kwdefaults__["now"] = dt.datetime.fromisoformat("{NOW.isoformat()}")
import local.settings
local.settings.load_settings = lambda stack: settings
args = ["--ticks", "2", "--backfill-days", "1", "--seed", "{SEED}", "--lake", "{lake}", "--query", "total_events"]
sys.exit(main(["run", *args]))
"""
    env = {**os.environ, faults.ENV_AT: str(at), faults.ENV_ACTION: "term"}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 143, (done.stdout, done.stderr)  # 128 + SIGTERM, after its clean-up
    assert "Traceback" not in done.stderr
    assert not _strays(lake)
    assert max(_lake_events(lake).values(), default=1) == 1
    _check_rerun(lake, expected)


# --- dead letters -------------------------------------------------------------------------------------------


def test_dead_lettered_payloads_are_kept_and_their_tick_stays_uncovered_until_re_driven(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected
) -> None:
    real = lambda_standin.deliver_events
    second_tick = ms(NOW) // 300_000 * 300_000 - 300_000

    def failing(client, stream, events, **kwargs):  # the producer fails every attempt on the second tick
        if events and events[0]["event_timestamp"] >= dt.datetime.fromtimestamp(second_tick / 1000, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M"
        ):
            raise RuntimeError("ProvisionedThroughputExceeded")
        return real(client, stream, events, **kwargs)

    monkeypatch.setattr(lambda_standin, "deliver_events", failing)
    lake = tmp_path / "lake"
    report = _run(lake)
    assert report.dead_letters >= 1
    letters = sorted((lake / DEAD_LETTER_PREFIX).rglob("*.json"))
    assert len(letters) == report.dead_letters
    landed = _lake_events(lake)
    assert max(landed.values()) == 1 and len(landed) < len(expected)
    state = durable.read_state(lake / LAKE_MARKER)
    assert [h["from"] for h in state["world"]["held"]] == [second_tick]
    assert all(not (a <= second_tick < b) for a, b in state["world"]["covered"])

    again = redrive(SETTINGS, lake)  # the producer still fails: the letters stay, nothing is duplicated
    assert again.dead_letters == report.dead_letters and again.redriven == 0
    assert _lake_events(lake) == landed

    monkeypatch.setattr(lambda_standin, "deliver_events", real)
    fixed = redrive(SETTINGS, lake)
    assert fixed.redriven == report.dead_letters and fixed.dead_letters == 0
    assert _lake_events(lake) == expected
    assert not (lake / DEAD_LETTER_PREFIX).exists() or not any((lake / DEAD_LETTER_PREFIX).rglob("*.json"))
    assert durable.read_state(lake / LAKE_MARKER)["world"]["held"] == []
    _check_rerun(lake, expected)


def test_the_next_run_re_drives_dead_letters_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected) -> None:
    real = lambda_standin.deliver_events
    calls = iter(range(10**6))

    def first_payload_fails(client, stream, events, **kwargs):
        if next(calls) < SETTINGS.producer_max_retry_attempts + 1:
            raise RuntimeError("KMSThrottlingException")
        return real(client, stream, events, **kwargs)

    monkeypatch.setattr(lambda_standin, "deliver_events", first_payload_fails)
    lake = tmp_path / "lake"
    assert _run(lake).dead_letters == 1
    monkeypatch.setattr(lambda_standin, "deliver_events", real)
    report = _run(lake)
    assert report.redriven == 1 and report.ticks == 0
    assert _lake_events(lake) == expected and not _strays(lake)


# --- two writers ----------------------------------------------------------------------------------------------


def _hold_lock(lake: Path) -> tuple[int, int]:
    """A child process holding the lake's lock until killed: (pid, read end of its ready pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            with durable.lake_lock(lake, what="--lake"):
                os.write(write, b"x")
                time.sleep(CHILD_TIMEOUT)
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"x"
    return pid, read


def test_a_second_writer_is_refused_naming_the_lake_and_the_holders_pid(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _run(lake)
    before = _lake_events(lake)
    pid, ready = _hold_lock(lake)
    try:
        with pytest.raises(LakeError, match=rf"--lake {lake} is being written by another run \(pid {pid}\)"):
            run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=20))
        with pytest.raises(ValueError, match=rf"out {lake} is being written by another run \(pid {pid}\)"):
            run_backfill(NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=2), seed=SEED, out=str(lake))
        with pytest.raises(LakeError, match=r"after waiting 0\.3 s"):
            run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=20), wait=0.3)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready)
    assert _lake_events(lake) == before
    later = run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=20), wait=5)  # the holder died
    assert later.ticks == 3


def test_two_runs_started_together_one_writes_and_the_other_is_refused(tmp_path: Path, expected) -> None:
    lake = tmp_path / "lake"
    statuses = []
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run(lake)
            except LakeError as exc:
                code = 5 if "is being written by another run" in str(exc) else 4
            except BaseException:
                code = 3
            os._exit(code)
        pids.append(pid)
    for pid in pids:
        statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    assert sorted(statuses) in ([0, 0], [0, 5])  # the second starts after the first ended, or is refused
    assert _lake_events(lake) == expected and not _strays(lake)


# --- lakewriter.backfill on its own ----------------------------------------------------------------------------

START, END = dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)


def _backfill(lake: Path, **kwargs: object) -> object:
    return run_backfill(START, END, seed=SEED, batch_size=20, out=str(lake), customers=50, titles=20, **kwargs)


def _backfill_steps(tmp_path: Path) -> list[str]:
    return recorded(lambda: _backfill(tmp_path / "clean"))[1]


def test_a_backfill_killed_at_each_kind_of_step_is_finished_or_cleaned_by_the_next(tmp_path: Path) -> None:
    steps = _backfill_steps(tmp_path)
    reference = _lake_events(tmp_path / "clean")
    assert len(reference) > 100 and max(reference.values()) == 1
    for at in _points(steps, first_and_last=True):
        lake = tmp_path / f"lake-{at}"
        status = crash(lambda lake=lake: _backfill(lake), at, "kill")
        assert os.WIFSIGNALED(status)
        partial = _lake_events(lake)
        assert not partial or partial == reference or steps[at - 1] in ("rename staged", "remove staging")
        _backfill(lake)
        assert _lake_events(lake) == reference, (at, steps[at - 1])
        assert not _strays(lake)
        assert "pending" not in durable.read_state(lake / LEDGER)


def test_the_backfill_command_stopped_by_sigterm_removes_its_staging(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    args = ["--start", "2026-11-20", "--end", "2026-11-20T06:00:00Z", "--seed", str(SEED), "--batch-size", "20"]
    args += ["--customers", "50", "--titles", "20", "--out", str(lake), "--quiet"]
    env = {**os.environ, faults.ENV_AT: "3", faults.ENV_ACTION: "term"}
    done = subprocess.run(
        [sys.executable, "-m", "lakewriter.backfill", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 143, done.stderr
    assert not _strays(lake) and not _lake_events(lake)


def test_overlapping_backfills_are_refused_naming_the_overlap_and_an_identical_one_replaces(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _backfill(lake)
    once = _lake_events(lake)
    _backfill(lake, written_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))  # same range and world, other file names
    assert _lake_events(lake) == once
    with pytest.raises(ValueError, match=r"overlaps the backfill of 2026-11-20T00:00:00Z to 2026-11-20T06:00:00Z"):
        run_backfill(
            START + dt.timedelta(hours=3), END + dt.timedelta(hours=3), seed=SEED, batch_size=20, out=str(lake)
        )
    with pytest.raises(ValueError, match="overlaps"):
        run_backfill(START, END, seed=SEED + 1, batch_size=20, out=str(lake), customers=50, titles=20)
    assert _lake_events(lake) == once
    run_backfill(END, END + dt.timedelta(hours=2), seed=SEED, batch_size=20, out=str(lake), customers=50, titles=20)
    assert max(_lake_events(lake).values()) == 1


def test_a_backfill_range_longer_than_the_bound_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"start to end must be at most {MAX_RANGE_DAYS} days"):
        run_backfill(dt.date(2000, 1, 1), dt.date(2026, 1, 1), seed=1, out=str(tmp_path / "lake"))
    assert not (tmp_path / "lake").exists()


# --- the marker and the lake's directories ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"database": "acme_telemetry", "runs": "many"}', "runs must be an integer"),
        ('{"database": "acme_telemetry", "world": {"seed": 1, "covered": [[5, 2]]}}', "must end after it starts"),
        ('{"database": "acme_telemetry", "world": {"seed": "x"}}', "world.seed must be an integer"),
    ],
)
def test_a_damaged_marker_is_named_with_what_is_wrong(tmp_path: Path, capsys, content: str, detail: str) -> None:
    from local.__main__ import main

    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / LAKE_MARKER).write_text(content)
    code = main(["run", "--ticks", "1", "--lake", str(lake)])
    out = capsys.readouterr().out
    assert code == 2 and "Traceback" not in out
    assert str(lake / LAKE_MARKER) in out.replace("\n", "") and detail in out.replace("\n", "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_telemetry_directory_is_refused_before_anything_is_generated(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _run(lake)
    (lake / layout.TELEMETRY_PREFIX).chmod(0o555)
    try:
        with pytest.raises(LakeError, match=r"telemetry is not writable .* nothing was generated"):
            run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=20))
    finally:
        (lake / layout.TELEMETRY_PREFIX).chmod(0o755)


def test_a_telemetry_directory_that_refuses_files_is_named_before_anything_is_generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    _run(lake)
    real = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:  # what a read-only directory does to a non-root user
        if self.parent.name == "telemetry":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    generated = []
    monkeypatch.setattr(LocalStack, "tick", lambda *a: generated.append(a))
    with pytest.raises(LakeError, match=r"telemetry is not writable \(Permission denied\); nothing was generated"):
        run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=20))
    assert generated == []


def test_a_marker_of_the_first_form_is_read_as_one_covered_stretch(tmp_path: Path, expected) -> None:
    lake = tmp_path / "lake"
    _run(lake)
    marker = durable.read_state(lake / LAKE_MARKER)
    ((low, high),) = marker["world"]["covered"]
    marker["world"] = {"seed": SEED, "from_ms": low, "until_ms": high}  # as runs before this change wrote it
    durable.write_state(lake / LAKE_MARKER, marker)
    again = _run(lake)
    assert (again.ticks, again.backfill_events) == (0, 0)
    assert durable.read_state(lake / LAKE_MARKER)["world"]["covered"] == [[low, high]]
    assert _lake_events(lake) == expected


def test_redrive_from_the_command_line(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from local.__main__ import main

    monkeypatch.setattr("local.settings.load_settings", lambda stack: SETTINGS)  # this file's small world
    assert main(["redrive", "--lake", str(tmp_path / "nolake")]) == 2
    assert "is not a lake made by `python -m local run`" in capsys.readouterr().out.replace("\n", "")
    assert not (tmp_path / "nolake").exists()
    assert main(["run", "--ticks", "1", "--lake", str(tmp_path / "lake"), "--query", "total_events"]) == 0
    capsys.readouterr()
    assert main(["redrive", "--lake", str(tmp_path / "lake")]) == 0
    assert "re-drove 0 dead letter(s)" in capsys.readouterr().out


def test_a_full_disk_mid_run_is_one_line_from_the_command_line(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, steps: list[str], expected
) -> None:
    from local.__main__ import main

    at = _at(steps, "write backfill hour", "last")
    count = iter(range(1, 10**6))

    def full(name: str) -> None:
        if next(count) == at:
            faults.fail("enospc", name)

    monkeypatch.setattr("local.settings.load_settings", lambda stack: SETTINGS)
    monkeypatch.setattr(faults, "hook", full)
    lake = tmp_path / "lake"
    args = ["run", "--ticks", "2", "--backfill-days", "1", "--seed", str(SEED), "--lake", str(lake)]
    monkeypatch.setitem(run_pipeline.__kwdefaults__, "now", NOW)
    assert main(args) == 1
    out = capsys.readouterr().out.replace("\n", "")
    assert "error: [Errno 28] No space left on device" in out and "run again to fill the rest" in out
    assert "Traceback" not in out
    monkeypatch.setattr(faults, "hook", None)
    _check_rerun(lake, expected)


def test_a_lake_of_another_world_of_the_same_seed_is_refused_naming_what_differs(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _run(lake)
    with pytest.raises(LakeError, match=r"holds another world: batch_size 20 \(the stack gives 30\)"):
        run_pipeline(SETTINGS.but(batch_size=30), lake, **ARGS)


# --- the Iceberg lake: the same guarantees, with the table's commit as the stretch's point of no return ---------

ICEBERG_ARGS = {**ARGS, "table_format": "iceberg"}


def _run_iceberg(lake: Path) -> RunReport:
    return run_pipeline(SETTINGS, lake, **ICEBERG_ARGS)


def _iceberg_table(lake: Path) -> object | None:
    from local import iceberg

    if not (lake / iceberg.CATALOG_FILE).is_file():
        return None
    try:
        return iceberg.open_table(lake, SETTINGS.database_name, create=False)
    except iceberg.IcebergLakeError as exc:
        if "has no table" in str(exc):
            return None
        raise


def _iceberg_events(lake: Path) -> collections.Counter[str]:
    table = _iceberg_table(lake)
    if table is None:
        return collections.Counter()
    rows = table.scan(selected_fields=("event_id",)).to_arrow()  # type: ignore[attr-defined]
    return collections.Counter(rows["event_id"].to_pylist())


def _iceberg_strays(lake: Path) -> list[str]:
    """Staging and temporary files, and data files under the table that none of its kept snapshots holds."""
    from local import iceberg

    found = [
        str(p.relative_to(lake))
        for p in lake.rglob("*")
        if p.name.startswith(durable.TMP_MARK) or str(p.relative_to(lake)).startswith(durable.STAGING_PREFIXES)
    ]
    table = _iceberg_table(lake)
    held = iceberg.referenced_files(table) if table is not None else set()  # type: ignore[arg-type]
    data = lake / layout.iceberg_prefix(layout.TELEMETRY_PREFIX) / layout.ICEBERG_DATA_DIR
    found += [str(p) for p in data.rglob("*.parquet") if str(p.resolve()) not in held] if data.is_dir() else []
    return found


def _check_iceberg_rerun(lake: Path, expected: collections.Counter[str]) -> None:
    report = _run_iceberg(lake)
    assert _iceberg_events(lake) == expected, f"after the rerun (recovered: {report.recovered})"
    assert not _iceberg_strays(lake)
    assert "pending" not in durable.read_state(lake / LAKE_MARKER)


@pytest.fixture(scope="module")
def iceberg_steps(tmp_path_factory: pytest.TempPathFactory, expected) -> list[str]:
    """The write steps of a clean Iceberg run into a new lake (which holds exactly `expected`)."""
    lake = tmp_path_factory.mktemp("clean-iceberg") / "lake"
    _, names = recorded(lambda: _run_iceberg(lake))
    assert _iceberg_events(lake) == expected and not _iceberg_strays(lake)
    return names


ICEBERG_KINDS = (*CORE, "create iceberg table", "iceberg commit")
ICEBERG_CASES = [
    *(("kill", kind, "first") for kind in ICEBERG_KINDS),
    ("kill", "iceberg commit", "last"),  # the backfill's
    ("kill", "after iceberg commit", "first"),  # committed to the table, not yet recorded in the marker
    ("kill", "after iceberg commit", "last"),
    ("term", "iceberg commit", "first"),
    ("int", "create iceberg table", "first"),
    ("term", "write backfill hour", "first"),
]


def _iceberg_at(steps: list[str], kind: str, which: str) -> int:
    if kind == "after iceberg commit":
        return _at(steps, "iceberg commit", which) + 1
    return _at(steps, kind, which)


def test_the_iceberg_cases_cover_every_kind_of_write_step(iceberg_steps: list[str]) -> None:
    assert set(iceberg_steps) == {*KINDS, "create iceberg table", "iceberg commit"}
    assert iceberg_steps.count("iceberg commit") == 3  # two ticks and the backfill: one table commit each


@pytest.mark.parametrize(("action", "kind", "which"), ICEBERG_CASES)
def test_an_iceberg_run_killed_at_a_write_step_then_rerun_holds_every_event_once(
    tmp_path: Path, iceberg_steps: list[str], expected, action: str, kind: str, which: str
) -> None:
    at = _iceberg_at(iceberg_steps, kind, which)
    lake = tmp_path / "lake"
    status = crash(lambda: _run_iceberg(lake), at, action)
    if action == "kill":
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    else:
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3, status
        assert not _iceberg_strays(lake)
    partial = _iceberg_events(lake)
    assert max(partial.values(), default=1) == 1 and set(partial) <= set(expected)
    _check_iceberg_rerun(lake, expected)


@pytest.mark.parametrize("call", [1, 3])  # the first tick's commit, the backfill's
def test_an_iceberg_commit_interrupted_on_its_way_back_is_recorded_not_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected, call: int
) -> None:
    from local import iceberg

    real = iceberg.IcebergCommit.commit
    calls = iter(range(1, 100))

    def then_ctrl_c(self: iceberg.IcebergCommit, record: dict) -> None:
        real(self, record)
        if next(calls) == call:
            raise KeyboardInterrupt  # after the table took the files: the stretch must stay

    monkeypatch.setattr(iceberg.IcebergCommit, "commit", then_ctrl_c)
    lake = tmp_path / "lake"
    with pytest.raises(KeyboardInterrupt):
        _run_iceberg(lake)
    monkeypatch.setattr(iceberg.IcebergCommit, "commit", real)
    state = durable.read_state(lake / LAKE_MARKER)
    assert "pending" not in state and len(state["world"]["covered"]) >= 1
    held = _iceberg_events(lake)
    assert max(held.values()) == 1 and not _iceberg_strays(lake)
    _check_iceberg_rerun(lake, expected)


def test_an_iceberg_stretch_whose_commit_never_happened_is_undone_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected
) -> None:
    from local import iceberg

    def refused(self: iceberg.IcebergCommit, record: dict) -> None:
        raise iceberg.IcebergLakeError("the catalog refused the commit")

    monkeypatch.setattr(iceberg.IcebergCommit, "commit", refused)
    lake = tmp_path / "lake"
    with pytest.raises(iceberg.IcebergLakeError):
        _run_iceberg(lake)
    monkeypatch.undo()
    assert not _iceberg_events(lake) and not _iceberg_strays(lake)
    _check_iceberg_rerun(lake, expected)


def _compaction_lake(lake: Path) -> list[tuple]:
    """An Iceberg lake whose hour 00 holds a file per tick, and its rows as DuckDB sees them."""
    from local.sql import connect

    run_pipeline(SETTINGS, lake, ticks=2, now=NOW, seed=SEED, table_format="iceberg")  # two files in hour 00
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW + dt.timedelta(minutes=5), seed=SEED)  # and a third
    db = SETTINGS.database_name
    return connect(lake, db).execute(f'SELECT * FROM "{db}".streaming_events ORDER BY event_id').fetchall()


def test_a_compaction_killed_at_each_kind_of_step_leaves_the_rows_and_the_next_one_finishes(tmp_path: Path) -> None:
    from local.compact import compact_lake
    from local.sql import connect

    db = SETTINGS.database_name
    clean = tmp_path / "clean"
    rows = _compaction_lake(clean)
    compaction, names = recorded(lambda: compact_lake(SETTINGS, clean))
    assert compaction.rewritten >= 2
    assert {"write compacted file", "iceberg commit", "rename staged"} <= set(names)
    after_commit = names.index("iceberg commit") + 2  # committed to the table, not yet recorded
    kinds = ("write compacted file", "fsync staged", "rename staged", "iceberg commit", "remove staging")
    for at in sorted({*(names.index(kind) + 1 for kind in kinds), after_commit}):
        lake = tmp_path / f"lake-{at}"
        assert _compaction_lake(lake) == rows
        status = crash(lambda lake=lake: compact_lake(SETTINGS, lake), at, "kill")
        assert os.WIFSIGNALED(status), (at, names[at - 1])
        query = f'SELECT * FROM "{db}".streaming_events ORDER BY event_id'
        assert connect(lake, db).execute(query).fetchall() == rows, names[at - 1]
        compact_lake(SETTINGS, lake)
        assert connect(lake, db).execute(query).fetchall() == rows, names[at - 1]
        assert not _iceberg_strays(lake), names[at - 1]
        assert "pending" not in durable.read_state(lake / LAKE_MARKER)
