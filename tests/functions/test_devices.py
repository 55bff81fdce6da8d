"""Households' devices (functions.shared.devices): what each owns by country and plan, and that plays use them."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from functions.generator.events import clear_window_cache, device_identity, epoch_ms, window_events
from functions.shared import devices, domains, plays
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import World
from local.bands import DEVICE_SHARE_TV_EUROPE, DEVICE_SHARE_TV_NORTH_AMERICA

HOUSEHOLDS = 4000
TIERS = tuple(domains.SUBSCRIPTION_TIERS)


def _households(country: str, tier: str, n: int = HOUSEHOLDS) -> list[tuple[int, int, int, int]]:
    return [devices.owned(f"cust_{i:06d}", country, tier) for i in range(n)]


def _time_shares(country: str, tier: str, n: int = HOUSEHOLDS) -> list[float]:
    """Share of viewing time (%) by type over n households of equal propensity: each play's screen from the
    household's 64-entry table, its minutes the type's relative minutes per play."""
    time = [0.0] * len(devices.TYPES)
    for counts in _households(country, tier, n):
        slot_type = [t for t, k in enumerate(counts) for _ in range(k)]
        for slot in devices.table(counts, country, tier):
            time[slot_type[slot]] += devices.MINUTES_PER_PLAY[slot_type[slot]]
    total = sum(time)
    return [100 * x / total for x in time]


def _mixed(country: str) -> list[float]:
    """Time shares of a country's households over the plans in domains.SUBSCRIPTION_TIER_SHARES."""
    out = [0.0] * len(devices.TYPES)
    for tier, weight in domains.SUBSCRIPTION_TIER_SHARES.items():
        for t, share in enumerate(_time_shares(country, tier, HOUSEHOLDS // 4)):
            out[t] += weight * share
    return out


def test_every_household_owns_a_phone_and_at_most_three_tvs_and_premium_ones_a_tv() -> None:
    for country in ("US", "GB", "IN", "BR"):
        for tier in TIERS:
            for mobile, web, tv, tablet in _households(country, tier, 1000):
                assert 1 <= mobile <= 4 and 0 <= web <= 2 and 0 <= tv <= 3 and 0 <= tablet <= 1
                assert tier != "premium" or tv >= 1


def test_ownership_is_a_pure_function_of_customer_country_and_plan() -> None:
    assert devices.owned("cust_000007", "US", "standard") == devices.owned("cust_000007", "US", "standard")
    seen = {devices.owned(f"cust_{i:06d}", "US", "standard") for i in range(200)}
    assert len(seen) > 20  # households differ


def test_tvs_are_owned_as_the_market_says_and_premium_households_own_more() -> None:
    def tv_owning(country: str, tier: str) -> float:
        return sum(h[devices.TV] > 0 for h in _households(country, tier)) / HOUSEHOLDS

    def tvs(country: str, tier: str) -> float:
        return sum(h[devices.TV] for h in _households(country, tier)) / HOUSEHOLDS

    assert 0.95 <= tv_owning("US", "standard") <= 1.0  # Nielsen: ~96 % of US homes have a TV
    assert 0.55 <= tv_owning("IN", "standard") <= 0.75  # BARC: ~70 % of Indian households
    assert tvs("US", "premium") > tvs("US", "standard") + 0.2 > tvs("US", "free_with_ads") + 0.2
    per_household = sum(sum(h) for h in _households("US", "standard")) / HOUSEHOLDS
    assert 3.0 <= per_household <= 6.5  # one to a few screens of each kind (docs/devices.md)


def test_a_households_table_plays_only_its_own_devices_each_at_least_once() -> None:
    for country in ("US", "DE", "IN"):
        for tier in TIERS:
            for counts in _households(country, tier, 300):
                table = devices.table(counts, country, tier)
                assert len(table) == devices.TABLE_SIZE
                assert set(table) == set(range(sum(counts)))  # every owned device, nothing else
                if counts[devices.TV] > 1:  # the main TV plays at least as often as another
                    first = sum(counts[: devices.TV])
                    assert table.count(first) >= table.count(first + 1)


def test_viewing_time_by_screen_follows_each_market_within_its_band() -> None:
    us, gb, india, brazil = _mixed("US"), _mixed("GB"), _mixed("IN"), _mixed("BR")
    assert DEVICE_SHARE_TV_NORTH_AMERICA.holds(us[devices.TV]), us
    assert DEVICE_SHARE_TV_EUROPE.holds(gb[devices.TV]), gb
    # Conviva Q4 2021: big screens 70 % in South America, 27 % in Asia, where phones lead
    assert 60 <= brazil[devices.TV] <= 78, brazil
    assert 15 <= india[devices.TV] <= 35 and india[devices.MOBILE] > 40, india
    assert us[devices.TV] > gb[devices.TV] + 5 > india[devices.TV] + 5


def test_the_ad_tier_skews_to_phones_and_premium_to_tvs() -> None:
    shares = {tier: _time_shares("US", tier) for tier in TIERS}
    tv = [shares[t][devices.TV] for t in TIERS]
    mobile = [shares[t][devices.MOBILE] for t in TIERS]
    assert tv == sorted(tv) and mobile == sorted(mobile, reverse=True)  # TIERS go from the ad tier to premium
    assert mobile[0] - mobile[-1] >= 5


def test_households_give_each_device_an_id_and_keep_the_first_of_a_types_old_id() -> None:
    dims = generate_dimensions(seed=3, customers=300, titles=20, campaigns=1)
    homes = devices.Households(dims.customers)
    for c, row in enumerate(dims.customers):
        screens, slots = homes.of(c)
        assert set(screens) == set(range(len(slots)))  # every device owned takes a share of the plays
        assert all(homes.slot(c * devices.MAX_DEVICES + k) == (t, i, c) for k, (t, i) in enumerate(slots))
        counts = devices.owned(row["customer_id"], row["country"], row["subscription_tier"])
        assert collections.Counter(t for t, _ in slots) == {t: n for t, n in enumerate(counts) if n}
        ids = [device_identity(row["customer_id"], devices.TYPES[t], i)[0] for t, i in slots]
        assert len(set(ids)) == len(ids)
    assert device_identity("cust_000001", "tv", 0) == device_identity("cust_000001", "tv")


@pytest.fixture(scope="module")
def ticks() -> tuple[World, list[dict]]:
    dims = generate_dimensions(seed=11, customers=1000, titles=120, campaigns=1)
    world = World(7, dims, 20)
    start = epoch_ms(dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC))
    clear_window_cache()
    events = [e for i in range(96) for e in window_events(world, start + i * 300_000, start + (i + 1) * 300_000)]
    return world, events


def test_every_play_is_on_a_device_its_household_owns(ticks: tuple[World, list[dict]]) -> None:
    world, events = ticks
    lay = world.devices
    index = {c["customer_id"]: i for i, c in enumerate(world.customers)}
    assert len(events) > 1200
    for ev in events:
        c = index[ev["customer_id"]]
        owned = {device_identity(ev["customer_id"], devices.TYPES[t], i)[0]: devices.TYPES[t] for t, i in lay.of(c)[1]}
        assert owned.get(ev["device_id"]) == ev["device_type"], ev["session_id"]


def test_two_tvs_of_one_household_play_at_once_while_each_device_plays_one_session(
    ticks: tuple[World, list[dict]],
) -> None:
    """Admission judges per device_id: a household's second TV may play beside its first (within the plan)."""
    world, events = ticks
    assert world.exclusive  # the audience carries the volume: the admission pass applies
    span: dict[str, list] = {}
    for ev in events:
        t = ev["event_timestamp"]
        s = span.setdefault(ev["session_id"], [t, t, ev["customer_id"], ev["device_id"], ev["device_type"]])
        s[0], s[1] = min(s[0], t), max(s[1], t)
    by_household = collections.defaultdict(list)
    for s in span.values():
        by_household[s[2]].append(s)
    two_tvs = same_device = 0
    for sessions in by_household.values():
        for i, a in enumerate(sessions):
            for b in sessions[i + 1 :]:
                if a[0] < b[1] and b[0] < a[1]:
                    same_device += a[3] == b[3]
                    two_tvs += a[3] != b[3] and a[4] == b[4] == "tv"
    assert same_device == 0
    assert two_tvs > 0


def test_the_keys_any_screen_end_bound_is_at_least_every_screens() -> None:
    """What lets a window reject a session from its key before drawing its viewer: on no screen does a play complete
    where the any-screen bound says it stops, nor a stopped play run longer than that bound's fraction."""
    n_types = len(domains.TITLE_TYPES)
    for screen in range(len(devices.TYPES)):
        for title_type in range(n_types):
            assert plays.COMPLETE_BELOW[screen * n_types + title_type] <= plays.COMPLETE_BELOW_ANY[title_type]
        assert all(a <= b for a, b in zip(plays.STOP_FRACTION[screen], plays.STOP_FRACTION_ANY, strict=True))
