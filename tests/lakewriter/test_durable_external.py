"""A journaled stretch that ends in an external commit (an Iceberg snapshot): that commit is its point of no return,
in process and for `recover` after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewriter import durable


class Table:
    """An external commit that remembers commit ids, and can fail before or after taking one."""

    def __init__(self, fail: str | None = None) -> None:
        self.ids: list[str] = []
        self.fail = fail

    def commit(self, record: dict) -> None:
        if self.fail == "before":
            raise RuntimeError("the catalog refused the commit")
        self.ids.append(record["commit"])
        if self.fail == "after":
            raise KeyboardInterrupt  # Ctrl-C on the way back: the commit is in

    def committed(self, record: dict) -> bool:
        return record["commit"] in self.ids


def settle(state: dict, record: dict) -> dict:
    state.setdefault("stretches", []).append(record["stretch"])
    return state


def _stage(lake: Path) -> tuple[Path, Path]:
    staged = lake / "_staging" / "x" / "data" / "f.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"rows")
    return staged, lake / "data" / "f.parquet"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    durable.write_state(tmp_path / "state.json", {})
    return tmp_path


def test_a_stretch_is_recorded_once_its_external_commit_is_made(lake: Path) -> None:
    table = Table()
    staged, final = _stage(lake)
    journal = durable.Journal(lake, lake / "state.json", {"stretch": 1}, settle, external=table)
    journal.commit([(staged, final)])
    state = durable.read_state(lake / "state.json")
    assert final.read_bytes() == b"rows" and state["stretches"] == [1] and "pending" not in state
    assert table.ids == [journal.record["commit"]]


def test_a_refused_external_commit_undoes_the_moves(lake: Path) -> None:
    staged, final = _stage(lake)
    journal = durable.Journal(lake, lake / "state.json", {"stretch": 1}, settle, external=Table(fail="before"))
    with pytest.raises(RuntimeError, match="refused"):
        journal.commit([(staged, final)])
    assert not final.exists() and durable.read_state(lake / "state.json") == {}


def test_an_interrupt_after_the_external_commit_records_the_stretch(lake: Path) -> None:
    table = Table(fail="after")
    staged, final = _stage(lake)
    journal = durable.Journal(lake, lake / "state.json", {"stretch": 1}, settle, external=table)
    with pytest.raises(KeyboardInterrupt):
        journal.commit([(staged, final)])
    assert final.exists() and durable.read_state(lake / "state.json")["stretches"] == [1]
    assert len(table.ids) == 1  # not committed twice


@pytest.mark.parametrize("made", [True, False])
def test_recover_finishes_a_stretch_whose_external_commit_happened_and_undoes_one_whose_did_not(
    lake: Path, made: bool
) -> None:
    table = Table()
    staged, final = _stage(lake)
    journal = durable.Journal(lake, lake / "state.json", {"stretch": 1}, settle, external=table)
    journal.begin([(staged, final)])
    durable.apply_moves(lake, [("_staging/x/data/f.parquet", "data/f.parquet")])
    if made:
        table.commit(journal.record)
    # ... the process dies here: the intent is pending
    outcome = durable.recover(lake, lake / "state.json", settle, committed=table.committed)
    state = durable.read_state(lake / "state.json")
    assert "pending" not in state and not (lake / "_staging").exists()
    if made:
        assert outcome == "finished" and final.exists() and state["stretches"] == [1]
    else:
        assert outcome == "undone" and not final.exists() and "stretches" not in state


def test_recover_refuses_an_external_intent_without_a_way_to_check_it(lake: Path) -> None:
    staged, final = _stage(lake)
    durable.Journal(lake, lake / "state.json", {"stretch": 1}, settle, external=Table()).begin([(staged, final)])
    with pytest.raises(durable.StateError, match="needs its table"):
        durable.recover(lake, lake / "state.json", settle)
