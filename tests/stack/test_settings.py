"""Config validation: defaults, every rule, all problems reported at once, Pulumi.yaml in step with the code."""

import pytest
import yaml

from functions.shared.domains import MAX_BATCH_SIZE
from stack import PROJECT_DIR as REPO_ROOT
from stack import settings
from stack.settings import KEYS, ConfigError, Settings


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
        ("scheduleExpression", "rate(5 minute)", "(singular unit for 1, plural otherwise)"),
        ("scheduleExpression", "rate(1 minutes)", "(singular unit for 1, plural otherwise)"),
        ("scheduleExpression", "every 5m", "acme-telemetry:scheduleExpression must be rate(N minute|minutes"),
        ("scheduleExpression", "cron(0 * * * *)", "day fields '?' and the year '*' (EventBridge schedule expressions"),
        ("scheduleExpression", "rate(0 minutes)", "must be rate(N minute|minutes|hour|hours|day|days)"),
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
        ("tableFormat", "delta", "acme-telemetry:tableFormat must be one of parquet, iceberg, got 'delta'"),
        ("firehoseBackupSourceRecords", "maybe", "acme-telemetry:firehoseBackupSourceRecords must be true or false"),
        ("kinesisStreamMode", "on_demand", "acme-telemetry:kinesisStreamMode must be one of ON_DEMAND, PROVISIONED"),
        ("batchSize", "many", "acme-telemetry:batchSize must be an integer (ASCII digits), got 'many'"),
        ("scheduleEnabled", "yes", "acme-telemetry:scheduleEnabled must be true or false, got 'yes'"),
        ("databaseName", "Acme-Telemetry", "acme-telemetry:databaseName must be lowercase letters, digits and"),
        ("streamName", "acme stream", "acme-telemetry:streamName must be letters, digits, _ . -"),
        ("bucketName", "Acme_Bucket", "acme-telemetry:bucketName must be a bucket name of 3–63"),
        ("bucketName", "ab", "acme-telemetry:bucketName must be a bucket name of 3–63 lowercase letters"),
        ("bucketNamePrefix", "a" * 41, "at most 40 characters so that <prefix>-<12-digit account>-<region> fits"),
        ("namePrefix", "a" * 50, "acme-telemetry:namePrefix must be short enough that the derived name"),
        ("projectionYearStart", "1969", "acme-telemetry:projectionYearStart must be 1970–9999, got 1969"),
        ("workgroupName", "my workgroup", "acme-telemetry:workgroupName must be letters, digits, . _ -"),
        # One value just past each remaining limit, so every rule has a case that fails only through it.
        ("kinesisShardCount", "0", "acme-telemetry:kinesisShardCount must be at least 1, got 0"),
        ("worldSeed", "-1", "acme-telemetry:worldSeed must be 0–9223372036854775807, got -1"),
        ("worldSeed", "seven", "acme-telemetry:worldSeed must be an integer (ASCII digits), got 'seven'"),
        ("titleCount", "70000", "acme-telemetry:titleCount must be 1–65536 (the world's title draw), got 70000"),
        (
            "kinesisShardCount",
            "2",
            "acme-telemetry:kinesisShardCount must be left out unless kinesisStreamMode is PROVISIONED",
        ),
        ("firehoseLogRetentionDays", "10", "acme-telemetry:firehoseLogRetentionDays must be a CloudWatch retention"),
        ("streamName", "s" * 129, "acme-telemetry:streamName must be letters, digits, _ . -, 1–128 characters"),
        (
            "namePrefix",
            "a" * 46,  # 46 + len("-generator-schedule") = 65: only the EventBridge rule name is too long
            "derived name '" + "a" * 46 + "-generator-schedule' fits 64 characters",
        ),
        # EventBridge: exactly one of day-of-month and day-of-week must be '?'.
        ("scheduleExpression", "cron(0 12 * * * *)", "exactly one of the two day fields '?'"),
        ("scheduleExpression", "cron(0 12 ? * ? *)", "exactly one of the two day fields '?'"),
        # Athena's SELECT needs a name starting with a digit quoted; the named queries use it bare.
        ("databaseName", "2024lake", "databaseName must be lowercase letters, digits and underscores, starting with"),
        # S3 general purpose bucket naming rules: reserved prefixes and suffixes.
        (
            "bucketName",
            "xn--acme-lake",
            "bucketName must be a bucket name of 3–63 lowercase letters, digits, hyphens, none",
        ),
        ("bucketName", "acme-lake--x-s3", "or ending -s3alias, --ol-s3, --x-s3, --table-s3"),
        ("bucketName", "acme-lake-s3alias", "or ending -s3alias, --ol-s3, --x-s3, --table-s3"),
        ("bucketNamePrefix", "sthree-acme", "fits S3's 63, none starting xn--, sthree-, amzn-s3-demo-"),
        ("bucketNamePrefix", "amzn-s3-demo-lake", "none starting xn--, sthree-, amzn-s3-demo-"),
        ("bucketNamePrefix", "sthree", "none starting xn--, sthree-, amzn-s3-demo-"),  # makes sthree-<account>-…
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
        "acme-telemetry:batchSize",
        "acme-telemetry:firehoseBufferSizeMb",
        "acme-telemetry:kinesisRetentionHours",
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


def test_pulumi_yaml_is_the_one_declaration_of_every_key() -> None:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    assert [k.name for k in KEYS] == list(declared)
    assert set(settings.BINDINGS) <= set(declared)
    for key in KEYS:
        assert key.type in settings.CONFIG_TYPES and key.description, key.name
    # Keys that feed a component argument take its default from the component, so Pulumi.yaml gives none.
    with_default = {name for name, spec in declared.items() if "default" in spec}
    assert with_default == {
        "namePrefix",
        "streamName",
        "bucketNamePrefix",
        "bucketName",
        "databaseName",
        "workgroupName",
        "encryptionKey",  # stack-level: which key the whole stack uses, not one component's argument
    }
    for name, targets in settings.BINDINGS.items():
        if name not in with_default:
            spec, arg = targets[0]
            # Unset means none, or (concurrency) a value the component sizes to the batch.
            optional = (
                "dimension_seed",
                "shard_count",
                "alarm_emails",
                "alarm_topic_arn",
                "generator_reserved_concurrency",
                "producer_reserved_concurrency",
            )
            assert arg in spec.defaults or arg in optional, name


def test_effective_defaults_are_the_original_stacks() -> None:
    s = parse()
    assert s.dimension_seed is None  # unset: each component uses DEFAULT_DIMENSION_SEED itself
    expected = {
        "batch_size": 1000,
        "customer_count": 21_750,  # derived from batchSize (issue 16; issue 17's ads made a batch carry fewer hours)
        "title_count": 500,
        "campaign_count": 1500,  # issue 17: enough live campaigns for the frequency cap to fill breaks (docs/ads.md)
        "kinesis_retention_hours": 24,
        "firehose_buffer_size_mb": 64,
        "firehose_buffer_interval_seconds": 60,
        # Deliberately a year since issue 9 (validation.DEFAULT_LOG_RETENTION_DAYS says why); the seed kept 7 and 14.
        "firehose_log_retention_days": 365,
        "lambda_log_retention_days": 365,
        "lambda_memory_mb": 256,
        "lambda_timeout_seconds": 60,
        "producer_max_retry_attempts": 2,
        "max_event_age_seconds": 3600,
        "athena_bytes_scanned_cutoff_mb": 10240,
        "projection_year_start": 2025,
        "lake_transition_days": 0,
        "lake_transition_storage_class": "INTELLIGENT_TIERING",
        "noncurrent_version_expiration_days": 30,
        "abort_incomplete_multipart_days": 7,
        "partition_by": "event_time",
        "schedule_enabled": True,
        "encryption_key": "aws-managed",
        "lake_retain_on_destroy": True,
        "world_seed": 1,
        "silence_alarm_periods": 3,
    }
    assert {k: getattr(s, k) for k in expected} == expected


def test_config_passes_only_what_it_sets_so_components_keep_their_defaults() -> None:
    from components import scheduled_generator, streaming_ingest

    s = parse(batchSize="250", kinesisStreamMode="PROVISIONED", kinesisShardCount="3")
    # customerCount is derived from batchSize when unset (the audience its volume needs), so it is passed too.
    assert s.args_for(scheduled_generator.SPEC) == {
        "name_prefix": "acme-data",
        "batch_size": 250,
        "customer_count": 5_438,
    }
    assert s.args_for(streaming_ingest.SPEC) == {
        "name_prefix": "acme-data",
        "stream_mode": "PROVISIONED",
        "shard_count": 3,
    }


def test_an_exact_bucket_name_makes_the_prefix_moot() -> None:
    from components import data_lake

    assert parse(bucketName="my-lake").args_for(data_lake.SPEC) == {"bucket_name": "my-lake"}
    assert parse().args_for(data_lake.SPEC) == {"bucket_name_prefix": "acme-telemetry-data"}


KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"alarmEmails": '["ops@example.com", "not an address"]'}, "alarmEmails must be a list of e-mail addresses"),
        ({"alarmEmails": "ops@example.com"}, "alarmEmails must be a list"),
        ({"alarmTopicArn": "arn:aws:sns:us-west-2:123:short"}, "alarmTopicArn must be an SNS topic ARN"),
        ({"encryptionKey": "alias/aws/kinesis"}, "encryptionKey must be aws-managed or customer-managed or a KMS"),
        ({"encryptionKey": "CUSTOMER-MANAGED"}, "encryptionKey must be aws-managed or customer-managed"),
        ({"encryptionKey": KEY_ARN.replace("us-west-2", "eu-west-1")}, "encryptionKey must be a key in the stack's"),
        ({"producerReservedConcurrency": "1001"}, "producerReservedConcurrency must be 1–900"),
        ({"generatorReservedConcurrency": "0"}, "generatorReservedConcurrency must be 1–900"),
        ({"silenceAlarmPeriods": "0"}, "silenceAlarmPeriods must be at least 1"),
        ({"lakeRetainOnDestroy": "maybe"}, "lakeRetainOnDestroy must be true or false"),
        (
            {"alarmTopicArn": "arn:aws:sns:us-west-2:123456789012:ops", "alarmEmails": '["ops@example.com"]'},
            "alarmEmails must be empty when alarmTopicArn is given",
        ),
    ],
)
def test_hardening_and_alarm_keys_fail_naming_key_and_rule(raw: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**raw)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_key_arn_in_the_stacks_region_and_good_addresses_are_accepted() -> None:
    s = parse(encryptionKey=KEY_ARN, alarmEmails='["ops@example.com", "a.b+c@sub.example.org"]')
    assert (s.key_mode, s.alarm_emails) == ("existing", ["ops@example.com", "a.b+c@sub.example.org"])


def test_an_iceberg_stack_with_arrival_time_partitioning_is_refused_naming_both_keys_and_the_aws_rule() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_config({"tableFormat": "iceberg", "partitionBy": "arrival_time"}, "us-west-2")
    assert err.value.problems == [
        "acme-telemetry:partitionBy must be event_time when tableFormat is iceberg (Firehose's Iceberg destination "
        "has no dynamic partitioning and no arrival-time prefixes: an Iceberg table is partitioned by its own "
        "partition spec over its columns), got 'arrival_time'"
    ]


def test_an_iceberg_stack_turns_the_producers_aggregation_and_the_partition_alarm_off() -> None:
    from components import alarms, scheduled_generator

    parquet = Settings.from_config({}, "us-west-2")
    iceberg = parquet.but(table_format="iceberg")
    assert parquet.component_args(scheduled_generator.SPEC)["aggregate_records"] is True
    assert iceberg.component_args(scheduled_generator.SPEC)["aggregate_records"] is False
    assert iceberg.component_args(scheduled_generator.SPEC)["partition_columns"] is True
    assert parquet.component_args(scheduled_generator.SPEC)["partition_columns"] is False
    assert iceberg.component_args(alarms.SPEC)["dynamic_partitioning"] is False
    assert iceberg.component_args(alarms.SPEC)["table_format"] == "iceberg"


def test_an_unset_customer_count_is_the_audience_batch_size_needs_at_any_batch_size() -> None:
    from functions.shared import households

    assert parse(batchSize="25").customer_count == households.audience_size(25) == 544
    assert 1.2 <= households.subscriber_hours(25, 544) <= 3.0
    top = parse(batchSize=str(MAX_BATCH_SIZE))  # the default 256 MB generator: it holds no customer
    assert top.customer_count == households.audience_size(MAX_BATCH_SIZE) == 21_750_000
    assert [n for n in top.notes if "customerCount" in n] == []  # no audience note (the cold-tick note below)
    assert top.but(batch_size=100_000).customer_count == 2_175_000


def test_the_largest_customer_count_is_the_largest_batch_sizes_audience_whatever_the_generators_memory() -> None:
    from functions.shared import households

    most = households.MAX_CUSTOMERS
    assert most == households.audience_range(MAX_BATCH_SIZE)[1] == 36_250_000
    top = str(MAX_BATCH_SIZE)
    assert parse(batchSize=top, customerCount=str(most), lambdaMemoryMb="128").customer_count == most
    assert parse(batchSize="5000", customerCount="100000", lambdaMemoryMb="128").customer_count == 100_000
    with pytest.raises(ConfigError, match=rf"customerCount must be 1–{most} \(the largest batchSize's audience\)"):
        parse(batchSize=top, customerCount=str(most + 1))


@pytest.mark.parametrize(("batch", "customers"), [("1000", "1000"), ("25", "100000"), ("1", "1")])
def test_a_customer_count_no_audience_could_watch_at_that_batch_size_is_refused_naming_both(
    batch: str, customers: str
) -> None:
    with pytest.raises(ConfigError, match=r"customerCount must be [\d,]+–[\d,]+ with batchSize [\d,]+, .* h a day"):
        parse(batchSize=batch, customerCount=customers)


def test_a_changed_batch_size_takes_its_derived_audience_along_unless_the_count_is_given() -> None:
    dev = parse()
    assert dev.but(batch_size=200).customer_count == 4_350  # as Pulumi.<stack>.yaml's batchSize 200 would derive
    assert dev.but(batch_size=200, customer_count=5).customer_count == 5
    assert parse(customerCount="20000").but(batch_size=200).customer_count == 20_000  # a set count stays set


def window_notes(settings: Settings) -> tuple[str, ...]:
    """The notes about a window's coordinator step (not the bootstrap chain's)."""
    return tuple(note for note in settings.notes if "a window's coordinator judges" in note)


def test_a_window_whose_new_admission_slots_outlast_the_timeout_is_warned_naming_the_keys_to_raise() -> None:
    """With the pass checkpointed a window's coordinator judges only its new slots: the measured cold pass's CPU per
    slot (2 ms per unit of batchSize over 1,729 slots, bench/bench_cold_tick.py) at the busiest hour (PEAK_TO_MEAN),
    on at most one vCPU per 1,769 MB (Lambda docs, memory and computing power)."""
    assert parse().notes == () and parse(batchSize="100000").notes == ()  # 5 slots: 11 s at 256 MB
    (note,) = window_notes(parse(batchSize="1000000"))  # 114 s at 256 MB
    assert "batchSize 1,000,000: a window's coordinator judges its 5 new admission slots in about 114 s" in note
    assert "lambdaMemoryMb 256" in note and "over lambdaTimeoutSeconds 60" in note and "docs/state-bucket.md" in note
    assert "raise lambdaMemoryMb to at least 487 or lambdaTimeoutSeconds to at least 115" in note
    # Either advice is enough, and it is the least that is.
    assert window_notes(parse(batchSize="1000000", lambdaMemoryMb="487")) == ()
    assert window_notes(parse(batchSize="1000000", lambdaTimeoutSeconds="115")) == ()
    assert len(window_notes(parse(batchSize="1000000", lambdaMemoryMb="486"))) == 1


@pytest.mark.parametrize("schedule", ["rate(1 hour)", "rate(6 hours)", "cron(0 * * * ? *)"])
def test_a_long_window_is_judged_an_hour_of_slots_at_a_time_and_may_need_a_longer_timeout(schedule: str) -> None:
    """A tick longer than an hour runs as windows of at most an hour (domains.MAX_WINDOW_SECONDS), each with its own
    coordinator; a cron() schedule is judged by its longest gap."""
    (note,) = window_notes(parse(batchSize="1000000", scheduleExpression=schedule))
    assert "judges its 60 new admission slots in about 1,369 s" in note
    assert "raise lambdaMemoryMb to 1,769 (one vCPU) and lambdaTimeoutSeconds to at least 199" in note
    (note,) = window_notes(parse(batchSize="1000000", scheduleExpression=schedule, lambdaMemoryMb="2048"))
    assert note.endswith("raise lambdaTimeoutSeconds to at least 199 (docs/state-bucket.md)")
    assert (
        parse(batchSize="1000000", scheduleExpression=schedule, lambdaMemoryMb="1769", lambdaTimeoutSeconds="199").notes
        == ()  # and its bootstrap chain fits: 2,000 s in invocations of 199 s less their margin
    )


def test_a_window_no_lambda_can_judge_is_warned_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    from components import scheduled_generator

    monkeypatch.setattr(scheduled_generator, "COLD_TICK_CPU_MS_PER_BATCH_UNIT", 10.0)  # a model five times slower
    (note,) = window_notes(parse(batchSize="1000000", scheduleExpression="rate(1 hour)"))
    assert "no Lambda fits it (about 991 s on one vCPU, over Lambda's 900 s)" in note


def test_a_new_stacks_bootstrap_chain_is_stated_as_information_not_a_warning() -> None:
    """No checkpoint yet: the first coordinator runs the worst window's whole pass (cold_tick_seconds), in hops of
    the timeout less the coordinator's margin (domains.pass_budget_seconds: 36 s of 60, 780 of 900)."""
    assert parse().info == ()  # 14 s at 256 MB: one invocation
    (line,) = parse(batchSize="4000").info  # 55 s: two
    assert "a chain of at least 2 invocations of lambdaTimeoutSeconds 60" in line
    ten = parse(batchSize="10000")  # 138 s at 256 MB
    (line,) = ten.info
    assert ten.notes == () and ten.but(schedule_enabled=False).info == ten.info
    assert "batchSize 10,000" in line and "about 138 s at lambdaMemoryMb 256" in line
    assert "a chain of at least 4 invocations of lambdaTimeoutSeconds 60" in line
    (line,) = parse(batchSize="1000000", lambdaMemoryMb="1769", lambdaTimeoutSeconds="900").info  # 2,000 s
    assert (
        "about 2,000 s at lambdaMemoryMb 1,769" in line and "at least 3 invocations of lambdaTimeoutSeconds 900" in line
    )


def test_a_bootstrap_chain_longer_than_a_chain_may_be_is_warned_naming_the_keys_to_raise() -> None:
    """A chain past domains.MAX_CHAIN_HOPS links refuses (functions/generator/handler.py): such a stack would deliver
    nothing, so the config is warned, not informed."""
    one_million = parse(batchSize="1000000")  # 2,000 s at one vCPU, ~14,000 s at 256 MB, in hops of 36 s
    (note,) = [note for note in one_million.notes if "bootstrap chain" in note]
    assert "about 384 invocations of lambdaTimeoutSeconds 60, over the 64 a chain may have (MAX_CHAIN_HOPS)" in note
    assert "raise lambdaMemoryMb" in note and "lambdaTimeoutSeconds" in note and one_million.info == ()
    fits = parse(batchSize="1000000", lambdaMemoryMb="1769", lambdaTimeoutSeconds="900")
    assert fits.notes == () and len(fits.info) == 1
