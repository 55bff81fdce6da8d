"""Serve the four components as the `acme-telemetry` Pulumi component package (schema inferred from the args)."""

from pulumi.provider.experimental import component_provider_host

from components import DataLake, ScheduledGenerator, StreamingIngest, TelemetryCatalog

PACKAGE_NAME = "acme-telemetry"

if __name__ == "__main__":
    component_provider_host(
        name=PACKAGE_NAME, components=[DataLake, TelemetryCatalog, StreamingIngest, ScheduledGenerator]
    )
