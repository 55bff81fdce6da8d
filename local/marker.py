"""The lake marker: which directory is a lake this tool made, and the stretch of the world it holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from local.settings import LocalSettings

LAKE_MARKER = ".acme-telemetry-lake.json"
"""File that marks a directory as a lake this tool made (so it never writes into anything else)."""


class LakeError(ValueError):
    """The lake directory can't be used."""


_UNSAFE_LAKE_CHARACTERS = frozenset("*?[]{}=\\")
"""Glob characters would change the files DuckDB reads, and a `key=value` directory above the lake would be read
as a partition value (DuckDB's Hive partitioning looks at the whole path)."""


def open_lake(lake: Path, settings: LocalSettings) -> int:
    """Claim `lake` for this tool and return this run's number (0 for a new lake)."""
    unsafe = sorted(_UNSAFE_LAKE_CHARACTERS.intersection(str(lake.absolute())))
    if unsafe:
        raise LakeError(f"--lake {lake}: the path may not contain {' '.join(unsafe)} (give a plain directory path)")
    try:
        return _claim(lake, settings)
    except OSError as exc:
        raise LakeError(f"--lake {lake} cannot be used: {exc}") from exc


def _claim(lake: Path, settings: LocalSettings) -> int:
    marker = lake / LAKE_MARKER
    if lake.exists() and not lake.is_dir():
        raise LakeError(f"--lake {lake} is a file; give a directory (new, empty, or a lake made by this tool)")
    state: dict = {}
    if marker.is_file():
        state = json.loads(marker.read_text(encoding="utf-8"))
        if state.get("database") != settings.database_name:
            raise LakeError(
                f"--lake {lake} holds database {state.get('database')!r}, not {settings.database_name!r}; "
                "use another directory"
            )
        run = int(state.get("runs", 0))
    elif lake.is_dir() and any(lake.iterdir()):
        raise LakeError(
            f"--lake {lake} is not empty and has no {LAKE_MARKER}: it holds something else. "
            "Give an empty directory or a lake made by `python -m local run`."
        )
    else:
        run = 0
    lake.mkdir(parents=True, exist_ok=True)
    state.update({"project": "acme-telemetry", "database": settings.database_name, "runs": run + 1})
    marker.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return run


@dataclass(frozen=True)
class Coverage:
    """The stretch of one world's time a lake holds, contiguous: [from_ms, until_ms) of world `seed`."""

    seed: int
    from_ms: int
    until_ms: int


def lake_coverage(lake: Path) -> Coverage | None:
    """What the lake's marker says it holds, or None for a new lake (or one written before worlds)."""
    marker = lake / LAKE_MARKER
    if not marker.is_file():
        return None
    state = json.loads(marker.read_text(encoding="utf-8"))
    world = state.get("world")
    if not isinstance(world, dict):
        return None
    return Coverage(int(world["seed"]), int(world["from_ms"]), int(world["until_ms"]))


def record_coverage(lake: Path, coverage: Coverage) -> None:
    marker = lake / LAKE_MARKER
    state = json.loads(marker.read_text(encoding="utf-8"))
    state["world"] = {"seed": coverage.seed, "from_ms": coverage.from_ms, "until_ms": coverage.until_ms}
    marker.write_text(json.dumps(state, indent=2), encoding="utf-8")
