"""Every benchmark script starts: its imports resolve and `--help` describes it (a full run is a benchmark)."""

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from stack import PROJECT_DIR

SCRIPTS = sorted([*(PROJECT_DIR / "bench").glob("bench_*.py"), PROJECT_DIR / "bench" / "calibrate_audience.py"])


def test_there_are_benchmark_scripts() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_benchmark_script_imports_and_answers_help(script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ") and "--help" in done.stdout


def test_the_admitted_shares_fit_follows_the_hours_near_each_load_and_never_rises_with_load() -> None:
    from bench.calibrate_audience import fit

    # Shares fall by 0.1 per hour of load, measured at many hours; one noisy busy hour admits more than its neighbours.
    points = [(0.2 * i, 0.9 - 0.02 * i, 100) for i in range(1, 25)] + [(4.4, 0.95, 1)]
    table = fit(points, (1.0, 2.0, 4.5, 6.0))
    assert [load for load, _ in table] == [1.0, 2.0, 4.5, 6.0]
    assert table[0][1] == pytest.approx(0.8, abs=0.01) and table[1][1] == pytest.approx(0.7, abs=0.01)
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(table))  # 6.0 is beyond: the nearest hour's
