"""The repository's promises to a new user: the README's two commands, CI, and complete requirement files."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FIRST_PARTY = {
    "readings",
    "components",
    "stack",
    "functions",
    "lakewriter",
    "local",
    "tests",
    "bench",
    "provider",
    "policy",
    "examples",
}


def _command_after(marker: str) -> str:
    block = README.split(marker, 1)[1]
    match = re.search(r"```bash\n(.+?)\n```", block, re.S)
    assert match, f"no bash block after {marker}"
    return match.group(1)


def test_readme_has_two_setup_commands_one_for_the_pipeline_one_for_the_tests() -> None:
    run, test = _command_after("<!-- run-command -->"), _command_after("<!-- test-command -->")
    assert "\n" not in run and "\n" not in test, "each set-up step is one command"
    assert "requirements.txt" in run and "-m local run" in run
    assert "requirements-dev.txt" in test and "-m pytest" in test


def test_ci_runs_the_readmes_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    extracted = subprocess.run(
        ["awk", "/<!-- test-command -->/{getline; getline; print; exit}", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == _command_after("<!-- test-command -->")
    assert "<!-- test-command -->" in script and 'bash -c "$cmd"' in script


def _third_party_imports(*paths: str) -> set[str]:
    roots: set[str] = set()
    sources: list[Path] = []
    for name in paths:
        path = REPO / name
        sources += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return {r for r in roots if r not in sys.stdlib_module_names and r not in FIRST_PARTY}


def _closure(requirements: list[str], extras: tuple[str, ...] = ()) -> set[str]:
    """Distributions the requirements install, transitively (with the given extras of each requirement)."""
    seen: set[str] = set()
    todo = [(_name(r), _extras(r)) for r in requirements]
    while todo:
        name, wanted = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            extra = re.search(r'extra == "([^"]+)"', req)
            if extra is None or extra.group(1) in wanted:
                todo.append((_name(req), _extras(req)))
    return seen


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _extras(requirement: str) -> set[str]:
    found = re.match(r"[^\[;]+\[([^\]]+)\]", requirement)
    return {e.strip() for e in found.group(1).split(",")} if found else set()


LAMBDA_RUNTIME_PROVIDES = {"boto3", "botocore"}
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = PROJECT["dependencies"]
EXTRAS = PROJECT["optional-dependencies"]


def _missing(imported: set[str], installed_by: set[str]) -> dict[str, set[str]]:
    dists = metadata.packages_distributions()
    missing = {}
    for module in imported:
        owners = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not owners & installed_by:
            missing[module] = owners
    return missing


def test_the_library_declares_every_package_it_imports_and_nothing_of_the_tooling() -> None:
    imported = _third_party_imports(
        "components", "provider", *(f"lakewriter/{m}.py" for m in ("__init__", "parquet", "customers", "draws"))
    )
    # The handlers' boto3 is the Lambda runtime's own ("Lambda runtimes for Python include the AWS SDK for Python").
    imported |= _third_party_imports("functions") - LAMBDA_RUNTIME_PROVIDES
    assert not _missing(imported, _closure(RUNTIME))
    assert not {_name(r) for r in RUNTIME} & {"duckdb", "moto", "numba", "rich", "boto3", "pytest"}


def test_each_tool_has_its_imports_in_its_extra() -> None:
    local = _third_party_imports("local", "stack", "__main__.py")
    assert not _missing(local, _closure(RUNTIME + EXTRAS["local"]))
    backfill = _third_party_imports("lakewriter")
    assert not _missing(backfill, _closure(RUNTIME + EXTRAS["backfill"]))


def test_the_readmes_requirement_files_install_the_repository_with_the_extras_their_command_needs() -> None:
    def lines(name: str) -> list[str]:
        text = (REPO / name).read_text(encoding="utf-8").splitlines()
        return [line.split("#", 1)[0].strip() for line in text if line.split("#", 1)[0].strip()]

    assert lines("requirements.txt") == ["-e .[local,backfill]"]
    assert lines("requirements-dev.txt") == ["-e .[dev]"]
    assert _extras(EXTRAS["dev"][0]) == {"local", "backfill"} and _name(EXTRAS["dev"][0]) == PROJECT["name"]
    tests = _third_party_imports("tests", "bench", "policy", "examples")
    dev = [r for r in EXTRAS["dev"] if _name(r) != PROJECT["name"]]
    assert not _missing(tests, _closure(RUNTIME + EXTRAS["local"] + EXTRAS["backfill"] + dev))
