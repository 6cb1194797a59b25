"""`chromactl failover` end to end: moto (STS, S3, ECS, ELBv2, Route 53, Secrets Manager) on 127.0.0.1, botocore
Stubbers for EFS replication and AWS Backup, the primary region dead (connection refused), a real Chroma for the gate."""

from __future__ import annotations

import json
import re
from datetime import UTC
from typing import Any

import pytest
from chromactl.errors import ChromactlError, OperationFailed
from chromactl.failover import core
from chromactl.failover.core import FailoverPlan, FailoverResult, Settings, run_failover
from chromactl.output import Output

from tests.failover.conftest import (
    ACCOUNT,
    BACKUP_ROLE,
    BUCKET,
    CLUSTER,
    KMS,
    LAG_S,
    PRIMARY,
    RECORD,
    REPLICA_FS,
    RESTORED_FS,
    SEED,
    SERVICE,
    SOURCE_FS,
    STATE_REGION,
    TARGET,
    VAULT,
    Counting,
    World,
    make_ports,
    primary_state,
    recovery_point,
)
from tests.fixtures.envelope import result_of
from tests.fixtures.filled import fill_placeholders

# A hang guard, not a speed check: these tests run real Terraform against the offline double and a real
# Chroma; on a busy machine (8 sessions on 2 cores) one took over 120 s and passed alone (issue 20.8).
pytestmark = pytest.mark.timeout(900)


def settings(chroma: Any) -> Settings:
    return Settings(poll_interval_s=0.0, promote_timeout_s=5, restore_timeout_s=5, wait_timeout_s=10, dns_timeout_s=5,
                    latency_queries=40, latency_concurrency=2, smoke_vectors=50, latency_seed_vectors=100,
                    endpoint_override=chroma.url)


def record_calls(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every AWS API call made: (service:Operation, region, params), from the factory's clients and the stubbed ones."""
    seen: list[tuple[str, str, dict[str, Any]]] = []

    def recorder(region: str | None) -> Any:
        def hook(params: Any, model: Any, **kw: Any) -> None:
            seen.append((f"{model.service_model.service_name}:{model.name}", region or kw.get("context", {}).get("client_region", "?"),
                         dict(params)))
        return hook

    for client in world.factory.overrides.values():
        client.meta.events.register("before-parameter-build", recorder(client.meta.region_name))
    world.factory.session().events.register("before-parameter-build", recorder(None))
    return seen


def go(world: World, chroma: Any, counting: Counting, **kw: Any) -> FailoverResult | FailoverPlan:
    kw.setdefault("yes", True)
    kw.setdefault("confirm_env", "prod")
    return run_failover("prod", TARGET, output=Output(json=True), factory=world.factory, ports=make_ports(world, counting),
                        settings=settings(chroma), root=world.root, **kw)


def seed_manifest(world: World, entries: list[dict[str, Any]]) -> None:
    body = {"version": 1, "env": "prod", "entries": entries}
    world.boto("s3", STATE_REGION).put_object(Bucket=BUCKET, Key="chromactl/prod/manifest.json", Body=json.dumps(body).encode())


def manifest_entries(world: World) -> list[dict[str, Any]]:
    raw = world.boto("s3", STATE_REGION).get_object(Bucket=BUCKET, Key="chromactl/prod/manifest.json")["Body"].read()
    return json.loads(raw)["entries"]


def dns_records(world: World) -> list[dict[str, Any]]:
    sets = world.boto("route53", "us-east-1").list_resource_record_sets(HostedZoneId=world.zone_id)["ResourceRecordSets"]
    return [r for r in sets if r["Name"] == RECORD and r["Type"] == "A"]


def _iso_ago(seconds: float) -> str:
    from datetime import datetime, timedelta

    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


# --- the happy path, primary region gone ------------------------------------------------------------------


def real_terraform(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """The apply step for real: lifecycle.apply_region runs Terraform on the temp copy of envs/prod against the
    offline AWS provider, local backend. The offline provider creates nothing in moto, so the two ARNs the later
    steps dereference in AWS (target group, token secret) are swapped for the moto stand-ins' ARNs; every other
    output (names, file system, root, ALB DNS name and zone) is Terraform's."""
    from chromactl.failover.ports import Ports
    from tfoffline import harness

    # The apply refuses placeholders, sandbox or not: fill the copy's as a user would. moto answers STS as
    # 123456789012 (a documentation id), so the env declares no account for failover to compare it with.
    prod = world.root / "envs" / "prod"
    toml = prod / "chromactl.toml"
    toml.write_text(re.sub(r'(?m)^account_id = .*\n', "", toml.read_text()))
    fill_placeholders(prod)
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(tmp_path / "tfrc")))
    monkeypatch.setenv("NO_COLOR", "1")
    # with the local backend, the primary's last state lives under .chromactl/state (as lifecycle keeps it)
    primary = world.root / ".chromactl" / "state" / "prod" / PRIMARY / "terraform.tfstate"
    primary.parent.mkdir(parents=True)
    primary.write_text(json.dumps(primary_state()))

    def apply(env: Any, region: str, **kw: Any) -> dict[str, Any]:
        outputs = Ports().apply_region(env, region, **kw)
        state = json.loads((world.root / ".chromactl" / "state" / "prod" / region / "terraform.tfstate").read_text())
        types = [r["type"] for r in state["resources"] if r["mode"] == "managed"]
        ap = next(r for r in state["resources"] if r["type"] == "aws_efs_access_point")["instances"][0]["attributes"]
        assert ap["file_system_id"] == REPLICA_FS and ap["root_directory"][0]["path"] == "/chroma"
        assert "aws_efs_file_system" not in types and "aws_efs_replication_configuration" not in types
        assert "aws_ecs_service" in types and "aws_lb" in types
        assert outputs["file_system_id"] == REPLICA_FS and outputs["region"] == TARGET
        world.calls["terraform_resources"] = len(types)
        return {**outputs, "target_group_arn": world.outputs["target_group_arn"], "token_secret_arn": world.outputs["token_secret_arn"]}

    return apply


@pytest.mark.slow
def test_replica_failover_with_primary_region_gone(world: World, chroma: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    primary_before = primary_state()
    apply = real_terraform(world, monkeypatch, tmp_path)
    # A manifest recorded before the replica's last sync: the copy must hold at least these counts.
    seed_manifest(world, [{"recorded_at": _iso_ago(3600), "region": PRIMARY, "collections": {"docs": 100, "faq": 30}, "total_records": 130},
                          {"recorded_at": _iso_ago(60), "region": PRIMARY, "collections": {"docs": 125, "faq": 30}, "total_records": 155}])
    world.queue_preflight_replica()
    world.queue_promote_replica()
    counting = Counting()
    calls = record_calls(world)
    res = run_failover("prod", TARGET, output=Output(json=True), factory=world.factory, yes=True, confirm_env="prod", root=world.root,
                       ports=make_ports(world, counting, apply_fn=apply), settings=settings(chroma))

    assert res.status == "completed" and res.source == "replica"
    assert world.calls["terraform_resources"] > 50  # the whole stack, planned and applied by real Terraform
    assert res.file_system_id == REPLICA_FS and res.root_directory == "/chroma"
    # RPO from the replica's real lag (the Stubber's LastReplicatedTimestamp = now - 450 s).
    assert LAG_S <= res.rpo_seconds < LAG_S + 60
    print(f"\nRPO reported from the replica's lag: {res.rpo_seconds:.0f} s; measured here: "
          + ", ".join(f"{n} {s['seconds']:.1f} s" for n, s in res.steps.items()) + f"; total {res.measured_seconds} s")
    # The primary never answered: the fence recorded it and did not block.
    assert res.fence == "unreachable"
    # Apply got the promoted file system, its root, and no cross-region DR.
    assert counting.calls["apply"] == 1
    assert counting.calls["apply_vars"] == [{"existing_file_system_id": REPLICA_FS, "existing_root_directory": "/chroma",
                                             "enable_cross_region_dr": "false", "existing_kms_key_arn": KMS,
                                             "dns_zone_id": "", "dns_record_name": ""}]
    # DNS: the alias now points at the target region's ALB.
    recs = dns_records(world)
    assert len(recs) == 1 and recs[0]["AliasTarget"]["DNSName"].rstrip(".").endswith(f"{TARGET}.elb.amazonaws.com")
    # the primary's state was only read
    assert json.loads((world.root / ".chromactl" / "state" / "prod" / PRIMARY / "terraform.tfstate").read_text()) == primary_before
    # The gate compared against the manifest entry older than the data (docs 100 <= 120) and recorded a new one.
    journal = json.loads((world.root / ".chromactl" / "failover" / f"prod-{TARGET}.json").read_text())
    gate = journal["steps"]["gate"]["outputs"]
    assert gate["data"]["ok"] and gate["data"]["baseline_recorded_at"] is not None
    assert gate["data"]["within_rpo_window"]["collections"]["docs"] == {"newest_manifest": 125, "found": SEED["docs"]}
    entries = manifest_entries(world)
    assert len(entries) == 3 and entries[-1]["region"] == TARGET and entries[-1]["collections"] == SEED
    # ... and the Chroma version that opened the data in the new region, as up's smoke does (issue 18)
    from chromactl.config import load_env
    from chromactl.day2.version import read_record

    assert gate["chroma_version_recorded"] == "1.5.9"
    record = read_record(load_env("prod", world.root), world.factory)
    assert record["highest"] == "1.5.9" and record["history"][-1]["region"] == TARGET
    world.assert_stubs_used()
    # The source file system is never touched: no EFS client for the primary region exists, and the only EFS
    # write is the replica-side DeleteReplicationConfiguration (LOCAL_CONFIGURATION_ONLY) in the target region.
    efs_calls = [c for c in calls if c[0].startswith("efs:")]
    assert all(region == TARGET for _, region, _ in efs_calls)
    writes = [c for c in efs_calls if not c[0].split(":")[1].startswith("Describe")]
    assert [w[0] for w in writes] == ["efs:DeleteReplicationConfiguration"]
    assert ("efs", PRIMARY) not in world.factory._cache
    primary_calls = [c for c in calls if c[1] == PRIMARY]
    assert [c[0] for c in primary_calls] == ["ecs:UpdateService"]  # the fence, refused by the dead endpoint

    # Rerunning a completed failover changes nothing and calls nothing.
    before = len(calls)
    again = run_failover("prod", TARGET, output=Output(json=True), factory=world.factory, yes=True, confirm_env="prod", root=world.root,
                         ports=make_ports(world, counting, apply_fn=apply), settings=settings(chroma))
    assert again.already_completed is True and again.status == "completed"
    assert len(calls) == before and counting.calls["apply"] == 1
    assert len(manifest_entries(world)) == 3


def test_fence_scales_a_live_primary_to_zero(world: World, chroma: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMACTL_AWS_ENDPOINTS")  # the primary answers this time (moto)
    ecs = world.boto("ecs", PRIMARY)
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(family="chroma", containerDefinitions=[{"name": "chroma", "image": "chromadb/chroma:1.5.9", "memory": 512}])
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="chroma", desiredCount=1)
    world.queue_preflight_replica()
    world.queue_promote_replica()
    res = go(world, chroma, Counting())
    assert res.status == "completed" and res.fence == "fenced"
    assert ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["desiredCount"] == 0


def _queue_backup_restore(world: World, role: str) -> Any:
    from datetime import datetime

    from botocore.stub import ANY

    older, newest = recovery_point("old-1", hours_ago=30), recovery_point("new-2", hours_ago=3)
    other_env = recovery_point("other-3", hours_ago=1, source="fs-0999999999999999f")  # another file system's backup: ignored
    world.backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [older, newest, other_env]},
                              {"BackupVaultName": VAULT, "ByResourceType": "EFS", "MaxResults": 100})
    world.backup.add_response("start_restore_job", {"RestoreJobId": "job-1"}, {
        "RecoveryPointArn": newest["RecoveryPointArn"], "ResourceType": "EFS",
        "IamRoleArn": role,
        "IdempotencyToken": ANY,
        "Metadata": {"file-system-id": SOURCE_FS, "newFileSystem": "true", "Encrypted": "true", "KmsKeyId": KMS,
                     "PerformanceMode": "generalPurpose", "CreationToken": ANY},
    })
    created = datetime(2026, 11, 25, 21, 4, 5, 678000, tzinfo=UTC)
    job = {"RestoreJobId": "job-1", "CreationDate": created, "RecoveryPointArn": newest["RecoveryPointArn"]}
    world.backup.add_response("describe_restore_job", {**job, "Status": "RUNNING", "PercentDone": "40%"}, {"RestoreJobId": "job-1"})
    world.backup.add_response("describe_restore_job", {**job, "Status": "COMPLETED", "CompletionDate": created,
                                                       "CreatedResourceArn": f"arn:aws:elasticfilesystem:{TARGET}:{ACCOUNT}:file-system/{RESTORED_FS}"},
                              {"RestoreJobId": "job-1"})
    return newest


def test_backup_failover_restores_into_new_encrypted_efs(world: World, chroma: Any) -> None:
    _queue_backup_restore(world, BACKUP_ROLE)  # the stack's own backup role (output backup_role_arn), not a default role
    counting = Counting()
    res = go(world, chroma, counting, source="backup")
    assert res.status == "completed" and res.source == "backup"
    assert res.file_system_id == RESTORED_FS
    assert res.root_directory == "/aws-backup-restore_2026-11-25T21-04-05-678Z/chroma"
    assert counting.calls["apply_vars"][0]["existing_root_directory"] == res.root_directory
    assert 3 * 3600 - 60 < res.rpo_seconds < 3 * 3600 + 120
    world.assert_stubs_used()
    assert ("efs", PRIMARY) not in world.factory._cache  # the source file system is never called


def _put_primary_state(world: World, state: dict[str, Any]) -> None:
    world.boto("s3", STATE_REGION).put_object(Bucket=BUCKET, Key=f"chromactl/prod/{PRIMARY}/terraform.tfstate", Body=json.dumps(state).encode())


def test_backup_failover_finds_the_stack_role_in_a_state_without_the_output(world: World, chroma: Any) -> None:
    # a primary applied before envs/_root exported backup_role_arn: the state's role trusted by AWS Backup
    _put_primary_state(world, primary_state(backup_role_output=False))
    _queue_backup_restore(world, BACKUP_ROLE)
    res = go(world, chroma, Counting(), source="backup")
    assert res.status == "completed" and res.source == "backup"
    world.assert_stubs_used()


def test_backup_failover_without_a_stack_role_refuses_instead_of_guessing(world: World, chroma: Any) -> None:
    _put_primary_state(world, primary_state(backup_role_output=False, backup_role_resource=False))
    newest = recovery_point("new-2", hours_ago=3)
    world.backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [newest]},
                              {"BackupVaultName": VAULT, "ByResourceType": "EFS", "MaxResults": 100})
    with pytest.raises(OperationFailed, match="backup_role_arn"):
        go(world, chroma, Counting(), source="backup")
    world.assert_stubs_used()  # no start_restore_job was sent (the Stubber would reject an unqueued call anyway)


# --- dry run: the RTO model -------------------------------------------------------------------------------


def test_dry_run_prints_every_step_and_modelled_rto_within_15_minutes(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.cli.app import main

    calls = record_calls(world)
    code = main(["failover", "--env", "prod", "--region", TARGET, "--dry-run", "--json"])
    assert code == 0
    plan = result_of(capsys.readouterr().out)
    assert [s["step"] for s in plan["steps"]] == list(core.STEPS)
    assert all(s["calls"] and s["modelled_seconds"] > 0 and s["source_of_figure"] for s in plan["steps"])
    assert plan["modelled_rto_seconds"] <= 15 * 60
    with capsys.disabled():
        print(f"\nmodelled RTO from the replica: {plan['modelled_rto_seconds']} s = {plan['modelled_rto_minutes']} min "
              f"(" + ", ".join(f"{s['step']} {s['modelled_seconds']} s" for s in plan["steps"]) + ")")
    assert calls == [] and not (world.root / ".chromactl").exists()  # nothing called, nothing written
    code = main(["failover", "--env", "prod", "--region", TARGET, "--dry-run"])  # the human rendering too
    assert code == 0 and "Modelled RTO" in capsys.readouterr().out


# --- fault injection: a failure at each step, then --resume ------------------------------------------------


@pytest.mark.parametrize("step", core.STEPS)
def test_failure_at_each_step_then_resume_completes_without_redoing(world: World, chroma: Any, step: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    done: dict[str, int] = {}
    fired = []

    def wrap(name: str, fn: Any) -> Any:
        def inner(run: Any) -> Any:
            if name == step and not fired:
                fired.append(name)
                raise OperationFailed(f"injected fault in {name}.", "test")
            out = fn(run)
            done[name] = done.get(name, 0) + 1
            return out
        return inner

    for name, fn in list(core.STEP_FUNCS.items()):
        monkeypatch.setitem(core.STEP_FUNCS, name, wrap(name, fn))
    world.queue_preflight_replica()
    world.queue_promote_replica()
    counting = Counting()
    journal_file = world.root / ".chromactl" / "failover" / f"prod-{TARGET}.json"
    with pytest.raises(OperationFailed) as err:
        go(world, chroma, counting)
    assert "injected fault" in err.value.message
    if step == "preflight":
        assert not journal_file.exists()  # a fresh run that failed its preflight changed nothing
    else:
        j = json.loads(journal_file.read_text())
        assert j["status"] == "failed" and j["steps"][step]["status"] == "failed"
        # without --resume, a stopped failover is not restarted by accident
        with pytest.raises(ChromactlError) as again:
            go(world, chroma, counting)
        assert "--resume" in (again.value.hint or "")
    res = go(world, chroma, counting, resume=True)
    assert res.status == "completed"
    assert done == {name: 1 for name in core.STEPS}  # every step finished exactly once
    assert counting.calls["apply"] == 1 and counting.calls["wait"] == 1
    world.assert_stubs_used()  # one delete of the replication, no extra EFS call
    assert len(dns_records(world)) == 1
    j = json.loads(journal_file.read_text())
    assert j["steps"][step]["attempts"] == (1 if step == "preflight" else 2)


def test_crash_mid_promote_resumes_without_deleting_twice(world: World, chroma: Any) -> None:
    """The replication is deleted, then EFS stops answering during the wait: --resume only waits."""
    from tests.failover.conftest import fs_resp, replication_resp

    world.queue_preflight_replica()
    world.efs.add_response("describe_replication_configurations", replication_resp(), {"FileSystemId": REPLICA_FS})
    world.efs.add_response("delete_replication_configuration", {}, {"SourceFileSystemId": SOURCE_FS, "DeletionMode": "LOCAL_CONFIGURATION_ONLY"})
    world.efs.add_client_error("describe_file_systems", "InternalServerError", http_status_code=500)
    with pytest.raises(OperationFailed, match="promote"):
        go(world, chroma, Counting())
    world.efs.assert_no_pending_responses()
    world.efs.add_response("describe_file_systems", fs_resp(REPLICA_FS, "ENABLED"), {"FileSystemId": REPLICA_FS})
    world.efs.add_client_error("describe_replication_configurations", "ReplicationNotFound", http_status_code=404)
    res = go(world, chroma, Counting(), resume=True)
    assert res.status == "completed" and LAG_S <= res.rpo_seconds < LAG_S + 60
    world.assert_stubs_used()


def test_crash_mid_restore_resumes_the_same_job(world: World, chroma: Any) -> None:
    from botocore.stub import ANY

    rp = recovery_point("new-2", hours_ago=2)
    world.backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp]}, None)
    world.backup.add_response("start_restore_job", {"RestoreJobId": "job-9"}, {"RecoveryPointArn": rp["RecoveryPointArn"], "Metadata": ANY,
                                                                              "IamRoleArn": ANY, "IdempotencyToken": ANY, "ResourceType": "EFS"})
    world.backup.add_client_error("describe_restore_job", "ServiceUnavailableException", http_status_code=503)
    with pytest.raises(OperationFailed, match="promote"):
        go(world, chroma, Counting(), source="backup")
    world.backup.add_response("describe_restore_job", {"RestoreJobId": "job-9", "Status": "COMPLETED", "CreationDate": rp["CreationDate"],
                                                       "CreatedResourceArn": f"arn:aws:elasticfilesystem:{TARGET}:{ACCOUNT}:file-system/{RESTORED_FS}"},
                              {"RestoreJobId": "job-9"})
    res = go(world, chroma, Counting(), resume=True)  # no second StartRestoreJob: the Stubber would refuse it
    assert res.status == "completed" and res.file_system_id == RESTORED_FS
    world.assert_stubs_used()


def test_route53_control_plane_down_then_resume(world: World, chroma: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Route 53's API (global endpoint, control plane in us-east-1) refuses connections: the stack is up, the DNS step
    fails with what to change by hand; once Route 53 answers, --resume only does the DNS step."""
    world.queue_preflight_replica()
    world.queue_promote_replica()
    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", json.dumps({PRIMARY: world.dead_url, "aws-global": world.dead_url}))
    counting = Counting()
    with pytest.raises(OperationFailed) as err:
        go(world, chroma, counting)
    assert "Route 53's API (control plane in us-east-1) did not answer" in err.value.message
    assert RECORD in (err.value.hint or "") and ".elb.amazonaws.com" in (err.value.hint or "")
    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", json.dumps({PRIMARY: world.dead_url}))
    world.factory._cache.clear()  # a new run builds new clients (the CLI does: one process per run)
    res = go(world, chroma, counting, resume=True)
    assert res.status == "completed" and counting.calls["apply"] == 1 and counting.calls["smoke"] == 1
    assert len(dns_records(world)) == 1


def test_resume_on_another_machine_from_the_journal_copy_in_the_state_bucket(world: World, chroma: Any,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    world.queue_preflight_replica()
    world.queue_promote_replica()
    counting = Counting()
    original = make_ports(world, counting)
    failing = make_ports(world, counting, apply_fn=lambda *a, **k: (_ for _ in ()).throw(OperationFailed("terraform apply failed.")))
    with pytest.raises(OperationFailed, match="apply"):
        run_failover("prod", TARGET, output=Output(json=True), factory=world.factory, yes=True, confirm_env="prod", root=world.root, ports=failing,
                     settings=settings(chroma))
    local = world.root / ".chromactl" / "failover" / f"prod-{TARGET}.json"
    key = f"chromactl/prod/failover/{TARGET}.json"
    copy = json.loads(world.boto("s3", STATE_REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert copy["steps"]["promote"]["status"] == "done" and copy["steps"]["apply"]["status"] == "failed"
    local.unlink()  # the laptop that started it is gone
    res = run_failover("prod", TARGET, output=Output(json=True), factory=world.factory, yes=True, confirm_env="prod", root=world.root, ports=original,
                       settings=settings(chroma), resume=True)
    assert res.status == "completed" and LAG_S <= res.rpo_seconds < LAG_S + 60
    assert res.steps["promote"]["attempts"] == 1 and res.steps["apply"]["attempts"] == 2
    world.assert_stubs_used()  # the replica was not promoted twice
    copy = json.loads(world.boto("s3", STATE_REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert copy["status"] == "completed"
