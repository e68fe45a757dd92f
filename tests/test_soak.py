"""The short soak (benchmarks/soak.py): mixed load with a kill -9 and a restart half-way, then nothing lost,
the credits ledger balanced, no orphan process, no file the database does not own and no server error."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def soaked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import soak

    folder: Path = tmp_path_factory.mktemp("soak")
    return soak.run(minutes=0.75, clients=3, seed=7, data_dir=folder / "run")


def test_the_soak_did_real_work(soaked: dict[str, Any]):
    assert soaked["kills"] == 1
    assert soaked["requests"] > 60 and soaked["turns_started"] > 10
    assert soaked["by_action"].get("drop_stream", 0) > 0 and soaked["by_action"].get("upload", 0) > 0


def test_no_turn_is_lost_or_stuck(soaked: dict[str, Any]):
    assert soaked["lost_turns"] == [] and soaked["stuck"] == []
    assert set(soaked["turn_statuses"]) <= {"done", "failed", "refused", "interrupted"}


def test_the_credits_ledger_balances(soaked: dict[str, Any]):
    assert soaked["ledger_errors"] == [] and soaked["frozen_credits"] == 0


def test_no_child_process_outlives_its_backend(soaked: dict[str, Any]):
    assert soaked["orphans"] == []


def test_no_server_error(soaked: dict[str, Any]):
    assert soaked["server_errors"] == 0


def test_no_file_the_database_does_not_own(soaked: dict[str, Any]):
    assert soaked["leftover_files"] == []
