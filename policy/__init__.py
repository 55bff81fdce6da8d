"""Policy pack of the acme-telemetry stack; `rules` holds the guardrails as plain functions."""
