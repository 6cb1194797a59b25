"""`chromactl backup` / `backup list` against AWS Backup through botocore's Stubber, which checks every call's
parameters against the service model (botocore/data/backup/2018-11-15/service-2.json): a misspelt or missing
parameter fails the test, as AWS would refuse the call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY
from chromactl.day2 import backup as B
from chromactl.day2.context import open_env
from chromactl.errors import OperationFailed
from chromactl.output import Output

from tests.day2.conftest import (
    ACCOUNT,
    DR_VAULT,
    DR_VAULT_ARN,
    FAILOVER,
    FS,
    FS_ARN,
    PRIMARY,
    ROLE,
    FakeClock,
    factory_with,
    stack_outputs,
)

RP = f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:ondemand-1111"
RP_COPY = f"arn:aws:backup:{FAILOVER}:{ACCOUNT}:recovery-point:copy-2222"


def d2(client: Any, *, copy: bool = True) -> Any:
    return open_env("prod", "backup", region=None, output=Output(json=True), outputs=stack_outputs(copy=copy),
                    factory=factory_with(backup__us_east_1=client))


def queue_start(stub: Any, **lifecycle: Any) -> None:
    stub.add_response("start_backup_job", {"BackupJobId": "job-1", "RecoveryPointArn": RP, "CreationDate": datetime.now(UTC)},
                      {"BackupVaultName": "chromactl-prod", "ResourceArn": FS_ARN, "IamRoleArn": ROLE, "IdempotencyToken": ANY,
                       "StartWindowMinutes": 60, "CompleteWindowMinutes": 360, "RecoveryPointTags": {"chromactl": "on-demand", "Env": "prod"},
                       **lifecycle})


def test_backup_waits_then_copies_to_the_failover_vault(project: Path, backup_stub: Any) -> None:
    """The recovery point and its copy expire as the stack's daily plan's do (its rule's and copy action's
    delete_after: the env's backup_retention_days / backup_copy_retention_days)."""
    (project / "envs" / "prod" / "terraform.tfvars").write_text("backup_retention_days      = 21\nbackup_copy_retention_days = 42 # DR\n")
    client, stub = backup_stub
    queue_start(stub, Lifecycle={"DeleteAfterDays": 21})
    stub.add_response("describe_backup_job", {"BackupJobId": "job-1", "State": "RUNNING", "PercentDone": "40"}, {"BackupJobId": "job-1"})
    stub.add_response("describe_backup_job", {"BackupJobId": "job-1", "State": "COMPLETED", "RecoveryPointArn": RP, "BackupSizeInBytes": 4096,
                                              "CompletionDate": datetime.now(UTC)}, {"BackupJobId": "job-1"})
    # the plan's copy_action does not apply to an on-demand job: chromactl copies it itself
    stub.add_response("start_copy_job", {"CopyJobId": "copy-1"},
                      {"RecoveryPointArn": RP, "SourceBackupVaultName": "chromactl-prod", "DestinationBackupVaultArn": DR_VAULT_ARN,
                       "IamRoleArn": ROLE, "IdempotencyToken": ANY, "Lifecycle": {"DeleteAfterDays": 42}})
    stub.add_response("describe_copy_job", {"CopyJob": {"CopyJobId": "copy-1", "State": "RUNNING"}}, {"CopyJobId": "copy-1"})
    stub.add_response("describe_copy_job", {"CopyJob": {"CopyJobId": "copy-1", "State": "COMPLETED", "DestinationRecoveryPointArn": RP_COPY}},
                      {"CopyJobId": "copy-1"})
    clock = FakeClock()
    res = B.run_backup(d2(client), wait=True, timeout_s=600, poll_s=15, clock=clock.as_clock())
    stub.assert_no_pending_responses()
    assert res.state == "COMPLETED" and res.recovery_point_arn == RP and res.size_bytes == 4096
    assert res.copy == {"copy_job_id": "copy-1", "region": FAILOVER, "vault": DR_VAULT, "recovery_point_arn": RP_COPY, "state": "COMPLETED"}
    assert clock.sleeps == [15, 15]


def test_backup_without_wait_starts_the_job_only(project: Path, backup_stub: Any) -> None:
    client, stub = backup_stub
    queue_start(stub)
    res = B.run_backup(d2(client), wait=False, clock=FakeClock().as_clock())
    stub.assert_no_pending_responses()
    assert res.state == "STARTED" and res.backup_job_id == "job-1"
    assert res.copy["state"] == "NOT_STARTED" and "--wait" in res.copy["note"]


def test_env_without_copies_makes_no_copy(project: Path, backup_stub: Any) -> None:
    client, stub = backup_stub
    queue_start(stub)
    stub.add_response("describe_backup_job", {"BackupJobId": "job-1", "State": "COMPLETED", "RecoveryPointArn": RP}, {"BackupJobId": "job-1"})
    res = B.run_backup(d2(client, copy=False), wait=True, clock=FakeClock().as_clock())
    stub.assert_no_pending_responses()  # no start_copy_job was queued: a call would fail the stub
    assert res.copy is None


@pytest.mark.parametrize("state", ["FAILED", "EXPIRED", "ABORTED", "PARTIAL"])
def test_a_failed_job_is_one_sentence(project: Path, backup_stub: Any, state: str) -> None:
    client, stub = backup_stub
    queue_start(stub)
    stub.add_response("describe_backup_job", {"BackupJobId": "job-1", "State": state, "StatusMessage": "role cannot read the key"},
                      {"BackupJobId": "job-1"})
    with pytest.raises(OperationFailed) as exc:
        B.run_backup(d2(client), wait=True, clock=FakeClock().as_clock())
    assert exc.value.message == f"Backup job job-1 ended {state}: role cannot read the key."


def test_the_wait_is_bounded(project: Path, backup_stub: Any) -> None:
    client, stub = backup_stub
    queue_start(stub)
    for _ in range(5):
        stub.add_response("describe_backup_job", {"BackupJobId": "job-1", "State": "RUNNING", "PercentDone": "3"}, {"BackupJobId": "job-1"})
    clock = FakeClock()
    with pytest.raises(OperationFailed) as exc:
        B.run_backup(d2(client), wait=True, timeout_s=60, poll_s=15, clock=clock.as_clock())
    assert "not finished after 60 s (state RUNNING, 3% done)" in exc.value.message
    assert clock.t <= 60 and len(clock.sleeps) == 4  # polls at 0, 15, 30, 45, 60 s; none after the bound


def test_missing_outputs_say_which(project: Path) -> None:
    outputs = stack_outputs()
    del outputs["backup_role_arn"]
    day2 = open_env("prod", "backup", region=None, output=Output(json=True), outputs=outputs, factory=factory_with())
    with pytest.raises(OperationFailed, match="has no backup_role_arn output"):
        B.run_backup(day2, wait=False)


def test_list_pages_ages_sizes_and_copies(project: Path, backup_stub: Any) -> None:
    client, stub = backup_stub
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    rp = lambda i, hours, plan: {
        "RecoveryPointArn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:rp-{i}", "BackupVaultName": "chromactl-prod",
        "ResourceArn": FS_ARN, "ResourceType": "EFS", "Status": "COMPLETED", "CreationDate": now - timedelta(hours=hours),
        "BackupSizeInBytes": 1024 * i, "CreatedBy": {"BackupPlanId": "plan-1"} if plan else {}}
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp(1, 30, True)], "NextToken": "p2"},
                      {"BackupVaultName": "chromactl-prod", "ByResourceType": "EFS", "MaxResults": 100})
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp(2, 2, False)]},
                      {"BackupVaultName": "chromactl-prod", "ByResourceType": "EFS", "MaxResults": 100, "NextToken": "p2"})
    stub.add_response("list_copy_jobs", {"CopyJobs": [{"CopyJobId": "c1", "SourceRecoveryPointArn": rp(1, 30, True)["RecoveryPointArn"],
                                                       "DestinationRecoveryPointArn": RP_COPY, "State": "COMPLETED"}]},
                      {"ByDestinationVaultArn": DR_VAULT_ARN, "ByState": "COMPLETED", "MaxResults": 100})
    res = B.run_list(d2(client), now=now)
    stub.assert_no_pending_responses()
    rows = res.recovery_points
    assert [r["recovery_point_arn"].rsplit(":", 1)[1] for r in rows] == ["rp-2", "rp-1"]  # newest first
    assert rows[0]["age_s"] == 7200 and rows[0]["size_bytes"] == 2048 and rows[0]["on_demand"] and rows[0]["copies"] == []
    assert rows[1]["copies"] == [{"region": FAILOVER, "vault": DR_VAULT, "recovery_point_arn": RP_COPY}] and not rows[1]["on_demand"]


def test_cli_refuses_the_local_env(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.cli.app import main

    assert main(["backup", "--env", "local"]) == 2
    err = capsys.readouterr().err
    assert "`backup` works on AWS envs" in err and err.count("error:") == 1 and "Traceback" not in err
    assert FS  # the constant names the file system the outputs carry


def test_moto_server_has_no_backup_jobs_so_the_stubber_stands_in(aws_env: Any) -> None:
    """Why these tests use botocore's Stubber: moto 5.2.5's server routes no backup-jobs, copy-jobs, restore-jobs or
    recovery-points paths (moto/backup/urls.py), so StartBackupJob fails there instead of making a job."""
    import boto3
    from botocore.exceptions import ClientError

    backup = boto3.client("backup", region_name=PRIMARY, endpoint_url=aws_env.url)
    backup.create_backup_vault(BackupVaultName="chromactl-prod")  # vaults: moto has them
    with pytest.raises(ClientError):
        backup.start_backup_job(BackupVaultName="chromactl-prod", ResourceArn=FS_ARN, IamRoleArn=ROLE)


def test_a_timeout_that_is_not_positive_is_refused(project: Path) -> None:
    from chromactl.errors import UsageError

    day2 = open_env("prod", "backup", region=None, output=Output(json=True), outputs=stack_outputs(), factory=factory_with())
    with pytest.raises(UsageError, match="--timeout must be a positive number of seconds, not -1"):
        B.run_backup(day2, wait=True, timeout_s=-1)


def test_retention_is_the_value_terraform_uses(project: Path) -> None:
    """Every tfvars file in Terraform's precedence (a later *.auto.tfvars wins over terraform.tfvars), else the
    variable's default in the env's variables.tf (lifecycle.tfvars_values, the one reader)."""
    from chromactl.config import load_env

    env_dir = project / "envs" / "prod"
    (env_dir / "variables.tf").write_text('variable "backup_retention_days" {\n  type = number\n}\n\n'
                                          'variable "backup_copy_retention_days" {\n  type    = number\n  default = 35\n}\n')
    (env_dir / "terraform.tfvars").write_text("backup_retention_days = 21\n")
    (env_dir / "ops.auto.tfvars").write_text("backup_retention_days = 7 # set by the ops team\n")
    env = load_env("prod", project)
    assert B.retention_days(env, "backup_retention_days") == 7  # the old reader read terraform.tfvars only: 21
    assert B.retention_days(env, "backup_copy_retention_days") == 35  # no file sets it: the variable's default
    assert B.retention_days(env, "no_such_variable") is None



def test_a_broken_tfvars_json_is_an_error_not_a_guess(project: Path) -> None:
    """A *.auto.tfvars.json that is not JSON: Terraform refuses to plan with it, so the reader says so
    (file and line) instead of skipping it and reporting a value Terraform would never use (the shared
    reader skipped it; day2's old one raised)."""
    from chromactl.config import load_env
    from chromactl.errors import ConfigError

    env_dir = project / "envs" / "prod"
    (env_dir / "terraform.tfvars").write_text("backup_retention_days = 21\n")
    (env_dir / "ops.auto.tfvars.json").write_text('{\n  "backup_retention_days": 7,\n}\n')
    with pytest.raises(ConfigError, match=r"ops\.auto\.tfvars\.json:3: not valid JSON"):
        B.retention_days(load_env("prod", project), "backup_retention_days")

def test_arns_carry_the_regions_partition(project: Path) -> None:
    """China and GovCloud regions are other partitions (botocore's endpoint data): arn:aws-cn:..., not arn:aws:..."""
    from chromactl.config import load_env

    outputs = {**stack_outputs(), "failover_region": "cn-northwest-1"}
    t = B.backup_target(load_env("prod", project), "cn-north-1", outputs)
    assert t.file_system_arn == f"arn:aws-cn:elasticfilesystem:cn-north-1:{ACCOUNT}:file-system/{FS}"
    assert str(t.copy_vault_arn).startswith("arn:aws-cn:backup:cn-northwest-1:")
    assert B.backup_target(load_env("prod", project), PRIMARY, stack_outputs()).file_system_arn == FS_ARN
