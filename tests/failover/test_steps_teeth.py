"""A whole failover in-process (the ones `make mutate` runs): every AWS look-up and action of
failover/aws.py is replaced by a recorder, the ports by stand-ins, so what `run_failover` and the
steps hand each other is asserted: the fence and its warning, the promote of the replica or the
backup and the RPO warning, the apply's variables, the journal's inputs on a resume, dry run.
The AWS side itself is exercised against moto and Stubbers in test_failover.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover import aws as A
from chromactl.failover import core
from chromactl.failover import manifest as M
from chromactl.failover.core import FailoverPlan, FailoverResult, Settings, run_failover
from chromactl.failover.journal import Journal
from chromactl.failover.ports import Ports
from chromactl.output import Output

from tests.failover.conftest import (
    KMS,
    PRIMARY,
    REPLICA_FS,
    RESTORED_FS,
    TARGET,
    primary_state,
    write_env,
)
from tests.failover.test_gate_teeth import LAT_OK, SMOKE_OK, NoAws

ENDPOINT = "http://127.0.0.1:9"
RP = f"arn:aws:backup:{TARGET}:123456789012:recovery-point:aaaa-1111"


class Warnings(Output):
    def __init__(self) -> None:
        super().__init__(json=True)
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class World:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, *, replica: bool = True, fenced: str = "fenced",
                 rpo_s: float = 60.0, factory: Any = None) -> None:
        self.root = root
        self.calls: dict[str, Any] = {}
        self.journal_dir = root / "journals"
        c: dict[str, Any] = self.calls
        self.factory = factory = factory if factory is not None else NoAws()
        state = primary_state()
        monkeypatch.setattr(A, "check_credentials", lambda env, target, f: c.setdefault("creds", (env.name, target)) and
                            {"account": "123456789012"})
        monkeypatch.setattr(A, "check_state_bucket", lambda env, f: {"bucket": "b"})
        monkeypatch.setattr(A, "read_primary_state", lambda env, f: state)
        found = {"replica_file_system_id": REPLICA_FS, "last_replicated": "2026-11-30T12:00:00+00:00"} if replica else None
        monkeypatch.setattr(A, "find_replica", lambda env, target, f, outputs: c.setdefault("find_replica", found))
        monkeypatch.setattr(A, "find_recovery_point", lambda env, target, f, outputs, arn: c.setdefault(
            "find_rp", {"recovery_point_arn": arn or RP, "recovery_point_created": "2026-11-30T09:00:00+00:00"}))
        monkeypatch.setattr(A, "check_image", lambda images, target, primary, f: {"checked": True, "images": images})
        monkeypatch.setattr(M, "read_manifest", lambda env, f: None)
        monkeypatch.setattr(M, "snapshot", lambda target: {})
        monkeypatch.setattr(M, "record_manifest", lambda *a: {"recorded_at": "2026-11-30T12:30:00+00:00"})

        def handed_on(env: Any, f: Any, journal: Any = None, clock: Any = None) -> None:
            """The steps hand the run's own env, factory, journal and clock to the AWS calls."""
            assert env is None or env.name == "prod", env
            assert f is factory, f
            assert journal is None or (isinstance(journal, Journal) and journal.env == "prod"), journal
            assert clock is None or isinstance(clock, A.Clock), clock

        def fence(env: Any, f: Any, outputs: dict[str, Any]) -> dict[str, Any]:
            assert env is not None  # fence_primary dials the env's primary region (env.primary_region)
            handed_on(env, f)
            c["fence"] = outputs
            return {"outcome": fenced, "reason": "silence", "manual": "aws ecs update-service ... --desired-count 0"}

        def promote_replica(target: str, f: Any, rep: dict[str, Any], journal: Any, clock: Any, **kw: Any) -> dict[str, Any]:
            handed_on(None, f, journal, clock)
            assert journal is not None and clock is not None
            c["promote_replica"] = (target, rep, kw)
            return {"file_system_id": REPLICA_FS, "root_directory": kw["root"], "rpo_seconds": rpo_s,
                    "data_as_of": "2026-11-30T12:00:00+00:00"}

        def promote_backup(env: Any, target: str, f: Any, rp: dict[str, Any], outputs: dict[str, Any], account: str | None,
                           journal: Any, clock: Any, **kw: Any) -> dict[str, Any]:
            handed_on(env, f, journal, clock)
            assert env is not None and journal is not None and clock is not None
            c["promote_backup"] = (target, rp, outputs.get("dr_kms_key_arn"), account, kw)
            return {"file_system_id": RESTORED_FS, "root_directory": "/aws-backup-restore_x/chroma", "rpo_seconds": 10800.0,
                    "data_as_of": rp["recovery_point_created"]}

        monkeypatch.setattr(A, "fence_primary", fence)
        monkeypatch.setattr(A, "promote_replica", promote_replica)
        monkeypatch.setattr(A, "promote_backup", promote_backup)

    def ports(self) -> Ports:
        c = self.calls

        def apply(env: Any, region: str, **kw: Any) -> dict[str, Any]:
            c.setdefault("apply", []).append((region, kw["extra_vars"], kw["auto_approve"], kw["allow_protected_changes"], kw["profile"]))
            return {"endpoint_url": ENDPOINT, "token_secret_arn": "arn:secret"}

        def wait(env: Any, region: str, outputs: dict[str, Any], f: Any, timeout_s: float, output: Any) -> dict[str, Any]:
            c["wait"] = (region, outputs, timeout_s)
            return {"stable": True, "running": 1, "desired": 1, "healthy": 1, "seconds": 2.0, "polls": 3, "noise": "dropped"}

        return Ports(apply_region=apply, wait_stable=wait, read_token=lambda *a: "f0" * 32,
                     smoke=lambda *a, **k: (True, SMOKE_OK), latency=lambda *a, **k: (True, LAT_OK))

    def run(self, output: Output | None = None, **kw: Any) -> FailoverResult | FailoverPlan:
        kw.setdefault("yes", True)
        kw.setdefault("confirm_env", "prod")  # the protected env's name: --yes alone is not enough (lifecycle/guard.py)
        return run_failover("prod", TARGET, output=output or Output(json=True), root=self.root, journal_dir=self.journal_dir,
                            factory=self.factory, ports=self.ports(), settings=Settings(endpoint_override=ENDPOINT, promote_timeout_s=11,
                                                                                  restore_timeout_s=22, poll_interval_s=3,
                                                                                  wait_timeout_s=33), **kw)

    def journal(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.journal_dir / f"prod-{TARGET}.json").read_text())
        return data


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_env(tmp_path, "prod", protected=True)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    return tmp_path


def test_replica_failover_hands_each_step_what_it_needs(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    out = Warnings()
    res = w.run(out, profile="ops")
    assert res.status == "completed" and res.already_completed is False and res.source == "replica"
    assert w.calls["creds"] == ("prod", TARGET)
    assert w.calls["fence"]["cluster_name"] == "chromactl-prod" and w.calls["fence"]["file_system_id"] == "fs-0123456789abcdef0"
    target, rep, kw = w.calls["promote_replica"]
    assert target == TARGET and rep["replica_file_system_id"] == REPLICA_FS
    assert kw.pop("output") is not None  # the wait reports its progress (Output.waiting)
    assert kw == {"timeout_s": 11, "interval_s": 3, "root": "/chroma"}
    (apply,) = w.calls["apply"]
    assert apply == (TARGET, {"existing_file_system_id": REPLICA_FS, "existing_root_directory": "/chroma",
                              "enable_cross_region_dr": "false", "existing_kms_key_arn": KMS}, True, False, "ops")
    assert w.calls["wait"] == (TARGET, {"endpoint_url": ENDPOINT, "token_secret_arn": "arn:secret"}, 33)
    j = w.journal()
    assert j["steps"]["wait"]["outputs"] == {"stable": True, "running": 1, "desired": 1, "healthy": 1, "seconds": 2.0, "polls": 3}
    assert j["source"] == "replica" and j["status"] == "completed"
    assert [j["steps"][s]["attempts"] for s in core.STEPS] == [1] * len(core.STEPS)
    assert res.file_system_id == REPLICA_FS and res.fence == "fenced" and res.endpoint == ENDPOINT
    assert res.dns["managed"] is False and ENDPOINT in res.dns["what_to_change"]
    assert res.rpo_seconds == 60.0 and res.journal == str(w.journal_dir / f"prod-{TARGET}.json")
    assert set(res.steps) == set(core.STEPS) and res.steps["gate"]["status"] == "done"
    assert not any("fenced" in m for m in out.warnings) and not any("RPO" in m for m in out.warnings)
    # again: nothing to do, nothing called
    w.calls.clear()
    again = w.run()
    assert again.already_completed is True and again.status == "completed" and w.calls == {}


def test_unfenced_primary_and_rpo_over_target_are_warned(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, fenced="unreachable", rpo_s=16 * 60)
    out = Warnings()
    assert w.run(out).status == "completed"
    assert any(m.startswith(f"the old primary in {PRIMARY} was not fenced (unreachable: silence)") and "--desired-count 0" in m
               for m in out.warnings)
    assert any(m == "RPO 960 s is above the env's target of 15 min." for m in out.warnings)


def test_rpo_at_the_target_is_not_warned(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, rpo_s=15 * 60)
    out = Warnings()
    w.run(out)
    assert not any("RPO" in m for m in out.warnings)


def test_rpo_a_second_over_the_target_is_warned(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, rpo_s=15 * 60 + 1)
    out = Warnings()
    w.run(out)
    assert "RPO 901 s is above the env's target of 15 min." in out.warnings


def test_backup_failover_restores_the_recovery_point(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, replica=False)
    res = w.run(recovery_point=RP, restore_dir="aws-backup-restore_x")
    assert res.source == "backup" and res.file_system_id == RESTORED_FS
    assert "find_replica" not in w.calls  # a named recovery point: no replica look-up
    target, rp, kms, account, kw = w.calls["promote_backup"]
    assert (target, rp["recovery_point_arn"], kms, account) == (TARGET, RP, KMS, "123456789012")
    assert kw.pop("output") is not None
    assert kw == {"timeout_s": 22, "interval_s": 3, "root": "/chroma", "restore_dir": "aws-backup-restore_x"}
    assert w.calls["apply"][0][1]["existing_root_directory"] == "/aws-backup-restore_x/chroma"
    j = w.journal()
    assert j["inputs"] == {"recovery_point": RP, "restore_dir": "aws-backup-restore_x", "accept_data_diff": False}


def test_no_data_source_stops_in_preflight_and_leaves_no_journal(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, replica=False)
    monkeypatch.setattr(A, "find_recovery_point", lambda *a: None)
    with pytest.raises(OperationFailed, match="No data to fail over from in us-west-2"):
        w.run()
    assert not (w.journal_dir / f"prod-{TARGET}.json").exists()
    with pytest.raises(OperationFailed, match="No EFS replica of env 'prod'"):
        w.run(source="replica")


def test_resume_keeps_the_journal_inputs(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, replica=False)
    failing = {"n": 0}
    real_ports = w.ports

    def ports_failing_once() -> Ports:
        p = real_ports()
        apply = p.apply_region

        def flaky(*a: Any, **kw: Any) -> dict[str, Any]:
            failing["n"] += 1
            if failing["n"] == 1:
                raise OperationFailed("terraform apply failed.", "look at the plan")
            return apply(*a, **kw)

        p.apply_region = flaky
        return p

    w.ports = ports_failing_once  # type: ignore[method-assign]
    with pytest.raises(OperationFailed) as err:
        w.run(recovery_point=RP, restore_dir="aws-backup-restore_x", accept_data_diff=True)
    assert err.value.message == "Failover stopped at step 'apply': terraform apply failed."
    assert err.value.hint == f"look at the plan Finished steps are not redone (journal: {w.journal_dir / f'prod-{TARGET}.json'})."
    j = w.journal()
    assert j["status"] == "failed" and j["steps"]["apply"]["status"] == "failed" and j["steps"]["apply"]["error"] == "terraform apply failed."
    with pytest.raises(UsageError, match="stopped at step 'apply'"):
        w.run()  # without --resume
    with pytest.raises(UsageError, match="uses --from backup, not --from replica"):
        w.run(resume=True, source="replica")
    with pytest.raises(UsageError, match="restores another recovery point"):
        w.run(resume=True, recovery_point=RP.replace("aaaa", "bbbb"))
    w.calls.pop("promote_backup")
    res = w.run(resume=True)
    assert res.status == "completed" and "promote_backup" not in w.calls  # not promoted twice
    assert w.journal()["inputs"] == {"recovery_point": RP, "restore_dir": "aws-backup-restore_x", "accept_data_diff": True}
    assert res.steps["apply"]["attempts"] == 2 and res.steps["promote"]["attempts"] == 1


def test_accept_data_diff_given_on_resume_is_kept(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    monkeypatch.setattr(M, "read_manifest", lambda env, f: {"version": 1, "env": "prod", "entries": [
        {"recorded_at": "2026-11-30T11:00:00+00:00", "region": PRIMARY, "collections": {"docs": 5}, "total_records": 5}]})
    with pytest.raises(OperationFailed, match="data check"):
        w.run()
    assert w.journal()["inputs"]["accept_data_diff"] is False
    assert w.run(resume=True, accept_data_diff=True).status == "completed"
    assert w.journal()["inputs"]["accept_data_diff"] is True


def test_dry_run_changes_nothing(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    plan = w.run(dry_run=True)
    assert plan.dry_run is True and plan.source == "auto" and plan.modelled_for == "replica"
    assert [s["step"] for s in plan.steps] == list(core.STEPS) and all(s["status"] == "pending" for s in plan.steps)
    assert w.calls == {} and not w.journal_dir.exists()
    assert w.run(dry_run=True, recovery_point=RP).source == "backup"


def test_protected_env_without_yes_and_no_terminal_is_refused_before_anything_runs(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    w = World(root, monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    for yes in (False, True):
        with pytest.raises(UsageError, match="protected env prod") as err:
            w.run(yes=yes, confirm_env=None)
        assert "--confirm-env prod" in (err.value.hint or "")
    assert "fence" not in w.calls and not (w.journal_dir / f"prod-{TARGET}.json").exists()
