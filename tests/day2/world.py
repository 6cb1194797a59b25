"""The day-2 test world: stubbed AWS Backup / EFS / ECS in the primary region (moto lacks restore jobs, recovery
points and backup jobs; its ECS service never reaches steady state), moto for ELBv2, S3, Secrets Manager, and the
ports a run uses: the real Terraform apply (offline provider) or a recorded one, the real wait, smoke and latency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.stub import ANY
from chromactl.day2.image_check import DOCKER_HUB
from chromactl.day2.restore import RestorePlan, RestoreResult, run_restore
from chromactl.day2.upgrade import (
    UpgradePlan,
    UpgradeResult,
    UpgradeSettings,
    UpgradeUnchanged,
    run_upgrade,
)
from chromactl.errors import OperationFailed
from chromactl.failover.core import Settings
from chromactl.output import Output

from tests.day2.conftest import ACCOUNT, PRIMARY, ROLE, resources, state_of
from tests.day2.fake_registry import FakeRegistry
from tests.failover.conftest import TOKEN

NEW_FS = "fs-0aaaabbbbccccdddd"
KMS = f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
RP = f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:rp-3h"
RP_NEW = f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:rp-pre-upgrade"
OLDER_TD = f"arn:aws:ecs:{PRIMARY}:{ACCOUNT}:task-definition/chromactl-prod:6"  # the revision before the upgrade's
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
        self.calls: dict[str, int] = {}
        self.registry = FakeRegistry(set())  # Docker Hub as the upgrade's image check sees it; tests add the manifests it holds

    def manifest(self, counts: dict[str, int], hours_ago: float = 5) -> None:
        entry = {"recorded_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds"), "region": PRIMARY,
                 "collections": counts, "total_records": sum(counts.values())}
        self.s3.put_object(Bucket="chromactl-state-test", Key="chromactl/prod/manifest.json",
                           Body=json.dumps({"version": 1, "env": "prod", "entries": [entry]}).encode())

    def queue_preflight(self, *, vault_has_it: bool = True, efs: bool = True, rp: str = RP, current_fs: str | None = None) -> None:
        """DescribeRecoveryPoint (a point of the stack's first file system) and DescribeFileSystems of the one in use."""
        current_fs = current_fs or self.old_fs
        b = self.stubs["backup"]
        if not vault_has_it:
            b.add_client_error("describe_recovery_point", "ResourceNotFoundException", http_status_code=404,
                               expected_params={"BackupVaultName": "chromactl-prod", "RecoveryPointArn": rp})
            return
        b.add_response("describe_recovery_point", {
            "RecoveryPointArn": rp, "BackupVaultName": "chromactl-prod", "ResourceType": "EFS", "Status": "COMPLETED",
            "ResourceArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{self.old_fs}",
            "CreationDate": datetime.now(UTC) - timedelta(hours=3), "BackupSizeInBytes": 123456},
            {"BackupVaultName": "chromactl-prod", "RecoveryPointArn": rp})
        if not efs:
            return
        self.stubs["efs"].add_response("describe_file_systems", {"FileSystems": [{
            "OwnerId": ACCOUNT, "CreationToken": "chromactl-prod", "FileSystemId": current_fs, "CreationTime": datetime.now(UTC),
            "LifeCycleState": "available", "NumberOfMountTargets": 2, "SizeInBytes": {"Value": 1024}, "PerformanceMode": "generalPurpose",
            "Encrypted": True, "KmsKeyId": KMS, "Tags": []}]}, {"FileSystemId": current_fs})

    def queue_restore(self, rp: str = RP) -> None:
        b = self.stubs["backup"]
        # EFS restore metadata (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-efs.html#efs-restore-cli)
        b.add_response("start_restore_job", {"RestoreJobId": "job-r1"}, {
            "RecoveryPointArn": rp, "IamRoleArn": ROLE, "IdempotencyToken": ANY, "ResourceType": "EFS",
            "Metadata": {"file-system-id": self.old_fs, "newFileSystem": "true", "Encrypted": "true", "KmsKeyId": KMS,
                         "PerformanceMode": "generalPurpose", "CreationToken": ANY}})
        job = {"RestoreJobId": "job-r1", "RecoveryPointArn": rp, "CreationDate": JOB_STARTED}
        b.add_response("describe_restore_job", {**job, "Status": "RUNNING", "PercentDone": "50%"}, {"RestoreJobId": "job-r1"})
        b.add_response("describe_restore_job", {**job, "Status": "COMPLETED",
                                                "CreatedResourceArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{NEW_FS}"},
                       {"RestoreJobId": "job-r1"})

    def queue_wait(self, task_definition: str | None = None) -> None:
        """A stable service; its PRIMARY deployment on the task definition in Terraform's state, or the one given."""
        (td,) = resources(state_of(self.root), "aws_ecs_task_definition")
        svc = {"serviceName": "chromactl-prod", "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
               "deployments": [{"id": "ecs-svc/2", "status": "PRIMARY", "desiredCount": 1, "runningCount": 1, "pendingCount": 0,
                                "rolloutState": "COMPLETED", "taskDefinition": task_definition or td["arn"]}]}
        self.stubs["ecs"].add_response("describe_services", {"services": [svc], "failures": []}, {"cluster": ANY, "services": ANY})

    def queue_backup(self, *, fail_first_describe: bool = False) -> None:
        """An on-demand backup (StartBackupJob once, whatever the resumes) and its copy to the DR vault (prod copies)."""
        b = self.stubs["backup"]
        b.add_response("start_backup_job", {"BackupJobId": "job-b1", "RecoveryPointArn": RP_NEW, "CreationDate": datetime.now(UTC)},
                       {"BackupVaultName": "chromactl-prod", "ResourceArn": ANY, "IamRoleArn": ROLE, "IdempotencyToken": ANY,
                        "StartWindowMinutes": 60, "CompleteWindowMinutes": 360, "RecoveryPointTags": ANY,
                        "Lifecycle": {"DeleteAfterDays": 35}})  # envs/prod/terraform.tfvars backup_retention_days
        if fail_first_describe:
            b.add_client_error("describe_backup_job", "ServiceUnavailableException", "AWS Backup is unavailable", http_status_code=503,
                               expected_params={"BackupJobId": "job-b1"})
        b.add_response("describe_backup_job", {"BackupJobId": "job-b1", "State": "COMPLETED", "RecoveryPointArn": RP_NEW,
                                               "BackupSizeInBytes": 2048}, {"BackupJobId": "job-b1"})
        b.add_response("start_copy_job", {"CopyJobId": "copy-b1"}, {"RecoveryPointArn": RP_NEW, "SourceBackupVaultName": "chromactl-prod",
                                                                     "DestinationBackupVaultArn": ANY, "IamRoleArn": ROLE, "IdempotencyToken": ANY,
                                                                     "Lifecycle": {"DeleteAfterDays": 35}})
        b.add_response("describe_copy_job", {"CopyJob": {"CopyJobId": "copy-b1", "State": "COMPLETED", "DestinationRecoveryPointArn": RP_NEW}},
                       {"CopyJobId": "copy-b1"})

    def stack_outputs(self) -> dict[str, Any]:
        """The outputs of the applied state (what `terraform output` reads), the two moto ARNs swapped in."""
        outs = {k: v.get("value") for k, v in state_of(self.root)["outputs"].items()}
        return {**outs, "target_group_arn": self.tg, "token_secret_arn": self.secret}

    def ports(self, *, real_apply: bool = True, faults: dict[str, set[int]] | None = None, smoke_ok: Any = None,
              rolled_back: set[int] | None = None) -> Any:
        """The run's ports. real_apply: Terraform for real (offline provider), else the applied state's outputs
        (recorded). faults: port name -> which calls (1 = the first) raise. smoke_ok(applies) decides a smoke verdict.
        rolled_back: the waits (1 = the first) that find the service stable on an older revision (the circuit breaker's)."""
        from chromactl.failover.ports import Ports

        real = Ports()
        faults = dict(faults or {})

        def fault(name: str) -> None:
            self.calls[name] = self.calls.get(name, 0) + 1
            if self.calls[name] in faults.get(name, set()):
                raise OperationFailed(f"injected failure in {name} (call {self.calls[name]}).", "Run again with --resume.")

        def apply(env: Any, region: str, **kw: Any) -> dict[str, Any]:
            fault("apply")
            self.applies.append(kw)
            if not real_apply:  # what the stack outputs after such an apply: the file system it was given
                fs = (kw.get("extra_vars") or {}).get("existing_file_system_id")
                return {**self.stack_outputs(), **({"file_system_id": fs} if fs else {})}
            outputs = real.apply_region(env, region, **kw)  # real Terraform, offline provider
            # the offline provider makes nothing in moto: the two ARNs later steps dereference are moto's
            return {**outputs, "target_group_arn": self.tg, "token_secret_arn": self.secret}

        def wait(*a: Any, **kw: Any) -> dict[str, Any]:
            fault("wait")
            self.queue_wait(OLDER_TD if self.calls["wait"] in (rolled_back or set()) else None)
            return real.wait_stable(*a, **kw)

        def token(*a: Any) -> Any:
            fault("token")
            return real.read_token(*a)

        def smoke(target: Any, **kw: Any) -> Any:
            ok, report = real.smoke(target, **kw)
            if smoke_ok is not None and not smoke_ok(self.applies):
                return False, {**report, "steps": [{"name": "query (injected: the new version answers wrongly)", "ok": False}]}
            return ok, report

        return Ports(apply_region=apply, wait_stable=wait, read_token=token, smoke=smoke, latency=real.latency)

    def upgrade(self, image: str, **kw: Any) -> UpgradeResult | UpgradeUnchanged | UpgradePlan:
        ports = kw.pop("ports", None) or self.ports()
        return run_upgrade("prod", image, output=Output(json=True), root=self.root, factory=self.factory, ports=ports,
                           settings=self.upgrade_settings(), outputs=self.stack_outputs(), **kw)

    def upgrade_settings(self) -> UpgradeSettings:
        return UpgradeSettings(poll_interval_s=0.0, restore_timeout_s=5, wait_timeout_s=10, latency_queries=20, latency_concurrency=2,
                               smoke_vectors=20, latency_seed_vectors=50, endpoint_override=self.chroma.url, backup_timeout_s=5,
                               backup_poll_s=0.0, registry_endpoints={DOCKER_HUB: self.registry.url})

    def settings(self) -> Settings:
        return Settings(poll_interval_s=0.0, restore_timeout_s=5, wait_timeout_s=10, latency_queries=20, latency_concurrency=2,
                        smoke_vectors=20, latency_seed_vectors=50, endpoint_override=self.chroma.url)

    def go(self, **kw: Any) -> RestoreResult | RestorePlan:
        outputs = {**self.stack_outputs(), **kw.pop("outputs")} if "outputs" in kw else None  # the stack as an earlier restore left it
        return run_restore("prod", kw.pop("recovery_point", RP), output=Output(json=True), root=self.root, factory=self.factory,
                           ports=self.ports(), settings=self.settings(), outputs=outputs, **kw)

    def env(self) -> Any:
        from chromactl.config import load_env

        return load_env("prod", self.root)

    def close(self) -> None:
        self.registry.close()
        for s in self.stubs.values():
            s.deactivate()

    def assert_stubs_used(self) -> None:
        for s in self.stubs.values():
            s.assert_no_pending_responses()


