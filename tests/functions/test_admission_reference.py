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

    def bound(self, slot: int, sk: int, scope: wm.Viewers | None = None) -> tuple[int, int, int, int]:
        """(attempt, until when it holds its device and a stream if played, customer, device) of one candidate
        (`scope`: a live surge's extra one's viewers)."""
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
        title = world.played_title(customer, day.title[field], slot) if customer >= 0 else day.title[field]
        duration, title_type = catalogue.seconds[title], day.types[field]
        sees_ads = self.ad_tier[customer]
        bound = concurrency.end_bound(sk, base, duration, title_type, screen)
        bound += concurrency.ad_bound(sk, duration, title_type, screen, sees_ads)
        completes = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[screen * _N_TYPES + title_type]
        allowed = catalogue.links_out(title, plan.day)
        if completes and allowed:
            bound += concurrency.chain_links(sk, screen, title, allowed, catalogue.next, catalogue.seconds, sees_ads)[2]
        return concurrency.attempt_ms(sk, base), concurrency.ad_hold(bound, sees_ads), customer, device

    def judge(self, slot: int, *, played_only: bool) -> bytes:
        slot_key = wm.draw(self.world.key, slot)
        plan = self.world.hour(slot // 60)
        own = plan.whole + ((slot_key >> 11) < plan.threshold)
        scopes = [None] * own + [v for n, v in self.world.slot_surges(slot, plan) for _ in range(n)]
        assert len(scopes) == self.world.slot_count(slot)
        flags = bytearray()
        for i, scope in enumerate(scopes):
            attempt, bound, customer, device = self.bound(slot, wm.draw(slot_key, i + 1), scope)
            busy = self.device_until.get(device, 0)
            top = self.household.setdefault(customer, [0] * self.limits[customer])
            least = min(top)
            played = busy <= attempt and least <= attempt
            flags.append(played)
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
    refused = judged = 0
    for slot in range(day, day + 1440):
        want = reference.judge(slot, played_only=True)
        assert fast.admitted(slot) == want, f"slot {slot}"
        judged += len(want)
        refused += want.count(0)
    # The day must exercise the rule: some candidates refused by a busy device or a full plan.
    assert judged > 500 and refused > 50, (judged, refused)


def test_the_backfills_compiled_admission_pass_gives_the_generators_verdicts() -> None:
    from lakewriter.backfill import model

    world = busy_day.world()
    catalog = model.Catalog.from_dimensions(busy_day.dims())
    day = concurrency.pass_start(busy_day.DAY_MS // wm.SLOT_MS + 12 * 60)
    fast = concurrency.Admission(world)
    generated = b"".join(fast.admitted(slot) for slot in range(day, day + 1440))
    compiled = model.admission_verdicts(world, catalog, day, day + 1440)
    assert compiled.tobytes() == generated and generated.count(0) > 50


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
