"""Value domains and weights of the telemetry, shared by the streaming generator and the backfill."""

from __future__ import annotations

from collections.abc import Mapping

EVENT_TYPES: Mapping[str, float] = {
    "start": 0.30, "pause": 0.15, "resume": 0.15, "stop": 0.25, "complete": 0.15,
    "start_failed": 0.0, "exit_before_start": 0.0, "bitrate_change": 0.0, "error": 0.0, "ad_start": 0.0,
    "ad_complete": 0.0,
}  # fmt: skip
"""Event types with the original stack's overall shares (only bench/'s per-row baseline still draws by them; the
issue 17 types have none there). The world's sessions follow functions.shared.world and player."""

SESSION_END_TYPES = ("stop", "complete")

DEVICE_TYPES: Mapping[str, float] = {"mobile": 0.35, "web": 0.30, "tv": 0.25, "tablet": 0.10}
"""Device types (their order numbers a customer's devices) with the original stack's shares, which only the per-row
baseline of bench/ still draws by; the world's screens follow functions.shared.plays.DEVICE_PLAY_SHARES."""

QUALITIES: Mapping[str, float] = {"SD": 0.2, "HD": 0.5, "4K": 0.3}

TITLE_TYPES: Mapping[str, float] = {"movie": 0.6, "series": 0.3, "documentary": 0.1}

SUBSCRIPTION_TIERS = ("free_with_ads", "basic", "standard", "premium")

MAX_QUALITY_BY_TIER: Mapping[str, str] = {
    "free_with_ads": "SD",
    "basic": "HD",
    "standard": "HD",
    "premium": "4K",
}
"""Highest quality each tier may stream."""

MIN_BANDWIDTH_MBPS_FOR_QUALITY: Mapping[str, float] = {"SD": 0.0, "HD": 5.0, "4K": 15.0}
"""Bandwidth a player needs before it picks a quality (streaming services publish similar floors)."""

QUALITY_ORDER = ("SD", "HD", "4K")

DEVICE_OS: Mapping[str, tuple[str, ...]] = {
    "mobile": ("iOS", "Android"),
    "tablet": ("iPadOS", "Android"),
    "web": ("Windows", "macOS", "Linux", "ChromeOS"),
    "tv": ("tvOS", "Android TV", "Roku OS", "Tizen", "webOS", "Fire OS"),
}

CONNECTION_TYPES: Mapping[str, tuple[float, float]] = {
    "fiber": (100.0, 940.0),
    "cable": (25.0, 400.0),
    "wifi": (10.0, 200.0),
    "dsl": (3.0, 25.0),
    "5g": (20.0, 300.0),
    "4g": (2.0, 40.0),
}
"""Connection types with the range of their lines' bandwidth (Mbps); a playing session's throughput dips below it while
its player plays a low rung (player.rung_level)."""

POOR_CONNECTIONS = frozenset({"dsl", "4g"})
"""Connections on which buffering and errors are likelier."""

APP_VERSIONS = ("5.12.0", "5.12.1", "5.13.0", "5.13.2", "5.14.0", "5.14.1", "6.0.0")

AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")

GENRES = (
    "Action",
    "Comedy",
    "Drama",
    "Thriller",
    "Horror",
    "Romance",
    "Sci-Fi",
    "Fantasy",
    "Animation",
    "Crime",
    "Documentary",
    "Family",
    "Mystery",
    "Adventure",
)

CONTENT_RATINGS = ("G", "PG", "PG-13", "R", "TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA")

PAYMENT_METHODS = ("credit_card", "debit_card", "paypal", "apple_pay", "google_pay", "gift_card")

ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "referral", "partner", "tv_ad", "email")

TIER_MONTHLY_PRICE: Mapping[str, float] = {"free_with_ads": 0.0, "basic": 6.99, "standard": 15.49, "premium": 22.99}

# Session model shared by the streaming generator and the backfill (both must follow it).
PAUSES_PER_SESSION_MEAN = 0.8
"""Mean number of pause/resume pairs in a session (geometric)."""

DEFAULT_WINDOW_SECONDS = 300
"""Span of event time one schedule tick covers (the default `rate(5 minutes)`)."""

DEFAULT_BATCH_SIZE = 1000
"""Events one schedule tick makes when nothing else is configured (the seed's BATCH_SIZE)."""

MAX_BATCH_SIZE = 1_000_000
"""Largest `batchSize` (mean events per 5 minutes, about 3,300 events/s; prime time runs near 2.4 times that).

A tick's window is generated in shards of at most the generator's MAX_SHARD_EVENTS expected events, each by
its own asynchronous invocation of the generator, and each shard hands its payloads to the producer; see the
README's "Volume and load testing" for the AWS limits this leans on and what gives out first.
"""

# --- Dimension tables and session details (appended for the generator; the backfill may read them too) ---
SUBSCRIPTION_TIER_SHARES: Mapping[str, float] = {"free_with_ads": 0.2, "basic": 0.25, "standard": 0.35, "premium": 0.2}
"""Share of customers on each of SUBSCRIPTION_TIERS."""
PLAN_STREAM_LIMITS: Mapping[str, int] = {"free_with_ads": 1, "basic": 1, "standard": 2, "premium": 4}
"""Streams a household may play at once, by `subscription_tier`: Netflix's plans allow Basic 1, Standard 2 and
Premium 4 screens at the same time (Netflix Help Center, "Plans and Pricing", help.netflix.com/node/24926, 2025);
the free ad-supported tier gets the smallest, 1 (judgement: free tiers promise no concurrency)."""

SIGNUP_DAYS = (-3 * 365, 730)
"""Sign-ups run from three years before the dimension tables' reference date to two years after it (the end of the
release slate, content.SLATE_DAYS, through which the world is defined), at an even rate in customer id order: customer
i of N signs up (i - 1 + u) / N of the way through (dimensions.subscription)."""
MONTHLY_CHURN = 0.046
"""Share of subscribers who cancel in a month: the US premium SVOD weighted average was 4.6 % in 2025 (Antenna, Q1'26
State of Subscriptions; 5.2 % gross in August 2024, "A Case for Rethinking Churn"). A subscription's tenure is
exponential with mean 1 / MONTHLY_CHURN months (~22), at least MIN_TENURE_DAYS; with sign-ups at an even rate over
SIGNUP_DAYS about 30-34 % of the customers table is subscribed at any date of 2026-2027, and sign-ups run at ~5 % of
subscribers a month (Antenna: gross additions = cancellations + ~0.6 % a month of net growth)."""
MIN_TENURE_DAYS = 31
"""A subscription lasts at least its first month."""

AD_SUPPORTED_TIERS = ("free_with_ads", "basic")
"""Tiers that see ads, so the only tiers a campaign may target."""

AD_INDUSTRIES = (
    "Automotive",
    "Consumer Electronics",
    "Financial Services",
    "Food & Beverage",
    "Retail",
    "Travel",
    "Telecommunications",
    "Gaming",
    "Health & Wellness",
    "Entertainment",
)

CAMPAIGN_TYPES = ("brand_awareness", "performance", "retargeting", "product_launch", "seasonal")

CAMPAIGN_OBJECTIVES = ("reach", "video_views", "traffic", "conversions", "app_installs")

CAMPAIGN_STATUSES = ("scheduled", "active", "paused", "completed")
"""scheduled: starts after the reference date; completed: ended before it; active/paused: running."""

AD_FORMATS: Mapping[str, tuple[int, ...]] = {
    "pre_roll": (15, 30),
    "mid_roll": (15, 30, 60),
    "post_roll": (15, 30),
    "pause_ad": (0,),
    "banner_overlay": (0,),
}
"""Ad formats with the ad lengths (seconds) each may have; 0 for static ads."""

AD_EVENT_TYPES = ("ad_start", "ad_complete")
"""Events of one ad of a break (its first frame, the impression; its end), carrying AD_EVENT_FIELDS."""
AD_EVENT_FIELDS = ("campaign_id", "ad_position", "ad_duration_seconds")
"""streaming_events columns set on AD_EVENT_TYPES and null on every other event."""
AD_POSITIONS = ("pre_roll", "mid_roll", "post_roll")
"""Where a break sits in a play (`ad_position`); each is also the AD_FORMATS entry a campaign buys to run there."""
assert set(AD_POSITIONS) <= set(AD_FORMATS)

AD_PLACEMENTS = ("home_screen", "in_stream", "browse_row", "search_results", "pause_screen")

TARGET_GENDERS = ("female", "male", "non_binary")

MEAN_PAUSE_SECONDS = 120.0
"""Mean length of a pause (exponential)."""

# --- Generator ticks and payloads (the stack sizes and watches the generator by these too) ---
MAX_ASYNC_PAYLOAD_BYTES = 1_048_576
"""Lambda Invoke: "For asynchronous invocations, the maximum payload size is 1 MB"
(https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html; the deprecated InvokeAsync kept 256 KB). The one
home of this limit: the generator's payloads (MAX_PAYLOAD_BYTES) and the cost model's invocations derive from it."""
ON_FAILURE_HEADROOM_BYTES = 128 * 1024
"""Room kept in each payload for what Lambda wraps around it when the producer fails for good: the on-failure
record (request and response context, the error message and stack trace, and the payload itself, possibly
re-serialized with a space after every separator: about 8 % more for these events) goes to an SQS queue whose
messages are at most 1 MiB as well, so a payload of the full 1 MB would not fit and the batch would be lost."""
MAX_PAYLOAD_BYTES = MAX_ASYNC_PAYLOAD_BYTES - ON_FAILURE_HEADROOM_BYTES
TICK_LOG_MESSAGE = "generator tick"
"""`message` of the one JSON summary line per tick; the stack's dashboard counts generated events from it."""
MAX_WINDOW_SECONDS = 3600
"""Longest window one request may name (an hour: 12 ticks of the default schedule)."""
MAX_SHARD_EVENTS = 10_000
"""A window expected to hold more events is split into shards of at most about this many. At the stack's default
256 MB a Lambda has about a seventh of a vCPU, on which a 10,000-event shard takes several seconds."""
LAMBDA_DEFAULT_CONCURRENCY = 1000  # Lambda quotas: concurrent executions, 1,000 per Region by default
MAX_SHARDS = LAMBDA_DEFAULT_CONCURRENCY
"""At most this many shards per window: Lambda's default concurrent executions quota."""
MAX_TICK_SECONDS = 7 * 86_400
"""Longest stretch one scheduled tick covers: a rate() period, or the gap between two firings of a cron() schedule.
A tick longer than MAX_WINDOW_SECONDS is split into windows of at most that, each sent to the generator itself (and
sharded as any window), so every invocation stays within its limits. A week's tick opens 168 hour partitions at
once under event-time partitioning, within Firehose's default quota of 500 active partitions per delivery stream
("Dynamic partitioning" in the Firehose developer guide)."""
MAX_CAMPAIGNS = 100_000
"""Largest campaigns table: 100,000 took 10 s and a 16 MB file where `pulumi up` runs
(bench/bench_dimension_memory.py)."""
STATE_PREFIX = "admission/"
"""Key prefix of the generator's admission checkpoints in its state bucket (the role's S3 grants cover only it)."""

MAX_CHAIN_HOPS = 64
"""Most links of a generator coordinator's bootstrap chain (each an invocation that advances the admission pass until
its deadline, saves it and invokes the next: docs/checkpoint-coordinator.md). A chain past it is refused, naming it,
rather than invoking itself for ever; the stack warns at config time when a bootstrap would need more."""
PASS_MARGIN_MS = 120_000
"""Time a coordinator keeps after its admission pass, at most: to snapshot and save the pass (tens of MB at
batchSize 1,000,000), dispatch up to MAX_SHARDS shards or generate its one shard, or invoke its chain's next link."""
PASS_MARGIN_SHARE = 0.4
"""...and at most this share of the time its invocation has left when it starts (a 60 s timeout keeps 24 s)."""


def pass_budget_seconds(timeout_seconds: float) -> float:
    """Seconds of an invocation of `timeout_seconds` a coordinator spends on the admission pass (the rest is its
    margin: PASS_MARGIN_MS, PASS_MARGIN_SHARE)."""
    return timeout_seconds - min(PASS_MARGIN_MS / 1000, timeout_seconds * PASS_MARGIN_SHARE)
