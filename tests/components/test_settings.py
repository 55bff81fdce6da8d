"""Config validation: defaults, every rule, all problems reported at once, Pulumi.yaml in step with the code."""

import pytest
import yaml

from components import settings
from components.settings import KEYS, ConfigError, Settings
from components.testing import REPO_ROOT
from functions.shared.domains import MAX_BATCH_SIZE


def parse(region: str = "us-west-2", **raw: str) -> Settings:
    return Settings.from_config(raw, region)


def problems(**raw: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(**raw)
    return err.value.problems


def test_empty_config_gives_the_original_stacks_settings() -> None:
    s = parse()
    assert (s.name_prefix, s.stream_name) == ("acme-data", "acme-data-telemetry-stream")
    assert s.database_name == "acme_telemetry"
    assert (s.batch_size, s.schedule_expression, s.window_seconds) == (1000, "rate(5 minutes)", 300)
    assert (s.lambda_runtime, s.lambda_architecture, s.kinesis_stream_mode) == ("python3.12", "arm64", "ON_DEMAND")
    assert s.kinesis_shard_count is None
    assert s.physical_names["generator"] == "acme-data-generator"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("batchSize", "0", f"acme-telemetry:batchSize must be 1–{MAX_BATCH_SIZE}"),
        ("batchSize", str(MAX_BATCH_SIZE + 1), f"acme-telemetry:batchSize must be 1–{MAX_BATCH_SIZE}"),
        ("kinesisRetentionHours", "23", "acme-telemetry:kinesisRetentionHours must be 24–8760, got 23"),
        ("kinesisRetentionHours", "8761", "acme-telemetry:kinesisRetentionHours must be 24–8760, got 8761"),
        (
            "firehoseBufferSizeMb",
            "32",
            "acme-telemetry:firehoseBufferSizeMb must be 64–128 when format conversion is on, got 32",
        ),
        ("firehoseBufferIntervalSeconds", "30", "acme-telemetry:firehoseBufferIntervalSeconds must be 60–900, got 30"),
        ("scheduleExpression", "rate(5 minute)", "must be rate(5 minutes) — singular unit for 1, plural otherwise"),
        ("scheduleExpression", "rate(1 minutes)", "must be rate(1 minute) — singular unit for 1, plural otherwise"),
        ("scheduleExpression", "every 5m", "acme-telemetry:scheduleExpression must be rate(N minute|minutes"),
        ("scheduleExpression", "cron(0 * * * *)", "or cron() with 6 fields, got 'cron(0 * * * *)'"),
        ("scheduleExpression", "rate(0 minutes)", "rate(N unit) with N ≥ 1"),
        (
            "lakeTransitionStorageClass",
            "GLACIER",
            "acme-telemetry:lakeTransitionStorageClass must be one of STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, "
            "ONEZONE_IA, got 'GLACIER'",
        ),
        ("lambdaRuntime", "python3.9", "acme-telemetry:lambdaRuntime must be one of python3.12, python3.13"),
        ("lambdaArchitecture", "arm", "acme-telemetry:lambdaArchitecture must be one of arm64, x86_64"),
        ("lambdaMemoryMb", "64", "acme-telemetry:lambdaMemoryMb must be 128–10240, got 64"),
        ("lambdaTimeoutSeconds", "901", "acme-telemetry:lambdaTimeoutSeconds must be 1–900, got 901"),
        ("producerMaxRetryAttempts", "3", "acme-telemetry:producerMaxRetryAttempts must be 0–2, got 3"),
        ("maxEventAgeSeconds", "59", "acme-telemetry:maxEventAgeSeconds must be 60–21600, got 59"),
        ("athenaBytesScannedCutoffMb", "9", "athenaBytesScannedCutoffMb must be at least 10"),
        ("lambdaLogRetentionDays", "10", "acme-telemetry:lambdaLogRetentionDays must be a CloudWatch retention value"),
        ("partitionBy", "ingest_time", "acme-telemetry:partitionBy must be one of event_time, arrival_time"),
        ("kinesisStreamMode", "on_demand", "acme-telemetry:kinesisStreamMode must be one of ON_DEMAND, PROVISIONED"),
        ("batchSize", "many", "acme-telemetry:batchSize must be 1–"),
        ("scheduleEnabled", "yes", "acme-telemetry:scheduleEnabled must be true or false, got 'yes'"),
        ("databaseName", "Acme-Telemetry", "acme-telemetry:databaseName must be lowercase letters, digits and"),
        ("streamName", "acme stream", "acme-telemetry:streamName must be letters, digits, _ . -"),
        ("bucketName", "Acme_Bucket", "acme-telemetry:bucketName must be a bucket name of 3–63"),
        ("bucketName", "ab", "acme-telemetry:bucketName must be at least 3 characters, got 'ab'"),
        ("bucketNamePrefix", "a" * 41, "at most 40 characters so that <prefix>-<12-digit account>-us-west-2 fits"),
        ("namePrefix", "a" * 50, "acme-telemetry:namePrefix must be short enough that the derived name"),
        ("projectionYearEnd", "2020", "acme-telemetry:projectionYearEnd must be at least projectionYearStart (2025)"),
        ("workgroupName", "my workgroup", "acme-telemetry:workgroupName must be letters, digits, . _ -"),
        # One value just past each remaining limit, so every rule has a case that fails only through it.
        ("kinesisShardCount", "0", "acme-telemetry:kinesisShardCount must be at least 1, got 0"),
        ("firehoseLogRetentionDays", "10", "acme-telemetry:firehoseLogRetentionDays must be a CloudWatch retention"),
        ("streamName", "s" * 129, "acme-telemetry:streamName must be letters, digits, _ . -, at most 128 characters"),
        (
            "namePrefix",
            "a" * 46,  # 46 + len("-generator-schedule") = 65: only the EventBridge rule name is too long
            "derived name '" + "a" * 46 + "-generator-schedule' fits 64 characters",
        ),
        # EventBridge: exactly one of day-of-month and day-of-week must be '?'.
        ("scheduleExpression", "cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week '?'"),
        ("scheduleExpression", "cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week '?'"),
        # Athena's SELECT needs a name starting with a digit quoted; the named queries use it bare.
        ("databaseName", "2024lake", "databaseName must be lowercase letters, digits and underscores, starting with"),
        # S3 general purpose bucket naming rules: reserved prefixes and suffixes.
        ("bucketName", "xn--acme-lake", "bucketName must be a name S3 allows: none starting xn--"),
        ("bucketName", "acme-lake--x-s3", "bucketName must be a name S3 allows"),
        ("bucketName", "acme-lake-s3alias", "bucketName must be a name S3 allows"),
        ("bucketNamePrefix", "sthree-acme", "bucketNamePrefix must be a name S3 allows: none starting xn--, sthree-"),
        ("bucketNamePrefix", "amzn-s3-demo-lake", "bucketNamePrefix must be a name S3 allows"),
        ("bucketNamePrefix", "sthree", "bucketNamePrefix must be a name S3 allows"),  # makes sthree-<account>-…
    ],
)
def test_bad_value_is_rejected_with_key_and_allowed_range(key: str, value: str, expected: str) -> None:
    found = problems(**{key: value})
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("storage_class", ["STANDARD_IA", "ONEZONE_IA"])
def test_infrequent_access_transitions_need_thirty_days(storage_class: str) -> None:
    # S3 lifecycle: objects move to STANDARD_IA or ONEZONE_IA only once at least 30 days old.
    found = problems(lakeTransitionStorageClass=storage_class, lakeTransitionDays="7")
    assert found == [f"acme-telemetry:lakeTransitionDays must be 0 or at least 30 for {storage_class}, got 7"]
    assert parse(lakeTransitionStorageClass=storage_class, lakeTransitionDays="30").lake_transition_days == 30
    assert parse(lakeTransitionStorageClass="STANDARD_IA", lakeTransitionDays="30").lake_transition_days == 30
    assert parse(lakeTransitionStorageClass="GLACIER_IR", lakeTransitionDays="1").lake_transition_days == 1


def test_every_bad_key_is_reported_in_one_error() -> None:
    found = problems(batchSize="0", kinesisRetentionHours="23", firehoseBufferSizeMb="32", lambdaRuntime="go")
    assert [p.split(" ")[0] for p in found] == [
        "acme-telemetry:kinesisRetentionHours",
        "acme-telemetry:firehoseBufferSizeMb",
        "acme-telemetry:batchSize",
        "acme-telemetry:lambdaRuntime",
    ]


def test_unknown_key_and_missing_region_are_errors() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_config({"batchsize": "10"}, None)
    text = str(err.value)
    assert "acme-telemetry:batchsize must be a known key" in text
    assert "aws:region must be an AWS region such as us-west-2, got None" in text
    for region in ("moon", "us-west", "US-WEST-2"):
        with pytest.raises(ConfigError, match=f"aws:region must be an AWS region such as us-west-2, got {region!r}"):
            Settings.from_config({}, region)


@pytest.mark.parametrize(
    ("expression", "window"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("cron(0/5 * * * ? *)", None),
        ("cron(0 12 ? * MON-FRI *)", None),
    ],
)
def test_valid_schedules_are_accepted_and_rates_give_the_window(expression: str, window: int | None) -> None:
    assert parse(scheduleExpression=expression).window_seconds == window


def test_provisioned_stream_keeps_its_shard_count() -> None:
    assert parse(kinesisStreamMode="PROVISIONED", kinesisShardCount="4").kinesis_shard_count == 4


def test_bucket_name_override_replaces_the_generated_name() -> None:
    s = parse(bucketName="my-lake")
    assert s.bucket_name == "my-lake"


def test_longest_bucket_prefix_that_fits_sixty_three_characters_is_accepted() -> None:
    assert parse(bucketNamePrefix="a" * 40).bucket_name_prefix == "a" * 40


def test_pulumi_yaml_declares_every_key_with_the_codes_type_default_and_description() -> None:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    assert list(declared) == [k.name for k in KEYS]
    for key in KEYS:
        spec = declared[key.name]
        assert spec["type"] == key.type, key.name
        assert spec["default"] == key.default, key.name
        assert spec["description"] == key.description, key.name


def test_defaults_agree_with_the_shared_modules() -> None:
    from functions.shared.dimensions import DEFAULT_DIMENSION_SEED
    from functions.shared.schema import CAMPAIGNS, CUSTOMERS, DATABASE_NAME, TITLES

    defaults = settings.KEYS_BY_NAME
    assert defaults["dimensionSeed"].default == DEFAULT_DIMENSION_SEED
    assert defaults["databaseName"].default == DATABASE_NAME
    assert [defaults[k].default for k in ("customerCount", "titleCount", "campaignCount")] == [
        CUSTOMERS.default_rows,
        TITLES.default_rows,
        CAMPAIGNS.default_rows,
    ]
