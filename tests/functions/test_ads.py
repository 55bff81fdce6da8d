"""The ad model: breaks, pods, completion, who a campaign may reach, the frequency cap and the table's figures."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.shared import ads, concurrency, domains
from functions.shared.catalogue import epoch_day
from functions.shared.dimensions import generate_campaigns, generate_customers, generate_dimensions
from functions.shared.world import draw

SEED = 42


@pytest.fixture(scope="module")
def world() -> tuple[list[dict], list[dict]]:
    customers = generate_customers(400, SEED)
    return customers, generate_campaigns(300, SEED, customers)


def test_a_play_has_a_pre_roll_mid_rolls_every_15_content_minutes_and_a_post_roll_only_when_it_completes() -> None:
    assert ads.breaks(40 * 60, 5 * 60, False) == (("pre_roll", 0),)
    assert ads.breaks(40 * 60, 31 * 60, False) == (("pre_roll", 0), ("mid_roll", 900), ("mid_roll", 1800))
    # No mid-roll in the last five minutes; the post-roll closes a completed play.
    assert ads.breaks(20 * 60, 20 * 60, True) == (("pre_roll", 0), ("mid_roll", 900), ("post_roll", 1200))
    assert ads.breaks(19 * 60, 19 * 60, True) == (("pre_roll", 0), ("post_roll", 1140))
    # A mid-roll is shown only once the play runs past its point.
    assert ads.breaks(40 * 60, 900, False) == (("pre_roll", 0),)


def test_the_session_bound_covers_every_break_as_a_full_pod_of_the_longest_ad() -> None:
    for minutes in (5, 19, 20, 44, 121):
        seconds = minutes * 60
        worst = sum(max(ads.POD_SIZES[p]) * ads.MAX_AD_SECONDS for p, _ in ads.breaks(seconds, seconds + 1, True))
        assert ads.max_ad_seconds(seconds) == worst
        assert ads.max_break_count(seconds) == len(ads.breaks(seconds, seconds + 1, True))


def test_pod_sizes_come_from_the_draw_and_stay_in_their_range() -> None:
    for position, sizes in ads.POD_SIZES.items():
        seen = Counter(ads.pod_size(position, draw(7, n)) for n in range(4000))
        assert set(seen) == set(sizes)
        assert min(seen.values()) > 4000 / len(sizes) * 0.9


@pytest.mark.parametrize("device", domains.DEVICE_TYPES)
def test_ads_complete_at_the_published_rate_of_their_screen(device: str) -> None:
    n = 40_000
    done = sum(ads.ad_completes(device, draw(11, i)) for i in range(n))
    assert done / n == pytest.approx(ads.AD_COMPLETION[device], abs=0.01)


def test_an_abandoned_ad_ran_between_one_second_and_its_length() -> None:
    for seconds in (15, 30, 60):
        ran = [ads.abandoned_ms(seconds, draw(3, i)) for i in range(2000)]
        assert min(ran) >= 1000 and max(ran) < seconds * 1000


def test_a_campaign_reaches_only_viewers_its_targeting_takes_while_live(world) -> None:
    customers, campaigns = world
    tgts = ads.targets(campaigns)
    day = epoch_day("2026-11-10")
    for customer in customers[:80]:
        for position in ads.POSITIONS:
            for i in ads.eligible(tgts, customer, day, position):
                c = campaigns[tgts[i].index]
                assert c["ad_format"] == position and c["start_date"] <= "2026-11-10" <= c["end_date"]
                assert customer["subscription_tier"] in json.loads(c["target_subscription_tiers"])
                assert customer["country"] in json.loads(c["target_countries"])
                assert customer["age_group"] in json.loads(c["target_age_groups"])
                assert set(json.loads(customer["preferred_genres"])) & set(json.loads(c["target_genres"]))
    # Viewers off the ad tiers are offered nothing.
    paying = next(c for c in customers if c["subscription_tier"] == "premium")
    assert all(ads.eligible(tgts, paying, day, p) == () for p in ads.POSITIONS)


def test_every_campaign_holds_at_most_the_cap_of_pairs_in_every_viewer_day_schedule_and_a_pod_never_repeats() -> None:
    for n in (1, 2, 3, 4, 5, 17, 40, 200):
        for day in (epoch_day("2026-03-08"), epoch_day("2026-11-01"), epoch_day("2026-11-04")):
            for tz in ("America/New_York", "Europe/Berlin", "Australia/Sydney"):
                for position in range(len(ads.POSITIONS)):
                    h = ads.deal_draw(1, 1, day, position)
                    schedule = ads.day_schedule(h, tz, day, tuple(range(n)))
                    held = Counter(c for pod in schedule.values() for c in pod)
                    assert set(held) == set(range(n))
                    assert max(held.values()) <= ads.FREQUENCY_CAP
                    assert all(len(set(pod)) == len(pod) <= ads.MAX_POD for pod in schedule.values())
                    assert set(schedule) <= set(range(ads.BUCKETS_PER_DAY))


@settings(max_examples=300, deadline=None)
@given(
    h=st.integers(0, (1 << 64) - 1),
    n=st.integers(1, 300),
    ranks=st.sets(st.integers(0, ads.BUCKETS_PER_DAY - 1)),
    sizes=st.lists(st.integers(1, ads.MAX_POD), min_size=ads.BUCKETS_PER_DAY, max_size=ads.BUCKETS_PER_DAY),
)
def test_breaks_of_a_household_in_distinct_buckets_show_no_campaign_more_than_the_cap(
    h: int, n: int, ranks: set[int], sizes: list[int]
) -> None:
    """The deal's property: whatever buckets a household-day's breaks of a position fall in, one break per bucket
    (one play: BUCKET_MINUTES; plays one after another: concurrency.ad_hold) and any pod sizes, no campaign is shown
    more than FREQUENCY_CAP times and no pod repeats one."""
    step, offset = ads.deal(h, n)
    campaigns = tuple(range(1000, 1000 + n))
    shown: Counter[int] = Counter()
    for rank in ranks:
        pod = ads.pod_campaigns(campaigns, step, offset, rank)[: sizes[rank]]
        assert len(set(pod)) == len(pod)
        shown.update(pod)
    assert not shown or max(shown.values()) <= ads.FREQUENCY_CAP


def test_an_ad_tier_play_holds_its_household_to_the_end_of_its_last_bucket_so_the_next_breaks_in_a_later_one() -> None:
    for bound in (0, 1, ads.BUCKET_MS - 1, ads.BUCKET_MS, 5 * ads.BUCKET_MS + 7):
        hold = concurrency.ad_hold(bound, True)
        assert hold > bound and hold % ads.BUCKET_MS == 0 and hold - bound <= ads.BUCKET_MS
        assert (hold - 1) // ads.BUCKET_MS == bound // ads.BUCKET_MS  # the bound's own bucket, no further
        assert concurrency.ad_hold(bound, False) == bound
    # The proof needs one stream at a time on every ad tier.
    assert {domains.PLAN_STREAM_LIMITS[t] for t in domains.AD_SUPPORTED_TIERS} == {concurrency.AD_TIER_STREAMS} == {1}


def test_the_schedule_fills_the_busiest_local_hours_first() -> None:
    day = epoch_day("2026-11-04")
    schedule = ads.day_schedule(ads.deal_draw(1, 9, day, ads.MID_ROLL), "America/New_York", day, tuple(range(8)))
    local_hours = {((b * ads.BUCKET_MINUTES // 60) - 5) % 24 for b in schedule}
    assert local_hours <= set(range(18, 24))


def test_the_deal_is_a_permutation_so_each_campaign_is_dealt_once_per_round() -> None:
    for n in range(1, 60):
        for i in range(20):
            step, offset = ads.deal(draw(n, i), n)
            assert sorted((offset + k * step) % n for k in range(n)) == list(range(n))


def test_the_book_holds_exactly_the_eligible_campaigns_of_every_customer_and_day(world) -> None:
    customers, campaigns = world
    book = ads.Book(campaigns, customers)
    for day in (epoch_day("2025-06-01"), epoch_day("2026-11-04")):
        for c in range(0, len(customers), 7):
            for code, position in enumerate(ads.POSITIONS):
                ids, _, _ = book.live(99, c, day, code)
                assert ids == ads.eligible(book.targets, customers[c], day, position)


def test_a_sessions_breaks_are_the_plays_from_its_resume_point_and_their_ad_time_is_bounded() -> None:
    for seconds in (600, 1500, 2700, 7200):
        for p0 in (0, 100, 900, 1000):
            for span in (1, 800, seconds - p0):
                done = p0 + span == seconds
                mids = [at - p0 for p, at in ads.breaks(seconds, p0 + span, done) if p == "mid_roll" and at > p0]
                got = ads.play_breaks(seconds, p0, span, done)
                assert got[0] == (ads.PRE_ROLL, 0)
                assert [o for p, o in got if p == ads.MID_ROLL] == mids
                assert (got[-1] == (ads.POST_ROLL, span)) == done
        assert ads.max_ad_ms(seconds) == ads.max_ad_seconds(seconds) * 1000 + ads.AD_EVENT_MS * sum(
            max(ads.POD_SIZES[p]) for p, _ in ads.breaks(seconds, seconds + 1, True)
        )


def test_one_play_never_starts_two_breaks_of_a_position_in_one_bucket() -> None:
    # Consecutive mid-rolls are 15 content minutes apart and wall time runs at least as fast as content.
    for played in range(0, 4 * 3600, 97):
        mids = [at for p, at in ads.breaks(4 * 3600, played, False) if p == "mid_roll"]
        starts = [at * 1000 for at in mids]
        assert len({s // ads.BUCKET_MS for s in starts}) == len(starts)


def test_a_break_shows_the_buckets_campaigns_in_order_and_an_abandoned_ad_ends_it(world) -> None:
    _, campaigns = world
    tgts = ads.targets(campaigns)
    schedule = {5: (0, 1, 2, 3)}
    complete = [d for d in (draw(5, i) for i in range(200)) if ads.ad_completes("tv", d)]
    quit_ = next(d for d in (draw(6, i) for i in range(200)) if not ads.ad_completes("tv", d))
    four = next(d for d in (draw(8, i) for i in range(100)) if ads.pod_size("mid_roll", d) == 4)
    shown = ads.break_ads(tgts, schedule[5], "mid_roll", "tv", four, complete[:4])
    assert [a.target for a in shown] == [0, 1, 2, 3] and all(a.completed for a in shown)
    assert [a.ran_ms for a in shown] == [tgts[i].seconds * 1000 for i in range(4)]
    shown = ads.break_ads(tgts, schedule[5], "mid_roll", "tv", four, [complete[0], quit_, *complete[1:3]])
    assert [a.completed for a in shown] == [True, False] and shown[1].ran_ms < tgts[1].seconds * 1000
    assert ads.break_ads(tgts, schedule.get(6, ()), "mid_roll", "tv", four, complete[:4]) == []


def test_campaigns_buy_in_stream_breaks_run_in_stream_and_advertisers_fit_their_industry(world) -> None:
    from functions.shared.dimensions import ADVERTISER_WORDS

    _, campaigns = world
    for c in campaigns:
        assert c["ad_format"] in ads.POSITIONS and c["placement_type"] == "in_stream"
        assert c["ad_duration_seconds"] in domains.AD_FORMATS[c["ad_format"]]
        assert c["advertiser_name"].split()[-1] in ADVERTISER_WORDS[c["industry"]]


def test_the_tables_delivery_figures_are_the_models_expectation_and_money_follows_impressions(world) -> None:
    customers, campaigns = world
    expected = ads.delivery(campaigns, customers)
    for c in campaigns:
        d = expected[c["campaign_id"]]
        assert c["impressions"] == round(d.impressions)
        assert c["unique_viewers"] <= c["impressions"]
        if c["impressions"]:
            assert c["spent_amount"] == pytest.approx(c["impressions"] * c["cost_per_mille"] / 1000, abs=0.01)
            assert ads.CPM_RANGE[0] - 0.01 <= c["cost_per_mille"] <= ads.CPM_RANGE[1] + 0.01
            assert c["spent_amount"] <= c["total_budget"]
    # A campaign nobody its targeting takes could watch delivers nothing.
    nobody = ads.delivery(campaigns, [c for c in customers if c["subscription_tier"] == "premium"])
    assert all(d.impressions == 0 for d in nobody.values())


def test_the_default_tables_claim_a_plausible_volume_for_their_audience() -> None:
    # Issue 17: the seed's table claimed 1.49 billion impressions for 1,000 customers. Now the whole table is what
    # ~160 ad-tier subscribers at ~2 h a day can be shown over the slate's four years.
    dims = generate_dimensions(customers=1000, titles=50, campaigns=1000)
    total = sum(c["impressions"] for c in dims.campaigns)
    ad_viewer_days = 1000 * (1 / 3) * 0.45 * 4 * 365
    assert total < ad_viewer_days * ads.HOURS_PER_SUBSCRIBER_DAY * sum(ads.OPPORTUNITIES_PER_VIEWING_HOUR.values())
    assert total > 1_000_000


def test_a_sample_of_the_ad_tier_customers_gives_the_whole_tables_delivery_within_a_few_percent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.shared import ads as ad_model
    from functions.shared.dimensions import world_dimensions

    dims = world_dimensions(3, 8000, 200, 300)
    watching = sum(ad_model.sees_ads(str(c["subscription_tier"])) for c in dims.customers)
    monkeypatch.setattr(ad_model, "DELIVERY_SAMPLE", len(dims.customers))  # every index read
    whole = ad_model.delivery(dims.campaigns, dims.customers)
    monkeypatch.undo()
    assert watching > 2 * ad_model.DELIVERY_SAMPLE, "the sample must follow fewer than half of them"
    sampled = ad_model.delivery(dims.campaigns, dims.customers)
    total = sum(d.impressions for d in whole.values())
    assert abs(sum(d.impressions for d in sampled.values()) / total - 1) < 0.05
    big = [k for k, d in whole.items() if d.impressions >= total / len(whole)]
    ratios = sorted(sampled[k].impressions / whole[k].impressions for k in big)
    assert 0.9 < ratios[len(ratios) // 2] < 1.1


def test_the_delivery_from_customers_per_index_is_the_delivery_from_the_customers_table() -> None:
    """ads.delivery reads the same indices of people.Customers (what the stack passes: no row built) as of the table's
    rows, and the same columns, so the uploaded figures are those of the table; above the sample, by index."""
    from functions.shared import people

    campaigns = generate_campaigns(60, SEED, delivery=False)
    assert list(ads.sample_indices(300)) == list(range(300)) and len(ads.sample_indices(2000)) < 2000
    for count in (300, 2000):
        table = ads.delivery(campaigns, generate_customers(count, SEED))
        assert ads.delivery(campaigns, people.Customers(SEED, count)) == table
        assert sum(d.impressions for d in table.values()) > 0


def test_the_delivery_reads_the_same_few_customers_whatever_the_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 21.75 million customers (batchSize 1,000,000's audience) ads.delivery makes the traits of the sample's
    ~1,300 evenly spaced indices only, and each ad-tier one stands for count / sample customers."""
    from functions.shared import people

    count = 21_750_000
    made: list[int] = []
    traits = people.traits
    monkeypatch.setattr(people, "traits", lambda seed, n, i: made.append(i) or traits(seed, n, i))
    picks = ads.sample_indices(count)
    assert len(picks) == math.ceil(ads.DELIVERY_SAMPLE / ads.AD_TIER_SHARE)
    gaps = {b - a for a, b in itertools.pairwise(picks)}
    assert max(gaps) - min(gaps) <= 1 and picks[0] < min(gaps) and count - picks[-1] <= max(gaps)
    campaigns = generate_campaigns(30, SEED, delivery=False)
    big = ads.delivery(campaigns, people.Customers(SEED, count))
    assert sorted(set(made)) == list(picks)
    small = ads.delivery(campaigns, people.Customers(SEED, count // 1000))
    ratio = sum(d.impressions for d in big.values()) / sum(d.impressions for d in small.values())
    assert ratio == pytest.approx(1000, rel=0.1)
