"""Every bounded wait prints progress of its own, also when what it observes never changes (issue 16 item 14).

The waits of `up` (ECS service stable, first token rotation), of the failover (replica writeable,
restore job, Route 53 INSYNC) and of the drills (poll_until) printed a line only when the state
changed; a wait that saw the same state for ten minutes left a CI log silent but for the generic
keepalive. Each now reports through Output.waiting: what it waits for, elapsed of its bound, the
last state observed, every CHROMACTL_PROGRESS_EVERY seconds on the wait's own clock. Driven here
with a fake clock (sleep advances it), AWS answered by small fakes that always say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import OperationFailed
from chromactl.output import Output


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


class Client:
    """Answers every call with the same response (the state never changes)."""

    def __init__(self, **responses: Any) -> None:
        self.responses = responses

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in self.responses:
            raise AttributeError(name)
        return lambda **_kw: self.responses[name]


class Factory:
    def __init__(self, **clients: Client) -> None:
        self.clients = clients

    def client(self, service: str, _region: str | None = None) -> Client:
        return self.clients[service]


def _ecs_stuck(clock: FakeClock, output: Output) -> None:
    from chromactl.config import load_env
    from chromactl.stack.health import wait_stable

    ecs = Client(describe_services={"services": [{"status": "ACTIVE", "runningCount": 1, "desiredCount": 2, "pendingCount": 1,
                                                  "deployments": [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}]}]})
    elbv2 = Client(describe_target_health={"TargetHealthDescriptions": []})
    outputs = {"cluster_name": "c", "service_name": "s", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:tg"}
    wait_stable(load_env("dev"), "us-east-1", outputs, Factory(ecs=ecs, elbv2=elbv2), 60, output, poll_s=5,
                monotonic=clock.monotonic, sleep=clock.sleep)


def _token_stuck(clock: FakeClock, output: Output) -> None:
    from chromactl.rotation.wait import wait_rotation_settled

    sm = Client(describe_secret={"VersionIdsToStages": {"v1": ["AWSPENDING"]}})
    wait_rotation_settled(sm, "chromactl-dev/alb-token", timeout_s=60, poll_s=5, sleep=clock.sleep, clock=clock.monotonic, output=output)


def _replica_stuck(clock: FakeClock, output: Output, tmp_path: Path) -> None:
    from chromactl.failover import aws as A
    from chromactl.failover.journal import Journal

    journal = Journal(path=tmp_path / "j.json", env="dev", target_region="us-west-2", primary_region="us-east-1", source="replica")
    journal.checkpoint("promote", "replication_deleted", True)
    efs = Client(describe_file_systems={"FileSystems": [{"LifeCycleState": "updating",
                                                         "FileSystemProtection": {"ReplicationOverwriteProtection": "REPLICATING"}}]})
    A.promote_replica("us-west-2", Factory(efs=efs), {"replica_file_system_id": "fs-0aaaaaaaaaaaaaaa1", "source_file_system_id": "fs-1"},
                      journal, A.Clock(sleep=clock.sleep, monotonic=clock.monotonic), timeout_s=60, interval_s=5, root="/chroma",
                      output=output)


def _drill_stuck(clock: FakeClock, output: Output) -> None:
    from chromactl.drills.common import Clock, poll_until

    poll_until(lambda: (False, {"why": "1 of 2 task(s) running"}), timeout_s=60, poll_s=5, what="a new healthy task of svc",
               clock=Clock(monotonic=clock.monotonic, sleep=clock.sleep), output=output)


def _backup_stuck(clock: FakeClock, output: Output) -> None:
    from chromactl.day2.backup import BackupTarget, wait_backup
    from chromactl.failover.aws import Clock

    backup = Client(describe_backup_job={"BackupJobId": "job-1", "State": "RUNNING", "PercentDone": "3"})
    target = BackupTarget(env="dev", region="us-east-1", account="123456789012", file_system_id="fs-0aaaaaaaaaaaaaaa1",
                          vault="chromactl-dev", role_arn="arn:aws:iam::123456789012:role/backup")
    wait_backup(target, Factory(backup=backup), "job-1", Clock(sleep=clock.sleep, monotonic=clock.monotonic),
                timeout_s=60, poll_s=5, output=output)


WAITS = {
    "up: ECS service stable": (_ecs_stuck, "the service of dev/us-east-1 to be stable", "1 of 2 task(s) running"),
    "up: first token rotation": (_token_stuck, "the token rotation of chromactl-dev/alb-token",
                                 "token rotation in progress (version v1 is AWSPENDING)"),
    "failover: replica writeable": (_replica_stuck, "the replica fs-0aaaaaaaaaaaaaaa1 in us-west-2 to be writeable",
                                    "updating, overwrite protection REPLICATING"),
    "drill: poll_until": (_drill_stuck, "a new healthy task of svc", "1 of 2 task(s) running"),
    "backup: job complete": (_backup_stuck, "backup job job-1 to complete", "RUNNING, 3% done"),
}


@pytest.mark.parametrize("name", list(WAITS))
def test_a_wait_that_sees_no_change_still_prints_progress(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from tests.drills.conftest import write_env

    write_env(tmp_path, "dev", protected=False)
    (tmp_path / "terraform").mkdir(exist_ok=True)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    monkeypatch.setenv("CHROMACTL_PROGRESS_EVERY", "10")
    fn, what, state = WAITS[name]
    clock = FakeClock()
    output = Output(color=False)  # stderr is not a terminal here: plain lines
    with pytest.raises(OperationFailed):  # each gives up at its 60 s bound
        fn(clock, output, tmp_path) if name.startswith("failover") else fn(clock, output)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith(f"waiting for {what}: ")]
    progress = [ln for ln in lines if "/60 s" in ln]
    # every 10 s of a 60 s wait polled every 5 s: at 10, 20, 30, 40, 50 (and 60) s, each with elapsed, bound, last state
    assert len(progress) >= 5, err
    for line in progress:
        assert f"last: {state}" in line, line
    elapsed = [int(m.group(1)) for m in (re.search(r": (\d+)/60 s", ln) for ln in progress) if m]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 10 and elapsed[-1] >= 50, elapsed


def test_json_keeps_stderr_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    with pytest.raises(OperationFailed):
        _drill_stuck(clock, Output(json=True))
    assert "waiting for" not in capsys.readouterr().err


def test_wait_progress_lines_keep_the_keepalive_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    """One mechanism: a wait's line counts as 'something was said', so the keepalive does not add its own."""
    import time

    out = Output(color=False)
    out._said = 0.0
    clock = FakeClock()
    before = time.monotonic()
    with out.waiting("x", 60, clock=clock.monotonic, every_s=10) as progress:
        clock.sleep(10)
        progress.observe("same")
    assert out._said >= before  # the wait's line was noted as said (no time bound: a busy host may be slow)
