"""`python -m local`: the README's main command and the offline preview, as a user runs them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from functions.shared import schema
from local.__main__ import main
from local.preview import render_preview, type_counts
from stack import PROJECT_DIR as REPO_ROOT

pytestmark = pytest.mark.e2e


def test_run_prints_a_summary_and_the_chosen_query_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--events",
            "250",
            "--seed",
            "3",
            "--lake",
            str(tmp_path / "lake"),
            "--query",
            "total_events",
            "--query",
            "events_by_type",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    streamed = re.search(r"1\s+tick\(s\), ([\d,]+) events", out)
    assert streamed and f"delivered {streamed.group(1)}" in out  # one tick: about 250 events at most any hour
    assert "total_events" in out and "events_by_type" in out and "content_engagement" not in out


def test_run_into_a_foreign_directory_fails_with_one_clear_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "thesis.tex").write_text("%")
    code = main(["run", "--events", "10", "--lake", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2
    assert "error:" in out and "holds something else" in out and "Traceback" not in out


def test_unknown_query_name_is_an_argument_error_listing_the_choices(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--query", "everything"])
    assert exit_info.value.code == 2
    assert "total_events" in capsys.readouterr().err


def test_preview_prints_the_resource_tree_counts_and_outputs(capsys) -> None:
    code = main(["preview", "--stack", "dev"])
    out = capsys.readouterr().out
    assert code == 0
    for expected in (
        "acme-telemetry:index:DataLake",
        "acme-telemetry:index:ScheduledGenerator",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "Resources by type",
        "streamName",
        "acme-telemetry-stream",
    ):
        assert expected in out


def test_preview_counts_match_the_program_under_mocks() -> None:
    result = render_preview("staging", Console(file=io.StringIO()))
    counts = type_counts(result)
    assert counts["aws:lambda/function:Function"] == 2
    assert counts["aws:glue/catalogTable:CatalogTable"] == len(schema.TABLES)
    assert result.outputs["streamName"] == "acme-stg-telemetry-stream"


def test_preview_shows_config_errors_as_pulumi_up_would(tmp_path: Path, capsys) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  aws:region: us-west-2\n  acme-telemetry:batchSize: 0\n  acme-telemetry:kinesisRetentionHours: 23\n"
    )
    with pytest.raises(ValueError) as error:
        render_preview("broken", Console(file=sys.stdout), project_dir=tmp_path)
    message = str(error.value)
    assert "acme-telemetry:batchSize" in message and "acme-telemetry:kinesisRetentionHours" in message
    assert "24–8760" in message


def test_module_entry_point_runs_in_a_fresh_interpreter(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local",
            "run",
            "--ticks",
            "1",
            "--seed",
            "1",
            "--lake",
            str(tmp_path / "lake"),
            "--query",
            "join_coverage",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "join_coverage" in done.stdout and "100.0" in done.stdout
