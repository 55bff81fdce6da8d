"""The README's examples run, its links resolve, and the generated reference pages match what generates them.

The Python blocks are read from README.md when the tests run (not copied): the blocks under "Reusing the
components" are one program, run as a project's __main__.py under mocks; the blocks under "Testing your own
program" are a test module of that project, whose test functions are called.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from stack import PROJECT_DIR
from stack.docs import PAGES

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
PENDING = {"audience.md", "catalogue.md", "profile.md", "reliability.md", "hardening.md"}
"""Pages the README links that other branches add."""


def python_blocks(heading: str) -> list[str]:
    """The ```python blocks of the README section under `heading` (up to the next heading of any level)."""
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ )", README, re.S | re.M)
    assert match, f"README has no section {heading!r}"
    return re.findall(r"```python\n(.*?)```", match.group(1), re.S)


@pytest.fixture
def shop_project(tmp_path: Path) -> Path:
    """A Pulumi project whose program is the README's reuse example."""
    project = tmp_path / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: shop\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-west-2\n", encoding="utf-8")
    (project / "__main__.py").write_text("\n".join(python_blocks("Reusing the components")), encoding="utf-8")
    return project


def test_the_reuse_example_is_a_program_that_builds_its_pipeline(shop_project: Path) -> None:
    from components.testing import AwsMocks, run_program

    result = run_program("dev", shop_project, mocks=AwsMocks(account_id="111122223333"))
    assert result.outputs["streamName"] == "shop-clicks"
    assert len(result.of_type("acme-telemetry:index:StreamingLake")) == 1
    assert {r.name for r in result.of_type("acme-telemetry:index:StreamingIngest")} == {
        "clicks-ingest",
        "orders-ingest",
    }


def test_the_testing_example_passes_on_that_program(shop_project: Path) -> None:
    [*blocks] = python_blocks("Testing your own program")
    assert blocks, "no example"
    module = shop_project / "tests" / "test_shop.py"
    namespace = {"__file__": str(module), "__name__": "test_shop"}
    exec(compile(textwrap.dedent("\n".join(blocks)), str(module), "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert len(tests) >= 3
    for test in tests:
        test()


def test_every_relative_link_of_the_readme_and_docs_resolves() -> None:
    pages = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+?)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            if not path.exists() and path.name not in PENDING:
                broken.append(f"{page.name}: {target}")
    assert not broken


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_pages_match_their_sources(name: str) -> None:
    committed = (PROJECT_DIR / "docs" / name).read_text(encoding="utf-8")
    assert committed == PAGES[name](), f"docs/{name} is stale: run `python -m stack.docs`"


def test_the_readme_stays_a_front_door() -> None:
    assert len(README.splitlines()) <= 200
