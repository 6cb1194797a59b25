"""The AWS side of a failover: preflight, fence, promote (replica | backup), DNS.

Only the fence talks to the primary region, with a short timeout and a single
attempt; everything else talks to the target region, the state bucket's region,
or Route 53. The source file system is only ever read (and in practice not even
that: we read its id from the primary's last Terraform state).

Size: every AWS call of a failover (primary's state, fence, replica and backup promotion, DNS), kept
beside each other so the fence and promote paths read as one sequence; in the mutation scope
(fence_primary), so not split while that is measured.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed, UsageError
from chromactl.output import Output, Progress
from chromactl.poll import (  # Clock: the one clock; callers name it A.Clock
    Clock,
    TimedOut,
    poll_until,
)
from chromactl.stack.outputs import OutputValues
from chromactl.terraform.backend import backend_kind, local_state_path

FENCE_CONNECT_S = 3.0
FENCE_READ_S = 5.0
_RP_ARN = re.compile(r"^arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d{12}):recovery-point:[A-Za-z0-9_.:/-]+$")
_EFS_ARN = re.compile(r"^arn:aws[a-z-]*:elasticfilesystem:([a-z0-9-]+):(\d{12}):file-system/(fs-[0-9a-f]+)$")
DEFAULT_ROOT = "/chroma"
ROUTE53_REGION = "aws-global"


def _bex() -> Any:
    import botocore.exceptions as bex

    return bex


def _desc(exc: BaseException) -> str:
    return describe_aws_error(exc)


def _aware(dt: Any) -> datetime | None:
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# --- the primary's last state (read from the state bucket, never from the primary region) ------------


def _local_state_file(env: EnvConfig, region: str) -> Any:
    """With CHROMACTL_BACKEND=local (tests, demos), the state lives on this machine (terraform.backend)."""
    return local_state_path(env, region) if backend_kind() == "local" else None


def read_primary_state(env: EnvConfig, factory: Any) -> dict[str, Any] | None:
    """The primary (env, region)'s Terraform state JSON, or None when there is none."""
    assert env.state is not None and env.primary_region is not None
    local = _local_state_file(env, env.primary_region)
    if local is not None:
        return json.loads(local.read_text(encoding="utf-8")) if local.is_file() else None
    bex = _bex()
    s3 = factory.client("s3", env.state.region)
    key = env.state_key(env.primary_region)
    try:
        body = s3.get_object(Bucket=env.state.bucket, Key=key)["Body"].read()
    except bex.ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise OperationFailed(f"Cannot read the primary's state s3://{env.state.bucket}/{key}: {_desc(exc)}.",
                              "Check your permissions on the state bucket.") from None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise OperationFailed(f"s3://{env.state.bucket}/{key} is not a Terraform state (invalid JSON).",
                              "Check the state bucket's versions for the last good state.") from None


def state_outputs(state: dict[str, Any] | None) -> OutputValues:
    """A state file's outputs ({name: {"value", "type", "sensitive"}}) as values, sensitive flags kept."""
    return OutputValues.from_full((state or {}).get("outputs"))


def state_attr(state: dict[str, Any] | None, rtype: str, path: Callable[[dict[str, Any]], Any]) -> Any:
    """The first value `path(attributes)` over the state's resources of type `rtype`."""
    for res in (state or {}).get("resources", []) or []:
        if res.get("type") != rtype or res.get("mode") != "managed":
            continue
        for inst in res.get("instances", []) or []:
            try:
                value = path(inst.get("attributes") or {})
            except (KeyError, IndexError, TypeError, ValueError):
                continue
            if value:
                return value
    return None


def access_point_root(state: dict[str, Any] | None) -> str:
    """The data directory on the file system: the output if the stack has it, else the access point's root."""
    value = state_outputs(state).get("file_system_root_directory") or state_attr(state, "aws_efs_access_point", lambda a: a["root_directory"][0]["path"])
    return str(value) if value else DEFAULT_ROOT


def _backup_role(attrs: dict[str, Any]) -> str | None:
    policy = attrs.get("assume_role_policy") or ""
    trusts_backup = isinstance(policy, str) and '"backup.' in policy.replace(" ", "")
    return str(attrs["arn"]) if trusts_backup and attrs.get("arn") else None


def backup_role_arn(state: dict[str, Any] | None) -> str | None:
    """The stack's AWS Backup role: the `backup_role_arn` output, else (a state from before that output)
    the state's IAM role trusted by the AWS Backup service."""
    value = state_outputs(state).get("backup_role_arn") or state_attr(state, "aws_iam_role", _backup_role)
    return str(value) if value else None


def task_images(state: dict[str, Any] | None) -> list[str]:
    raw = state_attr(state, "aws_ecs_task_definition", lambda a: a["container_definitions"])
    if not raw:
        return []
    try:
        defs = json.loads(raw) if isinstance(raw, str) else raw
        return [str(d["image"]) for d in defs if d.get("image")]
    except (ValueError, TypeError, KeyError):
        return []


# --- preflight -----------------------------------------------------------------------------------------


def check_credentials(env: EnvConfig, target: str, factory: Any) -> dict[str, Any]:
    bex = _bex()
    try:
        ident = factory.client("sts", target).get_caller_identity()
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"AWS credentials do not work in {target}: {_desc(exc)}.",
                              "Check --profile / AWS_PROFILE and that STS answers in the target region.") from None
    account = str(ident.get("Account"))
    if env.account_id and account != env.account_id:
        raise ConfigError(f"These credentials are for account {account}, but env {env.name!r} is in account {env.account_id}.",
                          "Use a profile for the env's account.")
    return {"account": account, "arn": ident.get("Arn")}


def check_state_bucket(env: EnvConfig, factory: Any) -> dict[str, Any]:
    assert env.state is not None
    if env.state.region == env.primary_region:
        raise ConfigError(f"The state bucket is in the primary region {env.primary_region}; it cannot serve a failover.",
                          "Move the state bucket to another region.")
    bex = _bex()
    try:
        factory.client("s3", env.state.region).head_bucket(Bucket=env.state.bucket)
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"The state bucket {env.state.bucket} in {env.state.region} is not reachable: {_desc(exc)}.",
                              "Check the bucket exists (chromactl bootstrap) and your permissions on it.") from None
    return {"bucket": env.state.bucket, "region": env.state.region}


def find_replica(env: EnvConfig, target: str, factory: Any, outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The env's EFS replica in `target` and its replication state, or None."""
    bex = _bex()
    efs = factory.client("efs", target)
    replica_id = outputs.get("replica_file_system_id") or None
    source_id = outputs.get("file_system_id") or None
    try:
        if replica_id:
            resp = efs.describe_replication_configurations(FileSystemId=replica_id)
        else:
            resp = efs.describe_replication_configurations()
    except bex.ClientError as exc:
        if error_code(exc) in ("ReplicationNotFound", "FileSystemNotFound"):
            return None
        raise OperationFailed(f"Cannot read EFS replication in {target}: {_desc(exc)}.", "Check EFS permissions in the target region.") from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(f"EFS does not answer in {target}: {_desc(exc)}.", "Check the network to the target region.") from None
    for rep in resp.get("Replications", []) or []:
        if source_id and rep.get("SourceFileSystemId") != source_id:
            continue
        if not source_id and rep.get("SourceFileSystemRegion") != env.primary_region:
            continue
        for dest in rep.get("Destinations", []) or []:
            if dest.get("Region") != target or (replica_id and dest.get("FileSystemId") != replica_id):
                continue
            last = _aware(dest.get("LastReplicatedTimestamp"))
            return {
                "replica_file_system_id": dest["FileSystemId"],
                "source_file_system_id": rep.get("SourceFileSystemId"),
                "source_region": rep.get("SourceFileSystemRegion"),
                "replication_status": dest.get("Status"),
                "last_replicated": last.isoformat() if last else None,
            }
    return None


def _rp_summary(rp: dict[str, Any]) -> dict[str, Any]:
    created = _aware(rp.get("CreationDate"))
    return {
        "recovery_point_arn": rp["RecoveryPointArn"],
        "recovery_point_created": created.isoformat() if created else None,
        "resource_arn": rp.get("ResourceArn"),
        "backup_vault_name": rp.get("BackupVaultName"),
        "status": rp.get("Status"),
    }


def _source_matches(resource_arn: str | None, source_id: str | None) -> bool:
    if not source_id or not resource_arn:
        return True
    m = _EFS_ARN.match(resource_arn)
    return bool(m and m.group(3) == source_id)


def find_recovery_point(env: EnvConfig, target: str, factory: Any, outputs: dict[str, Any], arn: str | None) -> dict[str, Any] | None:
    """The recovery point to restore: the one named (checked to be this env's) or the newest in the DR vault."""
    bex = _bex()
    vault = outputs.get("dr_backup_vault_name")
    source_id = outputs.get("file_system_id")
    if not vault:
        if arn:
            raise OperationFailed("The primary's state names no DR backup vault, so the recovery point cannot be checked against this env.",
                                  "Apply the env with backup copies to the failover region enabled.")
        return None
    backup = factory.client("backup", target)
    if arn:
        m = _RP_ARN.match(arn)
        if not m:
            raise UsageError(f"{arn!r} is not an AWS Backup recovery point ARN.",
                             "Pass --recovery-point arn:aws:backup:<region>:<account>:recovery-point:<id>.")
        if m.group(1) != target:
            raise UsageError(f"The recovery point is in {m.group(1)}, not the target region {target}.",
                             "Pick a recovery point copied to the target region's vault.")
        try:
            rp = backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)
        except bex.ClientError as exc:
            if error_code(exc) in ("ResourceNotFoundException", "InvalidParameterValueException", "AccessDeniedException"):
                raise UsageError(f"The recovery point is not in env {env.name!r}'s DR vault {vault}: it belongs to another env or vault.",
                                 f"List this env's recovery points with: aws backup list-recovery-points-by-backup-vault --backup-vault-name {vault} --region {target}.") from None
            raise OperationFailed(f"Cannot read the recovery point in {target}: {_desc(exc)}.", "Check AWS Backup permissions.") from None
        rp.setdefault("RecoveryPointArn", arn)
        rp.setdefault("BackupVaultName", vault)
        if not _source_matches(rp.get("ResourceArn"), source_id):
            raise UsageError(f"The recovery point is a backup of {rp.get('ResourceArn')}, not of env {env.name!r}'s file system {source_id}.",
                             "Pick a recovery point of this env's file system.")
        if rp.get("Status") not in ("COMPLETED", "AVAILABLE"):
            raise OperationFailed(f"The recovery point is {rp.get('Status')}, not COMPLETED.", "Pick a completed recovery point.")
        return _rp_summary(rp)
    try:
        points: list[dict[str, Any]] = []
        # botocore's paginator (botocore/data/backup/2018-11-15/paginators-1.json: ListRecoveryPointsByBackupVault,
        # NextToken / MaxResults), bounded to 50 pages of 100 as the hand-written loop was
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=vault, ByResourceType="EFS", PaginationConfig={"PageSize": 100, "MaxItems": 100 * 50})
        for page in pages:
            points.extend(page.get("RecoveryPoints", []) or [])
    except bex.ClientError as exc:
        if error_code(exc) in ("ResourceNotFoundException",):
            return None
        raise OperationFailed(f"Cannot list recovery points in vault {vault} ({target}): {_desc(exc)}.", "Check AWS Backup permissions.") from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(f"AWS Backup does not answer in {target}: {_desc(exc)}.", "Check the network to the target region.") from None
    usable = [p for p in points if p.get("Status") in ("COMPLETED", "AVAILABLE") and _source_matches(p.get("ResourceArn"), source_id)]
    if not usable:
        return None
    newest = max(usable, key=lambda p: _aware(p.get("CreationDate")) or datetime.min.replace(tzinfo=UTC))
    return _rp_summary(newest)


def check_image(images: list[str], target: str, primary: str, factory: Any) -> dict[str, Any]:
    """What can be known before the stack exists about the image being pullable from the target region."""
    if not images:
        return {"checked": False, "note": "no task definition in the primary's state; the stack's default image will be pulled"}
    notes = []
    for image in images:
        m = re.match(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)", image)
        if not m:
            notes.append(f"{image}: public registry image; pulled by the tasks through the target region's NAT at start "
                         "(not checkable before the stack exists; the wait step fails clearly if the pull fails)")
            continue
        if m.group(2) == primary:
            raise OperationFailed(f"The image {image} lives in ECR in the failed primary region {primary}.",
                                  "Enable ECR cross-region replication to the failover region, or use a public image.")
        if m.group(2) == target:
            bex = _bex()
            try:
                factory.client("ecr", target).describe_repositories(repositoryNames=[m.group(3)])
            except (bex.ClientError, bex.BotoCoreError) as exc:
                raise OperationFailed(f"The image's ECR repository {m.group(3)} is not readable in {target}: {_desc(exc)}.",
                                      "Check ECR replication to the target region.") from None
            notes.append(f"{image}: ECR repository present in {target}")
        else:
            notes.append(f"{image}: ECR in {m.group(2)} (neither primary nor target)")
    return {"checked": True, "images": images, "notes": notes}


# --- fence ---------------------------------------------------------------------------------------------


def fence_primary(env: EnvConfig, factory: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """Scale the old primary's service to 0. Best effort: never raises for AWS errors or silence."""
    primary = env.primary_region
    cluster, service = outputs.get("cluster_name"), outputs.get("service_name")
    manual = (f"aws ecs update-service --region {primary} --cluster {cluster or '<cluster>'} "
              f"--service {service or '<service>'} --desired-count 0")
    if not cluster or not service:
        return {"outcome": "skipped", "reason": "the primary's state names no ECS cluster/service", "manual": manual}
    bex = _bex()
    quick = dataclasses.replace(factory, connect_timeout=FENCE_CONNECT_S, _cache={})
    started = time.monotonic()
    try:
        ecs = quick.client("ecs", str(primary), read_timeout=FENCE_READ_S, max_attempts=1)
        ecs.update_service(cluster=cluster, service=service, desiredCount=0)
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError, bex.ConnectionClosedError) as exc:
        return {"outcome": "unreachable", "reason": _desc(exc), "seconds": round(time.monotonic() - started, 2), "manual": manual}
    except (bex.ClientError, bex.BotoCoreError) as exc:
        return {"outcome": "error", "reason": _desc(exc), "seconds": round(time.monotonic() - started, 2), "manual": manual}
    return {"outcome": "fenced", "cluster": cluster, "service": service, "seconds": round(time.monotonic() - started, 2)}


# --- promote -------------------------------------------------------------------------------------------


def _waiting(output: Output | None, what: str, timeout_s: float, clock: Clock) -> Progress:
    """The wait's progress lines (Output.waiting); silent without an output."""
    return (output or Output(json=True)).waiting(what, timeout_s, clock=clock.monotonic)


def promote_replica(target: str, factory: Any, found: dict[str, Any], journal: Any, clock: Clock, *,
                    timeout_s: float, interval_s: float, root: str, output: Output | None = None) -> dict[str, Any]:
    """Delete the replication configuration on the replica's side and wait until it is writeable."""
    bex = _bex()
    efs = factory.client("efs", target)
    replica = found["replica_file_system_id"]
    source = found["source_file_system_id"]
    last = _aware(found.get("last_replicated"))
    marks = journal.checkpoints("promote")
    if not marks.get("replication_deleted"):
        try:
            resp = efs.describe_replication_configurations(FileSystemId=replica)
            for rep in resp.get("Replications", []) or []:
                for dest in rep.get("Destinations", []) or []:
                    if dest.get("FileSystemId") == replica and dest.get("LastReplicatedTimestamp"):
                        last = _aware(dest["LastReplicatedTimestamp"])
            journal.checkpoint("promote", "last_replicated", last.isoformat() if last else None)
            efs.delete_replication_configuration(SourceFileSystemId=source, DeletionMode="LOCAL_CONFIGURATION_ONLY")
        except bex.ClientError as exc:
            if error_code(exc) != "ReplicationNotFound":
                raise OperationFailed(f"Cannot delete the replication configuration of {replica} in {target}: {_desc(exc)}.",
                                      "Check EFS permissions in the target region, then --resume.") from None
        except bex.BotoCoreError as exc:
            raise OperationFailed(f"EFS does not answer in {target}: {_desc(exc)}.", "Retry with --resume.") from None
        journal.checkpoint("promote", "replication_deleted", True)
    else:
        stored = marks.get("last_replicated")
        last = _aware(stored) if stored else last

    def writeable() -> tuple[bool, dict[str, Any]]:
        try:
            fs = efs.describe_file_systems(FileSystemId=replica)["FileSystems"][0]
            state = {"life_cycle": fs.get("LifeCycleState"),
                     "overwrite_protection": (fs.get("FileSystemProtection") or {}).get("ReplicationOverwriteProtection")}
            if state["life_cycle"] == "available" and state["overwrite_protection"] != "REPLICATING":
                try:
                    efs.describe_replication_configurations(FileSystemId=replica)
                except bex.ClientError as exc:
                    if error_code(exc) == "ReplicationNotFound":
                        return True, state
                    raise
        except bex.ClientError as exc:
            raise OperationFailed(f"Cannot read the replica {replica} in {target}: {_desc(exc)}.", "Retry with --resume.") from None
        except bex.BotoCoreError as exc:
            raise OperationFailed(f"EFS does not answer in {target}: {_desc(exc)}.", "Retry with --resume.") from None
        return False, state

    with _waiting(output, f"the replica {replica} in {target} to be writeable", timeout_s, clock) as progress:
        poll_until(writeable, timeout_s=timeout_s, interval_s=interval_s, clock=clock,
                   on_wait=lambda state: progress.observe(f"{state['life_cycle']}, overwrite protection {state['overwrite_protection']}"),
                   on_timeout=lambda state: OperationFailed(
                       f"The replica {replica} did not become writeable within {timeout_s:.0f} s (last state {state}).",
                       "EFS can take several minutes; run again with --resume to keep waiting."))
    now = clock.now()
    rpo = (now - last).total_seconds() if last else None
    return {
        "file_system_id": replica,
        "root_directory": root,
        "source_file_system_id": source,
        "last_replicated": last.isoformat() if last else None,
        "data_as_of": last.isoformat() if last else None,
        "rpo_seconds": round(rpo, 1) if rpo is not None else None,
        "promoted_at": now.isoformat(timespec="seconds"),
        "deletion_mode": "LOCAL_CONFIGURATION_ONLY",
    }


def restore_dir_name(when: datetime) -> str:
    """`aws-backup-restore_<UTC time>`: colons and the decimal point become dashes, millisecond precision.

    Observed names: aws-backup-restore_2022-01-17T08-53-32-695Z (milliseconds);
    newer restores show nanoseconds (…-250589632Z). The API gives the restore
    job's dates to the millisecond at best, so this is the best derivation the
    API allows; docs/failover.md explains the check (the data gate) and the
    --restore-dir override.
    """
    when = when.astimezone(UTC)
    return f"aws-backup-restore_{when:%Y-%m-%dT%H-%M-%S}-{when.microsecond // 1000:03d}Z"


def promote_backup(env: EnvConfig, target: str, factory: Any, found: dict[str, Any], outputs: dict[str, Any], account: str | None,
                   journal: Any, clock: Clock, *, timeout_s: float, interval_s: float, root: str,
                   restore_dir: str | None = None, output: Output | None = None) -> dict[str, Any]:
    """Restore the recovery point into a NEW encrypted EFS in the target region; return its id and restore root."""
    bex = _bex()
    backup = factory.client("backup", target)
    kms = outputs.get("dr_kms_key_arn")
    if not kms:
        raise OperationFailed("The primary's state names no DR KMS key for the target region.",
                              "Apply the env with cross-region DR enabled (a KMS key in the failover region).")
    marks = journal.checkpoints("promote")
    job_id = marks.get("restore_job_id")
    if not job_id:
        # The stack's own backup role (terraform/modules/efs/iam.tf: AWSBackupServiceRolePolicyForRestores attached);
        # never AWSBackupDefaultServiceRole, which exists only where the console created it.
        role = outputs.get("backup_role_arn")
        if not role:
            raise OperationFailed("The stack's outputs name no AWS Backup role (backup_role_arn) to restore with.",
                                  "Apply the env once with this chromactl (its root exports backup_role_arn), then fail over again.")
        token = f"chromactl-{env.name}-{target}-{journal.run_id}"
        metadata = {
            "file-system-id": str(outputs.get("file_system_id") or ""),
            "newFileSystem": "true",
            "Encrypted": "true",
            "KmsKeyId": str(kms),
            "PerformanceMode": "generalPurpose",
            "CreationToken": token[:64],
        }
        try:
            resp = backup.start_restore_job(RecoveryPointArn=found["recovery_point_arn"], Metadata=metadata, IamRoleArn=role,
                                            IdempotencyToken=token, ResourceType="EFS")
        except (bex.ClientError, bex.BotoCoreError) as exc:
            raise OperationFailed(f"Cannot start the restore in {target}: {_desc(exc)}.", "Check AWS Backup permissions, then --resume.") from None
        job_id = resp["RestoreJobId"]
        journal.checkpoint("promote", "restore_job_id", job_id)

    def finished() -> tuple[bool, dict[str, Any]]:
        try:
            job = dict(backup.describe_restore_job(RestoreJobId=job_id))
        except (bex.ClientError, bex.BotoCoreError) as exc:
            raise OperationFailed(f"Cannot read restore job {job_id} in {target}: {_desc(exc)}.", "Retry with --resume.") from None
        status = job.get("Status")
        if status in ("FAILED", "ABORTED"):
            # A resume starts a fresh job: forget this one (it created nothing usable).
            journal.steps["promote"].setdefault("abandoned_restore_jobs", []).append(job_id)
            journal.steps["promote"].get("checkpoint", {}).pop("restore_job_id", None)
            journal.save()
            raise OperationFailed(f"Restore job {job_id} {status}: {job.get('StatusMessage', 'no reason given')}.",
                                  "Fix the cause (role, KMS key), then --resume to start a new restore.")
        return status == "COMPLETED", job

    with _waiting(output, f"restore job {job_id} in {target}", timeout_s, clock) as progress:
        job = poll_until(finished, timeout_s=timeout_s, interval_s=interval_s, clock=clock,
                         on_wait=lambda job: progress.observe(f"{job.get('Status')}, {job.get('PercentDone', '?')} done"),
                         on_timeout=lambda job: OperationFailed(
                             f"Restore job {job_id} not finished within {timeout_s:.0f} s "
                             f"(status {job.get('Status')}, {job.get('PercentDone', '?')} done).",
                             "Run again with --resume to keep waiting on the same job.")).value
    created = str(job.get("CreatedResourceArn") or "")
    m = _EFS_ARN.match(created)
    if not m:
        raise OperationFailed(f"Restore job {job_id} finished without an EFS file system ARN ({created!r}).", "Check the job in the AWS Backup console.")
    started = _aware(job.get("CreationDate")) or clock.now()
    dirname = restore_dir or restore_dir_name(started)
    rp_created = found.get("recovery_point_created")
    rp_time = _aware(rp_created)
    return {
        "file_system_id": m.group(3),
        "root_directory": "/" + dirname.strip("/") + "/" + root.strip("/") if root.strip("/") else "/" + dirname.strip("/"),
        "restore_job_id": job_id,
        "restore_dir": dirname,
        "recovery_point_arn": found["recovery_point_arn"],
        "data_as_of": rp_created,
        "rpo_seconds": round((clock.now() - rp_time).total_seconds(), 1) if rp_time else None,
        "promoted_at": clock.now().isoformat(timespec="seconds"),
    }


# --- DNS -----------------------------------------------------------------------------------------------


def load_balancer_for(target: str, factory: Any, outputs: dict[str, Any]) -> tuple[str, str]:
    """(DNS name, canonical hosted zone id) of the target region's ALB."""
    if outputs.get("alb_dns_name") and outputs.get("alb_zone_id"):
        return str(outputs["alb_dns_name"]), str(outputs["alb_zone_id"])
    bex = _bex()
    elb = factory.client("elbv2", target)
    try:
        tg = elb.describe_target_groups(TargetGroupArns=[outputs["target_group_arn"]])["TargetGroups"][0]
        lb_arn = tg["LoadBalancerArns"][0]
        lb = elb.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"][0]
    except (KeyError, IndexError):
        raise OperationFailed(f"The new stack's target group has no load balancer in {target}.", "Check the apply step's outputs.") from None
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"Cannot find the new load balancer in {target}: {_desc(exc)}.", "Retry with --resume.") from None
    return str(lb["DNSName"]), str(lb["CanonicalHostedZoneId"])


def cutover_dns(env: EnvConfig, target: str, factory: Any, outputs: dict[str, Any], clock: Clock, *,
                timeout_s: float = 120.0, interval_s: float = 5.0, output: Output | None = None) -> dict[str, Any]:
    """UPSERT the env's record as an alias to the new ALB, then wait (bounded) for INSYNC."""
    bex = _bex()
    dns_name, zone = load_balancer_for(target, factory, outputs)
    # Route 53 is a global service: one endpoint (route53.amazonaws.com, "aws-global"), its control
    # plane hosted in us-east-1. Overrides address it as "aws-global" (CHROMACTL_AWS_ENDPOINTS).
    r53 = factory.client("route53", ROUTE53_REGION)
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": env.dns.record_name,
            "Type": "A",
            "AliasTarget": {"HostedZoneId": zone, "DNSName": dns_name, "EvaluateTargetHealth": True},
        },
    }
    try:
        resp = r53.change_resource_record_sets(
            HostedZoneId=env.dns.zone_id,
            ChangeBatch={"Comment": f"chromactl failover of {env.name} to {target}", "Changes": [change]},
        )
        change_id = resp["ChangeInfo"]["Id"]
        answers: list[Any] = [resp["ChangeInfo"].get("Status")]  # the first look is the UPSERT's own answer

        def in_sync() -> tuple[bool, Any]:
            status = answers.pop() if answers else r53.get_change(Id=change_id)["ChangeInfo"]["Status"]
            return status == "INSYNC", status

        with _waiting(output, f"Route 53 change {change_id} to be INSYNC", timeout_s, clock) as progress:
            try:
                status = poll_until(in_sync, timeout_s=timeout_s, interval_s=interval_s, clock=clock,
                                    on_wait=lambda status: progress.observe(str(status))).value
            except TimedOut as late:  # not INSYNC within the bound: the change is made, its status is reported
                status = late.last
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError) as exc:
        raise OperationFailed(
            f"Route 53's API (control plane in us-east-1) did not answer: {_desc(exc)}.",
            f"Point {env.dns.record_name} at {dns_name} by hand (or via a pre-built failover record), then --resume.",
        ) from None
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"Route 53 refused the change to {env.dns.record_name}: {_desc(exc)}.",
                              "Check the zone id and record name in chromactl.toml [dns], then --resume.") from None
    return {"record": env.dns.record_name, "zone_id": env.dns.zone_id, "alias_to": dns_name, "alias_zone": zone,
            "change_id": change_id, "change_status": status}
