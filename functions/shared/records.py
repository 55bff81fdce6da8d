"""The Kinesis record format of a row: one JSON object on one newline-terminated UTF-8 line, keys in schema order.

Both the producer (encoding validated events) and the generator (rendering records without building event
dicts) write records through `line_template`, so the two can only differ in what they fill in; the tests
prove their bytes equal. Lambda-safe: standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from functions.shared.schema import Table

RECORD_SEPARATOR = "\n"
"""Ends every record, so a Firehose object (records concatenated) is JSON Lines."""

_VALUE_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_value(value: Any) -> str:
    """A value as the record encoder writes it: compact JSON, non-ASCII kept as is, NaN and infinities refused."""
    return _VALUE_ENCODER.encode(value)


def line_template(
    table: Table,
    fixed: Mapping[str, Any] | None = None,
    *,
    quoted: Collection[str] = (),
    rendered: Collection[str] = (),
) -> str:
    """A %-format string of one record line of `table`: each column in `fixed` written out, the others left open.

    An open column takes, in column order: for a name in `quoted`, a string that needs no JSON escape (the
    template supplies the quotes); for another string column, the value already rendered by `json_value`;
    for a number column, the int or finite float itself (`%r` is the repr JSON uses for both); for a name in
    `rendered`, the value already rendered by `json_value` (a nullable number: `null` or its digits).
    """
    fixed = fixed or {}
    unknown = (set(fixed) | set(quoted)) - set(table.column_names)
    if unknown:
        raise KeyError(f"table {table.name} has no column(s) {sorted(unknown)}")
    not_strings = sorted(c.name for c in table.columns if c.name in quoted and c.type != "string")
    if not_strings:
        raise ValueError(f"quoted must name string columns only, got {not_strings}")
    parts = []
    for col in table.columns:
        if col.name in fixed:
            value = json_value(fixed[col.name]).replace("%", "%%")
        elif col.name in quoted:
            value = '"%s"'
        else:
            value = "%s" if col.type == "string" or col.name in rendered else "%r"
        parts.append(f"{json_value(col.name)}:{value}")
    return "{" + ",".join(parts) + "}" + RECORD_SEPARATOR
