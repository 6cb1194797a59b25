"""`chromactl restore`: a recovery point into a NEW file system, the stack pointed at it by a real Terraform apply
(offline provider, local backend), the gate against a real Chroma behind nginx; AWS Backup and EFS through botocore
Stubbers (moto has neither restore jobs nor recovery points), ECS/ELBv2/S3/Secrets Manager in moto's server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY
from chromactl.day2.restore import run_restore
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover.core import Settings
from chromactl.output import Output

from tests.day2.conftest import ACCOUNT, PRIMARY, ROLE, resources, state_of
from tests.failover.conftest import SEED, TOKEN

pytestmark = pytest.mark.timeout(600)  # a hang guard: two real Terraform runs on a busy machine

NEW_FS = "fs-0aaaabbbbccccdddd"
KMS = f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
RP = f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:rp-3h"
JOB_STARTED = datetime(2026, 12, 2, 1, 0, 1, 250000, tzinfo=UTC)


class World:
    """Stubbed AWS Backup / EFS / ECS in the primary region, moto for the rest, and the ports the run uses."""

    def __init__(self, root: Path, moto_url: str, chroma: Any):
        import boto3
        from botocore.stub import Stubber
        from chromactl.aws.session import ClientFactory

        self.root, self.chroma = root, chroma
        self.old_fs = next(a["id"] for a in resources(state_of(root), "aws_efs_file_system"))
        boto = lambda svc, region=PRIMARY: boto3.client(svc, region_name=region, endpoint_url=moto_url)
        ec2 = boto("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        tg = boto("elbv2").create_target_group(Name="chromactl-prod", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")
        self.tg = tg["TargetGroups"][0]["TargetGroupArn"]
        boto("elbv2").register_targets(TargetGroupArn=self.tg, Targets=[{"Id": "10.30.1.10", "Port": 8000}])
        self.secret = boto("secretsmanager").create_secret(Name="chromactl-prod/alb-token", SecretString=TOKEN)["ARN"]
        s3 = boto("s3", "us-east-2")
        s3.create_bucket(Bucket="chromactl-state-test", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        self.s3 = s3
        clients = {svc: boto3.client(svc, region_name=PRIMARY) for svc in ("backup", "efs", "ecs")}
        self.stubs = {svc: Stubber(c) for svc, c in clients.items()}
        for s in self.stubs.values():
            s.activate()
        self.factory = ClientFactory(overrides={(svc, PRIMARY): c for svc, c in clients.items()})
        self.applies: list[dict[str, Any]] = []

    def manifest(self, counts: dict[str, int], hours_ago: float = 5) -> None:
        entry = {"recorded_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds"), "region": PRIMARY,
                 "collections": counts, "total_records": sum(counts.values())}
        self.s3.put_object(Bucket="chromactl-state-test", Key="chromactl/prod/manifest.json",
                           Body=json.dumps({"version": 1, "env": "prod", "entries": [entry]}).encode())

    def queue_preflight(self, *, vault_has_it: bool = True, efs: bool = True) -> None:
        b = self.stubs["backup"]
        if not vault_has_it:
            b.add_client_error("describe_recovery_point", "ResourceNotFoundException", http_status_code=404,
                               expected_params={"BackupVaultName": "chromactl-prod", "RecoveryPointArn": RP})
            return
        b.add_response("describe_recovery_point", {
            "RecoveryPointArn": RP, "BackupVaultName": "chromactl-prod", "ResourceType": "EFS", "Status": "COMPLETED",
            "ResourceArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{self.old_fs}",
            "CreationDate": datetime.now(UTC) - timedelta(hours=3), "BackupSizeInBytes": 123456},
            {"BackupVaultName": "chromactl-prod", "RecoveryPointArn": RP})
        if not efs:
            return
        self.stubs["efs"].add_response("describe_file_systems", {"FileSystems": [{
            "OwnerId": ACCOUNT, "CreationToken": "chromactl-prod", "FileSystemId": self.old_fs, "CreationTime": datetime.now(UTC),
            "LifeCycleState": "available", "NumberOfMountTargets": 2, "SizeInBytes": {"Value": 1024}, "PerformanceMode": "generalPurpose",
            "Encrypted": True, "KmsKeyId": KMS, "Tags": []}]}, {"FileSystemId": self.old_fs})

    def queue_restore(self) -> None:
        b = self.stubs["backup"]
        # EFS restore metadata (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-efs.html#efs-restore-cli)
        b.add_response("start_restore_job", {"RestoreJobId": "job-r1"}, {
            "RecoveryPointArn": RP, "IamRoleArn": ROLE, "IdempotencyToken": ANY, "ResourceType": "EFS",
            "Metadata": {"file-system-id": self.old_fs, "newFileSystem": "true", "Encrypted": "true", "KmsKeyId": KMS,
                         "PerformanceMode": "generalPurpose", "CreationToken": ANY}})
        job = {"RestoreJobId": "job-r1", "RecoveryPointArn": RP, "CreationDate": JOB_STARTED}
        b.add_response("describe_restore_job", {**job, "Status": "RUNNING", "PercentDone": "50%"}, {"RestoreJobId": "job-r1"})
        b.add_response("describe_restore_job", {**job, "Status": "COMPLETED",
                                                "CreatedResourceArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{NEW_FS}"},
                       {"RestoreJobId": "job-r1"})

    def queue_wait(self) -> None:
        svc = {"serviceName": "chromactl-prod", "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
               "deployments": [{"id": "ecs-svc/2", "status": "PRIMARY", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
                                "rolloutState": "COMPLETED"}]}
        self.stubs["ecs"].add_response("describe_services", {"services": [svc], "failures": []}, {"cluster": ANY, "services": ANY})

    def ports(self) -> Any:
        from chromactl.failover.ports import Ports

        real = Ports()

        def apply(env: Any, region: str, **kw: Any) -> dict[str, Any]:
            self.applies.append(kw)
            outputs = real.apply_region(env, region, **kw)  # real Terraform, offline provider
            # the offline provider makes nothing in moto: the two ARNs later steps dereference are moto's
            return {**outputs, "target_group_arn": self.tg, "token_secret_arn": self.secret}

        def wait(*a: Any, **kw: Any) -> dict[str, Any]:
            self.queue_wait()
            return real.wait_stable(*a, **kw)

        return Ports(apply_region=apply, wait_stable=wait, read_token=real.read_token, smoke=real.smoke, latency=real.latency)

    def settings(self) -> Settings:
        return Settings(poll_interval_s=0.0, restore_timeout_s=5, wait_timeout_s=10, latency_queries=20, latency_concurrency=2,
                        smoke_vectors=20, latency_seed_vectors=50, endpoint_override=self.chroma.url)

    def go(self, **kw: Any) -> dict[str, Any]:
        return run_restore("prod", kw.pop("recovery_point", RP), output=Output(json=True), root=self.root, factory=self.factory,
                           ports=self.ports(), settings=self.settings(), **kw)

    def close(self) -> None:
        for s in self.stubs.values():
            s.deactivate()

    def assert_stubs_used(self) -> None:
        for s in self.stubs.values():
            s.assert_no_pending_responses()


@pytest.fixture
def world(tf_project: Path, aws_env: Any, chroma: Any) -> Any:
    w = World(tf_project, aws_env.url, chroma)
    try:
        yield w
    finally:
        w.close()


def test_restore_points_the_stack_at_a_new_file_system_and_keeps_the_old(world: World) -> None:
    world.manifest(SEED)
    world.queue_preflight()
    world.queue_restore()
    before = state_of(world.root)
    res = world.go(confirm_env="prod")  # prod is protected: the typed name
    world.assert_stubs_used()
    assert res["status"] == "completed", res
    root = "/aws-backup-restore_2026-12-02T01-00-01-250Z/chroma"
    assert res["file_system_id"] == NEW_FS and res["root_directory"] == root
    # the real apply: the access point and mount targets are on the restored file system, at the restore's root ...
    after = state_of(world.root)
    (ap,) = resources(after, "aws_efs_access_point")
    assert ap["file_system_id"] == NEW_FS and ap["root_directory"][0]["path"] == root
    assert {m["file_system_id"] for m in resources(after, "aws_efs_mount_target")} == {NEW_FS}
    # ... the old file system was forgotten, not destroyed (no delete of it in the applied plan), and is named for removal
    assert resources(after, "aws_efs_file_system") == [] and resources(before, "aws_efs_file_system")
    assert any(a.endswith("aws_efs_file_system.this[0]") for a in world_apply_forgotten(world))
    assert res["old_file_system_id"] == world.old_fs and world.old_fs in res["remove_old_file_system"]
    assert len(resources(after, "terraform_data")) >= 1  # a new protect guard for the new file system
    # the inputs persist for every later plan
    tfvars = json.loads((world.root / "envs" / "prod" / "chromactl.auto.tfvars.json").read_text())
    assert tfvars == {"existing_file_system_id": NEW_FS, "existing_root_directory": root, "existing_kms_key_arn": KMS}
    assert res["gate"]["data"]["ok"] and res["gate"]["smoke_ok"] and res["gate"]["latency_ok"]
    assert all(n in res["gate"]["observed"] for n in SEED)


def world_apply_forgotten(world: World) -> list[str]:
    journal = json.loads((world.root / ".chromactl" / "restore" / f"prod-{PRIMARY}.json").read_text())
    return journal["steps"]["apply"]["outputs"]["forgotten"]


def test_a_failed_gate_stops_and_resume_checks_again_without_a_second_restore(world: World) -> None:
    world.manifest({**SEED, "docs": SEED["docs"] + 50})  # the data holds fewer records than the manifest
    world.queue_preflight()
    world.queue_restore()
    with pytest.raises(OperationFailed) as exc:
        world.go(confirm_env="prod")
    assert "stopped at step 'gate'" in exc.value.message and "fewer records than the manifest: docs 120/170" in exc.value.message
    assert "old file system is untouched" in (exc.value.hint or "")
    world.manifest(SEED)  # a human checked: the manifest was wrong
    res = world.go(confirm_env="prod", resume=True)
    world.assert_stubs_used()  # no second StartRestoreJob, no second preflight
    assert res["status"] == "completed" and len(world.applies) == 1
    assert res["steps"]["gate"]["attempts"] == 2 and res["steps"]["restore"]["attempts"] == 1


def test_bad_inputs_change_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = world.root / ".chromactl" / "restore" / f"prod-{PRIMARY}.json"
    tfvars = world.root / "envs" / "prod" / "chromactl.auto.tfvars.json"
    cases = [
        ("not-an-arn", "is not an AWS Backup recovery point ARN"),
        (f"arn:aws:backup:us-west-2:{ACCOUNT}:recovery-point:rp-3h", "is in us-west-2, not in prod/us-east-1"),
        (f"arn:aws:backup:{PRIMARY}:210987654321:recovery-point:rp-3h", "belongs to account 210987654321"),
    ]
    for arn, words in cases:
        with pytest.raises(UsageError) as exc:
            world.go(recovery_point=arn, confirm_env="prod")
        assert words in exc.value.message and exc.value.exit_code == 2
    world.queue_preflight(vault_has_it=False)  # another env's recovery point: not in this env's vault
    with pytest.raises(UsageError, match="not in env 'prod'.s vault chromactl-prod: it belongs to another env"):
        world.go(confirm_env="prod")
    world.queue_preflight(efs=False)  # protected, no typed name, no terminal: refused after the ARN check, before the run
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    with pytest.raises(UsageError, match="protected env prod/us-east-1, and the env's name was not typed"):
        world.go(yes=True)
    world.assert_stubs_used()  # no StartRestoreJob was ever called
    assert not journal.exists() and not tfvars.exists() and not world.applies
