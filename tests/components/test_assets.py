"""Lambda code and layer archives: deterministic file lists without bytecode that really import on their own."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components import assets

BLOCKED = ("pyarrow", "numpy", "pandas", "duckdb")
"""Not available on Lambda: the handlers must import without them."""


def test_function_archive_is_the_functions_package_sorted_without_bytecode() -> None:
    files = assets.function_code_files()
    names = [name for name, _ in files]
    assert names == sorted(names)
    assert names[0] == "functions/__init__.py"
    assert "functions/producer/handler.py" in names and "functions/shared/schema.py" in names
    assert all(n.endswith(".py") and "__pycache__" not in n for n in names)
    assert all(n.split("/")[1] in ("__init__.py", "shared", "generator", "producer") for n in names)
    assert "lakewriter/parquet.py" not in names
    assert assets.function_code_files() == files


def test_function_archive_skips_bytecode_even_when_present(tmp_path: Path) -> None:
    for package in ("shared", "generator", "producer"):
        (tmp_path / "functions" / package / "__pycache__").mkdir(parents=True)
        (tmp_path / "functions" / package / "__init__.py").write_text("")
        (tmp_path / "functions" / package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "functions" / "__init__.py").write_text("")
    (tmp_path / "functions" / "shared" / "notes.txt").write_text("not code")
    names = [name for name, _ in assets.function_code_files(tmp_path)]
    assert names == [
        "functions/__init__.py",
        "functions/generator/__init__.py",
        "functions/producer/__init__.py",
        "functions/shared/__init__.py",
    ]


def test_layer_holds_the_installed_mimesis_under_python_without_bytecode() -> None:
    files = assets.layer_files()
    names = [name for name, _ in files]
    assert names == sorted(names)
    assert "python/mimesis/__init__.py" in names
    assert any(n.startswith("python/mimesis/datasets/") and n.endswith(".json") for n in names)
    assert not any(n.endswith((".pyc", ".pyo")) or "__pycache__" in n for n in names)
    assert all(path.is_file() for _, path in files)
    assert assets.layer_files() == files


def test_missing_layer_package_is_a_clear_error() -> None:
    with pytest.raises(ModuleNotFoundError, match="package 'no_such_pkg_xyz' is not installed"):
        assets.layer_files("no_such_pkg_xyz")


def test_archive_maps_each_archive_path_to_its_file() -> None:
    archive = assets.archive(assets.function_code_files())
    assert list(archive.assets) == [name for name, _ in assets.function_code_files()]


def test_every_shipped_module_imports_from_the_archive_without_pyarrow_or_numpy(tmp_path: Path) -> None:
    if not (assets.REPO_ROOT / "functions" / "generator" / "handler.py").is_file():
        pytest.fail("functions/generator/handler.py is missing: the generator Lambda has no handler to ship")
    for name, path in assets.function_code_files() + assets.layer_files():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shipped = [
        n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n, _ in assets.function_code_files()
    ]
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        root = {str(tmp_path)!r}
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError(f"{{name}} is not available on Lambda")
        sys.meta_path.insert(0, Block())
        sys.path[:0] = [root, root + "/python"]
        import importlib
        import functions.generator.handler as g, functions.producer.handler as p, mimesis
        for module in {shipped!r}:
            importlib.import_module(module)
        for module in (g, p, mimesis):
            assert module.__file__.startswith(root), module.__file__
        assert callable(g.handler) and callable(p.handler)
        assert not any(m.split(".")[0] in {BLOCKED!r} for m in sys.modules)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
