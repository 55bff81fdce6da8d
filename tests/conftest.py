"""Fixtures every test package shares: Pulumi mocks for components, dummy AWS credentials for moto; under xdist, the
numba kernels compiled once beside the workers' collection (tests/numba_warmup.py)."""

import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.testing import AwsMocks, use_mocks
from tests.installed import Installed, install


@pytest.fixture
def aws_mocks() -> AwsMocks:
    """AwsMocks installed as the Pulumi engine for this test, with a fresh root stack."""
    mocks = AwsMocks()
    use_mocks(mocks)
    return mocks


REGION = "us-west-2"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region so boto3 never finds or uses a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def installed_library(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """This checkout's library built as a wheel and installed into a fresh virtualenv (offline, no tooling)."""
    return install(tmp_path_factory.mktemp("installed"))


_warmup: tuple[subprocess.Popen[str], pytest.Config] | None = None


def _parse_botocore_models_once() -> None:
    """Every boto3 session in this process shares the service models botocore parsed, as one session's clients
    already do: moto's mock_aws starts each local run and functional test with a new default session, whose loader
    parsed the Kinesis, S3 and endpoint JSON again (about a fifth of a small local run's CPU). Same data, read once."""
    from botocore import loaders

    parsed: dict[tuple[Any, ...], Any] = {}

    def shared(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def load(self: loaders.Loader, *args: Any, **kwargs: Any) -> Any:
            key = (method.__name__, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
            if key not in parsed:
                parsed[key] = method(self, *args, **kwargs)
            return parsed[key]

        return load

    for name in ("load_service_model", "load_data_with_path"):
        setattr(loaders.Loader, name, shared(getattr(loaders.Loader, name)))


def pytest_configure(config: pytest.Config) -> None:
    """Share botocore's parsed models across sessions; in an xdist controller, start compiling the numba kernels into
    their cache while the workers collect."""
    global _warmup
    _parse_botocore_models_once()
    distributed = getattr(config.option, "dist", "no") != "no" and getattr(config.option, "tx", None)
    if distributed and not hasattr(config, "workerinput") and not config.option.collectonly:
        command = [sys.executable, "-m", "tests.numba_warmup"]
        cwd = Path(__file__).resolve().parents[1]
        _warmup = (
            subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
            config,
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Hold the first test back until the kernels are in the cache, so no worker compiles them itself. A failed
    warm-up is reported and changes nothing else: each process then compiles what it calls, as without it."""
    global _warmup
    if _warmup is None:
        return
    (warmup, config), _warmup = _warmup, None
    output, _ = warmup.communicate()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if warmup.returncode and reporter is not None:
        reporter.write_line(f"tests/numba_warmup.py failed (exit {warmup.returncode}); tests compile the kernels:")
        reporter.write_line(output)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A warm-up still running when the session ends early (no worker finished collecting) is waited for."""
    if _warmup is not None:
        _warmup[0].communicate()
