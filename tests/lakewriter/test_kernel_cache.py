"""The compiled kernels' numba cache is dropped when a module whose tables they compile in changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewriter.backfill import kernel


def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("numba.core.config.CACHE_DIR", "")
    return tmp_path / "__pycache__"


def _drop(tmp_path: Path) -> None:
    kernel.drop_stale_cache(str(tmp_path / "kernel.py"), kernel.COMPILED_IN)


def test_a_cache_written_before_a_compiled_in_module_changed_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = _cache(tmp_path, monkeypatch)
    _drop(tmp_path)
    stale = [cache / "kernel.world_sessions-150.py311.nbi", cache / "kernel.world_sessions-150.py311.1.nbc"]
    for path in stale:
        path.write_bytes(b"compiled against the old tables")
    (cache / "kernel.compiled-in.sha256").write_text("digest of the modules before a change")

    _drop(tmp_path)

    assert not any(path.exists() for path in stale)


def test_a_cache_of_the_current_modules_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _cache(tmp_path, monkeypatch)
    _drop(tmp_path)
    current = cache / "kernel.world_sessions-150.py311.nbi"
    current.write_bytes(b"compiled against the current tables")

    _drop(tmp_path)

    assert current.read_bytes() == b"compiled against the current tables"
