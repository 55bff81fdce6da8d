"""The library as a stranger gets it: a wheel built from this checkout, installed into a fresh virtualenv, offline.

The virtualenv sees the wheel plus the library's runtime dependencies (the closure of the wheel's own
`Requires-Dist`, without extras) linked from this interpreter's site-packages, and nothing else: not this checkout,
not the tooling extras (duckdb, moto, numba, rich, ...). No network is used.
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIBRARY_FILES = ("pyproject.toml", "README.md", "components", "functions", "lakewriter")
"""What the distribution is built from."""
TOOLING = ("duckdb", "moto", "numba", "rich", "boto3", "stack", "local", "tests")
"""Modules the installed library must never need; `BLOCK_TOOLING` makes importing them fail."""
BLOCK_TOOLING = (
    "import sys\n"
    "class _Blocked:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    f"        if name.split('.')[0] in {TOOLING!r}:\n"
    "            raise ImportError(f'{name} is not a runtime dependency of the library')\n"
    "sys.meta_path.insert(0, _Blocked())\n"
)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    site_packages: Path

    def run(self, code: str, cwd: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        """Run `code` in the fresh virtualenv from `cwd`, with the tooling modules blocked."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        return subprocess.run(
            [str(self.python), "-c", BLOCK_TOOLING + code, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def runtime_closure(requirements: list[str]) -> set[str]:
    """Distribution names the requirements (markers without extras only) pull in, transitively."""
    seen: set[str] = set()
    todo = [_name(r) for r in requirements if "extra ==" not in r]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a requirement for other Pythons only (its marker is false here)
        seen.add(name)
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout's library, built offline from a copy of its files."""
    src = out / "src"
    src.mkdir(parents=True)
    for name in LIBRARY_FILES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, src],
        check=True,
        capture_output=True,
        timeout=120,
    )
    [wheel] = out.glob("acme_telemetry-*.whl")
    return wheel


def wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        [meta] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        message = email.parser.Parser().parsestr(zf.read(meta).decode())
    return message.get_all("Requires-Dist") or []


def link_distributions(names: set[str], target: Path) -> None:
    """Symlink every top-level file or folder of each distribution (its code and its .dist-info) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        dist = metadata.distribution(name)
        base = Path(str(dist.locate_file("")))
        for top in {Path(str(f)).parts[0] for f in dist.files or ()}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            source, link = base / top, target / top
            if source.exists() and not link.exists():
                link.symlink_to(source)


def install(root: Path) -> Installed:
    """Build the wheel, make a fresh virtualenv, install the wheel alone and link in its runtime dependencies."""
    wheel = build_wheel(root / "dist")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    [site] = (env_dir / "lib").glob("python3*/site-packages")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    deps = root / "runtime-deps"
    link_distributions(runtime_closure(wheel_requirements(wheel)), deps)
    (site / "runtime-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return Installed(wheel, python, site)
