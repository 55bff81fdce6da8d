"""Serve the components as the `acme-telemetry` Pulumi component package (schema inferred from the args)."""

from pulumi.provider.experimental import component_provider_host

from components import COMPONENTS

PACKAGE_NAME = "acme-telemetry"

if __name__ == "__main__":
    component_provider_host(name=PACKAGE_NAME, components=list(COMPONENTS))
