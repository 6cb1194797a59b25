"""What kill-task and az-loss record and say, value by value, on the in-memory ECS/ELBv2/EC2 of
test_drills_teeth.py (strict: every call must name the stack's cluster, service and target group):
the result's identity and steps, the recovery marks on the fake clock, the progress lines, the
AWS step a refusal names, the StopTask reason, the restore's UpdateService and the by-hand command.
Fast tests (the ones `make mutate` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromactl.drills import az_loss, kill_task
from chromactl.drills.common import Clock, DrillResult
from chromactl.drills.core import run_drill
from chromactl.output import Output

from tests.drills.conftest import NAME, REGION
from tests.drills.test_drills_teeth import (  # noqa: F401
    HEALTHY_AFTER,
    OUTPUTS,
    SUBNETS,
    Factory,
    FakeTime,
    Sim,
    env_root,
)

START = 1000.0  # the fake clock's start: a step measured as `now + t0` instead of `now - t0` shows


def drill(sim: Sim, scenario: str, *, output: Output | None = None, target_s: float | None = None,
          smoke_ok: bool = True) -> DrillResult:
    clock = Clock(monotonic=sim.time.monotonic, sleep=sim.time.sleep)
    return run_drill("dev", scenario, output=output or Output(json=True), factory=Factory(sim), outputs=OUTPUTS, timeout_s=30.0,
                     poll_s=0.1, clock=clock, target_s=target_s,
                     smoke=lambda target: (smoke_ok, {"ok": smoke_ok, "url": target.url}))


def at(t: float) -> FakeTime:
    ft = FakeTime()
    ft.now = t
    return ft


def test_kill_task_result_identity_steps_and_marks(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-c", 2.0, None)]])
    result = drill(sim, "kill-task", target_s=120)
    d = result.to_dict()
    assert (d["scenario"], d["env"], d["region"], d["passed"]) == ("kill-task", "dev", REGION, True)
    assert (result.target_s, result.target_source) == (120.0, "--target-seconds")
    assert sim.reasons == [kill_task.REASON] == ["chromactl drill kill-task"]
    steps = {s["name"]: s for s in result.steps}
    assert list(steps) == ["baseline", "stop task", "recover", "smoke"]
    assert 0 <= steps["baseline"]["seconds"] < 60 and steps["baseline"]["task"] == result.details["stopped_task"]["arn"]
    assert steps["stop task"] == {"name": "stop task", "seconds": 0.0}
    # the new task runs 2.0 s after StopTask, its target is healthy HEALTHY_AFTER later; polls are 0.1 s apart
    assert result.details["new_task_running_s"] == pytest.approx(2.0, abs=0.11)
    assert result.details["target_healthy_s"] == pytest.approx(2.0 + HEALTHY_AFTER, abs=0.11)
    assert result.measured_s == result.details["target_healthy_s"]
    assert steps["recover"] == {"name": "recover", "seconds": round(result.measured_s, 2),
                                "new_task_running_s": result.details["new_task_running_s"],
                                "target_healthy_s": result.details["target_healthy_s"]}
    assert steps["smoke"]["ok"] is True and 0 <= steps["smoke"]["seconds"] < 60
    assert result.details["smoke"] == {"ok": True, "url": OUTPUTS["endpoint_url"]} and result.checks == {"smoke": True}
    assert [r["subnet"] for r in result.details["replacement"]] == ["subnet-c"]
    assert result.cleanup == [{"name": "service desired count", "ok": True, "detail": "desired count unchanged (1)",
                               "verified": True, "seconds": result.cleanup[0]["seconds"]}]


def test_kill_task_says_what_it_sees_while_it_waits(env_root: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.3, None)]])
    result = drill(sim, "kill-task", output=Output(json=False))
    assert result.passed
    err = capsys.readouterr().err
    assert "[   0.0s] 0 new RUNNING task(s); healthy targets: none" in err
    assert "[   0.3s] 1 new RUNNING task(s); healthy targets: none" in err
    assert f"] 1 new RUNNING task(s); healthy targets: {result.details['replacement'][0]['ip']}" in err
    assert f"Recovered in {result.measured_s:.1f} s; smoke check ..." in err


def test_kill_task_a_failed_smoke_fails_the_drill(env_root: Path) -> None:  # noqa: F811
    result = drill(Sim(at(START)), "kill-task", smoke_ok=False)
    assert result.ok and result.checks == {"smoke": False} and not result.passed and result.steps[-1]["ok"] is False


def test_kill_task_a_refused_stop_names_the_step_and_changes_nothing(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), refuse={"stop_task"})
    result = drill(sim, "kill-task")
    assert not result.passed and result.error is not None
    assert result.error.startswith("AWS call failed while stopping the task: ")
    assert result.cleanup[0]["detail"] == "desired count unchanged (1)" and sim.updates == []


def test_kill_task_puts_a_changed_desired_count_back(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), desired=2, scripts=[[("subnet-a", 0.5, None), ("subnet-b", 0.5, None)]])
    real_stop = sim.stop_task

    def stop_and_scale(**kw: Any) -> dict[str, Any]:
        sim.desired = 3  # someone (an autoscaler) changed it while the drill ran
        return real_stop(**kw)

    sim.stop_task = stop_and_scale  # type: ignore[method-assign]
    result = drill(sim, "kill-task")
    assert sim.updates[-1] == {"desiredCount": 2} and sim.desired == 2
    assert result.cleanup[0]["detail"] == "desired count set back from 3 to 2" and result.cleanup[0]["ok"]


def test_kill_task_names_the_restore_when_aws_refuses_it(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), refuse={"update_service:aws"})
    sim.stop_task = lambda **kw: (setattr(sim, "desired", 0), Sim.stop_task(sim, **kw))[1]  # type: ignore[method-assign]
    result = drill(sim, "kill-task")
    (entry,) = result.cleanup
    assert entry["ok"] is False and entry["detail"].startswith("AWS call failed while restoring the desired count: ")
    assert entry["manual"] == f"aws ecs update-service --cluster {NAME} --service {NAME} --desired-count 1"


def test_kill_task_counts_a_missing_desired_count_as_zero(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), omit_desired=True)
    result = drill(sim, "kill-task")
    assert result.cleanup[0]["detail"] == "desired count unchanged (0)" and result.cleanup[0]["verified"] is True


# --- az-loss ---------------------------------------------------------------------------------------------------


def test_az_loss_result_identity_steps_marks_and_updates(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 1.0, None)]])
    result = drill(sim, "az-loss")
    d = result.to_dict()
    assert (d["scenario"], d["env"], d["region"], d["passed"]) == ("az-loss", "dev", REGION, True), d
    assert (result.target_s, result.target_source) == (900.0, "env slo.rto_minutes = 15")
    steps = {s["name"]: s for s in result.steps}
    assert list(steps) == ["baseline", "remove AZ", "recover", "smoke"]
    assert steps["baseline"]["lost_az"] == f"{REGION}a" and 0 <= steps["baseline"]["seconds"] < 60
    assert steps["remove AZ"] == {"name": "remove AZ", "seconds": 0.0}
    net = {"securityGroups": ["sg-0123"], "assignPublicIp": "DISABLED"}
    assert sim.updates[0] == {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-b", "subnet-c"], **net}},
                              "forceNewDeployment": True}
    assert sim.updates[1] == {"networkConfiguration": {"awsvpcConfiguration": {"subnets": list(SUBNETS), **net}},
                              "forceNewDeployment": True}
    assert len(sim.updates) == 2
    assert result.details["new_task_running_s"] == pytest.approx(1.0, abs=0.11)
    assert result.details["target_healthy_s"] == pytest.approx(1.0 + HEALTHY_AFTER, abs=0.11)
    assert result.details["service_stable_s"] == pytest.approx(1.0 + HEALTHY_AFTER, abs=0.11)  # stable: healthy in the target group too
    assert result.measured_s == pytest.approx(1.0 + HEALTHY_AFTER, abs=0.11)
    assert steps["recover"]["seconds"] == round(result.measured_s or 0, 2)
    assert result.details["settled_after_restore_s"] == pytest.approx(0.5 + HEALTHY_AFTER, abs=0.11)
    assert result.checks == {"smoke": True, "stable_after_restore": True}
    assert result.cleanup[0]["name"] == "service subnets" and result.cleanup[0]["ok"]


def test_az_loss_says_what_it_sees_while_it_waits(env_root: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.3, None)]])
    result = drill(sim, "az-loss", output=Output(json=False))
    assert result.passed
    err = capsys.readouterr().err
    assert f"[   0.0s] 0 new RUNNING task(s) outside {REGION}a; healthy targets: none; service:" in err
    assert f"Recovered outside {REGION}a in {result.measured_s:.1f} s; smoke check ..." in err


def test_az_loss_cleanup_names_the_restore_and_the_command_by_hand(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.5, None)]])
    real = sim.update_service
    n = 0

    def second_refused(**kw: Any) -> dict[str, Any]:
        nonlocal n
        n += 1
        if n == 2:
            from tests.drills.test_drills_teeth import refused

            raise refused("UpdateService")
        return real(**kw)

    sim.update_service = second_refused  # type: ignore[method-assign]
    result = drill(sim, "az-loss")
    (entry,) = result.cleanup
    assert entry["ok"] is False and entry["detail"].startswith("AWS call failed while restoring the service's subnets: ")
    assert entry["manual"] == (f"aws ecs update-service --cluster {NAME} --service {NAME} --network-configuration "
                               "'awsvpcConfiguration={subnets=[subnet-a,subnet-b,subnet-c],securityGroups=[sg-0123],"
                               "assignPublicIp=DISABLED}'")
    assert "stable_after_restore" not in result.checks and not result.passed  # no restore: nothing to settle


def test_az_loss_manual_command_without_the_optional_keys() -> None:
    assert az_loss._manual("c", "s", {"subnets": ["a", "b"]}) == (
        "aws ecs update-service --cluster c --service s --network-configuration "
        "'awsvpcConfiguration={subnets=[a,b],securityGroups=[],assignPublicIp=DISABLED}'")


def test_az_loss_a_refused_narrowing_names_the_step(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), refuse={"update_service:aws"})
    result = drill(sim, "az-loss")
    assert result.error is not None and result.error.startswith("AWS call failed while narrowing the service's subnets: ")
    assert result.cleanup[0]["detail"] == "subnets were never changed" and result.cleanup[0]["ok"]
    assert "stable_after_restore" not in result.checks


def test_az_loss_settle_that_times_out_is_reported_not_raised(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.5, None)], [("subnet-a", 0.5, 0.1)] * 1])
    result = drill(sim, "az-loss")
    assert result.checks["stable_after_restore"] is False and not result.passed
    assert result.details["settle_error"].startswith(f"Gave up waiting for {NAME} to settle after the restore after 30 s")
    assert "settled_after_restore_s" not in result.details


def test_az_loss_maps_the_subnet_to_its_az_when_ecs_does_not_say(env_root: Path) -> None:  # noqa: F811
    """DescribeTasks' availabilityZone is optional (botocore ecs Task shape); the drills then take the AZ
    of the task's subnet from DescribeSubnets: the lost AZ and the replacement's AZ both."""
    sim = Sim(at(START), no_task_az=True, scripts=[[("subnet-a", 1.0, 2.0), ("subnet-b", 3.0, None)]])
    result = drill(sim, "az-loss", target_s=60)
    assert result.passed, result.to_dict()
    assert result.details["lost_az"] == f"{REGION}a" and result.details["stopped_task"]["az"] == f"{REGION}a"
    assert [r["az"] for r in result.details["replacement"]] == [f"{REGION}b"]  # the one in the lost AZ did not count
    assert result.measured_s is not None and result.measured_s >= 3.0 + HEALTHY_AFTER
    assert (result.target_s, result.target_source) == (60.0, "--target-seconds")


def test_kill_task_without_task_ips_counts_any_healthy_target_but_the_old_one(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), no_task_ip=True, scripts=[[("subnet-b", 1.0, None)]])
    result = drill(sim, "kill-task")
    assert result.passed and result.details["target_healthy_s"] == pytest.approx(1.0 + HEALTHY_AFTER, abs=0.11)


def test_kill_task_waits_for_the_new_tasks_own_target(env_root: Path) -> None:  # noqa: F811
    """Another healthy target in the group (not a task of the service) is not the replacement's."""
    sim = Sim(at(START), extra_healthy=["10.0.9.9"], scripts=[[("subnet-b", 1.0, None)]])
    result = drill(sim, "kill-task")
    assert result.passed
    assert result.measured_s == pytest.approx(1.0 + HEALTHY_AFTER, abs=0.11)


def test_kill_task_that_never_recovers_says_what_it_waited_for(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 1000.0, None)]])
    result = drill(sim, "kill-task")
    assert result.error is not None and result.error.startswith(f"Gave up waiting for a new healthy task of {NAME} after 30 s")


def test_az_loss_settle_that_fails_is_reported_with_its_message() -> None:
    """_settle never raises: an error (a ChromactlError's sentence without its hint, or any other
    exception's text) is recorded and the stable-after-restore check fails."""
    from types import SimpleNamespace

    from chromactl.errors import OperationFailed

    for exc, said in ((OperationFailed("ECS went away.", "Check credentials."), "ECS went away."),
                      (RuntimeError("socket closed"), "socket closed")):
        def boom(_exc: Exception = exc) -> Any:
            raise _exc

        ctx: Any = SimpleNamespace(cluster_service_tg=boom, output=Output(json=True))
        result = DrillResult("az-loss", "dev", REGION, checks={"smoke": True})
        az_loss._settle(ctx, result)
        assert result.checks == {"smoke": True, "stable_after_restore": False}
        assert result.details == {"settle_error": said}


def test_az_loss_settle_timeout_names_the_last_reason(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.5, None)], [("subnet-a", 0.5, 0.1)]])
    result = drill(sim, "az-loss")
    msg = result.details["settle_error"]
    assert msg.startswith(f"Gave up waiting for {NAME} to settle after the restore after 30 s (last: ") and "{" not in msg


def test_az_loss_settle_seconds_are_rounded_to_a_tenth(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), scripts=[[("subnet-b", 0.5, None)], [("subnet-a", 0.33, None)]])
    clock = Clock(monotonic=sim.time.monotonic, sleep=sim.time.sleep)
    result = run_drill("dev", "az-loss", output=Output(json=True), factory=Factory(sim), outputs=OUTPUTS, timeout_s=30.0,
                       poll_s=0.03, clock=clock, smoke=lambda target: (True, {}))
    secs = result.details["settled_after_restore_s"]
    assert secs == round(secs, 1) and 0.5 <= secs <= 0.7


def test_the_progress_line_lists_every_healthy_target(env_root: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    sim = Sim(at(START), extra_healthy=["10.0.9.9"], scripts=[[("subnet-b", 1.0, None)]])
    assert drill(sim, "kill-task", output=Output(json=False)).passed
    assert "] 1 new RUNNING task(s); healthy targets: 10.0.2.11, 10.0.9.9" in capsys.readouterr().err


def test_az_loss_takes_the_az_ecs_names_when_the_task_names_no_subnet(env_root: Path) -> None:  # noqa: F811
    sim = Sim(at(START), no_task_subnet=True, scripts=[[("subnet-b", 1.0, None)]])
    result = drill(sim, "az-loss")
    assert result.passed, result.to_dict()
    assert result.details["lost_az"] == f"{REGION}a" and result.details["stopped_task"]["subnet"] is None


class Waits(Output):
    """Output that keeps each bounded wait it is asked to show (Output.waiting: what, bound)."""

    def __init__(self) -> None:
        super().__init__(json=True)
        self.waits: list[tuple[str, float]] = []

    def waiting(self, what: str, bound_s: float, **kw: Any) -> Any:
        self.waits.append((what, bound_s))
        return super().waiting(what, bound_s, **kw)


@pytest.mark.parametrize(("scenario", "waits"), [
    ("az-loss", [("chromactl-dev to recover outside us-east-1a", 30.0), ("chromactl-dev to settle after the restore", 30.0)]),
    ("kill-task", [("a new healthy task of chromactl-dev", 30.0)]),
])
def test_every_wait_shows_its_progress_on_the_drills_output(env_root: Path, scenario: str,  # noqa: F811
                                                           waits: list[tuple[str, float]]) -> None:
    """Each bounded wait of a drill prints its progress on the drill's own output (issue 16 item 14), not on a
    throwaway one: what it waits for and its bound (--timeout)."""
    sim = Sim(at(START), scripts=[[("subnet-b", 0.3, None)]])
    out = Waits()
    assert drill(sim, scenario, output=out).passed
    assert out.waits == waits
