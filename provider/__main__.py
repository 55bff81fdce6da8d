"""Serve the components as the `acme-telemetry` Pulumi component package (schema inferred from their arguments).

Pulumi's Python language host runs `python <this directory> <engine address>`; the server prints its port.
"""

from importlib.metadata import version

from pulumi.provider.experimental import component_provider_host

from components import COMPONENTS

PACKAGE_NAME = "acme-telemetry"
"""The package's name: its schema tokens are acme-telemetry:index:<Component>."""
DISTRIBUTION = "acme-telemetry"


def serve() -> None:
    """Host every component, reporting the installed distribution's version."""
    component_provider_host(name=PACKAGE_NAME, components=list(COMPONENTS), version=version(DISTRIBUTION))


if __name__ == "__main__":
    serve()
