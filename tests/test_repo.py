"""The repository's promises to a new user: the README's two commands, CI, and complete requirement files."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from stack.settings import KEYS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FIRST_PARTY = {
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


def test_readme_documents_every_config_key() -> None:
    missing = [key.name for key in KEYS if f"`{key.name}`" not in README]
    assert not missing, f"README lacks config keys {missing}"


def _third_party_imports() -> set[str]:
    roots: set[str] = set()
    sources = [REPO / "__main__.py", REPO / "provider.py"]
    for package in ("components", "stack", "functions", "lakewriter", "local"):
        sources += sorted((REPO / package).rglob("*.py"))
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return {r for r in roots if r not in sys.stdlib_module_names and r not in FIRST_PARTY}


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=!~ ;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _closure(names: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req and not any(f'extra == "{x}"' in req for x in ("kinesis", "s3")):
                continue
            todo.append(re.split(r"[\[<>=!~ ;(]", req, maxsplit=1)[0].lower().replace("_", "-"))
    return seen


def test_requirements_txt_installs_every_package_the_program_and_local_run_import() -> None:
    installed_by = _closure(_requirement_names(REPO / "requirements.txt"))
    dists = metadata.packages_distributions()
    missing = {}
    for module in _third_party_imports():
        owners = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not owners & installed_by:
            missing[module] = owners
    assert not missing, f"imported but not installed by requirements.txt: {missing}"


def test_the_readme_config_table_states_each_keys_real_default() -> None:
    rows = {}
    for line in README.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = cells[1].replace("`", "").replace(",", "")
    for key in KEYS:
        default = key.effective_default
        if default in (None, ""):
            continue
        text = str(default).lower()
        assert text in rows[key.name].lower().split(" / ") + rows[key.name].lower().split(), (key.name, rows[key.name])
