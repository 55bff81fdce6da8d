"""`python -m local`: bad input gets one line naming the input and the rule and a non-zero exit, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from local.__main__ import main
from local.plan import MAX_TICKS
from local.settings import check_stack_file
from stack import PROJECT_DIR as REPO_ROOT

pytestmark = pytest.mark.e2e


def _one_error_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    out = capsys.readouterr()
    text = (out.out + out.err).strip()
    assert code != 0
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    assert text.startswith("error:"), text
    return text


def test_preview_of_an_unknown_stack_names_it_and_lists_the_stacks(capsys) -> None:
    line = _one_error_line(capsys, main(["preview", "--stack", "nope"]))
    assert "--stack 'nope'" in line and "Pulumi.nope.yaml" in line and "dev, staging" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config:\n  aws:region: [us-west-2\n", r"Pulumi.bad.yaml: not valid YAML at line \d+, column \d+"),
        ("config:\n  - aws:region: us-west-2\n", "Pulumi.bad.yaml: config must be a mapping of key: value, got a list"),
        ("- config\n", r"Pulumi.bad.yaml must be a YAML mapping \(config: ...\), got a list"),
    ],
)
def test_a_malformed_stack_file_is_named_with_its_rule(tmp_path: Path, text: str, expected: str) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.bad.yaml").write_text(text)
    with pytest.raises(ValueError, match=expected):
        check_stack_file("bad", tmp_path)


@pytest.mark.parametrize("command", ["preview", "cost", "run"])
def test_each_command_refuses_a_malformed_stack_file_in_one_line(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.broken.yaml").write_text("config: [1, 2]\n")
    monkeypatch.setattr("local.settings.PROJECT_DIR", tmp_path)
    monkeypatch.setattr("local.preview.PROJECT_DIR", tmp_path)
    extra = ["--lake", str(tmp_path / "lake")] if command == "run" else []
    line = _one_error_line(capsys, main([command, "--stack", "broken", *extra]))
    assert "Pulumi.broken.yaml: config must be a mapping of key: value, got a list" in line


@pytest.mark.parametrize("rate", ["1e308/s", "1e999/s", "2000000/s"])
def test_cost_refuses_a_rate_beyond_its_bound(capsys, rate: str) -> None:
    line = _one_error_line(capsys, main(["cost", "--rate", rate]))
    assert f"--rate {rate!r}" in line and "at most 1,000,000 events/s" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--ticks", "1000000000"], f"--ticks must be 0–{MAX_TICKS}"),
        (["--ticks", "-1"], f"--ticks must be 0–{MAX_TICKS}"),
        (["--events", "100000000"], f"a run streams at most {MAX_TICKS}"),
    ],
)
def test_run_bounds_the_ticks_before_touching_the_lake(tmp_path: Path, capsys, args: list[str], expected: str) -> None:
    line = _one_error_line(capsys, main(["run", *args, "--lake", str(tmp_path / "lake")]))
    assert expected in line
    assert not (tmp_path / "lake").exists()


def test_run_help_states_the_tick_bound(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert f"at most {MAX_TICKS}" in capsys.readouterr().out
