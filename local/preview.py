"""`python -m local preview`: the resources and outputs `pulumi up` would create, from the program under mocks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable
from rich.tree import Tree

from components.testing import STACK_TYPE, ProgramResult, RecordedResource, run_program
from stack import PROJECT_DIR


def resource_tree(result: ProgramResult, stack: str) -> Tree:
    """The registered resources as a tree of `type name`, children under their parent component."""
    children: dict[str, list[RecordedResource]] = {}
    urns = {r.urn for r in result.resources}
    for resource in result.resources:
        if resource.type == STACK_TYPE:
            continue
        parent = resource.parent if resource.parent in urns else ""
        children.setdefault(parent, []).append(resource)
    for stack_resource in (r for r in result.resources if r.type == STACK_TYPE):
        children.setdefault("", []).extend(children.pop(stack_resource.urn, []))

    root = Tree(f"[bold]{STACK_TYPE}[/] acme-telemetry-{stack}")

    def add(node: Tree, parent_urn: str) -> None:
        for resource in sorted(children.get(parent_urn, []), key=lambda r: (r.custom, r.type, r.name)):
            label = f"[cyan]{resource.type}[/] {resource.name}"
            add(node.add(label), resource.urn)

    add(root, "")
    return root


def type_counts(result: ProgramResult) -> Counter[str]:
    """How many resources of each type the program registers (the stack itself left out)."""
    return Counter(r.type for r in result.resources if r.type != STACK_TYPE)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def render_preview(stack: str, console: Console, project_dir: Path | None = None) -> ProgramResult:
    """Run the program for `stack` under mocks and print its tree, counts by type and outputs."""
    from local.settings import check_stack_file

    project_dir = project_dir or PROJECT_DIR
    check_stack_file(stack, project_dir)
    result = run_program(stack, project_dir)
    console.print(resource_tree(result, stack))
    counts = RichTable(title="Resources by type", title_justify="left")
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for typ, n in sorted(type_counts(result).items()):
        counts.add_row(typ, str(n))
    counts.add_row("[bold]total", f"[bold]{sum(type_counts(result).values())}")
    console.print(counts)
    outputs = RichTable(title="Stack outputs (account 123456789012 stands in for yours)", title_justify="left")
    outputs.add_column("output")
    outputs.add_column("value", overflow="fold")
    for key in sorted(result.outputs):
        outputs.add_row(key, _show(result.outputs[key]))
    console.print(outputs)
    return result
