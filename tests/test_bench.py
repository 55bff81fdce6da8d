"""Every benchmark script starts: its imports resolve and `--help` describes it (a full run is a benchmark)."""

import subprocess
import sys
from pathlib import Path

import pytest

from stack import PROJECT_DIR

SCRIPTS = sorted((PROJECT_DIR / "bench").glob("bench_*.py"))


def test_there_are_benchmark_scripts() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_benchmark_script_imports_and_answers_help(script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ") and "--help" in done.stdout
