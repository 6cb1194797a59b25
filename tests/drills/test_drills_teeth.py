"""The drills' recovery criteria and their cleanup verdict, pinned with fast tests (the ones
`make mutate` runs): an in-memory ECS/ELBv2/EC2 that follows a script on a fake clock, driven
through `run_drill`.

- az-loss: a task that comes back in the lost AZ is not a recovery; the drill waits for one
  outside it (and fails when none comes).
- every drill: a cleanup that failed (the undo raised, or its check afterwards says the change is
  still there) fails the drill, even when the recovery itself was fine.

Response shapes follow botocore's models: ecs/2014-11-13 DescribeServicesResponse (services[].
deployments[].rolloutState, networkConfiguration.awsvpcConfiguration), ListTasksResponse.taskArns,
DescribeTasksResponse (tasks[].availabilityZone, attachments[].details[] name/value with subnetId and
privateIPv4Address for an ElasticNetworkInterface), ec2/2016-11-15 DescribeSubnetsResult, elbv2/
2015-12-01 DescribeTargetHealthOutput.TargetHealthDescriptions. The moto-backed drills in
test_ecs_drills.py exercise the same code against moto's server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chromactl.drills.common import Cleanup, Clock, DrillResult
from chromactl.drills.core import run_drill
from chromactl.output import Output

from tests.drills.conftest import NAME, REGION, write_env

SUBNETS = {"subnet-a": f"{REGION}a", "subnet-b": f"{REGION}b", "subnet-c": f"{REGION}c"}
TG = f"arn:aws:elasticloadbalancing:{REGION}:123456789012:targetgroup/{NAME}-tg/73e2d6bc24d8a067"
HEALTHY_AFTER = 0.2  # a started task's target turns healthy this long after it runs


class AccessDenied(Exception):
    """Stands in for botocore's ClientError where a call is refused (aws_call passes others through)."""


def refused(operation: str) -> Exception:
    """botocore's ClientError for a refused call (what aws_call turns into OperationFailed naming the step)."""
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, operation)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass
class Task:
    n: int
    subnet: str
    created: float
    start: float
    stop: float | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:123456789012:task/{NAME}/{self.n:032x}"

    @property
    def ip(self) -> str:
        return f"10.0.{list(SUBNETS).index(self.subnet) + 1}.{10 + self.n}"


@dataclass
class Sim:
    """ECS, the ALB health check and EC2 subnets, as the drills see them, on the fake clock.

    `scripts`: what each forced deployment or stopped task leads to, in order: a list of
    (subnet, starts after s, runs for s or None). Without a script: one task in the service's
    first subnet after 0.5 s (what ECS does)."""

    time: FakeTime
    scripts: list[list[tuple[str, float, float | None]]] = field(default_factory=list)
    desired: int = 1
    subnets: list[str] = field(default_factory=lambda: list(SUBNETS))
    tasks: list[Task] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # calls that raise AccessDenied
    ignore_desired: bool = False  # update_service(desiredCount=...) answers but changes nothing
    omit_desired: bool = False  # DescribeServices leaves desiredCount (and the network's optional keys) out
    no_task_az: bool = False  # DescribeTasks leaves availabilityZone out (the drills then map the subnet to its AZ)
    no_task_ip: bool = False  # DescribeTasks leaves the ENI's private IP out (the targets still have theirs)
    no_task_subnet: bool = False  # DescribeTasks leaves the ENI's subnetId out (ECS still names the AZ)
    extra_healthy: list[str] = field(default_factory=list)  # healthy targets of the group that are no task of the service
    reasons: list[str] = field(default_factory=list)  # StopTask's reason, each call
    updates: list[dict[str, Any]] = field(default_factory=list)  # UpdateService's arguments, each call

    def __post_init__(self) -> None:
        self.tasks.append(Task(0, "subnet-a", created=-100.0, start=-100.0))

    # --- the control plane ---------------------------------------------------------------------
    def live(self) -> list[Task]:
        now = self.time.now
        return [t for t in self.tasks if t.created <= now and (t.stop is None or now < t.stop)]

    def running(self) -> list[Task]:
        return [t for t in self.live() if t.start <= self.time.now]

    def replace(self) -> None:
        now = self.time.now
        for t in self.live():
            t.stop = now
        script = self.scripts.pop(0) if self.scripts else [(self.subnets[0], 0.5, None)]
        for subnet, after, runs in script:
            self.tasks.append(Task(len(self.tasks), subnet, created=now, start=now + after,
                                   stop=None if runs is None else now + after + runs))

    # --- ECS -------------------------------------------------------------------------------------
    def describe_services(self, *, cluster: str, services: list[str]) -> dict[str, Any]:
        assert (cluster, services) == (NAME, [NAME]), (cluster, services)  # the stack's own cluster and service, always
        self.calls.append("describe_services")
        running = len(self.running())
        settled = running == self.desired and len(self.live()) == running
        deployment = {"id": "ecs-svc/1", "status": "PRIMARY", "desiredCount": self.desired, "runningCount": running,
                      "pendingCount": len(self.live()) - running, "rolloutState": "COMPLETED" if settled else "IN_PROGRESS"}
        return {"services": [{
            "serviceName": NAME, "status": "ACTIVE", "desiredCount": self.desired, "runningCount": running,
            "pendingCount": len(self.live()) - running, "deployments": [deployment],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(self.subnets), "securityGroups": ["sg-0123"],
                                                             "assignPublicIp": "DISABLED"}},
        }], "failures": []} if not self.omit_desired else {"services": [{
            "serviceName": NAME, "status": "ACTIVE", "runningCount": running, "deployments": [deployment],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(self.subnets)}}}], "failures": []}

    def list_tasks(self, *, cluster: str, serviceName: str, desiredStatus: str, **_: Any) -> dict[str, Any]:
        assert (cluster, serviceName) == (NAME, NAME), (cluster, serviceName)
        self.calls.append("list_tasks")
        return {"taskArns": [t.arn for t in self.live()]}

    def describe_tasks(self, *, cluster: str, tasks: list[str]) -> dict[str, Any]:
        assert cluster == NAME, cluster
        self.calls.append("describe_tasks")
        out = []
        for t in self.tasks:
            if t.arn not in tasks:
                continue
            gone = t.stop is not None and self.time.now >= t.stop
            status = "STOPPED" if gone else ("RUNNING" if t.start <= self.time.now else "PROVISIONING")
            details = (([] if self.no_task_subnet else [{"name": "subnetId", "value": t.subnet}])
                       + ([] if self.no_task_ip else [{"name": "privateIPv4Address", "value": t.ip}]))
            task = {"taskArn": t.arn, "lastStatus": status, "desiredStatus": "STOPPED" if gone else "RUNNING",
                    "group": f"service:{NAME}", "availabilityZone": SUBNETS[t.subnet],
                    "attachments": [{"type": "ElasticNetworkInterface", "details": details}]}
            if self.no_task_az:
                del task["availabilityZone"]
            out.append(task)
        return {"tasks": out, "failures": []}

    def stop_task(self, *, cluster: str, task: str, reason: str) -> dict[str, Any]:
        assert cluster == NAME and task in [t.arn for t in self.tasks], (cluster, task)
        self.calls.append("stop_task")
        self.reasons.append(reason)
        if "stop_task" in self.refuse:
            raise refused("StopTask")
        self.replace()
        return {"task": {"taskArn": task}}

    def update_service(self, *, cluster: str, service: str, **kw: Any) -> dict[str, Any]:
        assert (cluster, service) == (NAME, NAME), (cluster, service)
        self.calls.append("update_service")
        self.updates.append(kw)
        if "update_service" in self.refuse:
            raise AccessDenied("User is not authorized to perform: ecs:UpdateService")
        if "update_service:aws" in self.refuse:
            raise refused("UpdateService")
        if "desiredCount" in kw and not self.ignore_desired:
            self.desired = int(kw["desiredCount"])
        if "networkConfiguration" in kw:
            self.subnets = list(kw["networkConfiguration"]["awsvpcConfiguration"]["subnets"])
        if kw.get("forceNewDeployment"):
            self.replace()
        return {"service": {"serviceName": service}}

    # --- ELBv2 and EC2 -----------------------------------------------------------------------------
    def describe_target_health(self, *, TargetGroupArn: str) -> dict[str, Any]:
        assert TargetGroupArn == TG, TargetGroupArn
        return {"TargetHealthDescriptions": [
            {"Target": {"Id": t.ip, "Port": 8000},
             "TargetHealth": {"State": "healthy" if self.time.now >= t.start + HEALTHY_AFTER else "initial"}}
            for t in self.running()] + [{"Target": {"Id": ip, "Port": 8000}, "TargetHealth": {"State": "healthy"}}
                                        for ip in self.extra_healthy]}

    def describe_subnets(self, *, SubnetIds: list[str]) -> dict[str, Any]:
        return {"Subnets": [{"SubnetId": s, "AvailabilityZone": SUBNETS[s]} for s in SubnetIds]}


class Factory:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim

    def client(self, service: str, region: str, **_: Any) -> Sim:
        assert region == REGION and service in ("ecs", "elbv2", "ec2"), (service, region)
        return self.sim


OUTPUTS = {"cluster_name": NAME, "service_name": NAME, "target_group_arn": TG, "endpoint_url": "http://127.0.0.1:9"}


@pytest.fixture
def env_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_env(tmp_path, "dev", protected=False)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    return tmp_path


def drill(sim: Sim, scenario: str, *, timeout_s: float = 30.0) -> DrillResult:
    smoked: list[Any] = []

    def smoke(target: Any) -> tuple[bool, dict[str, Any]]:
        smoked.append(target)
        return True, {"ok": True, "cleaned_up": True}

    clock = Clock(monotonic=sim.time.monotonic, sleep=sim.time.sleep)
    return run_drill("dev", scenario, output=Output(json=True), factory=Factory(sim), outputs=OUTPUTS, timeout_s=timeout_s,
                     poll_s=0.1, clock=clock, smoke=smoke)


# --- az-loss: recovered means outside the lost AZ ----------------------------------------------------------


def test_az_loss_does_not_count_a_task_back_in_the_lost_az(env_root: Path) -> None:
    """The first replacement lands in the lost AZ (and is healthy there) before one starts outside it:
    the drill's clock runs until the one outside, and that is the replacement it reports."""
    sim = Sim(FakeTime(), scripts=[[("subnet-a", 1.0, 2.0), ("subnet-b", 3.0, None)]])
    result = drill(sim, "az-loss")
    data = result.to_dict()
    assert result.passed, data
    assert result.details["lost_az"] == f"{REGION}a"
    assert [r["az"] for r in result.details["replacement"]] == [f"{REGION}b"]
    assert result.measured_s is not None and result.measured_s >= 3.0 + HEALTHY_AFTER
    assert result.details["new_task_running_s"] >= 3.0
    assert sim.subnets == list(SUBNETS)  # restored
    assert data["cleanup"][0]["name"] == "service subnets" and data["cleanup"][0]["ok"]


def test_az_loss_fails_when_tasks_only_come_back_in_the_lost_az(env_root: Path) -> None:
    sim = Sim(FakeTime(), scripts=[[("subnet-a", 1.0, None)]])
    result = drill(sim, "az-loss", timeout_s=5.0)
    assert not result.passed and result.measured_s is None
    assert result.error is not None and "Gave up waiting" in result.error and f"recover outside {REGION}a" in result.error
    assert "0 new RUNNING task(s) outside" in result.error
    assert sim.subnets == list(SUBNETS)  # the cleanup still ran


def test_kill_task_recovery_needs_a_new_task_and_its_target_healthy(env_root: Path) -> None:
    sim = Sim(FakeTime(), scripts=[[("subnet-a", 1.0, None)]])
    result = drill(sim, "kill-task")
    assert result.passed, result.to_dict()
    assert result.details["new_task_running_s"] >= 1.0
    assert result.details["target_healthy_s"] >= 1.0 + HEALTHY_AFTER
    assert result.measured_s is not None and result.measured_s >= result.details["target_healthy_s"]
    assert result.details["replacement"][0]["arn"] != result.details["stopped_task"]["arn"]


# --- a failed cleanup fails the drill ------------------------------------------------------------------------


def test_drill_fails_when_its_cleanup_raised(env_root: Path) -> None:
    """az-loss recovers, but putting the subnets back is refused: the drill fails and says how to
    undo it by hand."""
    sim = Sim(FakeTime(), scripts=[[("subnet-b", 1.0, None)]])
    real_update = sim.update_service
    calls = {"n": 0}

    def narrow_then_refuse(**kw: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise AccessDenied("User is not authorized to perform: ecs:UpdateService")
        return real_update(**kw)

    sim.update_service = narrow_then_refuse  # type: ignore[method-assign]
    result = drill(sim, "az-loss")
    data = result.to_dict()
    assert result.ok and result.error is None and result.measured_s is not None  # the recovery itself worked
    assert not result.passed and data["passed"] is False and data["cleanup_ok"] is False
    (entry,) = result.cleanup
    assert entry["ok"] is False and "not authorized" in entry["detail"]
    assert entry["manual"].startswith(f"aws ecs update-service --cluster {NAME} --service {NAME} --network-configuration")
    assert result.line().endswith(": FAIL")


def test_drill_fails_when_its_cleanup_did_not_take(env_root: Path) -> None:
    """kill-task: something scaled the service up mid-drill; the undo answers but the desired count
    stays changed, and the check afterwards sees it."""
    sim = Sim(FakeTime(), scripts=[[("subnet-a", 1.0, None)]], ignore_desired=True)
    real_stop = sim.stop_task

    def stop_then_scale(**kw: Any) -> dict[str, Any]:
        out = real_stop(**kw)
        sim.desired = 2  # an operator or an autoscaler
        return out

    sim.stop_task = stop_then_scale  # type: ignore[method-assign]
    result = drill(sim, "kill-task")
    assert result.ok and result.measured_s is not None
    assert not result.passed and result.to_dict()["cleanup_ok"] is False
    (entry,) = result.cleanup
    assert entry["ok"] is False and entry["verified"] is False and "still there" in entry["detail"]
    assert entry["manual"] == f"aws ecs update-service --cluster {NAME} --service {NAME} --desired-count 1"


def test_cleanup_runs_every_undo_newest_first_and_reports_each() -> None:
    done: list[str] = []

    def undo(name: str, detail: str | None) -> Any:
        def run() -> str | None:
            done.append(name)
            return detail
        return run

    def boom() -> str:
        raise RuntimeError("boom")

    c = Cleanup()
    c.add("first", undo("first", "one"))
    c.add("second", boom, manual="do it by hand")
    c.add("third", undo("third", None), verify=lambda: True)
    results = c.run(Output(json=True))
    assert done == ["third", "first"]  # newest first, and the failure in between did not stop it
    assert [(r["name"], r["ok"]) for r in results] == [("third", True), ("second", False), ("first", True)]
    assert results[0]["detail"] == "done" and results[0]["verified"] is True
    assert results[1]["detail"] == "RuntimeError: boom" and results[1]["manual"] == "do it by hand"
    assert "manual" not in results[0] and "manual" not in results[2]
    assert c.ok is False and c.items == [] and c.ran is True


@pytest.mark.parametrize(
    ("change", "passed"),
    [
        ({}, True),
        ({"cleanup": [{"name": "x", "ok": False}]}, False),
        ({"checks": {"smoke": False}}, False),
        ({"measured_s": 901.0}, False),
        ({"measured_s": None}, False),
        ({"error": "boom"}, False),
        ({"ok": False}, False),
        ({"measured_s": 900.0}, True),  # at the target is within it
    ],
    ids=["all-good", "cleanup-failed", "check-failed", "over-target", "not-measured", "error", "not-ok", "at-target"],
)
def test_drill_verdict(change: dict[str, Any], passed: bool) -> None:
    fields: dict[str, Any] = {"ok": True, "measured_s": 12.5, "target_s": 900.0, "cleanup": [{"name": "x", "ok": True}],
                              "checks": {"smoke": True}, **change}
    result = DrillResult("kill-task", "dev", REGION, **fields)
    assert result.passed is passed
    assert result.to_dict()["passed"] is passed and result.line().endswith("PASS" if passed else "FAIL")


def test_az_loss_records_what_it_did_and_settles_after_the_restore(env_root: Path) -> None:
    sim = Sim(FakeTime(), scripts=[[("subnet-b", 1.0, None)]])
    result = drill(sim, "az-loss")
    data = result.to_dict()
    assert result.passed, data
    assert [s["name"] for s in result.steps] == ["baseline", "remove AZ", "recover", "smoke"]
    assert result.steps[-1]["ok"] is True and result.steps[2]["seconds"] == round(result.measured_s or 0, 2)
    assert set(result.details) == {"lost_az", "original_subnets", "remaining_subnets", "stopped_task", "new_task_running_s",
                                   "target_healthy_s", "service_stable_s", "replacement", "smoke", "settled_after_restore_s"}
    assert result.details["original_subnets"] == list(SUBNETS) and result.details["remaining_subnets"] == ["subnet-b", "subnet-c"]
    assert result.details["stopped_task"]["az"] == f"{REGION}a" and result.details["stopped_task"]["subnet"] == "subnet-a"
    assert result.checks == {"smoke": True, "stable_after_restore": True}
    assert result.details["settled_after_restore_s"] >= 0.5  # the restore's replacement took 0.5 s + health
    (entry,) = result.cleanup
    assert entry["detail"] == "subnets restored (3 subnets, 3 AZs)" and entry["verified"] is True
    assert sim.calls.count("update_service") == 2
    assert result.target_s == 15 * 60 and result.target_source == "env slo.rto_minutes = 15"
    assert data["measured_seconds"] == round(result.measured_s or 0, 1) and data["within_target"] is True


def test_az_loss_refuses_a_service_in_one_az(env_root: Path) -> None:
    sim = Sim(FakeTime(), subnets=["subnet-a"])
    result = drill(sim, "az-loss")
    assert not result.passed and result.error is not None and "Every subnet of" in result.error
    assert "update_service" not in sim.calls and result.cleanup == []  # refused before anything changed


def test_kill_task_records_what_it_did(env_root: Path) -> None:
    sim = Sim(FakeTime(), scripts=[[("subnet-c", 2.0, None)]])
    result = drill(sim, "kill-task")
    assert result.passed
    assert [s["name"] for s in result.steps] == ["baseline", "stop task", "recover", "smoke"]
    assert set(result.details) == {"stopped_task", "healthy_before", "new_task_running_s", "target_healthy_s", "replacement", "smoke"}
    assert result.details["healthy_before"] == ["10.0.1.10"] and result.details["replacement"][0]["subnet"] == "subnet-c"
    assert 2.0 <= result.details["new_task_running_s"] < result.details["target_healthy_s"] <= (result.measured_s or 0)
    assert result.checks == {"smoke": True}
    assert result.cleanup[0]["detail"] == "desired count unchanged (1)" and result.cleanup[0]["verified"] is True


def test_kill_task_needs_a_running_and_healthy_service_first(env_root: Path) -> None:
    sim = Sim(FakeTime())
    sim.tasks[0].stop = -1.0  # nothing running
    result = drill(sim, "kill-task")
    assert not result.passed and result.error is not None and "has no RUNNING task to disrupt" in result.error
    assert "stop_task" not in sim.calls
