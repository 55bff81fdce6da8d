"""Write what a stack registers (under the Pulumi mocks) as a Terraform plan JSON that checkov can scan.

checkov does not read Pulumi programs, but it reads `terraform show -json` plans. pulumi-aws is generated from the
Terraform AWS provider, so each Pulumi type maps to a Terraform resource type and each camelCase input to a
snake_case attribute; references between resources (a bucket policy's `bucket` is the bucket's id) are recovered
from equal values and written into the plan's `configuration`, which checkov's graph checks follow.

    python -m policy.checkov_plan dev --out /tmp/plan.json [--set encryptionKey=customer-managed]
    checkov -f /tmp/plan.json --framework terraform_plan
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TYPE_OVERRIDES: Mapping[str, str] = {
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
}
"""Pulumi types whose Terraform name is not aws_<module>_<snake class>."""
PLURAL_BLOCKS: Mapping[str, str] = {
    "rules": "rule",
    "transitions": "transition",
    "inline_policies": "inline_policy",
    "noncurrent_version_transitions": "noncurrent_version_transition",
    # aws_kinesis_firehose_delivery_stream's iceberg_configuration repeats destination_table_configuration blocks.
    "destination_table_configurations": "destination_table_configuration",
}
"""Pulumi names list-of-object properties in the plural where Terraform names the repeated block in the singular."""
OPAQUE_KEYS = frozenset({"tags", "tags_all", "dimensions", "variables", "parameters_map"})
"""Maps whose keys are user data (not attributes): copied as they are."""
REFERENCE_ATTRIBUTES = ("id", "arn", "name", "bucket")
PROVIDER = "registry.terraform.io/hashicorp/aws"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def terraform_type(pulumi_type: str) -> str | None:
    """aws:s3/bucketPolicy:BucketPolicy -> aws_s3_bucket_policy; None for non-AWS or component types."""
    if pulumi_type in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[pulumi_type]
    parts = pulumi_type.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module = parts[1].split("/")[0].rstrip("_")
    return f"aws_{module}_{snake(parts[2])}"


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def attributes(value: Any, key: str | None = None) -> Any:
    """Pulumi inputs as Terraform attributes: snake_case keys, singular block names, user maps untouched."""
    if isinstance(value, Mapping):
        if key in OPAQUE_KEYS:
            return dict(value)
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = snake(str(k))
            name = PLURAL_BLOCKS.get(name, name) if isinstance(v, list) else name
            out[name] = attributes(v, name)
        return out
    if isinstance(value, list | tuple):
        return [attributes(v, key) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine hands numbers over as floats; Terraform's integers are ints
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _address_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def plan(resources: Sequence[Any]) -> dict[str, Any]:
    """A Terraform plan (format 1.2) creating `resources` (RecordedResource: type, name, inputs, outputs, id)."""
    rows: list[tuple[str, str, Any]] = []
    for res in resources:
        tf_type = terraform_type(res.type) if getattr(res, "custom", True) else None
        if tf_type:
            rows.append((tf_type, _address_name(res.name), res))
    owners: dict[str, str] = {}
    for tf_type, name, res in rows:
        for attr in REFERENCE_ATTRIBUTES:
            value = res.id if attr == "id" else res.outputs.get(attr)
            if isinstance(value, str) and value and value not in owners:
                owners[value] = f"{tf_type}.{name}.{attr}"
    planned, changes, configured = [], [], []
    for tf_type, name, res in rows:
        address = f"{tf_type}.{name}"
        values = attributes({**res.outputs, "id": res.id})
        planned.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_name": PROVIDER,
             "values": values}
        )  # fmt: skip
        changes.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_name": PROVIDER,
             "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {}}}
        )  # fmt: skip
        expressions: dict[str, Any] = {}
        for key, value in res.inputs.items():
            owner = owners.get(value) if isinstance(value, str) else None
            if owner and not owner.startswith(address + "."):
                expressions[snake(key)] = {"references": [owner, owner.rsplit(".", 1)[0]]}
        configured.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_config_key": "aws",
             "expressions": expressions}
        )  # fmt: skip
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws"}}, "root_module": {"resources": configured}},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="stack whose Pulumi.<stack>.yaml config to use")
    parser.add_argument("--out", type=Path, required=True, help="where to write the plan JSON")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    args = parser.parse_args(argv)
    from stack.testing import run_stack

    overrides = dict(item.split("=", 1) for item in args.set)
    result = run_stack(args.stack, overrides=overrides)
    document = plan(result.resources)
    args.out.write_text(json.dumps(document, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(document['planned_values']['root_module']['resources'])} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
