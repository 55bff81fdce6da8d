"""Formats of the identifiers a stack takes from its operators (ARNs, e-mail addresses), checked before use."""

from __future__ import annotations

import re

SNS_TOPIC_ARN = re.compile(r"^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
"""SNS topic ARN: arn:<partition>:sns:<region>:<12-digit account>:<name>, names 1–256 of [A-Za-z0-9_-]
(CreateTopic), ".fifo" allowed at the end."""
KMS_KEY_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
"""KMS key ARN: arn:<partition>:kms:<region>:<account>:key/<key id>, a UUID or a multi-Region "mrk-" id. Alias ARNs
are refused on purpose: IAM policies and key grants need the key's own ARN."""
EMAIL_MAX_LENGTH = 254  # RFC 5321: a forward path holds at most 256 octets, 254 of them the address
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
"""A plain address (local@domain.tld) as SNS's email protocol delivers to: no display name, no spaces."""


def is_sns_topic_arn(value: str) -> bool:
    return bool(SNS_TOPIC_ARN.match(value))


def is_kms_key_arn(value: str) -> bool:
    return bool(KMS_KEY_ARN.match(value))


def is_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX_LENGTH and bool(EMAIL.match(value)) and ".." not in value


def arn_region(arn: str) -> str:
    """The region field of an ARN."""
    return arn.split(":")[3]


def arn_account(arn: str) -> str:
    """The account field of an ARN."""
    return arn.split(":")[4]
