"""IAM and resource policy documents as pure functions of ARNs, so tests can read them without AWS."""

from __future__ import annotations

import json
from typing import Any

from functions.shared import layout

PolicyDocument = dict[str, Any]

POLICY_VERSION = "2012-10-17"  # IAM: the current policy language version

FIREHOSE_BUCKET_PREFIXES = (layout.TELEMETRY_PREFIX, layout.ERRORS_PREFIX)
"""The key prefixes this project's Firehose writes under (a StreamingIngest passes its own)."""
FIREHOSE_SERVICE = "firehose.amazonaws.com"
LAMBDA_SERVICE = "lambda.amazonaws.com"
GLUE_SERVICE = "glue.amazonaws.com"
EVENTS_SERVICE = "events.amazonaws.com"


def document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def to_json(doc: PolicyDocument) -> str:
    """Stable JSON text (sorted keys) so a re-run produces byte-identical policies."""
    return json.dumps(doc, sort_keys=True)


def firehose_trust(account_id: str) -> PolicyDocument:
    """Trust policy of a Firehose role, as the Firehose developer guide gives it.

    Source: Amazon Data Firehose Developer Guide, "Controlling access" > "Allow Firehose to assume an IAM role":
    principal firehose.amazonaws.com, action sts:AssumeRole, condition sts:ExternalId equal to the account id
    (Firehose passes the stream owner's account id as the external id when it assumes the role).
    """
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": FIREHOSE_SERVICE},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": account_id}},
        }
    )


def lambda_trust() -> PolicyDocument:
    """Trust policy of a Lambda execution role, as the Lambda developer guide gives it.

    Source: AWS Lambda Developer Guide, "Defining Lambda function permissions with an execution role": principal
    lambda.amazonaws.com, action sts:AssumeRole, no condition. Lambda does not document aws:SourceAccount or
    aws:SourceArn for assuming an execution role, and a condition on a key the service does not send would make
    the role impossible to assume.
    """
    return document({"Effect": "Allow", "Principal": {"Service": LAMBDA_SERVICE}, "Action": "sts:AssumeRole"})


def glue_arns(partition: str, region: str, account_id: str, database: str, table: str) -> list[str]:
    """Catalog, database and table ARNs; Glue authorizes GetTable against all three."""
    base = f"arn:{partition}:glue:{region}:{account_id}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"]


READ_SCHEMA_ACTIONS = ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions")
"""What format conversion needs: Firehose reads the table's schema (Firehose developer guide, "Controlling access",
the Amazon S3 destination policy)."""
ICEBERG_TABLE_ACTIONS = ("glue:GetDatabase", "glue:GetTable", "glue:UpdateTable")
"""What the Iceberg destination needs of the catalog: read the database and table and commit each snapshot
(UpdateTable moves the table's metadata_location). Firehose developer guide, "Grant Firehose access to an Apache
Iceberg Tables destination" (controlling-access.html#using-iam-iceberg): glue:GetTable, glue:GetDatabase,
glue:UpdateTable, with "you can give permissions only to specific tables and databases" -- this table's ARNs only.
glue:CreateTable and glue:CreateDatabase in that page's example are for automatic table creation, unused here."""
ICEBERG_OBJECT_ACTIONS = ("s3:DeleteObject",)
"""Beyond what every Firehose destination does with objects (Abort, Get, Put), the Iceberg destination's documented
S3 actions include s3:DeleteObject (same page); it is granted under the table's own prefix only."""


def log_streams(log_group_arn: str) -> str:
    """ARN pattern of every log stream in one log group."""
    return f"{log_group_arn}:*"


def lake_key_statement(sid: str, lake_kms_key_arn: Any, bucket_arn: Any, region: str) -> dict:
    """Use of the lake's key for objects of the lake bucket only, through S3."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [lake_kms_key_arn],
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            # With S3 Bucket Keys (DataLake enables them) the encryption context is the bucket's ARN; without, the
            # object's.
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        },
    }


def firehose_policy(
    stream_arn: str,
    bucket_arn: str,
    glue_resource_arns: list[str],
    log_group_arn: str,
    log_stream: str,
    *,
    prefixes: tuple[str, ...] | list[str] = FIREHOSE_BUCKET_PREFIXES,
    lake_kms_key_arn: str | None = None,
    stream_kms_key_arn: str | None = None,
    region: str | None = None,
    glue_actions: tuple[str, ...] = READ_SCHEMA_ACTIONS,
    delete_prefixes: tuple[str, ...] | list[str] = (),
) -> PolicyDocument:
    """Firehose may read one stream, write its prefixes of one bucket, use one table, log to one stream.

    `glue_actions` are what its destination does with the table: read its schema (format conversion, the default) or
    ICEBERG_TABLE_ACTIONS (the Iceberg destination commits to it); `delete_prefixes` the prefixes it may also delete
    under (the Iceberg table's own).

    No `kms:Decrypt` for a stream under the AWS managed key alias/aws/kinesis, whose key policy already lets
    principals of this account use it through Kinesis (kms:ViaService). A customer managed stream key gets a
    decrypt grant limited to Kinesis; a lake bucket under a customer managed key gets one limited to S3 acting for
    this bucket.
    """
    extra = []
    if (lake_kms_key_arn or stream_kms_key_arn) and not region:
        raise ValueError("region is required with a KMS key (each grant is limited to one service in that region)")
    if stream_kms_key_arn:
        extra.append(
            {
                "Sid": "DecryptSourceStream",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [stream_kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"kinesis.{region}.amazonaws.com"}},
            }
        )
    if lake_kms_key_arn:
        extra.append(lake_key_statement("EncryptLakeObjects", lake_kms_key_arn, bucket_arn, region))
    return document(
        {
            "Sid": "ReadSourceStream",
            "Effect": "Allow",
            "Action": [
                "kinesis:DescribeStream",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            "Resource": [stream_arn],
        },
        {
            "Sid": "LocateLakeBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": [bucket_arn],
        },
        {
            "Sid": "WriteDataAndErrors",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{bucket_arn}/{prefix}*" for prefix in prefixes],
        },
        *(
            [
                {
                    "Sid": "DeleteTableFiles",
                    "Effect": "Allow",
                    "Action": list(ICEBERG_OBJECT_ACTIONS),
                    "Resource": [f"{bucket_arn}/{prefix}*" for prefix in delete_prefixes],
                }
            ]
            if delete_prefixes
            else []
        ),
        {
            "Sid": "ReadTableSchema" if tuple(glue_actions) == READ_SCHEMA_ACTIONS else "CommitToTable",
            "Effect": "Allow",
            "Action": list(glue_actions),
            "Resource": list(glue_resource_arns),
        },
        {
            "Sid": "DeliveryLogs",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [f"{log_group_arn}:log-stream:{log_stream}"],
        },
        *extra,
    )


def glue_trust() -> PolicyDocument:
    """Trust policy of a role Glue's table optimizers assume (Glue developer guide, "Table optimization
    prerequisites": principal glue.amazonaws.com, action sts:AssumeRole)."""
    return document({"Effect": "Allow", "Principal": {"Service": GLUE_SERVICE}, "Action": "sts:AssumeRole"})


OPTIMIZER_LOG_GROUPS = (
    "/aws-glue/iceberg-compaction/logs",
    "/aws-glue/iceberg-retention/logs",
    "/aws-glue/iceberg-orphan-file-deletion/logs",
)
"""The log groups the compaction, snapshot retention and orphan file deletion optimizers write to (Glue developer
guide, "Table optimization prerequisites")."""
OPTIMIZER_TABLE_ACTIONS = ("glue:GetTable", "glue:UpdateTable")
OPTIMIZER_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")


def table_optimizer_policy(
    bucket_arn: str,
    table_prefix: str,
    glue_resource_arns: list[str],
    partition: str,
    region: str,
    account_id: str,
    *,
    lake_kms_key_arn: str | None = None,
) -> PolicyDocument:
    """Glue's table optimizers may rewrite, expire and delete files of one Iceberg table and commit to it only.

    Glue developer guide, "Table optimization prerequisites" (optimization-prerequisites.html): s3:PutObject,
    s3:GetObject, s3:DeleteObject on the data, s3:ListBucket on the bucket, glue:UpdateTable and glue:GetTable on
    the table, its database and the catalog, and logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents on
    the three optimizer log groups. The guide's example grants the whole bucket; here the objects are limited to
    the table's prefix (the table's location) and the listing to keys under it. With SSE-KMS the role "requires
    permissions to decrypt Amazon S3 objects and generate a new data key" (same page): granted through S3, for
    this bucket only. No lakeformation:GetDataAccess: the location is not registered with Lake Formation.
    """
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListTableFiles",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [table_prefix, f"{table_prefix}*"]}},
        },
        {
            "Sid": "RewriteTableFiles",
            "Effect": "Allow",
            "Action": list(OPTIMIZER_OBJECT_ACTIONS),
            "Resource": [f"{bucket_arn}/{table_prefix}*"],
        },
        {
            "Sid": "CommitToTable",
            "Effect": "Allow",
            "Action": list(OPTIMIZER_TABLE_ACTIONS),
            "Resource": list(glue_resource_arns),
        },
        {
            "Sid": "OptimizerLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{logs}{group}:*" for group in OPTIMIZER_LOG_GROUPS],
        },
    ]
    if lake_kms_key_arn:
        statements.append(lake_key_statement("EncryptTableFiles", lake_kms_key_arn, bucket_arn, region))
    return document(*statements)


def _own_logs(log_group_arn: str) -> dict[str, Any]:
    return {
        "Sid": "OwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_streams(log_group_arn)],
    }


def _dead_letters(queue_arn: str) -> dict[str, Any]:
    return {"Sid": "AsyncFailureDestination", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]}


XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
"""What Lambda active tracing needs in the execution role (Lambda developer guide, "Visualize Lambda function
invocations using AWS X-Ray": the AWSXRayDaemonWriteAccess actions it uses)."""


def _tracing() -> dict[str, Any]:
    # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (Service Authorization
    # Reference, AWS X-Ray: no resource types for these actions), so IAM only accepts Resource "*" for them.
    return {"Sid": "ActiveTracing", "Effect": "Allow", "Action": list(XRAY_WRITE_ACTIONS), "Resource": "*"}


def _key_use(sid: str, key_arn: str, actions: list[str], service: str, region: str) -> dict[str, Any]:
    """Use of a customer managed key, only through one AWS service in this region (kms:ViaService)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": [key_arn],
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    }


def _extras(kms_key_arn: str | None, region: str | None, tracing: bool, stream: bool) -> list[dict[str, Any]]:
    extra = []
    if kms_key_arn:
        if not region:
            raise ValueError("region is required with kms_key_arn (key use is limited to services in that region)")
        if stream:
            # Kinesis server-side encryption: a producer needs kms:GenerateDataKey on the stream's key.
            extra.append(_key_use("EncryptStreamRecords", kms_key_arn, ["kms:GenerateDataKey"], "kinesis", region))
        # SQS server-side encryption: sending to an encrypted queue needs kms:GenerateDataKey and kms:Decrypt; the
        # on-failure destination sends with the function's execution role.
        extra.append(_key_use("EncryptDeadLetters", kms_key_arn, ["kms:Decrypt", "kms:GenerateDataKey"], "sqs", region))
    if tracing:
        extra.append(_tracing())
    return extra


STATE_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
"""What the generator does with its admission checkpoints: read the newest, write the next (one PutObject each; a
checkpoint is never deleted by the function, the bucket's lifecycle expires it)."""


def state_statements(
    bucket_arn: str, prefix: str, *, kms_key_arn: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    """The generator may list, read and write keys under one prefix of its state bucket, and nothing else there.

    ListObjectsV2 is authorized as s3:ListBucket on the bucket, and the s3:prefix condition key limits which
    listings it may make: Amazon S3 User Guide, "Bucket policy examples using condition keys"
    (amazon-s3-policy-keys.html: s3:ListBucket allowed only with an s3:prefix condition, so that a listing must ask
    for keys under that prefix), and the Service Authorization Reference for Amazon S3 (s3:prefix is a condition key
    of ListBucket). StringLike on both "<prefix>" and "<prefix>*" lets the store list the prefix and below. The
    objects' ARNs are arn:<partition>:s3:::<bucket>/<key>, so `<bucket arn>/<prefix>*` covers exactly the prefix's
    keys. Under a customer managed key, S3 asks KMS for a data key on PutObject and decrypts on GetObject with the
    caller's permissions (User Guide, "Using server-side encryption with AWS KMS keys": kms:GenerateDataKey and
    kms:Decrypt), granted only through S3 for this bucket (lake_key_statement).
    """
    if not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
        raise ValueError(
            f"the state prefix must be a folder like 'admission/' (no '*', no leading '/'), got {prefix!r}"
        )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListAdmissionState",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
        },
        {
            "Sid": "ReadWriteAdmissionState",
            "Effect": "Allow",
            "Action": list(STATE_OBJECT_ACTIONS),
            "Resource": [f"{bucket_arn}/{prefix}*"],
        },
    ]
    if kms_key_arn:
        if not region:
            raise ValueError("region is required with kms_key_arn (key use is limited to S3 in that region)")
        statements.append(lake_key_statement("EncryptAdmissionState", kms_key_arn, bucket_arn, region))
    return statements


def generator_policy(
    producer_arn: str,
    queue_arn: str,
    log_group_arn: str,
    *,
    kms_key_arn: str | None = None,
    region: str | None = None,
    tracing: bool = False,
    state_bucket_arn: str | None = None,
    state_prefix: str | None = None,
) -> PolicyDocument:
    """The generator may invoke only the producer, use the DLQ, write its own logs and, given a state bucket, read
    and write its checkpoints under `state_prefix` (and, when asked, use the stack key through SQS and S3 and send
    traces)."""
    state = []
    if state_bucket_arn is not None:
        if state_prefix is None:
            raise ValueError("state_prefix is required with state_bucket_arn (the grants cover that prefix only)")
        state = state_statements(state_bucket_arn, state_prefix, kms_key_arn=kms_key_arn, region=region)
    return document(
        {"Sid": "InvokeProducer", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [producer_arn]},
        _dead_letters(queue_arn),
        _own_logs(log_group_arn),
        *state,
        *_extras(kms_key_arn, region, tracing, stream=False),
    )


def generator_shards_policy(own_arn: str) -> PolicyDocument:
    """The generator may invoke itself: a tick too large for one invocation is split into shards it sends to itself
    asynchronously (functions/generator/handler.py: run_request)."""
    return document(
        {"Sid": "InvokeOwnShards", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [own_arn]}
    )


def producer_policy(
    stream_arn: str,
    queue_arn: str,
    log_group_arn: str,
    *,
    kms_key_arn: str | None = None,
    region: str | None = None,
    tracing: bool = False,
) -> PolicyDocument:
    """The producer may put records to one stream only, send failed batches to the DLQ and write its own logs (and,
    when asked, use the stack key through Kinesis and SQS, and send traces). Under the AWS managed keys no KMS grant
    is needed: their key policies let this account's principals use them through the service."""
    return document(
        {
            "Sid": "PutToStream",
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
            "Resource": [stream_arn],
        },
        _dead_letters(queue_arn),
        _own_logs(log_group_arn),
        *_extras(kms_key_arn, region, tracing, stream=True),
    )


SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KMS_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_CUSTOMER_HEADER = "s3:x-amz-server-side-encryption-customer-algorithm"


def deny_other_encryption(bucket_arn: str, key_arn: str) -> list[dict[str, Any]]:
    """Bucket policy statements refusing every upload that asks for anything but SSE-KMS with `key_arn`.

    S3 user guide, "Specifying server-side encryption with AWS KMS (SSE-KMS)": a bucket policy can require a
    particular KMS key with the s3:x-amz-server-side-encryption-aws-kms-key-id condition key, which takes the key's
    ARN. An upload that sends no encryption header is encrypted by the bucket's default encryption (this key);
    one that names another key, another algorithm (SSE-S3, DSSE-KMS), aws:kms without a key (S3 would use the AWS
    managed aws/s3 key) or a customer-provided key is refused. The key conditions use ...IfExists because S3
    authorizes each UploadPart of a multipart upload as s3:PutObject and those requests carry no encryption headers
    (the upload's CreateMultipartUpload did, and was checked): a plain StringNotEquals would refuse every part.
    """
    objects = f"{bucket_arn}/*"

    def deny(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": condition,
        }

    return [
        deny("DenyOtherKmsKeys", {"StringNotEqualsIfExists": {SSE_KMS_KEY_HEADER: key_arn}}),
        deny("DenyOtherEncryption", {"StringNotEqualsIfExists": {SSE_HEADER: "aws:kms"}}),
        deny("DenyKmsWithoutTheKey", {"Null": {SSE_HEADER: "false", SSE_KMS_KEY_HEADER: "true"}}),
        deny("DenyCustomerProvidedKeys", {"Null": {SSE_CUSTOMER_HEADER: "false"}}),
    ]


def bucket_policy(bucket_arn: str, kms_key_arn: str | None) -> PolicyDocument:
    """A bucket's policy as every bucket of the stack has it: TLS only; under a customer managed key, uploads asking
    for any other encryption refused (the policy pack's tls-only-bucket-policy and bucket-refuses-other-keys)."""
    doc = deny_insecure_transport(bucket_arn)
    if kms_key_arn:
        doc["Statement"] += deny_other_encryption(bucket_arn, kms_key_arn)
    return doc


def deny_insecure_transport(bucket_arn: str) -> PolicyDocument:
    """Bucket policy refusing every request that does not use TLS, on the bucket and on its objects."""
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            # A Deny must cover everyone and every action to close plain-HTTP access entirely.
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def dead_letter_queue_policy(queue_arn: str, rule_arn: str) -> PolicyDocument:
    """Only EventBridge, for this one rule, may send undeliverable schedule events to the queue; nothing reaches the
    queue without TLS.

    SQS developer guide, "Amazon SQS security best practices" > "Enforce encryption of data in transit": a queue
    policy denying every SQS action to everyone when aws:SecureTransport is false allows only HTTPS requests.
    """
    return document(
        {
            "Sid": "ScheduleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": EVENTS_SERVICE},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        },
        {
            # A Deny must cover everyone and every action to close plain-HTTP access entirely.
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
