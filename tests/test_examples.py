"""examples/ are other projects: their own tests pass against an installed copy of the library, not this checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.installed import REPO, Installed, link_distributions, runtime_closure


def test_the_iot_sensors_project_passes_its_own_tests_against_the_installed_library(
    installed_library: Installed, tmp_path: Path
) -> None:
    project = tmp_path / "iot-sensors"
    shutil.copytree(REPO / "examples" / "iot-sensors", project, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    tools = tmp_path / "test-tools"
    link_distributions(runtime_closure(["pytest"]), tools)
    code = (
        f"sys.path.append({str(tools)!r})\n"
        "import pytest, components\n"
        "print('library:', components.__file__)\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests']))\n"
    )
    done = installed_library.run(code, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"library: {installed_library.site_packages}" in done.stdout
    assert " passed" in done.stdout and "failed" not in done.stdout
