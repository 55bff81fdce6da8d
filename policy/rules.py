"""The project's guardrails as pure functions over (resource type, props), so pulumi-policy and pytest share them.

Resource rules take one resource's type and props and return violation messages. Stack rules take every resource
(`Res`) and return (message, urn) pairs, for checks that relate resources to each other (a bucket and its policy,
a function and its on-failure destination, a resource and its alarm). Props use the engine's camelCase names, as
pulumi-policy and the Pulumi mocks (components/testing.py) both see them.

IAM wildcards and Deny statements: a Deny can only take access away, so wildcards in a Deny widen a restriction and
never a grant. The TLS-only bucket policy needs exactly that (`Principal: *`, `Action: s3:*`, Deny without TLS), so
Deny statements are not checked for wildcards; only Allow statements are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACLS = ("aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl")
STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
WORKGROUP = "aws:athena/workgroup:Workgroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
GLUE_TABLE = "aws:glue/catalogTable:CatalogTable"
TABLE_OPTIMIZER = "aws:glue/catalogTableOptimizer:CatalogTableOptimizer"
ICEBERG_OPTIMIZERS = ("compaction", "retention", "orphan_file_deletion")
"""The Glue table optimizers an Iceberg table needs: small files compacted, old snapshots and orphans deleted."""
ICEBERG_FORMAT_VERSION = "2"  # Firehose delivers to Iceberg format v2 tables only (apache-iceberg-prereq.html)

POLICY_PROPS: Mapping[str, str] = {
    ROLE_POLICY: "policy",
    MANAGED_POLICY: "policy",
    ROLE: "assumeRolePolicy",
    BUCKET_POLICY: "policy",
    QUEUE_POLICY: "policy",
    TOPIC_POLICY: "policy",
    KMS_KEY: "policy",
}
"""Where each resource type keeps an IAM policy document."""

RESOURCE_STAR_ACTIONS = frozenset(
    {
        # X-Ray's trace and sampling APIs support no resource-level permissions: IAM requires Resource "*".
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    }
)
"""Actions that AWS authorizes only against Resource "*" (the service reference lists no resource types)."""
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@dataclass(frozen=True)
class Res:
    """One resource of a stack: type, logical name, props (outputs, a superset of inputs) and URN."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""


Finding = tuple[str, str | None]
"""A stack rule's violation: message and the URN of the resource it concerns."""


def _doc(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _list(doc.get("Statement")) if isinstance(s, Mapping)]


# --- resource rules --------------------------------------------------------------------------------------------


def encryption_at_rest(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Streams, queues, topics, query results and bucket defaults are encrypted; customer keys rotate."""
    if resource_type == STREAM and props.get("encryptionType") != "KMS":
        return [f"Kinesis stream must use encryptionType KMS, has {props.get('encryptionType')!r}"]
    if resource_type == QUEUE and not (props.get("sqsManagedSseEnabled") or props.get("kmsMasterKeyId")):
        return ["SQS queue must be encrypted: set kmsMasterKeyId or sqsManagedSseEnabled"]
    if resource_type == TOPIC and not props.get("kmsMasterKeyId"):
        return ["SNS topic must be encrypted: set kmsMasterKeyId"]
    if resource_type == KMS_KEY and not props.get("enableKeyRotation"):
        return ["KMS key must have automatic rotation (enableKeyRotation)"]
    if resource_type == BUCKET_SSE:
        rules = _list(props.get("rules"))
        algorithms = [(r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules]
        if not algorithms or any(a not in SSE_ALGORITHMS for a in algorithms):
            return [f"bucket default encryption must use one of {', '.join(SSE_ALGORITHMS)}, has {algorithms}"]
    if resource_type == WORKGROUP:
        result = ((props.get("configuration") or {}).get("resultConfiguration")) or {}
        if not (result.get("encryptionConfiguration") or {}).get("encryptionOption"):
            return ["Athena workgroup must encrypt query results (resultConfiguration.encryptionConfiguration)"]
    return []


def no_wildcard_iam(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No Allow statement grants every action of a service, acts on Resource "*" (unless AWS requires it) or
    opens a resource to everyone without a condition. Deny statements are exempt (see the module docstring)."""
    key = POLICY_PROPS.get(resource_type)
    if key is None:
        return []
    docs = [_doc(props.get(key))]
    if resource_type == ROLE:
        docs += [_doc(p.get("policy")) for p in _list(props.get("inlinePolicies")) if isinstance(p, Mapping)]
    problems: list[str] = []
    for doc in docs:
        if doc is None:
            continue
        for i, statement in enumerate(_statements(doc)):
            if statement.get("Effect") != "Allow":
                continue
            where = f"statement {statement.get('Sid') or i}"
            problems += _allow_problems(resource_type, statement, where)
    return problems


def _allow_problems(resource_type: str, statement: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    if "NotAction" in statement or "NotResource" in statement:
        problems.append(f"{where}: Allow with NotAction/NotResource grants everything not listed")
    actions = [str(a) for a in _list(statement.get("Action"))]
    resources = [str(r) for r in _list(statement.get("Resource"))]
    key_root_delegation = resource_type == KMS_KEY and _is_account_root(statement.get("Principal"))
    wild = [a for a in actions if a == "*" or a.endswith(":*")]
    if wild and not key_root_delegation:
        problems.append(f"{where}: Allow grants every action ({', '.join(wild)})")
    # In a key policy Resource "*" means "this key"; anywhere else it means every resource of the account.
    if "*" in resources and resource_type != KMS_KEY and not set(actions) <= RESOURCE_STAR_ACTIONS:
        problems.append(f"{where}: Allow on Resource '*' for {', '.join(actions)}")
    principal = statement.get("Principal")
    if (principal == "*" or (isinstance(principal, Mapping) and "*" in _list(principal.get("AWS")))) and not (
        statement.get("Condition")
    ):
        problems.append(f"{where}: Allow to Principal '*' without a condition makes the resource public")
    return problems


def _is_account_root(principal: Any) -> bool:
    """The KMS default key policy statement: the account itself, which delegates to IAM policies."""
    if not isinstance(principal, Mapping):
        return False
    arns = _list(principal.get("AWS"))
    return bool(arns) and all(isinstance(a, str) and a.startswith("arn:") and a.endswith(":root") for a in arns)


def log_retention_set(resource_type: str, props: Mapping[str, Any], min_days: int = 1) -> list[str]:
    """Every log group expires its events (CloudWatch keeps them forever when retention is unset or 0)."""
    if resource_type != LOG_GROUP:
        return []
    days = props.get("retentionInDays")
    if not days:
        return ["log group must set retentionInDays (unset keeps logs forever)"]
    if int(days) < min_days:
        return [f"log group retentionInDays must be at least {min_days}, has {days}"]
    return []


def no_public_bucket_acl(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No bucket ACL grants the public or every AWS user."""
    if resource_type in BUCKET_ACLS and props.get("acl") in PUBLIC_ACLS:
        return [f"bucket ACL {props.get('acl')!r} makes the bucket public"]
    if resource_type == BUCKET and props.get("acl") in PUBLIC_ACLS:
        return [f"bucket ACL {props.get('acl')!r} makes the bucket public"]
    return []


# --- stack rules ------------------------------------------------------------------------------------------------


def _bucket_keys(bucket: Res) -> set[str]:
    return {str(v) for v in (bucket.props.get("bucket"), bucket.props.get("id")) if v}


def _by_bucket(resources: Sequence[Res], typ: str) -> dict[str, list[Res]]:
    out: dict[str, list[Res]] = {}
    for res in resources:
        if res.type == typ and res.props.get("bucket"):
            out.setdefault(str(res.props["bucket"]), []).append(res)
    return out


def buckets_encrypted(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket has a default-encryption configuration."""
    configs = _by_bucket(resources, BUCKET_SSE)
    return [
        (f"bucket {b.name} has no server-side encryption configuration", b.urn or None)
        for b in resources
        if b.type == BUCKET and not any(k in configs for k in _bucket_keys(b))
    ]


def buckets_private(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket has a public access block with all four settings on."""
    blocks = _by_bucket(resources, BUCKET_PUBLIC_ACCESS_BLOCK)
    findings: list[Finding] = []
    for bucket in (r for r in resources if r.type == BUCKET):
        mine = [blk for k in _bucket_keys(bucket) for blk in blocks.get(k, [])]
        if not any(all(blk.props.get(s) is True for s in PUBLIC_ACCESS_SETTINGS) for blk in mine):
            findings.append(
                (
                    f"bucket {bucket.name} needs a public access block with {', '.join(PUBLIC_ACCESS_SETTINGS)}",
                    bucket.urn,
                )
            )
    return findings


def _denies_plain_http(statement: Mapping[str, Any], bucket_arn: str | None) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    if str(condition.get("aws:SecureTransport")).lower() != "false":
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, Mapping) and _list(principal.get("AWS")) == ["*"]):
        return False
    if not {"*", "s3:*"} & {str(a) for a in _list(statement.get("Action"))}:
        return False
    resources = {str(r) for r in _list(statement.get("Resource"))}
    return bucket_arn is None or {bucket_arn, f"{bucket_arn}/*"} <= resources


def buckets_tls_only(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket's policy denies all requests made without TLS, on the bucket and on its objects."""
    policies = _by_bucket(resources, BUCKET_POLICY)
    findings: list[Finding] = []
    for bucket in (r for r in resources if r.type == BUCKET):
        arn = bucket.props.get("arn")
        docs = [_doc(p.props.get("policy")) for k in _bucket_keys(bucket) for p in policies.get(k, [])]
        if not any(_denies_plain_http(s, arn) for d in docs if d for s in _statements(d)):
            findings.append(
                (
                    f"bucket {bucket.name} needs a bucket policy denying s3:* to everyone when aws:SecureTransport is "
                    "false, on the bucket and its objects",
                    bucket.urn,
                )
            )
    return findings


SSE_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
SSE_KMS_KEY_CONDITION = "s3:x-amz-server-side-encryption-aws-kms-key-id"
KEY_MISMATCH_OPERATORS = ("StringNotEquals", "StringNotEqualsIfExists")


def _refuses_other_keys(statement: Mapping[str, Any], bucket_arn: str | None, key: str) -> bool:
    if statement.get("Effect") != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
        return False
    if not {"*", "s3:*", "s3:PutObject"} & {str(a) for a in _list(statement.get("Action"))}:
        return False
    if bucket_arn is not None and f"{bucket_arn}/*" not in {str(r) for r in _list(statement.get("Resource"))}:
        return False
    condition = statement.get("Condition") or {}
    return any((condition.get(op) or {}).get(SSE_KMS_KEY_CONDITION) == key for op in KEY_MISMATCH_OPERATORS)


def buckets_refuse_other_keys(resources: Sequence[Res]) -> list[Finding]:
    """A bucket encrypted by default with a KMS key has a policy refusing uploads that name another key.

    S3 user guide, "Specifying server-side encryption with AWS KMS (SSE-KMS)": the
    s3:x-amz-server-side-encryption-aws-kms-key-id condition key in a Deny on s3:PutObject requires that key.
    """
    policies = _by_bucket(resources, BUCKET_POLICY)
    buckets = {k: b for b in resources if b.type == BUCKET for k in _bucket_keys(b)}
    findings: list[Finding] = []
    for sse in (r for r in resources if r.type == BUCKET_SSE):
        name = str(sse.props.get("bucket"))
        for rule in _list(sse.props.get("rules")):
            default = (rule or {}).get("applyServerSideEncryptionByDefault") or {}
            key = default.get("kmsMasterKeyId")
            if default.get("sseAlgorithm") not in SSE_KMS_ALGORITHMS or not key:
                continue
            bucket = buckets.get(name)
            arn = bucket.props.get("arn") if bucket else None
            docs = [_doc(p.props.get("policy")) for p in policies.get(name, [])]
            if not any(_refuses_other_keys(s, arn, str(key)) for d in docs if d for s in _statements(d)):
                findings.append(
                    (
                        f"bucket {bucket.name if bucket else name} is encrypted with {key} but its policy does not "
                        f"deny s3:PutObject when {SSE_KMS_KEY_CONDITION} names another key",
                        (bucket.urn if bucket else sse.urn) or None,
                    )
                )
    return findings


def _denies_plain_sqs(statement: Mapping[str, Any], queue_arn: str | None) -> bool:
    if statement.get("Effect") != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
        return False
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    if str(condition.get("aws:SecureTransport")).lower() != "false":
        return False
    if not {"*", "sqs:*"} & {str(a) for a in _list(statement.get("Action"))}:
        return False
    return queue_arn is None or queue_arn in {str(r) for r in _list(statement.get("Resource"))}


def queues_tls_only(resources: Sequence[Res]) -> list[Finding]:
    """Every queue's policy denies all SQS requests made without TLS (SQS developer guide, "Amazon SQS security
    best practices": enforce encryption of data in transit)."""
    docs: dict[str, list[dict[str, Any]]] = {}
    for res in resources:
        doc = _doc(res.props.get("policy")) if res.type == QUEUE_POLICY else None
        if doc is not None:
            docs.setdefault(str(res.props.get("queueUrl")), []).append(doc)
    findings: list[Finding] = []
    for queue in (r for r in resources if r.type == QUEUE):
        arn = queue.props.get("arn")
        mine = [d for k in {str(queue.props.get("url")), str(queue.props.get("id"))} for d in docs.get(k, [])]
        if not any(_denies_plain_sqs(s, arn) for d in mine for s in _statements(d)):
            findings.append(
                (
                    f"queue {queue.name} needs a queue policy denying sqs:* to everyone when aws:SecureTransport is "
                    "false",
                    queue.urn or None,
                )
            )
    return findings


def _function_keys(fn: Res) -> set[str]:
    return {str(v) for v in (fn.props.get("name"), fn.props.get("arn")) if v}


def lambda_on_failure_destination(resources: Sequence[Res]) -> list[Finding]:
    """Every function keeps what it could not process: an on-failure destination or a dead-letter queue."""
    covered = {
        str(c.props.get("functionName"))
        for c in resources
        if c.type == INVOKE_CONFIG
        and (((c.props.get("destinationConfig") or {}).get("onFailure") or {}).get("destination"))
    }
    return [
        (f"function {fn.name} has neither an on-failure destination nor a dead-letter queue", fn.urn)
        for fn in resources
        if fn.type == FUNCTION
        and not (_function_keys(fn) & covered)
        and not (fn.props.get("deadLetterConfig") or {}).get("targetArn")
    ]


@dataclass(frozen=True)
class RequiredAlarm:
    """An alarm every resource of `resource_type` must have."""

    resource_type: str
    namespace: str
    metric: str
    dimension: str
    name_prop: str = "name"
    only: Callable[[Res, Sequence[Res]], bool] = field(default=lambda res, resources: True)


def _is_dead_letter_queue(queue: Res, resources: Sequence[Res]) -> bool:
    arn = queue.props.get("arn")
    for res in resources:
        if res.type == INVOKE_CONFIG:
            if ((res.props.get("destinationConfig") or {}).get("onFailure") or {}).get("destination") == arn:
                return True
        elif res.type == FUNCTION and (res.props.get("deadLetterConfig") or {}).get("targetArn") == arn:
            return True
    return False


def _to_s3(stream: Res, resources: Sequence[Res]) -> bool:
    return stream.props.get("destination") in ("extended_s3", "s3")


def _converts(stream: Res, resources: Sequence[Res]) -> bool:
    conversion = (stream.props.get("extendedS3Configuration") or {}).get("dataFormatConversionConfiguration") or {}
    return _to_s3(stream, resources) and conversion.get("enabled") is not False and bool(conversion)


def _to_iceberg(stream: Res, resources: Sequence[Res]) -> bool:
    return stream.props.get("destination") == "iceberg"


REQUIRED_ALARMS: tuple[RequiredAlarm, ...] = (
    RequiredAlarm(FUNCTION, "AWS/Lambda", "Errors", "FunctionName"),
    RequiredAlarm(FUNCTION, "AWS/Lambda", "Throttles", "FunctionName"),
    RequiredAlarm(FUNCTION, "AWS/Lambda", "Duration", "FunctionName"),
    RequiredAlarm(STREAM, "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName"),
    RequiredAlarm(STREAM, "AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName"),
    RequiredAlarm(FIREHOSE, "AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", only=_to_s3),
    RequiredAlarm(FIREHOSE, "AWS/Firehose", "FailedConversion.Records", "DeliveryStreamName", only=_converts),
    RequiredAlarm(FIREHOSE, "AWS/Firehose", "DeliveryToIceberg.DataFreshness", "DeliveryStreamName", only=_to_iceberg),
    RequiredAlarm(FIREHOSE, "AWS/Firehose", "DeliveryToIceberg.FailedRowCount", "DeliveryStreamName", only=_to_iceberg),
    RequiredAlarm(QUEUE, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", only=_is_dead_letter_queue),
)
"""The pipeline's recommended alarms (components/alarms.py), as the policy pack requires them."""


def _watched(alarm: Res) -> Iterable[tuple[str, str, str, str]]:
    """(namespace, metric, dimension, value) of every metric an alarm evaluates, metric math included."""
    props = alarm.props
    for dim, value in (props.get("dimensions") or {}).items():
        yield str(props.get("namespace")), str(props.get("metricName")), dim, str(value)
    for query in _list(props.get("metricQueries")):
        metric = ((query or {}).get("metric")) or {}
        for dim, value in (metric.get("dimensions") or {}).items():
            yield str(metric.get("namespace")), str(metric.get("metricName")), dim, str(value)


def alarms_exist(resources: Sequence[Res]) -> list[Finding]:
    """Every function, stream, delivery stream and dead-letter queue has its recommended alarms, and every alarm
    notifies someone."""
    watched = {w for a in resources if a.type == ALARM for w in _watched(a)}
    findings: list[Finding] = []
    for required in REQUIRED_ALARMS:
        for res in resources:
            if res.type != required.resource_type or not required.only(res, resources):
                continue
            name = str(res.props.get(required.name_prop))
            if (required.namespace, required.metric, required.dimension, name) not in watched:
                findings.append(
                    (f"{res.name} ({name}) has no alarm on {required.namespace} {required.metric}", res.urn or None)
                )
    for alarm in (r for r in resources if r.type == ALARM):
        if not _list(alarm.props.get("alarmActions")):
            findings.append((f"alarm {alarm.name} notifies no one (alarmActions is empty)", alarm.urn or None))
    return findings


def _iceberg_input(table: Res) -> Mapping[str, Any]:
    return ((table.props.get("openTableFormatInput") or {}).get("icebergInput")) or {}


def iceberg_tables_maintained(resources: Sequence[Res]) -> list[Finding]:
    """Every Iceberg table is format v2 and kept by Glue's compaction, snapshot retention and orphan file deletion
    optimizers, each enabled under a role (Firehose commits a snapshot and small files every buffer interval)."""
    findings: list[Finding] = []
    for table in (r for r in resources if r.type == GLUE_TABLE and _iceberg_input(r)):
        name, database = table.props.get("name"), table.props.get("databaseName")
        version = str(_iceberg_input(table).get("version") or ICEBERG_FORMAT_VERSION)
        if version != ICEBERG_FORMAT_VERSION:
            findings.append(
                (f"Iceberg table {name} must be format version {ICEBERG_FORMAT_VERSION}, has {version}", table.urn)
            )
        enabled = {
            str(o.props.get("type"))
            for o in resources
            if o.type == TABLE_OPTIMIZER
            and o.props.get("tableName") == name
            and o.props.get("databaseName") == database
            and (o.props.get("configuration") or {}).get("enabled") is True
            and (o.props.get("configuration") or {}).get("roleArn")
        }
        missing = [t for t in ICEBERG_OPTIMIZERS if t not in enabled]
        if missing:
            findings.append(
                (f"Iceberg table {name} needs enabled Glue table optimizers: {', '.join(missing)}", table.urn or None)
            )
    return findings


def _delivery_settings(stream: Res) -> Mapping[str, Any]:
    key = {"extended_s3": "extendedS3Configuration", "iceberg": "icebergConfiguration"}.get(
        str(stream.props.get("destination"))
    )
    return (stream.props.get(key) or {}) if key else {}


def deliveries_logged_with_errors_kept(resources: Sequence[Res]) -> list[Finding]:
    """Every Firehose to S3 or Iceberg logs delivery errors to CloudWatch and writes failed records under an error
    prefix (for Iceberg, the S3 configuration's), so nothing it cannot deliver is lost unnoticed."""
    findings: list[Finding] = []
    for stream in (r for r in resources if r.type == FIREHOSE):
        settings = _delivery_settings(stream)
        if not settings:
            continue
        if (settings.get("cloudwatchLoggingOptions") or {}).get("enabled") is not True:
            findings.append((f"delivery stream {stream.name} must log delivery errors to CloudWatch", stream.urn))
        errors = settings.get("errorOutputPrefix") or (settings.get("s3Configuration") or {}).get("errorOutputPrefix")
        if not errors:
            findings.append((f"delivery stream {stream.name} must set an error output prefix", stream.urn or None))
    return findings


ResourceRule = Callable[[str, Mapping[str, Any]], list[str]]
StackRule = Callable[[Sequence[Res]], list[Finding]]


@dataclass(frozen=True)
class Guardrail:
    """One policy of the pack: its id, what it enforces, and its resource or stack rule."""

    name: str
    description: str
    resource_rule: ResourceRule | None = None
    stack_rule: StackRule | None = None


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "encryption-at-rest",
        "Streams, queues, topics, query results and bucket defaults are encrypted; customer managed keys rotate.",
        resource_rule=encryption_at_rest,
    ),
    Guardrail("bucket-encrypted", "Every bucket has a default-encryption configuration.", stack_rule=buckets_encrypted),
    Guardrail("no-public-bucket-acl", "No bucket ACL grants public access.", resource_rule=no_public_bucket_acl),
    Guardrail("no-public-bucket", "Every bucket blocks all public access.", stack_rule=buckets_private),
    Guardrail(
        "tls-only-bucket-policy", "Every bucket policy denies requests without TLS.", stack_rule=buckets_tls_only
    ),
    Guardrail(
        "bucket-refuses-other-keys",
        "A bucket encrypted with a KMS key denies uploads that name another key.",
        stack_rule=buckets_refuse_other_keys,
    ),
    Guardrail("tls-only-queue-policy", "Every queue policy denies requests without TLS.", stack_rule=queues_tls_only),
    Guardrail(
        "no-wildcard-iam",
        "No Allow statement grants every action, acts on Resource '*' (unless AWS requires it) or opens a resource "
        "to everyone; Deny statements are exempt.",
        resource_rule=no_wildcard_iam,
    ),
    Guardrail("log-retention-set", "Every log group expires its events.", resource_rule=log_retention_set),
    Guardrail(
        "lambda-on-failure-destination",
        "Every Lambda function has an on-failure destination or a dead-letter queue.",
        stack_rule=lambda_on_failure_destination,
    ),
    Guardrail(
        "iceberg-tables-maintained",
        "Every Iceberg table is format v2 with compaction, snapshot retention and orphan file deletion enabled.",
        stack_rule=iceberg_tables_maintained,
    ),
    Guardrail(
        "delivery-errors-kept",
        "Every delivery stream logs to CloudWatch and writes failed records under an error prefix.",
        stack_rule=deliveries_logged_with_errors_kept,
    ),
    Guardrail(
        "alarms-exist",
        "Functions, streams, delivery streams and dead-letter queues have their recommended alarms, each notifying.",
        stack_rule=alarms_exist,
    ),
)


def evaluate(resources: Sequence[Res]) -> dict[str, list[str]]:
    """Every guardrail over a whole stack: policy name -> its violation messages (empty when it passes)."""
    report: dict[str, list[str]] = {}
    for guardrail in GUARDRAILS:
        messages: list[str] = []
        if guardrail.resource_rule is not None:
            for res in resources:
                messages += [f"{res.name}: {m}" for m in guardrail.resource_rule(res.type, res.props)]
        if guardrail.stack_rule is not None:
            messages += [message for message, _ in guardrail.stack_rule(resources)]
        report[guardrail.name] = messages
    return report
