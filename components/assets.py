"""Lambda code and layer archives, assembled from files on disk with no build step and no network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pulumi

REPO_ROOT = Path(__file__).resolve().parents[1]
"""Directory holding `functions/`; the zip root of the function archive."""

FUNCTION_PACKAGE = "functions"
"""Everything under it ships to Lambda, and nothing else: pyarrow/numpy tools live in `lakewriter/`."""

LAYER_PACKAGE = "mimesis"
LAYER_PYTHON_DIR = "python"  # Lambda layers: Python packages go under python/ to land on sys.path
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _usable(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix not in SKIPPED_SUFFIXES


def function_code_files(root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    """(archive path, file) of every .py file the handlers need, sorted by archive path."""
    package = root / FUNCTION_PACKAGE
    if not (package / "__init__.py").is_file():
        raise FileNotFoundError(f"Lambda code package missing: {package / '__init__.py'}")
    files = [(path.relative_to(root).as_posix(), path) for path in package.rglob("*.py") if _usable(path)]
    return sorted(files)


def package_dir(package: str) -> Path:
    """Installed directory of a top-level package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed; the Lambda layer needs it")
    return Path(next(iter(spec.submodule_search_locations)))


def layer_files(package: str = LAYER_PACKAGE) -> list[tuple[str, Path]]:
    """(archive path under python/, file) of every file of an installed package, without bytecode, sorted."""
    base = package_dir(package)
    files = [
        (f"{LAYER_PYTHON_DIR}/{package}/{path.relative_to(base).as_posix()}", path)
        for path in base.rglob("*")
        if _usable(path)
    ]
    return sorted(files)


def package_version(package: str = LAYER_PACKAGE) -> str:
    from importlib.metadata import version

    return version(package)


def archive(files: list[tuple[str, Path]]) -> pulumi.AssetArchive:
    """An AssetArchive of FileAssets; Pulumi hashes the contents, so unchanged files mean no diff."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files})
