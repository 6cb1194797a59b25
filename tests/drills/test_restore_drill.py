"""restore-test: AWS Backup through a botocore Stubber (moto has no Backup jobs), EFS, ECS,
ELBv2, S3 (the manifest) in moto's server; the temporary endpoint's data check against
a real Chroma holding the "restored" collections.

Proves: the newest recovery point is restored into a new file system, mount targets and
an access point rooted in the restore directory are made, a temporary task, target
group and header-matched listener rule serve it, the data check compares with the
manifest, and everything is deleted again - also when the data check fails midway."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chromactl.drills.core import run_drill

from tests.drills.conftest import ACCOUNT, NAME, REGION, World, quiet
from tests.fixtures.servers import hang_guard

VAULT = "chromactl-dev"
BACKUP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/chromactl-dev-{REGION}-backup"  # the stack names it <project>-<env>-<region>-backup


def ts(seconds_ago: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


@pytest.fixture
def restore_world(world: World) -> Iterator[dict[str, Any]]:
    import boto3
    import numpy as np
    from botocore.stub import ANY, Stubber
    from chromactl.checks.client import ChromaClient

    stack = world.stack
    efs = boto3.client("efs", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION).create_key(Description="chromactl-dev efs")["KeyMetadata"]["Arn"]
    src = efs.create_file_system(CreationToken="chromactl-dev", Encrypted=True, KmsKeyId=kms, PerformanceMode="generalPurpose")["FileSystemId"]
    for subnet in list(stack.subnets)[:2]:
        efs.create_mount_target(FileSystemId=src, SubnetId=subnet, SecurityGroups=[stack.security_group])
    ap = efs.create_access_point(FileSystemId=src, PosixUser={"Uid": 1000, "Gid": 1000},
                                 RootDirectory={"Path": "/chroma", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"}})["AccessPointId"]
    # what the restore job creates (AWS Backup makes it; moto cannot, so it exists up front and the stubbed job names it)
    restored = efs.create_file_system(CreationToken="restored-by-backup", Encrypted=True, KmsKeyId=kms)["FileSystemId"]

    # the "restored" data: collections on a real Chroma, and a manifest recorded before the recovery point
    suffix = secrets.token_hex(3)
    counts = {f"rt-docs-{suffix}": 40, f"rt-faq-{suffix}": 12}
    rng = np.random.default_rng(1)
    with ChromaClient(world.chroma.url) as c:
        for name, n in counts.items():
            col = c.create_collection(name)
            c.add(col["id"], [f"{name}-{i}" for i in range(n)], rng.random((n, 8), dtype=np.float32))
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket="chromactl-state-dev", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    manifest = {"version": 1, "env": "dev", "entries": [
        {"recorded_at": ts(7200).isoformat(timespec="seconds"), "region": REGION, "collections": counts, "total_records": sum(counts.values())}]}
    s3.put_object(Bucket="chromactl-state-dev", Key="chromactl/dev/manifest.json", Body=json.dumps(manifest).encode())

    backup = boto3.client("backup", region_name=REGION)
    stub = Stubber(backup)
    rp_arn = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:rp-newest"
    src_arn = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{src}"
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [
        {"RecoveryPointArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:rp-older", "BackupVaultName": VAULT,
         "ResourceArn": src_arn, "ResourceType": "EFS", "Status": "COMPLETED", "CreationDate": ts(86400)},
        {"RecoveryPointArn": rp_arn, "BackupVaultName": VAULT, "ResourceArn": src_arn, "ResourceType": "EFS", "Status": "COMPLETED",
         "CreationDate": ts(3600)},
        {"RecoveryPointArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:rp-partial", "BackupVaultName": VAULT,
         "ResourceArn": src_arn, "ResourceType": "EFS", "Status": "PARTIAL", "CreationDate": ts(60)},
    ]}, {"BackupVaultName": VAULT, "ByResourceType": "EFS", "MaxResults": 100})
    stub.add_response("start_restore_job", {"RestoreJobId": "job-0001"},
                      {"RecoveryPointArn": rp_arn, "Metadata": ANY, "IamRoleArn": BACKUP_ROLE, "IdempotencyToken": ANY, "ResourceType": "EFS"})
    job = {"RestoreJobId": "job-0001", "RecoveryPointArn": rp_arn, "CreationDate": datetime(2026, 11, 25, 19, 0, 1, 250000, tzinfo=UTC)}
    created = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{restored}"
    stub.add_response("describe_restore_job", {**job, "Status": "RUNNING", "PercentDone": "40%"}, {"RestoreJobId": "job-0001"})
    stub.add_response("describe_restore_job", {**job, "Status": "COMPLETED", "CreatedResourceArn": created}, {"RestoreJobId": "job-0001"})
    stub.add_response("describe_restore_job", {**job, "Status": "COMPLETED", "CreatedResourceArn": created}, {"RestoreJobId": "job-0001"})  # cleanup
    stub.activate()
    outputs = world.outputs(file_system_id=src, access_point_id=ap, backup_vault_name=VAULT, file_system_root_directory="/chroma")
    outputs["backup_role_arn"] = BACKUP_ROLE  # the stack's own AWS Backup role (envs/_root exports it)
    try:
        yield {"world": world, "efs": efs, "src": src, "restored": restored, "stub": stub, "backup": backup, "outputs": outputs,
               "counts": counts, "kms": kms}
    finally:
        stub.deactivate()
        with ChromaClient(world.chroma.url) as c:
            for name in counts:
                c.delete_collection(name)


def leftovers(rw: dict[str, Any]) -> dict[str, Any]:
    """What the drill might leave behind, read from moto."""
    import boto3

    efs, world = rw["efs"], rw["world"]
    elb = boto3.client("elbv2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    fss = [f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"]]
    rules = [r for r in elb.describe_rules(ListenerArn=world.stack.outputs["https_listener_arn"])["Rules"] if not r.get("IsDefault")]
    tgs = [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"] if t["TargetGroupName"].startswith("chromactl-rt-")]
    tasks = ecs.describe_tasks(cluster=NAME, tasks=ecs.list_tasks(cluster=NAME)["taskArns"])["tasks"]
    temp_running = [t["taskArn"] for t in tasks if t.get("startedBy") == "chromactl-restore-test" and t["lastStatus"] != "STOPPED"]
    tds = [a for a in ecs.list_task_definitions(familyPrefix=f"{NAME}-restore-test", status="ACTIVE")["taskDefinitionArns"]]
    aps = [a["AccessPointId"] for a in efs.describe_access_points()["AccessPoints"] if a["FileSystemId"] != rw["src"]]
    return {"restored_fs": rw["restored"] in fss, "source_fs": rw["src"] in fss, "rules": len(rules), "temp_tgs": tgs,
            "temp_tasks": temp_running, "task_defs": tds, "access_points": aps}


CLEAN = {"restored_fs": False, "source_fs": True, "rules": 0, "temp_tgs": [], "temp_tasks": [], "task_defs": [], "access_points": []}


def test_restore_test_restores_checks_the_data_and_tears_down(restore_world: dict[str, Any]) -> None:
    rw = restore_world
    world = rw["world"]
    result = run_drill("dev", "restore-test", output=quiet(), outputs=rw["outputs"], factory=world.factory(backup=rw["backup"]),
                       endpoint_override=world.chroma.url, poll_s=0.05, timeout_s=20)
    data = result.to_dict()
    assert result.passed, data
    rw["stub"].assert_no_pending_responses()
    assert result.details["recovery_point"]["recovery_point_arn"].endswith(":rp-newest")  # newest COMPLETED, not PARTIAL
    restore = result.details["restore"]
    assert restore["file_system_id"] == rw["restored"]
    assert restore["root_directory"] == "/aws-backup-restore_2026-11-25T19-00-01-250Z/chroma"
    check = result.details["data_check"]
    assert check["ok"] and check["baseline_recorded_at"] and not check["missing_collections"] and not check["short_collections"]
    for name, n in rw["counts"].items():
        assert result.details["observed"][name] == n
    names = [s["name"] for s in result.steps]
    assert names == ["restore", "mount targets and access point", "temporary task", "temporary endpoint", "data check"]
    assert [c["name"].split(" ")[0] for c in result.cleanup] == ["temporary", "temporary", "task", "task", "access", "restored"]
    assert all(c["ok"] for c in result.cleanup), result.cleanup
    assert leftovers(rw) == CLEAN
    print(f"\nrestore-test: restore + verify {result.measured_s:.2f} s; cleanup {[c['name'] for c in result.cleanup]}")


def test_restore_test_cleans_up_after_failure_mid_drill(restore_world: dict[str, Any]) -> None:
    """The temporary endpoint does not answer (dead port): the data check fails after everything was
    created; every temporary resource is still deleted."""
    rw = restore_world
    world = rw["world"]
    from tests.fixtures.servers import free_port

    result = run_drill("dev", "restore-test", output=quiet(), outputs=rw["outputs"], factory=world.factory(backup=rw["backup"]),
                       endpoint_override=f"http://127.0.0.1:{free_port()}", poll_s=0.05, timeout_s=20)
    assert not result.passed and "did not answer the data check" in result.error
    assert result.measured_s is None
    assert len(result.cleanup) == 6 and all(c["ok"] for c in result.cleanup), result.cleanup
    assert leftovers(rw) == CLEAN


def test_restore_job_timeout_is_bounded_and_reported(world: World) -> None:
    """A restore that never finishes: the wait stops at --timeout and the cleanup says what to delete later."""
    import time

    import boto3
    from botocore.stub import ANY, Stubber

    efs = boto3.client("efs", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    src = efs.create_file_system(CreationToken="src", Encrypted=True, KmsKeyId=kms)["FileSystemId"]
    backup = boto3.client("backup", region_name=REGION)
    stub = Stubber(backup)
    rp = {"RecoveryPointArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:rp1", "BackupVaultName": VAULT, "Status": "COMPLETED",
          "ResourceArn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{src}", "ResourceType": "EFS", "CreationDate": ts(600)}
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp]}, None)
    stub.add_response("start_restore_job", {"RestoreJobId": "job-slow"}, {"RecoveryPointArn": ANY, "Metadata": ANY, "IamRoleArn": ANY,
                                                                        "IdempotencyToken": ANY, "ResourceType": "EFS"})
    for _ in range(200):
        stub.add_response("describe_restore_job", {"RestoreJobId": "job-slow", "Status": "RUNNING", "PercentDone": "1%"}, None)
    stub.activate()
    started = time.monotonic()
    result = run_drill("dev", "restore-test", output=quiet(), outputs=world.outputs(file_system_id=src, backup_vault_name=VAULT, backup_role_arn=BACKUP_ROLE),
                       factory=world.factory(backup=backup), poll_s=0.1, timeout_s=1.0)
    assert time.monotonic() - started < hang_guard(1)
    assert not result.passed and "not finished within 1 s" in result.error
    (entry,) = result.cleanup
    assert not entry["ok"] and "still RUNNING" in entry["detail"] and "delete-file-system" in entry["manual"]
