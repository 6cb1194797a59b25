"""`chromactl backup` and `backup list`: on-demand recovery points of the env's file system.

Calls (botocore/data/backup/2018-11-15/service-2.json):
- StartBackupJob (BackupVaultName, ResourceArn, IamRoleArn required; IdempotencyToken; StartWindowMinutes
  "must be at least 60 minutes"; CompleteWindowMinutes). Returns BackupJobId and RecoveryPointArn.
- DescribeBackupJob: State is one of CREATED, PENDING, RUNNING, ABORTING, ABORTED, COMPLETED, FAILED,
  EXPIRED, PARTIAL (BackupJobState).
- StartCopyJob (RecoveryPointArn, SourceBackupVaultName, DestinationBackupVaultArn, IamRoleArn required),
  DescribeCopyJob: State CREATED, RUNNING, COMPLETED, FAILED, PARTIAL (CopyJobState).
- ListRecoveryPointsByBackupVault and ListCopyJobs, paged with botocore's paginators (paginators-1.json:
  NextToken / MaxResults).

The stack's backup plan copies only the recovery points the plan itself makes (terraform/modules/efs:
aws_backup_plan rule copy_action). An on-demand job is not part of a plan, so its copy to the failover
region's vault is a StartCopyJob of our own, once the recovery point is COMPLETED
(https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chromactl.config import EnvConfig
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover.aws import Clock, _aware, _desc, _waiting
from chromactl.lifecycle.tfvars_values import setting
from chromactl.poll import poll_until

if TYPE_CHECKING:  # pragma: no cover
    from chromactl.output import Output

START_WINDOW_MIN = 60  # the model's floor for StartWindowMinutes
COMPLETE_WINDOW_MIN = 360  # as the stack's plan rule (completion_window = 360)
MAX_PAGES = 50
_DONE_BAD = ("ABORTED", "FAILED", "EXPIRED", "PARTIAL")
_EFS_ID = re.compile(r"^fs-[0-9a-f]{8,40}$")


@dataclass(frozen=True)
class BackupTarget:
    """What a backup of one (env, region) needs, all from the stack's outputs."""

    env: str
    region: str
    account: str
    file_system_id: str
    vault: str
    role_arn: str
    copy_region: str | None = None
    copy_vault: str | None = None
    partition: str = "aws"
    delete_after_days: int | None = None  # the stack's backup plan retention (None: unknown, sent as nothing)
    copy_delete_after_days: int | None = None

    @staticmethod
    def lifecycle(days: int | None) -> dict[str, Any]:
        # StartBackupJob / StartCopyJob `Lifecycle.DeleteAfterDays` (botocore/data/backup/2018-11-15/service-2.json,
        # shape Lifecycle): without it an on-demand recovery point and its copy never expire.
        return {"Lifecycle": {"DeleteAfterDays": days}} if days else {}

    @property
    def file_system_arn(self) -> str:
        # arn:${Partition}:elasticfilesystem:${Region}:${Account}:file-system/${FileSystemId}
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticfilesystem.html)
        return f"arn:{self.partition}:elasticfilesystem:{self.region}:{self.account}:file-system/{self.file_system_id}"

    @property
    def copy_vault_arn(self) -> str | None:
        # arn:${Partition}:backup:${Region}:${Account}:backup-vault:${BackupVaultName}
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html)
        if not self.copy_region or not self.copy_vault:
            return None
        return f"arn:{self.partition}:backup:{self.copy_region}:{self.account}:backup-vault:{self.copy_vault}"


@dataclass(frozen=True)
class BackupResult:
    """`chromactl backup`'s result: the job started (and, with --wait, finished) and its copy."""

    env: str
    region: str
    vault: str
    file_system_id: str
    backup_job_id: str
    recovery_point_arn: str | None
    idempotency_token: str
    state: str  # STARTED, or COMPLETED after the wait
    copy: dict[str, Any] | None  # the copy to the failover region's vault; None when the env copies nowhere
    waited: bool = False  # with --wait: size_bytes and completed are part of the result
    size_bytes: int | None = None
    completed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"env": self.env, "region": self.region, "vault": self.vault, "file_system_id": self.file_system_id,
                               "backup_job_id": self.backup_job_id, "recovery_point_arn": self.recovery_point_arn,
                               "idempotency_token": self.idempotency_token, "state": self.state, "copy": self.copy}
        if self.waited:
            out["size_bytes"], out["completed"] = self.size_bytes, self.completed
        return out


@dataclass(frozen=True)
class RecoveryPoints:
    """`chromactl backup list`'s result: the env's recovery points, newest first (list_recovery_points' rows)."""

    env: str
    region: str
    vault: str
    copy_vault: str | None
    copy_region: str | None
    recovery_points: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "vault": self.vault, "copy_vault": self.copy_vault,
                "copy_region": self.copy_region, "recovery_points": self.recovery_points}


def backup_target(env: EnvConfig, region: str, outputs: dict[str, Any]) -> BackupTarget:
    """The target from the stack's outputs; one sentence naming the missing output otherwise."""
    where = f"{env.name}/{region}"
    missing = [k for k in ("file_system_id", "backup_vault_name", "backup_role_arn") if not outputs.get(k)]
    if missing:
        raise OperationFailed(f"The stack {where} has no {', '.join(missing)} output, so there is nothing to back up into.",
                              f"Apply the env first (chromactl up --env {env.name}); its stack exports the vault and the backup role.")
    fs = str(outputs["file_system_id"])
    if not _EFS_ID.match(fs):
        raise OperationFailed(f"The stack {where} reports file system {fs!r}, not an EFS id.", "Check the stack's file_system_id output.")
    account = str(outputs.get("account_id") or env.account_id or "")
    if not re.fullmatch(r"\d{12}", account):
        raise OperationFailed(f"The account of {where} is unknown (no account_id output, none in chromactl.toml).",
                              f"Set [env] account_id in {env.config_path}.")
    copy_vault = outputs.get("dr_backup_vault_name") or None
    copy_region = (outputs.get("failover_region") or None) if copy_vault else None
    return BackupTarget(env=env.name, region=region, account=account, file_system_id=fs, vault=str(outputs["backup_vault_name"]),
                        role_arn=str(outputs["backup_role_arn"]), copy_region=copy_region, copy_vault=copy_vault,
                        partition=partition_of(region),
                        delete_after_days=retention_days(env, "backup_retention_days"),
                        copy_delete_after_days=retention_days(env, "backup_copy_retention_days"))


def partition_of(region: str) -> str:
    """aws, aws-cn, aws-us-gov, ...: the partition botocore's endpoint data (botocore/data/endpoints.json) puts the
    region in. The stack has no partition output; it derives its own ARNs' from the region's prefix the same way
    (terraform/stack/main.tf, local.partition)."""
    import botocore.session

    return str(botocore.session.get_session().get_partition_for_region(region) or "aws")


def retention_days(env: EnvConfig, variable: str) -> int | None:
    """The days the stack's daily plan keeps a recovery point (terraform/modules/efs/main.tf: the rule's
    lifecycle delete_after = var.backup_retention_days, the copy's = var.backup_copy_retention_days), so an
    on-demand one expires like the plan's: the value Terraform uses (every tfvars file of the env in its
    precedence, else the variable's default; lifecycle.tfvars_values)."""
    found = setting(env.dir, variable)
    raw = found.value if found else None
    try:
        return int(float(raw)) if raw else None
    except ValueError:
        return None


def start_backup(t: BackupTarget, factory: Any, *, token: str | None = None) -> dict[str, Any]:
    import botocore.exceptions as bex

    backup = factory.client("backup", t.region)
    token = token or f"chromactl-{t.env}-{uuid.uuid4().hex[:16]}"
    try:
        resp = backup.start_backup_job(BackupVaultName=t.vault, ResourceArn=t.file_system_arn, IamRoleArn=t.role_arn,
                                       IdempotencyToken=token, StartWindowMinutes=START_WINDOW_MIN,
                                       CompleteWindowMinutes=COMPLETE_WINDOW_MIN,
                                       RecoveryPointTags={"chromactl": "on-demand", "Env": t.env}, **t.lifecycle(t.delete_after_days))
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"AWS Backup refused the on-demand backup of {t.file_system_id} in {t.region}: {_desc(exc)}.",
                              "Check the backup role (backup_role_arn) and your backup:StartBackupJob and iam:PassRole permissions.") from None
    return {"backup_job_id": resp["BackupJobId"], "recovery_point_arn": resp.get("RecoveryPointArn"), "idempotency_token": token}


def _poll(fetch: Any, what: str, clock: Clock, timeout_s: float, poll_s: float, bad: tuple[str, ...],
          output: Output | None = None) -> dict[str, Any]:
    """Call fetch() until its State is COMPLETED (bounded, with the wait's progress lines on `output`);
    raise on a final bad state or at the bound."""

    def completed() -> tuple[bool, dict[str, Any]]:
        job = fetch()
        state = job.get("State")
        if state in bad:
            raise OperationFailed(f"{what} ended {state}: {job.get('StatusMessage') or 'no reason given'}.",
                                  "See the job in the AWS Backup console; fix the cause and run again.")
        return state == "COMPLETED", job

    def late(job: dict[str, Any]) -> OperationFailed:
        done = f", {job['PercentDone']}% done" if job.get("PercentDone") else ""
        return OperationFailed(f"{what} was not finished after {timeout_s:.0f} s (state {job.get('State')}{done}).",
                               "It keeps running in AWS Backup; check it with `chromactl backup list`, or wait longer with --timeout.")

    def seen(job: dict[str, Any]) -> str:
        return f"{job.get('State')}, {job['PercentDone']}% done" if job.get("PercentDone") else str(job.get("State"))

    with _waiting(output, f"{what[:1].lower()}{what[1:]} to complete", timeout_s, clock) as progress:
        return poll_until(completed, timeout_s=timeout_s, interval_s=poll_s, clock=clock,
                          on_wait=lambda job: progress.observe(seen(job)), on_timeout=late).value


def wait_backup(t: BackupTarget, factory: Any, job_id: str, clock: Clock, *, timeout_s: float, poll_s: float,
                output: Output | None = None) -> dict[str, Any]:
    import botocore.exceptions as bex

    backup = factory.client("backup", t.region)

    def fetch() -> dict[str, Any]:
        try:
            return dict(backup.describe_backup_job(BackupJobId=job_id))
        except (bex.ClientError, bex.BotoCoreError) as exc:
            raise OperationFailed(f"Cannot read backup job {job_id} in {t.region}: {_desc(exc)}.", "Check backup:DescribeBackupJob.") from None

    job = _poll(fetch, f"Backup job {job_id}", clock, timeout_s, poll_s, _DONE_BAD, output)
    return {"backup_job_id": job_id, "state": "COMPLETED", "recovery_point_arn": job.get("RecoveryPointArn"),
            "size_bytes": job.get("BackupSizeInBytes"), "completed": _iso(job.get("CompletionDate"))}


def copy_to_failover(t: BackupTarget, factory: Any, rp_arn: str, clock: Clock, *, timeout_s: float, poll_s: float,
                     token: str, output: Output | None = None) -> dict[str, Any] | None:
    """StartCopyJob into the failover region's vault and wait for it; None when the env copies nowhere."""
    import botocore.exceptions as bex

    dest = t.copy_vault_arn
    if dest is None:
        return None
    backup = factory.client("backup", t.region)  # a copy job runs in the source region
    try:
        job_id = backup.start_copy_job(RecoveryPointArn=rp_arn, SourceBackupVaultName=t.vault, DestinationBackupVaultArn=dest,
                                       IamRoleArn=t.role_arn, IdempotencyToken=token,
                                       **t.lifecycle(t.copy_delete_after_days))["CopyJobId"]
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"The recovery point was made, but its copy to {t.copy_region} could not start: {_desc(exc)}.",
                              f"The local recovery point {rp_arn} is usable; retry the copy in the AWS Backup console.") from None

    def fetch() -> dict[str, Any]:
        try:
            return dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])
        except (bex.ClientError, bex.BotoCoreError) as exc:
            raise OperationFailed(f"Cannot read copy job {job_id}: {_desc(exc)}.", "Check backup:DescribeCopyJob.") from None

    job = _poll(fetch, f"Copy job {job_id} to {t.copy_region}", clock, timeout_s, poll_s, ("FAILED", "PARTIAL"), output)
    return {"copy_job_id": job_id, "region": t.copy_region, "vault": t.copy_vault,
            "recovery_point_arn": job.get("DestinationRecoveryPointArn"), "state": "COMPLETED"}


def _iso(dt: Any) -> str | None:
    aware = _aware(dt)
    return aware.isoformat(timespec="seconds") if aware else None


def take_backup(t: BackupTarget, factory: Any, clock: Clock, *, wait: bool, timeout_s: float, poll_s: float,
                token: str | None = None, checkpoint: Any = None, job_id: str | None = None,
                output: Output | None = None) -> BackupResult:
    """Start an on-demand backup; with wait, wait for it and copy it to the failover region where enabled.

    checkpoint(key, value), when given, saves the job id before the wait (a journal), so a resumed
    run waits on the same job instead of starting a second one."""
    token = token or f"chromactl-{t.env}-{uuid.uuid4().hex[:16]}"
    if job_id:  # resumed: wait on the job started before, never a second one
        started: dict[str, Any] = {"backup_job_id": job_id, "recovery_point_arn": None, "idempotency_token": token}
    else:
        started = start_backup(t, factory, token=token)
        if checkpoint is not None:
            checkpoint("backup_job_id", started["backup_job_id"])
    base = BackupResult(env=t.env, region=t.region, vault=t.vault, file_system_id=t.file_system_id,
                        backup_job_id=str(started["backup_job_id"]), recovery_point_arn=started["recovery_point_arn"],
                        idempotency_token=str(started["idempotency_token"]), state="STARTED", copy=None)
    if not wait:
        if t.copy_vault_arn:
            return replace(base, copy={"region": t.copy_region, "state": "NOT_STARTED",
                                       "note": "a copy needs the completed recovery point: run with --wait to copy it to the failover region"})
        return base
    job = wait_backup(t, factory, base.backup_job_id, clock, timeout_s=timeout_s, poll_s=poll_s, output=output)
    copy = copy_to_failover(t, factory, str(job["recovery_point_arn"]), clock, timeout_s=timeout_s, poll_s=poll_s,
                            token=f"{token}-copy"[:64], output=output)
    return replace(base, backup_job_id=str(job["backup_job_id"]), state=str(job["state"]), recovery_point_arn=job["recovery_point_arn"],
                   copy=copy, waited=True, size_bytes=job["size_bytes"], completed=job["completed"])


def list_recovery_points(t: BackupTarget, factory: Any, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The env's EFS recovery points in its vault, newest first, with age, size and where copies are."""
    import botocore.exceptions as bex

    now = now or datetime.now(UTC)
    backup = factory.client("backup", t.region)
    points: list[dict[str, Any]] = []
    try:
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=t.vault, ByResourceType="EFS", PaginationConfig={"PageSize": 100, "MaxItems": 100 * MAX_PAGES})
        for page in pages:
            points.extend(page.get("RecoveryPoints") or [])
        copies: dict[str, list[dict[str, Any]]] = {}
        if t.copy_vault_arn:
            jobs = backup.get_paginator("list_copy_jobs").paginate(
                ByDestinationVaultArn=t.copy_vault_arn, ByState="COMPLETED", PaginationConfig={"PageSize": 100, "MaxItems": 100 * MAX_PAGES})
            for page in jobs:
                for job in page.get("CopyJobs") or []:
                    copies.setdefault(str(job.get("SourceRecoveryPointArn")), []).append(
                        {"region": t.copy_region, "vault": t.copy_vault, "recovery_point_arn": job.get("DestinationRecoveryPointArn")})
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"Cannot list the recovery points in vault {t.vault} ({t.region}): {_desc(exc)}.",
                              "Check backup:ListRecoveryPointsByBackupVault and backup:ListCopyJobs permissions.") from None
    rows = []
    for p in points:
        created = _aware(p.get("CreationDate"))
        rows.append({
            "recovery_point_arn": p.get("RecoveryPointArn"),
            "status": p.get("Status"),
            "created": created.isoformat(timespec="seconds") if created else None,
            "age_s": round((now - created).total_seconds()) if created else None,
            "size_bytes": p.get("BackupSizeInBytes"),
            "resource_arn": p.get("ResourceArn"),
            "on_demand": not p.get("CreatedBy", {}).get("BackupPlanId"),
            "copies": copies.get(str(p.get("RecoveryPointArn")), []),
        })
    rows.sort(key=lambda r: r["created"] or "", reverse=True)
    return rows


# --- the verbs' cores (the CLI calls these; tests too) ----------------------------------------------


def run_backup(d2: Any, *, wait: bool, timeout_s: float = 3600.0, poll_s: float = 15.0, clock: Clock | None = None) -> BackupResult:
    if not timeout_s > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout_s:g}.", "Pass e.g. --timeout 3600.")
    t = backup_target(d2.env, d2.region, d2.outputs)
    d2.output.info(f"Starting an on-demand backup of {t.file_system_id} into vault {t.vault} ({t.region}) ...")
    res = take_backup(t, d2.factory, clock or Clock(), wait=wait, timeout_s=timeout_s, poll_s=poll_s, output=d2.output)
    return res


def run_list(d2: Any, *, now: datetime | None = None) -> RecoveryPoints:
    t = backup_target(d2.env, d2.region, d2.outputs)
    rows = list_recovery_points(t, d2.factory, now=now)
    return RecoveryPoints(env=t.env, region=t.region, vault=t.vault, copy_vault=t.copy_vault, copy_region=t.copy_region,
                          recovery_points=rows)
