"""Pulumi mocks for AWS programs: run your own Pulumi program, or one component, with no cloud and no CLI.

Run a whole project as `pulumi up` would (Pulumi.yaml defaults, then Pulumi.<stack>.yaml, all as strings)::

    from pathlib import Path
    from components.testing import run_program

    PROJECT_DIR = Path(__file__).resolve().parents[1]   # the directory holding your Pulumi.yaml

    def test_dev_stack_exports_its_stream_name():
        result = run_program("dev", PROJECT_DIR)
        assert result.outputs["streamName"]
        assert result.one("aws:kinesis/stream:Stream").inputs["encryptionType"] == "KMS"

Or build components directly and inspect what they register::

    result = run_resources(lambda: {"arn": DataLake("lake", {"bucket_name": "my-lake-bucket"}).bucket_arn})
    result.outputs["arn"]                           # -> "arn:aws:s3:::my-lake-bucket"
    result.resources                                # every registered resource, with inputs, parent and urn

`AwsMocks` answers the aws getCallerIdentity / getRegion / getPartition / s3 getBucket invokes (camelCase keys, as
the engine sends them) and gives each new resource an id plus plausible computed outputs (ARNs built for its type,
names, SQS URLs). Nothing here reads this repository's files: every project directory is the caller's.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

TEST_ACCOUNT_ID = "123456789012"
TEST_REGION = "us-west-2"
TEST_PARTITION = "aws"
TEST_PROJECT = "test-project"
"""Project name of component tests run without a project directory."""
STACK_TYPE = "pulumi:pulumi:Stack"
FIREHOSE_TYPE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


@dataclass
class RecordedResource:
    """One resource the program registered, as the engine would have seen it."""

    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str | None
    custom: bool
    urn: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    """The retain_on_delete resource option: `pulumi destroy` forgets the resource instead of deleting it."""
    aliases: list[dict[str, Any]] = field(default_factory=list)
    """The aliases resource option as the engine receives it (name, type, parentUrn or noParent, ...)."""

    @property
    def arn(self) -> str | None:
        return self.outputs.get("arn")


class AwsMocks(pulumi.runtime.Mocks):
    """Answers AWS invokes and resource creation, and records every resource for assertions."""

    def __init__(
        self, account_id: str = TEST_ACCOUNT_ID, region: str = TEST_REGION, partition: str = TEST_PARTITION
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.resources: list[RecordedResource] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.missing_buckets: set[str] = set()
        """Buckets the getBucket invoke reports as missing (to test adopting one that does not exist)."""
        self._lock = threading.Lock()

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        """Answer the data-source invokes the components use; anything else is a clear error."""
        a, r, p = self.account_id, self.region, self.partition
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": a,
                "arn": f"arn:{p}:iam::{a}:user/pulumi-test",
                "userId": "AIDATESTUSERID0000000",
                "id": a,
            },
            "aws:index/getRegion:getRegion": {
                "region": r,
                "name": r,
                "id": r,
                "endpoint": f"ec2.{r}.amazonaws.com",
                "description": f"Test region {r}",
            },
            "aws:index/getPartition:getPartition": {
                "partition": p,
                "dnsSuffix": "amazonaws.com",
                "id": p,
                "reverseDnsPrefix": "com.amazonaws",
            },
        }
        if args.token == "aws:s3/getBucket:getBucket":
            bucket = args.args.get("bucket")
            if bucket in self.missing_buckets:
                raise LookupError(f"bucket {bucket!r} does not exist")
            answers[args.token] = {
                "bucket": bucket,
                "id": bucket,
                "arn": f"arn:{p}:s3:::{bucket}",
                "region": r,
                "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            }
        with self._lock:
            self.calls.append((args.token, dict(args.args)))
        if args.token not in answers:
            raise NotImplementedError(f"AwsMocks has no answer for invoke {args.token!r}; known: {sorted(answers)}")
        return answers[args.token]

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Give the resource an id and computed outputs, and record it."""
        inputs = dict(args.inputs)
        if args.custom:
            resource_id, computed = self._computed(args.typ, args.name, inputs)
        else:
            resource_id, computed = None, {}
        outputs = {**inputs, **computed}
        with self._lock:
            self.resources.append(
                RecordedResource(args.typ, args.name, inputs, outputs, resource_id, bool(args.custom))
            )
        return resource_id, outputs

    def _attach(
        self,
        typ: str,
        name: str,
        urn: str,
        parent: str,
        dependencies: list[str],
        retain: bool = False,
        aliases: list[dict[str, Any]] | None = None,
    ) -> None:
        with self._lock:
            for res in reversed(self.resources):
                if res.type == typ and res.name == name and not res.urn:
                    res.urn, res.parent, res.dependencies = urn, parent, dependencies
                    res.retain_on_delete = retain
                    res.aliases = aliases or []
                    return

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        a, r, p = self.account_id, self.region, self.partition
        # Stands in for Pulumi's auto-naming: the logical name (or the given name_prefix) plus a stable suffix.
        suffix = hashlib.sha1(name.encode()).hexdigest()[:7]
        physical = inputs.get("name") or (
            inputs["namePrefix"] + suffix if inputs.get("namePrefix") else f"{name}-{suffix}"
        )
        out: dict[str, Any] = {}
        rid = f"{name}-id"
        service_arn = {
            "aws:kinesis/stream:Stream": f"arn:{p}:kinesis:{r}:{a}:stream/{physical}",
            FIREHOSE_TYPE: f"arn:{p}:firehose:{r}:{a}:deliverystream/{physical}",
            "aws:iam/role:Role": f"arn:{p}:iam::{a}:role/{physical}",
            "aws:cloudwatch/logGroup:LogGroup": f"arn:{p}:logs:{r}:{a}:log-group:{physical}",
            "aws:cloudwatch/eventRule:EventRule": f"arn:{p}:events:{r}:{a}:rule/{physical}",
            "aws:glue/catalogDatabase:CatalogDatabase": f"arn:{p}:glue:{r}:{a}:database/{physical}",
            "aws:athena/workgroup:Workgroup": f"arn:{p}:athena:{r}:{a}:workgroup/{physical}",
            "aws:lambda/function:Function": f"arn:{p}:lambda:{r}:{a}:function:{physical}",
            "aws:sqs/queue:Queue": f"arn:{p}:sqs:{r}:{a}:{physical}",
            "aws:sns/topic:Topic": f"arn:{p}:sns:{r}:{a}:{physical}",
            "aws:cloudwatch/metricAlarm:MetricAlarm": f"arn:{p}:cloudwatch:{r}:{a}:alarm:{physical}",
        }
        if typ in service_arn:
            out["arn"] = service_arn[typ]
            out["name"] = physical
            rid = physical
        if typ == "aws:s3/bucket:Bucket":
            prefix = inputs.get("bucketPrefix")
            bucket = inputs.get("bucket") or (
                f"{prefix}{hashlib.sha1(name.encode()).hexdigest()[:7]}" if prefix else physical
            )
            rid = bucket
            out.update(bucket=bucket, arn=f"arn:{p}:s3:::{bucket}", bucketDomainName=f"{bucket}.s3.amazonaws.com")
        elif typ == "aws:kinesis/stream:Stream":
            rid = out["arn"]
        elif typ == "aws:cloudwatch/logStream:LogStream":
            out["arn"] = f"arn:{p}:logs:{r}:{a}:log-group:{inputs.get('logGroupName')}:log-stream:{physical}"
        elif typ == "aws:glue/catalogTable:CatalogTable":
            database = inputs.get("databaseName")
            out["arn"] = f"arn:{p}:glue:{r}:{a}:table/{database}/{physical}"
            rid = f"{a}:{database}:{physical}"
        elif typ == "aws:lambda/function:Function":
            out.update(
                invokeArn=f"arn:{p}:apigateway:{r}:lambda:path/2015-03-31/functions/{out['arn']}/invocations",
                qualifiedArn=f"{out['arn']}:$LATEST",
                version="$LATEST",
            )
        elif typ == "aws:lambda/layerVersion:LayerVersion":
            layer = f"arn:{p}:lambda:{r}:{a}:layer:{inputs.get('layerName')}"
            out.update(layerArn=layer, arn=f"{layer}:1", version="1")
            rid = out["arn"]
        elif typ == "aws:sqs/queue:Queue":
            out["url"] = f"https://sqs.{r}.amazonaws.com/{a}/{physical}"
            rid = out["url"]
        elif typ == "aws:kms/key:Key":
            digest = hashlib.sha1(name.encode()).hexdigest()
            key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
            out.update(keyId=key_id, arn=f"arn:{p}:kms:{r}:{a}:key/{key_id}")
            rid = key_id
        elif typ == "aws:cloudwatch/dashboard:Dashboard":
            out["dashboardArn"] = f"arn:{p}:cloudwatch::{a}:dashboard/{inputs.get('dashboardName')}"
            rid = str(inputs.get("dashboardName"))
        return rid, out


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """MockMonitor that also records each resource's URN, parent and dependencies."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.aws_mocks = mocks

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            retain = request.HasField("retainOnDelete") and request.retainOnDelete
            aliases = [
                json_format.MessageToDict(alias.spec) if alias.HasField("spec") else {"urn": alias.urn}
                for alias in request.aliases
            ]
            self.aws_mocks._attach(
                request.type, request.name, response.urn, request.parent, list(request.dependencies), retain, aliases
            )
        return response


@dataclass
class ProgramResult:
    """What a program run under mocks registered and exported."""

    resources: list[RecordedResource]
    outputs: dict[str, Any]
    config: dict[str, str]

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> RecordedResource:
        """The single resource of `typ` (and logical `name`, if given); error if there are none or several."""
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {typ} named {name!r}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)


def _as_config_string(value: Any) -> str:
    """A config value as the engine hands it to a program: strings verbatim, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a YAML mapping")
    return data


def project_name(project_dir: Path) -> str:
    """The `name` of the Pulumi.yaml in `project_dir`."""
    return str(_read_yaml(Path(project_dir) / "Pulumi.yaml")["name"])


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_stack_config(stack: str, project_dir: Path) -> dict[str, str]:
    """Config as `pulumi up` would pass it: Pulumi.yaml defaults, then Pulumi.<stack>.yaml values, as strings."""
    project_dir = Path(project_dir)
    project_file = _read_yaml(project_dir / "Pulumi.yaml")
    project = str(project_file["name"])
    config: dict[str, str] = {}
    for key, spec in (project_file.get("config") or {}).items():
        if isinstance(spec, dict):
            if "default" in spec:
                config[_namespaced(project, key)] = _as_config_string(spec["default"])
            elif "value" in spec:
                config[_namespaced(project, key)] = _as_config_string(spec["value"])
        else:
            config[_namespaced(project, key)] = _as_config_string(spec)
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.is_file():
        raise FileNotFoundError(f"no stack config {stack_path.name} in {project_dir}")
    for key, value in (_read_yaml(stack_path).get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            raise ValueError(f"{key} is a secret; mocks cannot decrypt it, pass it via overrides instead")
        config[_namespaced(project, key)] = _as_config_string(value)
    return config


def use_mocks(mocks: AwsMocks, project: str = TEST_PROJECT, stack: str = "test", preview: bool = False) -> None:
    """Install `mocks` as the Pulumi engine with a fresh root stack (safe to call once per test)."""
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=RecordingMonitor(mocks))
    # The region the program deploys to is the one the invokes answer with, as with a real aws provider.
    pulumi.runtime.set_all_config({"aws:region": mocks.region})


def resolve(value: Any) -> Any:
    """Wait for every resource registration and return the resolved value of an Output (or plain value)."""
    box: dict[str, Any] = {}

    def body() -> None:
        box["value"] = _sync_await(pulumi.Output.from_input(value).future())

    _sync_await(run_pulumi_func(body))
    return box["value"]


def run_program(
    stack: str,
    project_dir: Path,
    *,
    overrides: Mapping[str, str] | None = None,
    mocks: AwsMocks | None = None,
) -> ProgramResult:
    """Run the __main__.py of the Pulumi project in `project_dir` under mocks with `stack`'s config.

    Returns what it registered and its resolved outputs.

    `overrides` replace config values (keys with or without the project namespace). Errors raised by the program,
    such as a ConfigError, propagate unchanged.
    """
    project_dir = Path(project_dir).resolve()
    project = project_name(project_dir)
    config = load_stack_config(stack, project_dir)
    for key, value in (overrides or {}).items():
        config[_namespaced(project, key)] = value
    mocks = mocks or AwsMocks(region=config.get("aws:region", TEST_REGION))
    use_mocks(mocks, project=project, stack=stack)
    pulumi.runtime.set_all_config(config)
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    box: dict[str, Any] = {}

    def body() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        exported = dict(getattr(root, "outputs", {}))
        box["outputs"] = _sync_await(pulumi.Output.from_input(exported).future())

    _sync_await(run_pulumi_func(body))
    return ProgramResult(resources=list(mocks.resources), outputs=box["outputs"], config=config)


def run_resources(
    build: Callable[[], Mapping[str, Any]],
    *,
    mocks: AwsMocks | None = None,
    project: str = TEST_PROJECT,
    stack: str = "test",
) -> ProgramResult:
    """Call `build()` (which creates components and returns a dict of Outputs) under fresh mocks; resolve it all.

    Use it to test one component alone::

        result = run_resources(lambda: {"arn": DataLake("lake", {"bucket_name": "my-lake-bucket"}).bucket_arn})
        assert result.outputs["arn"] == "arn:aws:s3:::my-lake-bucket"
    """
    mocks = mocks or AwsMocks()
    use_mocks(mocks, project=project, stack=stack)
    box: dict[str, Any] = {}

    def body() -> None:
        box["outputs"] = _sync_await(pulumi.Output.from_input(dict(build())).future())

    _sync_await(run_pulumi_func(body))
    return ProgramResult(resources=list(mocks.resources), outputs=box["outputs"], config={})
