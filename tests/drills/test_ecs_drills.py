"""kill-task and az-loss against moto's server, with the simulated ECS control plane
(see conftest), smoke against a real Chroma behind a real nginx enforcing the token.

Proves: the drill measures the time the control plane takes (not a constant),
the replacement is a new task (outside the lost AZ for az-loss), the wait is
bounded, and after an injected failure mid-drill what the drill changed is
undone (subnets restored; desired count restored)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from chromactl.drills.core import run_drill

from tests.drills.conftest import NAME, REGION, ControlPlane, SimulatedEcs, World, quiet, run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import hang_guard

FAST = {"poll_s": 0.05, "timeout_s": 20.0}


def drill(world: World, scenario: str, *, ecs: Any = None, elbv2: Any = None, **kw: Any) -> Any:
    overrides = {}
    if ecs is not None:
        overrides["ecs"] = ecs
    if elbv2 is not None:
        overrides["elbv2"] = elbv2
    opts = {**FAST, **kw}
    return run_drill("dev", scenario, output=quiet(), factory=world.factory(**overrides), outputs=world.outputs(), **opts)


def test_kill_task_measures_the_replacement_then_smokes(world: World) -> None:
    stack = world.stack
    (before,) = stack.running_tasks()
    with ControlPlane(stack, start_delay=0.8, health_delay=0.5) as plane:
        result = drill(world, "kill-task")
    assert not plane.errors, plane.errors
    data = result.to_dict()
    assert result.passed, data
    # the measured recovery covers the control plane's delays (start 0.8 s + health 0.5 s), not a constant
    assert 1.3 <= result.measured_s < hang_guard(1.3), data
    assert result.details["new_task_running_s"] >= 0.8
    assert result.details["target_healthy_s"] >= result.details["new_task_running_s"]
    assert data["target_seconds"] == 15 * 60 and data["within_target"] is True
    (after,) = stack.running_tasks()
    assert after["taskArn"] != before["taskArn"]
    assert result.details["stopped_task"]["arn"] == before["taskArn"]
    stopped = stack.boto("ecs").describe_tasks(cluster=NAME, tasks=[before["taskArn"]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED" and stopped["stoppedReason"] == "chromactl drill kill-task"
    assert result.checks["smoke"] is True and data["details"]["smoke"]["cleaned_up"] is True
    assert [c["name"] for c in data["cleanup"]] == ["service desired count"] and data["cleanup_ok"]
    print(f"\nkill-task: recovered in {result.measured_s:.2f} s (new task RUNNING at {result.details['new_task_running_s']:.2f} s, "
          f"healthy at {result.details['target_healthy_s']:.2f} s)")


def test_kill_task_wait_is_bounded(world: World) -> None:
    """No control plane: nothing replaces the task; the drill gives up at --timeout and fails."""
    started = time.monotonic()
    result = drill(world, "kill-task", timeout_s=1.5)
    elapsed = time.monotonic() - started
    assert not result.passed and result.measured_s is None
    assert "Gave up waiting" in result.error and "1.5 s" in result.error
    assert elapsed < hang_guard(1.5), elapsed
    assert result.to_dict()["cleanup_ok"]


def test_kill_task_restores_desired_count_after_failure_mid_drill(world: World) -> None:
    """Mid-drill the service is scaled to 0 (an operator, an autoscaler) and ECS stops answering:
    the drill fails and the cleanup puts the desired count back."""
    stack = world.stack
    ecs = SimulatedEcs(stack.boto("ecs"), None, stack)
    real_stop = ecs.__getattr__("stop_task")

    def stop_then_scale(**kw: Any) -> Any:
        out = real_stop(**kw)
        stack.boto("ecs").update_service(cluster=NAME, service=NAME, desiredCount=0)
        ecs.fail_on["list_tasks"] = 1  # the next poll fails
        return out

    ecs.stop_task = stop_then_scale  # type: ignore[method-assign]
    result = drill(world, "kill-task", ecs=ecs)
    assert not result.passed and "cannot reach AWS" in result.error
    (entry,) = result.cleanup
    assert entry["ok"] and entry["verified"] and "set back from 0 to 1" in entry["detail"]
    assert stack.boto("ecs").describe_services(cluster=NAME, services=[NAME])["services"][0]["desiredCount"] == 1


def test_az_loss_recovers_outside_the_lost_az_and_restores_subnets(world: World) -> None:
    stack = world.stack
    original = stack.service_subnets()
    (before,) = stack.running_tasks()
    with ControlPlane(stack, start_delay=0.6, health_delay=0.3) as plane:
        ecs = SimulatedEcs(stack.boto("ecs"), plane, stack)
        result = drill(world, "az-loss", ecs=ecs)
    assert not plane.errors, plane.errors
    data = result.to_dict()
    assert result.passed, data
    lost = result.details["lost_az"]
    assert lost == f"{REGION}a"  # the first task runs in the first subnet (AZ a)
    assert len(result.details["remaining_subnets"]) == 2
    (replacement,) = result.details["replacement"]
    assert replacement["az"] != lost and replacement["subnet"] in result.details["remaining_subnets"]
    assert replacement["arn"] != before["taskArn"]
    assert 0.9 <= result.measured_s < hang_guard(0.9) and result.details["service_stable_s"] <= result.measured_s + 0.5
    # update_service was called twice: narrowed, then restored (both forcing a deployment)
    assert ecs.calls.count("update_service") == 2
    assert stack.service_subnets() == original
    assert data["cleanup"][0]["name"] == "service subnets" and data["cleanup"][0]["verified"]
    assert result.checks == {"smoke": True, "stable_after_restore": True}
    print(f"\naz-loss: lost {lost}, recovered in {result.measured_s:.2f} s in {replacement['az']}; "
          f"settled after the restore in {result.details['settled_after_restore_s']} s")


def test_az_loss_restores_subnets_after_failure_mid_drill(world: World) -> None:
    """ECS stops answering right after the subnets were narrowed: the drill fails, the subnets come back."""
    stack = world.stack
    original = stack.service_subnets()
    with ControlPlane(stack, start_delay=0.3, health_delay=0.1) as plane:
        ecs = SimulatedEcs(stack.boto("ecs"), plane, stack)
        real_update = ecs.__getattr__("update_service")
        calls = {"n": 0}

        def update_then_fail(**kw: Any) -> Any:
            calls["n"] += 1
            out = real_update(**kw)
            if calls["n"] == 1:
                assert len(stack.service_subnets()) == 2  # the AZ really was removed
                ecs.fail_on["list_tasks"] = 1
            return out

        ecs.update_service = update_then_fail  # type: ignore[method-assign]
        result = drill(world, "az-loss", ecs=ecs)
    assert not result.passed and "cannot reach AWS" in result.error and result.measured_s is None
    assert stack.service_subnets() == original
    (entry,) = result.cleanup
    assert entry["ok"] and entry["verified"] and "restored" in entry["detail"]


def test_protected_env_refused_before_anything_changes(world: World) -> None:
    stack = world.stack
    (before,) = stack.running_tasks()
    res = run_cli("drill", "kill-task", "--env", "prod")
    assert res.code == 2 and "protected" in res.err and "--confirm-env prod" in res.err and "Traceback" not in res.err
    # the old opt-in flag still parses; with --yes it is still not the env's name
    res = run_cli("drill", "az-loss", "--env", "prod", "--i-know-this-is-protected", "--yes")
    assert res.code == 2 and "--yes alone is not enough" in res.err and "--confirm-env prod" in res.err
    (after,) = stack.running_tasks()
    assert after["taskArn"] == before["taskArn"] and stack.service_subnets() == list(stack.subnets)


def test_bad_input_is_a_usage_error(world: World) -> None:
    res = run_cli("drill", "meteor-strike", "--env", "dev")
    assert res.code == 2 and "meteor-strike" in res.err and "kill-task" in res.err  # Click names the choices (a Choice: completable)
    res = run_cli("drill", "kill-task", "--env", "dev", "--timeout", "0")
    assert res.code == 2 and "--timeout" in res.err
    res = run_cli("drill", "kill-task", "--env", "nope")
    assert res.code == 2 and "Unknown env" in res.err


def test_cli_kill_task_json_and_exit_code(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verb end to end (outputs read from the stack are replaced by the recorded ones)."""
    monkeypatch.setattr("chromactl.drills.core.read_stack", lambda *a, **k: world.outputs())
    with ControlPlane(world.stack, start_delay=0.3, health_delay=0.2):
        res = run_cli("drill", "kill-task", "--env", "dev", "--timeout", "30", "--poll-seconds", "0.1", "--json")
    assert res.code == 0, res.err
    data = result_of(res.out)
    assert data["passed"] and data["scenario"] == "kill-task" and data["measured_seconds"] > 0
    assert data["target_seconds"] == 900 and data["target_source"].startswith("env slo.rto_minutes")
    # a target the recovery cannot meet: exit 1, the measured time still reported
    with ControlPlane(world.stack, start_delay=1.2, health_delay=0.2):
        res = run_cli("drill", "kill-task", "--env", "dev", "--poll-seconds", "0.1", "--target-seconds", "0.5")
    assert res.code == 1
    assert "FAIL" in res.out and "target 0.5 s" in res.out
