"""What a program registers, in a stable, comparable form (for snapshot tests around refactors)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pulumi

from components import assets
from components.testing import ProgramResult

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
_BIG = 512
"""Strings longer than this (uploaded file contents) are kept as their digest."""
_MAX_LISTED = 40
"""Archives with more files than this (the layer: an installed package) are kept as their top-level folders."""
UNPINNED = {assets.package_version(assets.LAYER_PACKAGE): f"<installed {assets.LAYER_PACKAGE} version>"}
"""Versions the requirements allow a range of: the snapshot records a placeholder, not whatever is installed."""


def _stable(value: Any) -> Any:
    if isinstance(value, pulumi.FileAsset):  # by contents, as Pulumi compares it (the path names a cache entry)
        return {
            "file_asset": Path(value.path).name,
            "sha256": hashlib.sha256(Path(value.path).read_bytes()).hexdigest(),
        }
    if isinstance(value, pulumi.AssetArchive):
        names = sorted(value.assets)
        if len(names) > _MAX_LISTED:
            return {"archive_folders": sorted({"/".join(n.split("/")[:2]) for n in names})}
        return {"archive": names}
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and value.lstrip().startswith("{") and value.rstrip().endswith("}"):
        try:
            return {"json": _stable(json.loads(value))}
        except ValueError:
            pass
    if isinstance(value, str):
        for version, placeholder in UNPINNED.items():
            value = value.replace(f" {version} ", f" {placeholder} ")
    if isinstance(value, str) and len(value) > _BIG:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def snapshot(result: ProgramResult) -> dict[str, Any]:
    """Every registered resource keyed by type and logical name, with its inputs and parent's logical name."""
    by_urn = {r.urn: r for r in result.resources}
    out: dict[str, Any] = {}
    for res in sorted(result.resources, key=lambda r: (r.type, r.name)):
        parent = by_urn.get(res.parent)
        out[f"{res.type}::{res.name}"] = {
            "parent": parent.name if parent else None,
            "inputs": _stable(res.inputs),
        }
    return {"resources": out, "outputs": _stable(result.outputs)}


def save(name: str, data: dict[str, Any]) -> Path:
    path = SNAPSHOT_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def load(name: str) -> dict[str, Any]:
    return json.loads((SNAPSHOT_DIR / f"{name}.json").read_text(encoding="utf-8"))


def diff(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable differences: resources added, removed, or changed (per top-level input)."""
    lines: list[str] = []
    old, new = expected["resources"], actual["resources"]
    lines += [f"+ {k}" for k in sorted(set(new) - set(old))]
    lines += [f"- {k}" for k in sorted(set(old) - set(new))]
    for key in sorted(set(old) & set(new)):
        if old[key]["parent"] != new[key]["parent"]:
            lines.append(f"~ {key} parent: {old[key]['parent']} -> {new[key]['parent']}")
        a, b = old[key]["inputs"], new[key]["inputs"]
        for field in sorted(set(a) | set(b)):
            if a.get(field) != b.get(field):
                lines.append(f"~ {key} {field}: {a.get(field)!r} -> {b.get(field)!r}")
    if expected["outputs"] != actual["outputs"]:
        lines.append(f"~ outputs: {expected['outputs']!r} -> {actual['outputs']!r}")
    return lines


VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "dev": ("dev", {}),
    "staging": ("staging", {}),
    "dev-iceberg": ("dev", {"tableFormat": "iceberg"}),
}
"""Snapshot name -> (stack, config overrides): each stack as committed, and dev with an Iceberg lake."""


if __name__ == "__main__":
    # Regenerate after a deliberate change: python -m tests.components.snapshot [dev staging dev-iceberg]
    import sys

    from stack.testing import run_stack

    for name in sys.argv[1:] or list(VARIANTS):
        stack, overrides = VARIANTS[name]
        print(save(name, snapshot(run_stack(stack, overrides=overrides))))
