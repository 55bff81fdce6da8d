"""AWS list prices the cost model uses: one place, with the region and the date they were taken down.

Units, rounding and billing rules (what each price multiplies) come from the pricing pages' text as stored in
this project's search corpus on READ_ON: Kinesis Data Streams (https://aws.amazon.com/kinesis/data-streams/pricing/:
on-demand data in "rounded up to the nearest 1 KB (1,024 bytes)" per record, provisioned PUT payload units of
25 KB), Firehose (https://aws.amazon.com/kinesis/data-firehose/pricing/: ingestion and format conversion per GB "in
5KB increments" per record, 5,120 bytes; dynamic partitioning per GB delivered, per S3 object, per JQ processing
hour). The dollar amounts are the published US West (Oregon) on-demand list prices; the stored pages render their
price tables with scripts, so check the figures against the live pages (or the AWS Pricing Calculator) before
relying on them, and update this module only.
"""

from __future__ import annotations

REGION = "us-west-2"
READ_ON = "2026-11-30"
CURRENCY = "USD"

HOURS_PER_MONTH = 730
"""AWS prices monthly estimates on 730 hours."""

GB = 1024**3
"""AWS bills data in GB of 2^30 bytes."""

# Kinesis Data Streams, on-demand capacity mode
KINESIS_ON_DEMAND_STREAM_HOUR = 0.04
KINESIS_ON_DEMAND_PER_GB_IN = 0.08
KINESIS_ON_DEMAND_PER_GB_OUT = 0.04
KINESIS_ON_DEMAND_UNIT_BYTES = 1024

# Kinesis Data Streams, provisioned capacity mode
KINESIS_SHARD_HOUR = 0.015
KINESIS_PER_MILLION_PUT_UNITS = 0.014
KINESIS_PUT_UNIT_BYTES = 25 * 1024
KINESIS_SHARD_BYTES_PER_SECOND = 1024 * 1024  # a shard takes 1 MiB/s or 1,000 records/s of writes
KINESIS_SHARD_RECORDS_PER_SECOND = 1000

# Amazon Data Firehose (Kinesis Data Streams as source)
FIREHOSE_PER_GB_INGESTED = 0.029  # first 500 TB a month
FIREHOSE_UNIT_BYTES = 5 * 1024
FIREHOSE_FORMAT_CONVERSION_PER_GB = 0.018
FIREHOSE_DYNAMIC_PARTITIONING_PER_GB = 0.020
FIREHOSE_DYNAMIC_PARTITIONING_PER_1000_OBJECTS = 0.005
FIREHOSE_JQ_PER_HOUR = 0.07

# Amazon Data Firehose, Apache Iceberg Tables destination (Kinesis Data Streams as source). "When Amazon Data Firehose
# is configured with Apache Iceberg Tables as a destination, the pricing will be billed per GB ingested with no 5KB
# increments. Pricing ... varies depending on the source": AWS Solutions Guidance "Clickstream analytics on AWS" cost
# table (read in this project's search corpus on ICEBERG_READ_ON), 259,200,000 records of 1 KB (259.2 GB) from
# Kinesis Data Streams = $11.67/month, i.e. $0.045 per GB (Direct PUT: $19.44, $0.075 per GB). US East (N. Virginia)
# figures, taken as Oregon's as the other Firehose prices here are equal in both; check the live pricing page.
ICEBERG_READ_ON = "2026-12-06"
FIREHOSE_ICEBERG_PER_GB = 0.045

# AWS Glue Data Catalog table optimizers (compaction, snapshot retention, orphan file deletion): billed in DPU-hours at
# Glue's $0.44 per DPU-hour (https://aws.amazon.com/glue/pricing/); the same guidance table's "120 minutes
# optimization" at $1.76 is 4 DPU-hours at that rate. The first million Data Catalog objects and requests a month are
# free (this stack holds a few dozen objects).
GLUE_PER_DPU_HOUR = 0.44

# Kinesis Data Streams On-demand Advantage (an account-level billing mode, AWS Big Data Blog, "Amazon Kinesis Data
# Streams launches On-demand Advantage", 2025-11-03, read ICEBERG_READ_ON): no stream-hour charge, data ingested and
# retrieved 60% below On-demand Standard (US East prices: $0.08 -> $0.032 and $0.04 -> $0.016 per GB), "you commit to
# stream 25 MiB/s for at least 24 hours. Even when actual usage is lower ... you're charged for the minimum 25 MiB/s
# throughput at the discounted price"; "more cost-effective for use cases that ingest at least 10 MiB/s in aggregate".
KINESIS_ADVANTAGE_PER_GB_IN = 0.032
KINESIS_ADVANTAGE_PER_GB_OUT = 0.016
KINESIS_ADVANTAGE_COMMIT_BYTES_PER_SECOND = 25 * 1024 * 1024

# AWS Lambda
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}

# Amazon S3 Standard (requests: PUT, COPY, POST and LIST bill at one price, GET and SELECT at another)
S3_PER_GB_MONTH = 0.023
S3_PER_1000_PUTS = 0.005
S3_PER_1000_LISTS = S3_PER_1000_PUTS
S3_PER_1000_GETS = 0.0004

# Amazon Athena (SQL queries)
ATHENA_PER_TB_SCANNED = 5.0
ATHENA_MIN_BYTES_PER_QUERY = 10 * 1024 * 1024

# Amazon CloudWatch Logs
CLOUDWATCH_LOGS_PER_GB_INGESTED = 0.50
CLOUDWATCH_LOGS_PER_GB_MONTH = 0.03

# AWS KMS (the AWS managed key alias/aws/kinesis has no monthly key charge)
KMS_PER_10000_REQUESTS = 0.03
KMS_KEY_MONTH = 1.00  # a customer managed key, per month
# Amazon CloudWatch alarms and dashboards
CLOUDWATCH_STANDARD_ALARM_MONTH = 0.10  # per standard-resolution metric alarm
CLOUDWATCH_DASHBOARD_MONTH = 3.00  # per dashboard beyond the account's first three
# AWS X-Ray
XRAY_PER_MILLION_TRACES = 5.00  # traces recorded (the first 100,000 a month are free; not subtracted here)

# Amazon SQS (the dead-letter queue only sees failed invocations)
SQS_PER_MILLION_REQUESTS = 0.40
