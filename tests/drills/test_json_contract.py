"""The --json contract of a drill that ran (tests/unit/test_json_contract.py has the why; `drill --dry-run` is pinned
there): kill-task against moto's ECS and ELB, the recovery played by tests/drills/conftest.py's ControlPlane."""

from __future__ import annotations

import pytest

from tests.drills.conftest import ControlPlane, World, run_cli
from tests.fixtures.json_contract import check_case

CASES = {"drill kill-task": "drill"}


def test_drill_kill_task(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # outputs read from the stack are the recorded ones, as in tests/drills/test_ecs_drills.py
    monkeypatch.setattr("chromactl.drills.core.read_stack", lambda *a, **k: world.outputs())
    with ControlPlane(world.stack, start_delay=0.3, health_delay=0.2):
        res = run_cli("--json", "drill", "kill-task", "--env", "dev", "--timeout", "30", "--poll-seconds", "0.1")
    assert res.code == 0, res.err
    check_case("drill kill-task", "drill", res.out)
