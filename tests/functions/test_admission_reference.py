"""The generator's admission pass (concurrency.Admission, whose `_judge` inlines the bounds for speed) gives the
verdicts that the module's readable definitions give: attempt_ms, end_bound, ad_bound, chain_links and ad_hold over
World.pick_customer and World.device. The proof in concurrency.py is about those definitions, so this is what makes it
hold for the code that runs; the compiled backfill pass (lakewriter/backfill/admission.py) gives the same verdicts."""

from __future__ import annotations

from functions.shared import concurrency, plays
from functions.shared import world as wm
from tests.functions import busy_day

_N_TYPES = len(plays.COMPLETE_BELOW) // len(plays.STOP_FRACTION)


class ReferencePass:
    """One admission day judged with the readable definitions, written for clarity, not speed."""

    def __init__(self, world: wm.World) -> None:
        self.world = world
        self.limits = concurrency.stream_limits(world)
        self.ad_tier = concurrency.ad_tiers(world)
        self.device_until: dict[int, int] = {}
        self.household: dict[int, list[int]] = {}
        self.last: dict[tuple[int, int], tuple[int, int]] = {}
        """(customer, series) -> (the episode after the last one it played of the series this day, that play's slot)."""

    def title(self, slot: int, customer: int, drawn: int, played_only: bool) -> tuple[int, int]:
        """(the title a candidate plays, how many episodes past its household's own, -1 if it plays the drawn
        title): the later of its own episode and the one after its last play of the series within
        CONTINUE_WITHIN_SLOTS, if out that day."""
        world, catalogue = self.world, self.world.catalogue
        own = world.followed_episode(customer, drawn, slot) if customer >= 0 else -1
        if own < 0:
            return drawn, -1
        if not played_only:
            return own, 0  # the look-back: no earlier play known
        after, at = self.last.get((customer, catalogue.series_of[own]), (-1, -1))
        further = catalogue.rank[after] - catalogue.rank[own]
        if (
            after >= 0
            and slot - at <= concurrency.CONTINUE_WITHIN_SLOTS
            and catalogue.release[after] <= slot // 1440
            and 0 < further <= concurrency.MAX_FURTHER
        ):
            return after, further
        return own, 0

    def bound(
        self, slot: int, sk: int, scope: wm.Viewers | None = None, played_only: bool = True
    ) -> tuple[int, int, int, int, int, int]:
        """(attempt, until when it holds its device and a stream if played, customer, device, title, episodes
        further) of one candidate (`scope`: a live surge's extra one's viewers)."""
        world = self.world
        plan = world.hour(slot // 60)
        day = plan.titles
        field = (sk >> wm.TITLE_SHIFT) & 0xFFFF
        base = slot * wm.SLOT_MS
        customer = world.pick_customer(plan, wm.draw(sk, wm.D_VIEWER), day.genres[field], scope)
        device = world.device(customer, sk)
        screen = world.devices.type[device]
        # The title its household plays (its own episode of a series it follows, binge.followed_title).
        catalogue = world.catalogue
        title, further = self.title(slot, customer, day.title[field], played_only)
        duration, title_type = catalogue.seconds[title], day.types[field]
        sees_ads = self.ad_tier[customer]
        bound = concurrency.end_bound(sk, base, duration, title_type, screen)
        bound += concurrency.ad_bound(sk, duration, title_type, screen, sees_ads)
        completes = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[screen * _N_TYPES + title_type]
        allowed = catalogue.links_out(title, plan.day)
        if completes and allowed:
            bound += concurrency.chain_links(sk, screen, title, allowed, catalogue.next, catalogue.seconds, sees_ads)[2]
        if not played_only and further >= 0:  # the look-back holds any episode of the series the household plays
            most, links = catalogue.bound_seconds[title], catalogue.bound_links[title]
            bound = concurrency.end_bound(sk, base, most, title_type, screen)
            bound += concurrency.ad_bound(sk, most, title_type, screen, sees_ads)
            if completes and links:
                bound += concurrency.series_reach(sk, screen, links, most, sees_ads)
        return concurrency.attempt_ms(sk, base), concurrency.ad_hold(bound, sees_ads), customer, device, title, further

    def left_off(self, slot: int, sk: int, customer: int, title: int, screen: int) -> None:
        """Record where a played candidate of a series its household follows leaves it: the episode after its
        chain's last link (by its key)."""
        catalogue = self.world.catalogue
        plan = self.world.hour(slot // 60)
        last = title
        completes = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[screen * _N_TYPES + catalogue.types[title]]
        allowed = catalogue.links_out(title, plan.day)
        if completes and allowed:
            chained = concurrency.chain_links(sk, screen, title, allowed, catalogue.next, catalogue.seconds, False)[1]
            last = chained[-1] if chained else title
        self.last[customer, catalogue.series_of[title]] = (catalogue.next[last], slot)

    def judge(self, slot: int, *, played_only: bool) -> bytes:
        slot_key = wm.draw(self.world.key, slot)
        plan = self.world.hour(slot // 60)
        own = plan.whole + ((slot_key >> 11) < plan.threshold)
        scopes = [None] * own + [v for n, v in self.world.slot_surges(slot, plan) for _ in range(n)]
        assert len(scopes) == self.world.slot_count(slot)
        flags = bytearray()
        for i, scope in enumerate(scopes):
            sk = wm.draw(slot_key, i + 1)
            attempt, bound, customer, device, title, further = self.bound(slot, sk, scope, played_only)
            busy = self.device_until.get(device, 0)
            top = self.household.setdefault(customer, [0] * self.limits[customer])
            least = min(top)
            played = busy <= attempt and least <= attempt
            flags.append(1 + max(further, 0) if played else 0)
            if played and further >= 0 and played_only:
                self.left_off(slot, sk, customer, title, self.world.devices.type[device])
            if played or not played_only:
                self.device_until[device] = max(busy, bound)
                if bound > least:
                    top[top.index(least)] = bound
        return bytes(flags)


def test_the_inlined_admission_pass_gives_the_verdicts_of_the_readable_definitions() -> None:
    world = busy_day.world()
    day = concurrency.pass_start(busy_day.DAY_MS // wm.SLOT_MS + 12 * 60)
    reference = ReferencePass(world)
    for before in range(day - concurrency.lookback_slots(world), day):
        reference.judge(before, played_only=False)
    fast = concurrency.Admission(world)
    refused = judged = further = 0
    for slot in range(day, day + 1440):
        want = reference.judge(slot, played_only=True)
        assert fast.admitted(slot) == want, f"slot {slot}"
        judged += len(want)
        refused += want.count(0)
        further += len(want) - want.count(0) - want.count(1)
    # The day must exercise the rule: some candidates refused by a busy device or a full plan, and some sittings
    # going on past their household's own episode.
    assert judged > 500 and refused > 50 and further > 5, (judged, refused, further)


def test_the_backfills_compiled_admission_pass_gives_the_generators_verdicts() -> None:
    from lakewriter.backfill import model

    world = busy_day.world()
    catalog = model.Catalog.from_dimensions(busy_day.dims())
    day = concurrency.pass_start(busy_day.DAY_MS // wm.SLOT_MS + 12 * 60)
    fast = concurrency.Admission(world)
    generated = b"".join(fast.admitted(slot) for slot in range(day, day + 1440))
    compiled = model.admission_verdicts(world, catalog, day, day + 1440)
    assert compiled.tobytes() == generated and generated.count(0) > 50 and max(generated) > 1


def test_through_a_live_surge_both_passes_give_the_verdicts_of_the_readable_definitions() -> None:
    """A surge's extra candidates follow each slot's own and pick among its scope's subscribers (World.slot_surges):
    the inlined and the compiled pass judge them as the definitions do."""
    from lakewriter.backfill import model
    from tests.functions import test_surge

    world, surge = test_surge.world(), test_surge.surge()
    first = surge.start_ms // wm.SLOT_MS - 30
    slots = range(first, first + 120)
    day = concurrency.pass_start(first)
    reference = ReferencePass(world)
    for before in range(day - concurrency.lookback_slots(world), day):
        reference.judge(before, played_only=False)
    want = b""
    for slot in range(day, slots.stop):
        verdicts = reference.judge(slot, played_only=True)
        want += verdicts if slot >= first else b""
    fast = concurrency.Admission(world)
    assert b"".join(fast.admitted(slot) for slot in slots) == want
    catalog = model.Catalog.from_dimensions(test_surge.dims())
    assert model.admission_verdicts(world, catalog, first, slots.stop).tobytes() == want
    # Not vacuous: the surge's slots hold extra candidates, and some of them are refused.
    extra = sum(n for slot in slots for n, _ in world.slot_surges(slot, world.hour(slot // 60)))
    assert extra > 500 and want.count(0) > 100
