"""The lake marker: which directory is a lake this tool made, which world it holds and which stretches of it.

The marker is the lake's state file for `lakewriter.durable`: every stretch enters the lake through a journaled
commit that records it here in the same atomic replace that drops the commit's intent, so the marker never
claims a stretch the lake does not hold whole, nor misses one it does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from functions.shared import layout
from lakewriter import durable
from local.lake_files import ICEBERG_CATALOG
from local.settings import LocalSettings, dimension_seed

LAKE_MARKER = ".acme-telemetry-lake.json"
"""File that marks a directory as a lake this tool made (so it never writes into anything else)."""


class LakeError(ValueError):
    """The lake directory can't be used."""


DEAD_LETTER_PREFIX = "dead-letter/"
"""Where the lake keeps producer payloads that failed every retry, until they are re-driven."""
_OWN_FILES = frozenset({LAKE_MARKER, durable.LOCK_FILE, ICEBERG_CATALOG})


_UNSAFE_LAKE_CHARACTERS = frozenset("*?[]{}=\\")
"""Glob characters would change the files DuckDB reads, and a `key=value` directory above the lake would be read
as a partition value (DuckDB's Hive partitioning looks at the whole path)."""


UNKNOWN = -1
"""A world field a marker of the first form did not record."""


@dataclass(frozen=True)
class WorldId:
    """What decides every event and dimension row: a lake holds one world."""

    seed: int
    dimension_seed: int
    customers: int
    titles: int
    campaigns: int
    batch_size: int


@dataclass
class Held:
    """A stretch whose events are in the lake except those of dead-lettered payloads, kept under `dead_letters`."""

    from_ms: int
    until_ms: int
    dead_letters: list[str]


@dataclass
class LakeState:
    """The marker's content, checked."""

    database: str
    runs: int
    world: WorldId | None
    table_format: str = layout.TABLE_FORMAT_PARQUET
    """How the lake stores its events: Hive-style Parquet (markers before table formats) or an Iceberg table."""
    covered: list[tuple[int, int]] = field(default_factory=list)
    """Disjoint [from_ms, until_ms) stretches the lake holds whole, in time order."""
    held: list[Held] = field(default_factory=list)


def _damaged(marker: Path, detail: str) -> LakeError:
    return LakeError(f"{marker}: damaged lake marker ({detail}); restore it, or use another --lake")


def _int(marker: Path, where: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _damaged(marker, f"{where} must be an integer >= {minimum}, got {value!r}")
    return value


def _stretch(marker: Path, where: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise _damaged(marker, f"{where} must be [from_ms, until_ms], got {value!r}")
    low, high = _int(marker, where, value[0]), _int(marker, where, value[1])
    if not low < high:
        raise _damaged(marker, f"{where} must end after it starts, got {value!r}")
    return low, high


def parse_state(marker: Path, state: dict) -> LakeState:
    """The marker's JSON checked field by field; LakeError naming the file and the field otherwise."""
    database = state.get("database")
    if not isinstance(database, str):
        raise _damaged(marker, f"database must be a string, got {database!r}")
    runs = _int(marker, "runs", state.get("runs", 0))
    table_format = state.get("table_format", layout.TABLE_FORMAT_PARQUET)
    if table_format not in layout.TABLE_FORMATS:
        raise _damaged(marker, f"table_format must be one of {', '.join(layout.TABLE_FORMATS)}, got {table_format!r}")
    world = state.get("world")
    if world is None:
        return LakeState(database, runs, None, table_format)
    if not isinstance(world, dict):
        raise _damaged(marker, f"world must be an object, got {world!r}")
    seed = _int(marker, "world.seed", world.get("seed"))
    ident = WorldId(seed, *(UNKNOWN,) * 5)  # a marker of the first form: only the seed is known
    if "dimension_seed" in world:
        values = {k: _int(marker, f"world.{k}", world.get(k)) for k in WorldId.__dataclass_fields__ if k != "seed"}
        ident = WorldId(seed=seed, **values)
    covered: list[tuple[int, int]] = []
    if "covered" in world:
        if not isinstance(world["covered"], list):
            raise _damaged(marker, f"world.covered must be a list, got {world['covered']!r}")
        covered = [_stretch(marker, "world.covered[]", c) for c in world["covered"]]
    elif "from_ms" in world or "until_ms" in world:  # the marker's first form: one contiguous stretch
        covered = [_stretch(marker, "world.from_ms/until_ms", [world.get("from_ms"), world.get("until_ms")])]
    held = []
    for entry in world.get("held", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("dead_letters"), list):
            raise _damaged(marker, f"world.held[] must be {{from, until, dead_letters}}, got {entry!r}")
        low, high = _stretch(marker, "world.held[]", [entry.get("from"), entry.get("until")])
        held.append(Held(low, high, [str(d) for d in entry["dead_letters"]]))
    return LakeState(database, runs, ident, table_format, _merged(covered), held)


def _merged(stretches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(stretches):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def settle(state: dict, record: dict) -> dict:
    """Apply a committed stretch's record to the marker: `covered`, `held` and `unhold` (a held stretch re-driven),
    `customers` (what the customers table's parts hold: `pipeline.write_customer_parts`)."""
    if "customers" in record:
        state["customers"] = record["customers"]
    world = state["world"]
    covered = [tuple(c) for c in world.get("covered", [])]
    held = list(world.get("held", []))
    if "unhold" in record:
        low, high = record["unhold"]
        held = [h for h in held if (h["from"], h["until"]) != (low, high)]
    if "held" in record:
        held.append(record["held"])
    if "covered" in record:
        covered.append(tuple(record["covered"]))
    world["covered"] = [list(c) for c in _merged(covered)]  # type: ignore[arg-type]
    world["held"] = held
    return state


class Lake:
    """An open lake: locked against other writers, claimed, and recovered from any run that died in it."""

    def __init__(self, path: Path, run_number: int, world: WorldId, table_format: str, database: str) -> None:
        self.path = path
        self.marker = path / LAKE_MARKER
        self.run_number = run_number
        self.world = world
        self.table_format = table_format
        self.database = database
        self.recovered: str | None = None

    @property
    def iceberg(self) -> bool:
        return self.table_format == layout.TABLE_FORMAT_ICEBERG

    def external(self, replaces: Sequence[Any] = ()) -> durable.ExternalCommit | None:
        """The Iceberg commit a stretch of this lake makes (None for a Parquet lake)."""
        if not self.iceberg:
            return None
        from local.iceberg import IcebergCommit

        return IcebergCommit(self.path, self.database, replaces=replaces)

    @property
    def state(self) -> LakeState:
        return parse_state(self.marker, durable.read_state(self.marker))

    def journal(self, record: dict, replaces_data: Sequence[Any] = ()) -> durable.Journal:
        """A journal for one stretch; in an Iceberg lake its data files enter the table in one commit (replacing
        `replaces_data`, the data files a compaction rewrites)."""
        return durable.Journal(self.path, self.marker, record, settle, external=self.external(replaces_data))

    def staging(self) -> Path:
        """A fresh staging directory for one stretch (removed by the commit, or by the next run's recovery)."""
        path = self.path / durable.STAGING_DIR / uuid.uuid4().hex[:16]
        path.mkdir(parents=True)
        return path


@contextlib.contextmanager
def open_lake(
    lake: Path,
    settings: LocalSettings,
    *,
    seed: int | None = None,
    wait: float = 0.0,
    table_format: str | None = None,
) -> Iterator[Lake]:
    """Lock, claim and recover `lake` for one run of world `seed` (default: the lake's, else the stack's), in
    `table_format` (default: the lake's, else the stack's tableFormat, else parquet)."""
    if table_format is not None and table_format not in layout.TABLE_FORMATS:
        raise LakeError(f"--table-format must be one of {', '.join(layout.TABLE_FORMATS)}, got {table_format!r}")
    unsafe = sorted(_UNSAFE_LAKE_CHARACTERS.intersection(str(lake.absolute())))
    if unsafe:
        raise LakeError(f"--lake {lake}: the path may not contain {' '.join(unsafe)} (give a plain directory path)")
    with contextlib.ExitStack() as held:
        try:
            if lake.exists() and not lake.is_dir():
                raise LakeError(f"--lake {lake} is a file; give a directory (new, empty, or a lake made by this tool)")
            _refuse_foreign(lake)
            held.enter_context(durable.lake_lock(lake, what="--lake", timeout=wait))
            opened = _claim(lake, settings, seed, table_format)
            external = opened.external()
            opened.recovered = durable.recover(
                lake, opened.marker, settle, committed=external.committed if external else None
            )
            _check_writable(lake)
            if opened.iceberg:
                from local.iceberg import open_table

                open_table(lake, opened.database)  # created, or evolved to the definition's columns
        except (durable.StateError, durable.LakeBusy) as exc:
            raise LakeError(str(exc)) from None
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise LakeError(f"--lake {lake} cannot be used: {exc}") from exc
        yield opened


def covered_span(lake: Path) -> tuple[int, int] | None:
    """The longest [from_ms, until_ms) stretch the lake holds whole, or None for a lake without a marker."""
    marker = lake / LAKE_MARKER
    if not marker.is_file():
        return None
    state = parse_state(marker, durable.read_state(marker))
    return max(state.covered, key=lambda s: s[1] - s[0], default=None)


def _refuse_foreign(lake: Path) -> None:
    """Refuse a non-empty directory without a marker (a first run killed before its marker was in place leaves
    only the lock and a temporary marker, which are ours)."""
    if (
        lake.is_dir()
        and not (lake / LAKE_MARKER).is_file()
        and any(p.name not in _OWN_FILES and not p.name.startswith(durable.TMP_MARK) for p in lake.iterdir())
    ):
        raise LakeError(
            f"--lake {lake} is not empty and has no {LAKE_MARKER}: it holds something else. "
            "Give an empty directory or a lake made by `python -m local run`."
        )


def lake_table_format(lake: Path) -> str:
    """The table format a lake's marker records (parquet for a lake without a marker or of an older marker)."""
    marker = lake / LAKE_MARKER
    if not marker.is_file():
        return layout.TABLE_FORMAT_PARQUET
    return parse_state(marker, durable.read_state(marker)).table_format


def lake_database(lake: Path) -> str | None:
    """The database a lake's marker names (its Iceberg catalog's namespace), or None without a marker."""
    marker = lake / LAKE_MARKER
    return parse_state(marker, durable.read_state(marker)).database if marker.is_file() else None


def _claim(lake: Path, settings: LocalSettings, seed: int | None, table_format: str | None) -> Lake:
    marker = lake / LAKE_MARKER
    raw: dict = {}
    state: LakeState | None = None
    if marker.is_file():
        raw = durable.read_state(marker)
        state = parse_state(marker, raw)
        if state.database != settings.database_name:
            raise LakeError(
                f"--lake {lake} holds database {state.database!r}, not {settings.database_name!r}; "
                "use another directory"
            )
    else:
        _refuse_foreign(lake)
    held_format = state.table_format if state else None
    wanted_format = table_format or held_format or settings.table_format
    if held_format is not None and wanted_format != held_format:
        raise LakeError(
            f"--table-format {wanted_format}: the lake {lake} was made with --table-format {held_format} (its "
            f"marker says table_format {held_format}), not {wanted_format}; a lake keeps its format: run with "
            f"--table-format {held_format}, or use another --lake"
        )
    held_world = state.world if state else None
    world_seed = seed if seed is not None else held_world.seed if held_world else settings.world_seed
    if held_world is not None and held_world.seed != world_seed:
        raise LakeError(
            f"--seed {world_seed}: the lake {lake} holds world {held_world.seed}; use that seed or another --lake"
        )
    world = WorldId(
        seed=world_seed,
        dimension_seed=dimension_seed(settings),
        customers=settings.customer_count,
        titles=settings.title_count,
        campaigns=settings.campaign_count,
        batch_size=settings.batch_size,
    )
    if held_world is not None and held_world.dimension_seed != UNKNOWN and held_world != world:
        differ = ", ".join(
            f"{k} {getattr(held_world, k)} (the stack gives {getattr(world, k)})"
            for k in WorldId.__dataclass_fields__
            if getattr(held_world, k) != getattr(world, k)
        )
        raise LakeError(f"--lake {lake} holds another world: {differ}; use another --lake or the stack that made it")
    run = state.runs if state else 0
    raw["world"] = {
        **asdict(world),
        "covered": [list(c) for c in state.covered] if state else [],
        "held": [{"from": h.from_ms, "until": h.until_ms, "dead_letters": h.dead_letters} for h in state.held]
        if state
        else [],
    }
    raw.update(
        {
            "project": "acme-telemetry",
            "database": settings.database_name,
            "runs": run + 1,
            "table_format": wanted_format,
        }
    )
    durable.write_state(marker, raw)
    return Lake(lake, run, world, wanted_format, settings.database_name)


def _check_writable(lake: Path) -> None:
    """Refuse, naming the directory, if the lake or a folder a run writes into cannot take files: before any work."""
    for directory in [lake, *(p for p in lake.iterdir() if p.is_dir())]:
        probe = directory / f"{durable.TMP_MARK}probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise LakeError(
                f"--lake {lake}: {directory} is not writable ({exc.strerror}); nothing was generated. "
                "Make it writable or use another --lake"
            ) from None
