"""Crash-safe writes into a lake directory on a local filesystem: atomic files, one writer, journaled commits.

A file enters the lake only by rename from a name no reader looks at, after its bytes are on disk (fsync), and
the directory that gained it is synced before anything records it. A stretch of many files is committed
through the lake's state file (the local lake marker, or the backfill ledger): its moves are written there
first (the intent), then made, then the state records what the stretch holds and drops the intent, in one
atomic replace. After a crash at any point, `recover` either finishes the moves the intent lists (every staged
file was complete before the intent was written) or, if they cannot all be finished, undoes them; either way
the state and the files agree. `lake_lock` keeps a second writer out.

A stretch may also end in a commit outside the files (`ExternalCommit`: an Iceberg table's snapshot), made after the
moves and before the record. That commit is then the point of no return: `recover` asks whether it happened (by
the commit id the intent carries) and finishes the stretch if so, undoes it if not.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from lakewriter import faults

LOCK_FILE = ".lake.lock"
"""Lock file in the lake's root: held (flock) by the one process writing the lake, and holding its pid."""
TMP_MARK = ".tmp-"
"""Temporary files are `.tmp-<random>-<final name>`: hidden, and never ending in a table's file extension."""
STAGING_DIR = "_staging"
"""Where a stretch's files are written before their commit (outside every table's prefix)."""
STAGING_PREFIXES = (STAGING_DIR, "_backfill-staging-")
"""Names of the staging directories a run may leave behind (the backfill's own staging included)."""
LOCK_POLL_SECONDS = 0.1

Settle = Callable[[dict, dict], dict]
"""Applies a committed stretch's record to the lake's state: (state, record) -> state."""


class ExternalCommit(Protocol):
    """A commit outside the lake's files that a stretch makes after its moves (an Iceberg table's snapshot): the
    point after which the stretch only goes forward. It must be atomic, and tell afterwards whether it happened."""

    def commit(self, record: dict) -> None:
        """Make the commit for the stretch `record` describes (its `files` and the journal's `commit` id)."""

    def committed(self, record: dict) -> bool:
        """Whether the commit of `record` (by its `commit` id) happened."""


Committed = Callable[[dict], bool]
"""Tells `recover` whether the external commit of a pending stretch's record happened."""


class LakeBusy(ValueError):
    """Another process holds the lake's lock."""


class StateError(ValueError):
    """The lake's state file is damaged."""


def fsync_dir(directory: Path) -> None:
    """Make a directory's entries (a rename or a new file in it) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make a closed file's bytes durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


FSYNC_THREADS = 8
"""fsync calls issued at once (each waits on the disk with the GIL released, so many overlap)."""


def fsync_all(paths: Iterable[Path], *, directories: bool = False) -> None:
    """fsync many files (or directories) at once: a commit of a day's hour files waits about as long as for one."""
    paths = list(paths)
    if len(paths) < 2:
        for path in paths:
            (fsync_dir if directories else fsync_file)(path)
        return
    with ThreadPoolExecutor(max_workers=min(FSYNC_THREADS, len(paths))) as pool:
        list(pool.map(fsync_dir if directories else fsync_file, paths))


def atomic_write(path: Path, data: bytes) -> None:
    """Write `path` so that readers see its old bytes or all of the new ones, never a part (and no stray file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_MARK}{uuid.uuid4().hex[:12]}-{path.name}"
    try:
        faults.step(f"write {path.name}")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        faults.step(f"rename {path.name}")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def read_state(path: Path) -> dict:
    """The JSON object in a state file; StateError naming the file if it is not one."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise StateError(f"{path}: damaged (not UTF-8 text: {exc})") from None
    except ValueError as exc:
        raise StateError(f"{path}: damaged (not JSON: {exc})") from None
    if not isinstance(state, dict):
        raise StateError(f"{path}: damaged (must hold a JSON object, holds a {type(state).__name__})")
    pending = state.get("pending")
    if pending is not None and not _is_intent(pending):
        raise StateError(f"{path}: damaged (pending must be an object with moves, deletes and record)")
    return state


def write_state(path: Path, state: dict) -> None:
    atomic_write(path, (json.dumps(state, indent=2) + "\n").encode("utf-8"))


def _is_intent(pending: Any) -> bool:
    return (
        isinstance(pending, dict)
        and isinstance(pending.get("moves"), list)
        and all(isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m) for m in pending["moves"])
        and isinstance(pending.get("deletes", []), list)
        and isinstance(pending.get("record"), dict)
    )


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise StateError(f"a journaled path leaves the lake: {relative!r}")
    return path


class Journal:
    """Commits one stretch's staged files into `root` through the state file at `state_path`."""

    def __init__(
        self,
        root: Path,
        state_path: Path,
        record: dict,
        settle: Settle,
        replaces: Sequence[str] = (),
        external: ExternalCommit | None = None,
    ) -> None:
        self.root = root
        self.state_path = state_path
        self.record = record
        """What `settle` records once the stretch is in; `begin` adds `files`, the stretch's files (lake-relative)."""
        self.settle = settle
        self.replaces = list(replaces)
        self._deletes: list[str] = []
        """Lake-relative files of an earlier stretch this one replaces: deleted with the commit unless rewritten."""
        self._begun = False
        self.external = external
        """Committed after the moves and before the record; then the stretch is in, whatever happens next."""
        self._external_done = False
        if external is not None:
            self.record = {**self.record, "commit": uuid.uuid4().hex}

    def begin(self, moves: Sequence[tuple[Path, Path]], deletes: Sequence[Path] = ()) -> None:
        """Write the intent: after this, a crash is finished by `recover`, not lost."""
        finals = [self._rel(f) for _, f in moves]
        self.record = {**self.record, "files": finals}
        deletes = [*deletes, *(self.root / r for r in self.replaces if r not in set(finals))]
        for _ in moves:
            faults.step("fsync staged")
        # (A staged name lost with its directory entry makes `recover` undo the stretch, not corrupt it.)
        fsync_all(staged for staged, _ in moves)
        self._deletes = [self._rel(d) for d in deletes]
        state = read_state(self.state_path)
        state["pending"] = {
            "moves": [[self._rel(s), self._rel(f)] for s, f in moves],
            "deletes": self._deletes,
            "record": self.record,
        }
        write_state(self.state_path, state)
        self._begun = True

    def went_through(self) -> bool:
        """Whether the stretch's external commit happened (also when it was interrupted on its way back)."""
        if self.external is None:
            return False
        if not self._external_done and self._begun:
            self._external_done = self.external.committed(self.record)
        return self._external_done

    def end(self) -> None:
        """Make the external commit if any, delete what the stretch replaces, then record it and drop the intent,
        in one replace of the state file."""
        if self.external is not None and not self._external_done:
            self.external.commit(self.record)
            self._external_done = True
        apply_moves(self.root, [], self._deletes)
        state = read_state(self.state_path)
        state.pop("pending", None)
        write_state(self.state_path, self.settle(state, self.record))
        self._begun = False

    def cancel(self) -> None:
        """Drop the intent after the caller has undone its moves."""
        if self._begun:
            state = read_state(self.state_path)
            state.pop("pending", None)
            write_state(self.state_path, state)
            self._begun = False

    def commit(self, moves: Sequence[tuple[Path, Path]], deletes: Sequence[Path] = ()) -> None:
        """Intent, moves, deletes, record: the whole stretch enters the lake or (after `recover`) none of it."""
        self.begin(moves, deletes)
        try:
            apply_moves(self.root, [(self._rel(s), self._rel(f)) for s, f in moves])
            if self.external is not None:
                self.external.commit(self.record)
                self._external_done = True
        except BaseException:
            if self.went_through():  # the external commit is in: the stretch goes forward
                self.end()
                raise
            # Still running (an error, Ctrl-C, SIGTERM): undo what was moved, so the lake is as before and the
            # stretch stays uncovered. Cut short, the intent stays and the next run's `recover` settles it.
            undo_moves(self.root, [(self._rel(s), self._rel(f)) for s, f in moves])
            self.cancel()
            raise
        self.end()  # outside the undo: once the moves are made, the stretch only goes forward

    def _rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.root.resolve()))


def apply_moves(root: Path, moves: Sequence[Sequence[str]], deletes: Sequence[str] = ()) -> None:
    """Rename each staged file to its final place (a move already made is skipped), delete `deletes`, sync dirs."""
    synced: set[Path] = set()
    for staged_rel, final_rel in moves:
        staged, final = _inside(root, staged_rel), _inside(root, final_rel)
        if not staged.exists():
            continue  # moved before the crash
        final.parent.mkdir(parents=True, exist_ok=True)
        faults.step("rename staged")
        os.replace(staged, final)
        synced.add(final.parent)
    for rel in deletes:
        faults.step("delete replaced")
        with contextlib.suppress(FileNotFoundError):
            _inside(root, rel).unlink()
            synced.add(_inside(root, rel).parent)
    fsync_all(synced, directories=True)


def undo_moves(root: Path, moves: Sequence[Sequence[str]]) -> None:
    """Move finals back to staging (or delete them when staging is gone); errors ignored, the first one counts."""
    for staged_rel, final_rel in moves:
        staged, final = _inside(root, staged_rel), _inside(root, final_rel)
        with contextlib.suppress(OSError):
            if final.exists() and not staged.exists():
                if staged.parent.is_dir():
                    os.replace(final, staged)
                else:
                    final.unlink()


def recover(root: Path, state_path: Path, settle: Settle, committed: Committed | None = None) -> str | None:
    """Finish (or undo) a commit a dead run left in the state file, then remove staging and temporary files.

    A stretch with an external commit (its record has a `commit` id) is finished if `committed` says that commit
    happened (its moves were all made before it) and undone otherwise. Returns "finished", "undone" or None
    (nothing was pending). Call only while holding the lake's lock.
    """
    outcome = None
    if state_path.is_file():
        state = read_state(state_path)
        pending = state.get("pending")
        if pending is not None:
            moves = pending["moves"]
            if "commit" in pending["record"]:
                if committed is None:
                    raise StateError(f"{state_path}: a pending commit {pending['record']['commit']} needs its table")
                complete = committed(pending["record"])
            else:
                complete = all(_inside(root, s).exists() or _inside(root, f).exists() for s, f in moves)
            if complete:
                apply_moves(root, moves, pending.get("deletes", []))
                state.pop("pending")
                state = settle(state, pending["record"])
                outcome = "finished"
            else:  # some file is in neither place: the stretch cannot be whole, so none of it stays
                for _, final_rel in moves:
                    with contextlib.suppress(FileNotFoundError):
                        _inside(root, final_rel).unlink()
                state.pop("pending")
                outcome = "undone"
            write_state(state_path, state)
    sweep(root)
    return outcome


def sweep(root: Path) -> list[Path]:
    """Remove what no committed state refers to: staging directories and temporary files. Returns them."""
    removed = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if entry.is_dir() and entry.name.startswith(STAGING_PREFIXES):
            faults.step("remove staging")
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    for directory, _, files in os.walk(root):
        for name in files:
            if name.startswith(TMP_MARK):
                path = Path(directory) / name
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed.append(path)
    return removed


def remove_staging(staging: Path) -> None:
    """Remove a committed stretch's staging directory (empty of files by now), and its parent if that is empty."""
    faults.step("remove staging")
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        staging.parent.rmdir()


def _holder(lock: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        text = lock.read_text(encoding="utf-8").strip()
        if text:
            return f"pid {int(text)}"
    return "a process that has not yet written its pid"


@contextlib.contextmanager
def lake_lock(root: Path, *, what: str, timeout: float = 0.0) -> Iterator[None]:
    """Hold the lake's lock for the block; LakeBusy naming the lake and the holder's pid if another process has it.

    `timeout` seconds to wait for it (0: refuse at once). The lock is an flock, so it ends with its process,
    however that ends: a dead writer never blocks the next one.
    """
    root.mkdir(parents=True, exist_ok=True)
    lock = root / LOCK_FILE
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    waited = f" after waiting {timeout:g} s" if timeout else ""
                    raise LakeBusy(
                        f"{what} {root} is being written by another run ({_holder(lock)}){waited}; "
                        "wait for it to finish (or stop it) and run again"
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within the block, SIGTERM raises SystemExit(143) as Ctrl-C raises KeyboardInterrupt: clean-up still runs."""

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: leave SIGTERM as it is
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
