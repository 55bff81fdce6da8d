"""The library apart from the stack: installed from its wheel into a fresh virtualenv, used from another directory."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.installed import Installed


def test_the_installed_library_imports_anywhere_with_only_its_runtime_dependencies(
    installed_library: Installed, tmp_path: Path
) -> None:
    code = textwrap.dedent(
        """
        import json, sys
        import components, components.testing, functions, lakewriter.customers, lakewriter.parquet
        try:
            import rich
        except ImportError:
            pass
        else:
            raise SystemExit("tooling importable")
        print(json.dumps({
            "file": components.__file__,
            "names": sorted(components.__all__),
            "tooling": sorted(m for m in sys.modules if m.split(".")[0] in ("duckdb", "moto", "numba", "rich")),
        }))
        """
    )
    done = installed_library.run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["file"]).is_relative_to(installed_library.site_packages)
    assert {"DataLake", "StreamingIngest", "TelemetryCatalog", "ArgumentError", "Table"} <= set(found["names"])
    assert found["tooling"] == []


def test_a_consumers_own_project_runs_under_the_installed_mocks(installed_library: Installed, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: shop-clicks\nruntime: python\nconfig:\n  retentionHours:\n    type: integer\n    default: 48\n"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi
            from components import DataLake

            lake = DataLake("clicks-lake", {"bucket_name_prefix": "shop-clicks"})
            pulumi.export("bucket", lake.bucket_name)
            pulumi.export("retention", pulumi.Config().get_int("retentionHours"))
            """
        )
    )
    code = textwrap.dedent(
        """
        import json, sys
        from components.testing import AwsMocks, run_program
        result = run_program("dev", sys.argv[1], mocks=AwsMocks(region="eu-west-1"))
        print(json.dumps(result.outputs))
        """
    )
    done = installed_library.run(code, tmp_path, str(project))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"bucket": "shop-clicks-123456789012-eu-west-1", "retention": 48}
