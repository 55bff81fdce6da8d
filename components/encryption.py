"""StackKey: one customer managed KMS key for a stack, with rotation and a least-privilege key policy.

Principals of the account use the key through IAM (the account statement below delegates to IAM, and each role
policy grants only the KMS actions it needs, through one service, with `kms:ViaService`). The key policy itself
names only the AWS services that use the key on their own behalf:

- CloudWatch Logs encrypts log groups as `logs.<region>.amazonaws.com`, and only with an encryption context naming
  the log group (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2).
- CloudWatch alarms publish to an encrypted SNS topic as `cloudwatch.amazonaws.com` and need kms:Decrypt and
  kms:GenerateDataKey* (SNS developer guide, "Key management": compatibility with event sources from AWS services).
- EventBridge sends undeliverable events to an encrypted dead-letter queue as `events.amazonaws.com` and needs
  kms:Decrypt and kms:GenerateDataKey (EventBridge user guide, "Using dead-letter queues": encrypted queues).

Kinesis (producer and Firehose roles), S3 with a bucket key (Firehose role), SQS (the functions' on-failure
destination, sent with their execution roles) and the Lambda environment (Lambda creates a grant for the function's
execution role when the function is created) need nothing in the key policy beyond the account statement.
"""

import re
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import policies
from components import validation as v

KMS_MIN_DELETION_WINDOW_DAYS = 7  # KMS ScheduleKeyDeletion: the waiting period is 7–30 days
KMS_MAX_DELETION_WINDOW_DAYS = 30
ALIAS = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")  # KMS CreateAlias: alias/ + 1–250 of [a-zA-Z0-9/_-]
DEFAULT_DELETION_WINDOW_DAYS = 30
"""The longest window: a key scheduled for deletion by mistake can be restored for a month; data it encrypted is
unreadable forever once it is gone."""


def account_statement(partition: str, account_id: str) -> dict[str, Any]:
    """KMS's default key policy statement: the account administers and uses the key through IAM policies.

    Without it the key can become unmanageable (KMS developer guide, "Default key policy"); it grants no principal
    anything by itself. Resource "*" in a key policy means this key.
    """
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def stack_key_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """The stack key's policy: the account through IAM, and three AWS services each limited to this account."""
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return policies.document(
        account_statement(partition, account_id),
        {
            "Sid": "CloudWatchLogsEncryptThisAccountsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs}},
        },
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
            },
        },
        {
            "Sid": "EventBridgeSendsToEncryptedDeadLetterQueue",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:events:{region}:{account_id}:rule/*"}},
        },
    )


class StackKeyArgs(TypedDict):
    """Inputs of a StackKey."""

    description: NotRequired[str]
    """What the key protects (shown in the KMS console)."""
    alias: NotRequired[str]
    """Alias name without the alias/ prefix; none when omitted."""
    deletion_window_days: NotRequired[int]
    """Days a deleted key can still be restored, 7–30."""
    retain_on_delete: NotRequired[bool]
    """Keep the key (and its alias) when the component is deleted or the stack destroyed: set it when data the key
    encrypts is kept (a retained lake would be unreadable once its key is deleted)."""


SPEC = v.ArgSpec(
    component="StackKey",
    defaults={"description": "acme-telemetry stack key", "deletion_window_days": DEFAULT_DELETION_WINDOW_DAYS},
    rules={
        "deletion_window_days": v.between(KMS_MIN_DELETION_WINDOW_DAYS, KMS_MAX_DELETION_WINDOW_DAYS, "days (KMS)"),
        "alias": v.Rule(
            "a name without the alias/ prefix, not starting aws/ (reserved), of letters, digits, / _ -",
            lambda a: isinstance(a, str) and not a.startswith(("alias/", "aws/")) and ALIAS.match(a) is not None,
        ),
        "description": v.Rule("at most 8192 characters (KMS)", lambda d: isinstance(d, str) and len(d) <= 8192),
        "retain_on_delete": v.boolean(),
    },
    allowed=v.arguments(StackKeyArgs),
)


class StackKey(v.CheckedComponent):
    """A customer managed, rotating KMS key for the stream, lake, queue, topic, log groups and Lambda environment."""

    _spec = SPEC

    key_arn: pulumi.Output[str]
    """ARN of the key."""
    key_id: pulumi.Output[str]
    """Id of the key."""

    def __init__(self, name: str, args: StackKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:StackKey", name, {}, opts)
        window = SPEC.value(args, "deletion_window_days")
        alias = args.get("alias")
        invoke = pulumi.InvokeOutputOptions(parent=self)
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=bool(args.get("retain_on_delete", False)))
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        key = aws.kms.Key(
            f"{name}-key",
            description=SPEC.value(args, "description"),
            enable_key_rotation=True,
            deletion_window_in_days=window,
            policy=pulumi.Output.all(partition, region, account).apply(
                lambda v: policies.to_json(stack_key_policy(v[0], v[1], v[2]))
            ),
            opts=child,
        )
        if alias is not None:
            aws.kms.Alias(f"{name}-alias", name=f"alias/{alias}", target_key_id=key.key_id, opts=child)
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id})
