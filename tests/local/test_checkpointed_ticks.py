"""The local stack runs the generator as the stack does: its admission pass checkpointed in a (moto) state bucket,
a pass too long for the generator's timeout continued by a chain of invocations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from functions.generator import events
from functions.generator.events import epoch_ms, window_events
from functions.shared.domains import STATE_PREFIX
from local import moto_setup
from local.moto_setup import LocalStack
from local.settings import load_settings

END = epoch_ms(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))
TICK = 300_000


@pytest.fixture(autouse=True)
def cold() -> None:
    events.clear_window_cache()


def _checkpoints(stack: LocalStack) -> list[str]:
    listed = stack.s3.list_objects_v2(Bucket=stack.state_bucket, Prefix=STATE_PREFIX)
    return [o["Key"] for o in listed.get("Contents", [])]


def _fast_clock(timeout_ms: int) -> Callable[[], int]:
    """A clock whose every read is half a second: the pass gets ~70 slots an invocation."""
    left = [timeout_ms]

    def time_left() -> int:
        left[0] -= 500
        return left[0]

    return time_left


def test_local_ticks_checkpoint_the_pass_and_one_that_outlasts_the_timeout_goes_on_in_a_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = load_settings("dev").but(batch_size=20)
    with LocalStack(quiet, tmp_path, seed=4) as stack:
        assert stack.world.exclusive
        first = stack.tick(END - TICK, END)
        second = stack.tick(END, END + TICK)
        assert (first["pass_from"], second["pass_from"]) == ("none", "memory")
        assert second["pass_began"] == stack.world.slot_range(END - TICK, END).stop
        assert [k.rsplit("/", 1)[1] for k in _checkpoints(stack)] == [
            f"{first['pass_position']:010d}.pass",
            f"{second['pass_position']:010d}.pass",
        ]
        made = window_events(stack.world, END - TICK, END + TICK)
        assert first["events"] + second["events"] == len(made) == len(stack.lambda_client.accepted_event_ids)
        assert set(stack.lambda_client.accepted_event_ids) == {e["event_id"] for e in made}

        later = END + 2 * 86_400_000  # two days on: no checkpoint near, a bootstrap
        events.clear_window_cache()
        monkeypatch.setattr(moto_setup, "time_left", _fast_clock)  # the generator invocations' clock
        summary = stack.tick(later - TICK, later)
        assert summary["pass_done"] is False and summary["next_hop"] == 1  # the rest went on in a chain
        assert len(_checkpoints(stack)) >= 2 + 3  # one a link, the last link's included
        made = window_events(stack.world, later - TICK, later)
        before = first["events"] + second["events"]
        assert summary["events"] == len(made) == len(stack.lambda_client.accepted_event_ids) - before > 0
