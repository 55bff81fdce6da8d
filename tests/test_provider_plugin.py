"""The component package started as Pulumi's Python language host starts a plugin, then spoken to over gRPC.

`pulumi package add <repo>/provider@<tag>` makes a virtualenv from provider/requirements.txt in the plugin directory
and runs `python <plugin dir> <engine address>`, reading the port from the first line of stdout (RunPlugin in the
Python language host). This test does the same offline: pip installs the plugin's requirements with no index (the
library is built from the directory above; its runtime dependencies are linked from this interpreter), then the
plugin runs from a copy of the repository and answers GetSchema and Construct.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import venv
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from tests.installed import LIBRARY_FILES, REPO, link_distributions, runtime_closure

PLUGIN_DIR = "provider"
PACKAGE = "acme-telemetry"
OFFLINE = ("--no-deps", "--no-index", "--no-build-isolation")
"""pip with no index: the library is built from the directory above, its dependencies are already linked in."""
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


@dataclass
class StandInMonitor(resource_pb2_grpc.ResourceMonitorServicer, engine_pb2_grpc.EngineServicer):
    """The engine's resource monitor and log service, recording what a Construct registers."""

    registered: list[dict[str, Any]] = field(default_factory=list)

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def RegisterResource(self, request: Any, context: Any) -> Any:
        urn = f"urn:pulumi:test::shop::{request.type}::{request.name}"
        self.registered.append(
            {
                "type": request.type,
                "name": request.name,
                "parent": request.parent,
                "inputs": json_format.MessageToDict(request.object),
            }
        )
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=f"{request.name}-id" if request.custom else "", object=request.object
        )

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return resource_pb2.RegisterPackageResponse(ref="stand-in")

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Log(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()


@dataclass
class Plugin:
    stub: provider_pb2_grpc.ResourceProviderStub
    monitor: StandInMonitor
    monitor_address: str


def _install_plugin(root: Path) -> Path:
    """A copy of the repository's library and plugin directory, with the plugin's virtualenv made as Pulumi makes
    it: `pip install -r requirements.txt` in the plugin directory (offline: no index, dependencies linked)."""
    repo = root / "repo"
    for name in (*LIBRARY_FILES, PLUGIN_DIR):
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv"))
        else:
            repo.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, repo / name)
    plugin = repo / PLUGIN_DIR
    env = plugin / ".venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    python = env / "bin" / "python"
    [site] = (env / "lib").glob("python3*/site-packages")
    runtime = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    deps = root / "deps"
    link_distributions(runtime_closure(runtime) | {"setuptools"}, deps)  # setuptools: to build the library
    (site / "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *OFFLINE, "-r", "requirements.txt"],
        cwd=plugin,
        check=True,
        capture_output=True,
        timeout=180,
    )
    return plugin


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    plugin_dir = _install_plugin(tmp_path_factory.mktemp("plugin"))
    monitor = StandInMonitor()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(monitor, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    address = f"127.0.0.1:{port}"
    python = plugin_dir / ".venv" / "bin" / "python"
    process = subprocess.Popen(
        [str(python), str(plugin_dir), address],
        cwd=plugin_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.strip().isdigit(), process.stderr.read() if process.stderr else line
        channel = grpc.insecure_channel(f"127.0.0.1:{line.strip()}")
        yield Plugin(provider_pb2_grpc.ResourceProviderStub(channel), monitor, address)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)
        server.stop(None)


def test_the_plugin_directory_is_what_pulumi_runs_and_installs_only_the_library() -> None:
    manifest = yaml.safe_load((REPO / PLUGIN_DIR / "PulumiPlugin.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python" and "main" not in manifest
    assert (REPO / PLUGIN_DIR / "__main__.py").is_file()
    lines = [
        line.split("#", 1)[0].strip()
        for line in (REPO / PLUGIN_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert [line for line in lines if line] == [".."]
    assert not (REPO / "PulumiPlugin.yaml").exists(), "the repository root is the stack program, not the plugin"


def test_the_schema_names_every_component_typed_and_documented_at_the_distributions_version(plugin: Plugin) -> None:
    schema = json.loads(plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert (schema["name"], schema["version"]) == (PACKAGE, VERSION)
    names = {token.rsplit(":", 1)[1] for token in schema["resources"]}
    assert names == {
        "StreamingLake",
        "DataLake",
        "TelemetryCatalog",
        "StreamingIngest",
        "ScheduledGenerator",
        "PipelineAlarms",
        "PipelineDashboard",
        "StackKey",
        "AccessLogBucket",
    }
    for token, resource in schema["resources"].items():
        assert resource["isComponent"] and resource.get("description"), token
        for prop in [*resource["inputProperties"].values(), *resource["properties"].values()]:
            assert prop.get("description"), (token, prop)
            assert prop.get("type") or prop.get("$ref"), (token, prop)
    for token, typ in schema["types"].items():
        for prop in typ["properties"].values():
            assert prop.get("description") and (prop.get("type") or prop.get("$ref")), (token, prop)


def test_construct_builds_a_data_lake_against_a_stand_in_monitor(plugin: Plugin) -> None:
    inputs = struct_pb2.Struct()
    inputs.update({"bucketName": "shop-clicks-lake"})
    response = plugin.stub.Construct(
        provider_pb2.ConstructRequest(
            project="shop",
            stack="test",
            monitorEndpoint=plugin.monitor_address,
            type=f"{PACKAGE}:index:DataLake",
            name="clicks",
            inputs=inputs,
        ),
        timeout=60,
    )
    state = json_format.MessageToDict(response.state)
    assert response.urn.endswith(f"{PACKAGE}:index:DataLake::clicks")
    assert state["bucketName"] == "shop-clicks-lake"
    registered = {(r["type"], r["name"]) for r in plugin.monitor.registered}
    assert (f"{PACKAGE}:index:DataLake", "clicks") in registered
    assert ("aws:s3/bucket:Bucket", "clicks-bucket") in registered
    assert ("aws:s3/bucketPolicy:BucketPolicy", "clicks-tls-only") in registered


def test_bad_arguments_fail_the_construct_naming_argument_value_and_rule(plugin: Plugin) -> None:
    before = len(plugin.monitor.registered)
    inputs = struct_pb2.Struct()
    inputs.update({"bucketName": "Shop_Lake"})
    with pytest.raises(grpc.RpcError) as err:
        plugin.stub.Construct(
            provider_pb2.ConstructRequest(
                project="shop",
                stack="test",
                monitorEndpoint=plugin.monitor_address,
                type=f"{PACKAGE}:index:DataLake",
                name="bad",
                inputs=inputs,
            ),
            timeout=60,
        )
    assert "bucket_name must be a bucket name of 3–63 lowercase letters" in str(err.value.details())
    assert "'Shop_Lake'" in str(err.value.details())
    assert len(plugin.monitor.registered) == before
