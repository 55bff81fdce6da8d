"""This stack's own config, names and defaults: everything the reusable `components` library must not assume."""
