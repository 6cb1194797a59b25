"""`chromactl restore --env E --recovery-point ARN`: bring the env's data back from a recovery point, in place.

Steps (journaled, `--resume` continues): preflight -> restore -> apply -> wait -> gate.
1. preflight: the ARN is an AWS Backup recovery point in the env's region and in the env's own vault
   (DescribeRecoveryPoint on that vault: another env's recovery point is not found there), COMPLETED;
   the current file system's KMS key (EFS DescribeFileSystems) encrypts the new one.
2. restore: StartRestoreJob into a NEW file system (the failover's backup path, failover.aws.promote_backup:
   EFS restore metadata newFileSystem=true, Encrypted, KmsKeyId, PerformanceMode, CreationToken,
   https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-efs.html#efs-restore-cli), waited on
   (bounded); the data lands under aws-backup-restore_<time>/ on it.
3. apply: the old file system leaves Terraform's state without being destroyed (`terraform state rm` of
   the file system, its replication configuration and the protect guard), the existing-file-system inputs
   the failover uses are written to envs/<env>/chromactl.auto.tfvars.json (day2.tfvars), and the stack is
   applied: access point and mount targets move to the new file system.
4. wait for the service; 5. gate: smoke, latency, data manifest (day2.gate).
The old file system is kept, data untouched; the result prints the command that removes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.config import EnvConfig, project_root
from chromactl.day2 import tfvars
from chromactl.day2.context import aws_env, confirm_changes, open_env
from chromactl.day2.gate import run_gate
from chromactl.day2.steps import journal_file, open_journal, run_steps
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover import aws as A
from chromactl.failover.core import Settings
from chromactl.failover.ports import Ports
from chromactl.failover.version_record import record_after_check
from chromactl.output import Output
from chromactl.terraform.runner import Runner

STEPS: tuple[str, ...] = ("preflight", "restore", "apply", "wait", "gate")
_RP_ARN = re.compile(r"^arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d{12}):recovery-point:[A-Za-z0-9_.:/-]+$")
# What holds the old file system and its settings in the stack's state: forgotten by a restore, never
# destroyed, so its data, replication, file system policy and backup policy stay as they are (an apply
# would delete the file system, DeleteReplicationConfiguration, DeleteFileSystemPolicy on it). The protect
# guard (prevent_destroy) would block the move; a new one is created for the new file system.
_FORGET = re.compile(r"module\.efs\.(aws_efs_file_system\.this|aws_efs_replication_configuration\.this|terraform_data\.protect|"
                     r"aws_efs_file_system_policy\.this|aws_efs_backup_policy\.this)(\[0\])?$")
# What the apply then replaces or deletes (shown at the confirmation): file_system_id is ForceNew on both
# (provider internal/service/efs/access_point.go and mount_target.go); the replication-lag alarm goes with
# the replication the stack no longer manages.
_REPLACED = (("replace", "aws_efs_access_point", "module.stack.module.efs.aws_efs_access_point.this"),
             ("replace", "aws_efs_mount_target", "module.stack.module.efs.aws_efs_mount_target.this[*]"))
_ALARM = ("delete", "aws_cloudwatch_metric_alarm", "module.stack.module.observability.aws_cloudwatch_metric_alarm.replication_lag[0]")


def _desc(exc: BaseException) -> str:
    return describe_aws_error(exc)


def check_arn(env: EnvConfig, region: str, arn: str, account: str | None = None) -> None:
    """What the ARN alone tells: a recovery point, in the env's region and account (exit 2 otherwise)."""
    m = _RP_ARN.match(arn or "")
    if not m:
        raise UsageError(f"{arn!r} is not an AWS Backup recovery point ARN.",
                         "Pass --recovery-point arn:aws:backup:<region>:<account>:recovery-point:<id> (see `chromactl backup list`).")
    if m.group(1) != region:
        raise UsageError(f"The recovery point is in {m.group(1)}, not in {env.name}/{region}: a restore stays in the env's region.",
                         f"Pick one of `chromactl backup list --env {env.name}`, or fail over to {m.group(1)} instead.")
    account = account or env.account_id
    if account and m.group(2) != str(account):
        raise UsageError(f"The recovery point belongs to account {m.group(2)}, not {account}, the account of env {env.name!r}.",
                         f"Pick one of `chromactl backup list --env {env.name}`.")


def check_recovery_point(d2: Any, arn: str) -> dict[str, Any]:
    """The recovery point, checked to be this env's: in its region, account and vault, COMPLETED, EFS."""
    import botocore.exceptions as bex

    check_arn(d2.env, d2.region, arn, d2.outputs.get("account_id"))
    vault = d2.outputs.get("backup_vault_name")
    if not vault:
        raise OperationFailed(f"The stack {d2.env.name}/{d2.region} has no backup_vault_name output.", "Apply the env first.")
    backup = d2.factory.client("backup", d2.region)
    try:
        rp = backup.describe_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)
    except bex.ClientError as exc:
        if error_code(exc) in ("ResourceNotFoundException", "InvalidParameterValueException", "AccessDeniedException"):
            raise UsageError(f"The recovery point is not in the vault {vault} of env {d2.env.name!r}: it belongs to another env or vault.",
                             f"Pick one of `chromactl backup list --env {d2.env.name}`.") from None
        raise OperationFailed(f"Cannot read the recovery point in {d2.region}: {_desc(exc)}.", "Check backup:DescribeRecoveryPoint.") from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(f"AWS Backup does not answer in {d2.region}: {_desc(exc)}.", "Check the network, then retry.") from None
    if rp.get("ResourceType") not in (None, "EFS"):
        raise UsageError(f"The recovery point is a {rp.get('ResourceType')} backup, not an EFS one.", "Pick an EFS recovery point.")
    if rp.get("Status") not in ("COMPLETED", "AVAILABLE"):
        raise UsageError(f"The recovery point is {rp.get('Status')}, not COMPLETED.", "Pick a completed recovery point.")
    created = A._aware(rp.get("CreationDate"))
    return {"recovery_point_arn": arn, "recovery_point_created": created.isoformat() if created else None,
            "resource_arn": rp.get("ResourceArn"), "backup_vault_name": vault, "status": rp.get("Status"),
            "size_bytes": rp.get("BackupSizeInBytes")}


_FS_ID = re.compile(r":file-system/(fs-[0-9a-f]+)$")


def source_layout(d2: Any, rp: dict[str, Any], journals: Path) -> tuple[str | None, str]:
    """(the backed-up file system, where Chroma's data lies on it), from the recovery point, not from the stack now.

    The recovery point's ResourceArn names the file system it was taken of (DescribeRecoveryPoint). Its layout is
    the one that file system has had since it was made: the stack's /chroma for a file system the stack created,
    /aws-backup-restore_<time>/chroma for one an earlier restore made (that restore's journal records it). A point
    taken before an earlier restore is of the older file system: /chroma, not the current root."""
    m = _FS_ID.search(str(rp.get("resource_arn") or ""))
    current = d2.outputs.get("file_system_id")
    current_root = str(d2.outputs.get("file_system_root_directory") or A.DEFAULT_ROOT)
    if not m:
        return current, current_root  # no source named: the file system in use now
    source = m.group(1)
    if source == current:
        return source, current_root
    for path in sorted(journals.glob(f"{d2.env.name}-{d2.region}*.json")):  # earlier restores, finished or not
        try:
            restored = json.loads(path.read_text(encoding="utf-8")).get("steps", {}).get("restore", {}).get("outputs") or {}
        except (OSError, ValueError, AttributeError):
            continue
        if restored.get("file_system_id") == source and restored.get("root_directory"):
            return source, str(restored["root_directory"])
    return source, A.DEFAULT_ROOT


def current_kms_key(d2: Any) -> str:
    import botocore.exceptions as bex

    fs = d2.outputs.get("file_system_id")
    try:
        found = d2.factory.client("efs", d2.region).describe_file_systems(FileSystemId=fs)["FileSystems"]
    except (bex.ClientError, bex.BotoCoreError) as exc:
        raise OperationFailed(f"Cannot read the env's file system {fs} in {d2.region}: {_desc(exc)}.",
                              "Check elasticfilesystem:DescribeFileSystems.") from None
    kms = found[0].get("KmsKeyId") if found else None
    if not kms:
        raise OperationFailed(f"The file system {fs} reports no KMS key.", "The stack encrypts EFS with its own key; check the file system.")
    return str(kms)


def restore_changes(d2: Any) -> list[tuple[str, str, str]]:
    """What a restore's apply replaces or deletes: the access point and mount targets (and the replication alarm)."""
    return [*_REPLACED, *([_ALARM] if d2.outputs.get("replica_file_system_id") else [])]


def confirm(d2: Any, yes: bool, confirm_env: str | None) -> None:
    """Asked before anything starts: a restore replaces the access point and mount targets."""
    confirm_changes(d2, restore_changes(d2), yes=yes, confirm_env=confirm_env)


def forget_old_file_system(d2: Any) -> list[str]:
    """`terraform state rm` of what holds the old file system, so the apply leaves it (and its data) alone."""
    runner = Runner(d2.env, d2.region, d2.output, profile=d2.profile)
    runner.ensure_init()
    listed = runner.run(["state", "list"], step="state list")
    if listed.rc != 0:
        raise runner.failure("state list", listed)
    addresses = [a for a in (listed.stdout or "").split() if _FORGET.search(a)]
    if addresses:
        removed = runner.run(["state", "rm", *addresses], step="state rm")
        if removed.rc != 0:
            raise runner.failure("state rm", removed)
    return addresses


class _AsPromote:
    """The journal as promote_backup sees it: its checkpoints live under the failover's step name "promote";
    here they are the restore step's (the same dict), so a resumed restore waits on the same job."""

    def __init__(self, journal: Any):
        self.journal, self.run_id = journal, journal.run_id
        self.steps = {"promote": journal.steps["restore"]}

    def checkpoints(self, _step: str) -> dict[str, Any]:
        return dict(self.journal.checkpoints("restore"))

    def checkpoint(self, _step: str, key: str, value: Any) -> None:
        self.journal.checkpoint("restore", key, value)

    def save(self) -> None:
        self.journal.save()


@dataclass
class RestoreRun:
    d2: Any
    journal: Any
    ports: Ports
    settings: Settings
    clock: A.Clock
    recovery_point: str
    checked: dict[str, Any] | None = None  # the recovery point as checked before the confirmation
    restore_dir: str | None = None  # --restore-dir: the aws-backup-restore_<time> directory, when the derived name is wrong

    def out(self, step: str) -> dict[str, Any]:
        return dict(self.journal.outputs(step))

    def preflight(self) -> dict[str, Any]:
        rp = self.checked or check_recovery_point(self.d2, self.recovery_point)
        source_fs, root = source_layout(self.d2, rp, self.journal.path.parent)
        return {"recovery_point": rp, "old_file_system_id": self.d2.outputs.get("file_system_id"), "kms_key_arn": current_kms_key(self.d2),
                "source_file_system_id": source_fs, "root_directory": root,
                "old_root_directory": str(self.d2.outputs.get("file_system_root_directory") or A.DEFAULT_ROOT)}

    def restore(self) -> dict[str, Any]:
        pre = self.out("preflight")
        # promote_backup's names are the failover's: the "DR key" here is the env's own EFS key, same region.
        # EFS restore metadata `file-system-id` is the backed-up file system
        # (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-efs.html#efs-restore-cli)
        how = {"dr_kms_key_arn": pre["kms_key_arn"], "backup_role_arn": self.d2.outputs.get("backup_role_arn"),
               "file_system_id": pre.get("source_file_system_id") or pre["old_file_system_id"]}
        return A.promote_backup(self.d2.env, self.d2.region, self.d2.factory, pre["recovery_point"], how, None, _AsPromote(self.journal), self.clock,
                                timeout_s=self.settings.restore_timeout_s, interval_s=self.settings.poll_interval_s,
                                root=pre["root_directory"], restore_dir=self.restore_dir)

    def apply(self) -> dict[str, Any]:
        pre, restored = self.out("preflight"), self.out("restore")
        forgotten = forget_old_file_system(self.d2)
        self.journal.checkpoint("apply", "forgotten", forgotten)
        values = {"existing_file_system_id": restored["file_system_id"], "existing_root_directory": restored["root_directory"],
                  "existing_kms_key_arn": pre["kms_key_arn"]}
        written = tfvars.update(self.d2.env, values)
        outputs = self.ports.apply_region(self.d2.env, self.d2.region, extra_vars=values, output=self.d2.output, auto_approve=True,
                                          allow_protected_changes=True, profile=self.d2.profile)  # confirmed up front (confirm())
        if not isinstance(outputs, dict) or outputs.get("file_system_id") != restored["file_system_id"]:
            raise OperationFailed(f"The apply did not attach {restored['file_system_id']} (file_system_id output: "
                                  f"{(outputs or {}).get('file_system_id')!r}).", "Check the plan, then --resume.")
        return {"extra_vars": values, "tfvars_file": str(written), "forgotten": forgotten, "outputs": outputs}

    def wait(self) -> dict[str, Any]:
        outputs = self.out("apply")["outputs"]
        res = self.ports.wait_stable(self.d2.env, self.d2.region, outputs, self.d2.factory, self.settings.wait_timeout_s, self.d2.output)
        return {k: v for k, v in (res or {}).items() if k in ("stable", "running", "desired", "healthy", "seconds")}

    def gate(self) -> dict[str, Any]:
        outputs = self.out("apply")["outputs"]
        result = run_gate(self.d2, outputs, self.ports, self.settings, data_as_of=self.out("restore").get("data_as_of"))
        if not result.ok:
            self.journal.steps["gate"]["last_report"] = result.report
            raise OperationFailed(f"The restored data failed the checks: {'; '.join(result.failed)}.",
                                  f"The old file system is untouched: {way_back(self.d2, self.out('preflight'))}; or restore an older "
                                  "recovery point; after fixing a transient cause, --resume runs the checks again.")
        result.report["chroma_version_recorded"] = record_after_check(self.d2.env, self.d2.region, self.d2.factory, self.d2.output)
        return result.report


def way_back(d2: Any, pre: dict[str, Any]) -> str:
    """How to point the stack back at the file system in use before the restore: the existing-file-system inputs
    (the failover's) set to it, then an apply. The file system left Terraform's state at the apply step, so the
    stack attaches it as an existing one from then on."""
    values = {"existing_file_system_id": pre.get("old_file_system_id"),
              "existing_root_directory": pre.get("old_root_directory") or A.DEFAULT_ROOT,
              "existing_kms_key_arn": pre.get("kms_key_arn")}
    tfvars_file = tfvars.path_of(d2.env)
    return (f"to point the stack back, set {json.dumps(values)} in {tfvars_file} (keep its other keys), "
            f"then run `chromactl apply --env {d2.env.name} --region {d2.region}`")


@dataclass(frozen=True)
class RestorePlan:
    """`chromactl restore --dry-run`'s result: the recovery point as checked and every step's calls."""

    env: str
    region: str
    recovery_point: dict[str, Any]  # check_recovery_point's
    steps: list[dict[str, Any]]
    protected: bool
    dry_run: bool = True
    changes: str = "none (dry run)"

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "env": self.env, "region": self.region, "recovery_point": self.recovery_point,
                "steps": self.steps, "changes": self.changes, "protected": self.protected}


@dataclass(frozen=True)
class RestoreResult:
    """`chromactl restore`'s result: where the data is now, the file system left behind, each step's status."""

    env: str
    region: str
    status: str  # the journal's: completed, or where it stopped
    recovery_point_arn: str | None
    data_as_of: str | None
    file_system_id: str | None
    root_directory: str | None
    restore_job_id: str | None
    old_file_system_id: str | None
    tfvars_file: str | None
    remove_old_file_system: str | None  # the command that deletes the old file system
    gate: dict[str, Any]  # the gate step's report
    journal: str
    steps: dict[str, dict[str, Any]]  # step -> status, attempts, seconds

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "status": self.status, "recovery_point_arn": self.recovery_point_arn,
                "data_as_of": self.data_as_of, "file_system_id": self.file_system_id, "root_directory": self.root_directory,
                "restore_job_id": self.restore_job_id, "old_file_system_id": self.old_file_system_id, "tfvars_file": self.tfvars_file,
                "remove_old_file_system": self.remove_old_file_system, "gate": self.gate, "journal": self.journal, "steps": self.steps}


def dry_run_plan(d2: Any, recovery_point: str) -> RestorePlan:
    rp = check_recovery_point(d2, recovery_point)
    r = d2.region
    steps = [
        {"step": "preflight", "calls": [f"backup:DescribeRecoveryPoint (vault {rp['backup_vault_name']}) in {r}",
                                        f"elasticfilesystem:DescribeFileSystems ({d2.outputs.get('file_system_id')}) in {r}"]},
        {"step": "restore", "calls": [(f"backup:StartRestoreJob (newFileSystem=true, Encrypted=true, KmsKeyId=<the env's EFS key>, "
                                      f"PerformanceMode=generalPurpose, CreationToken) in {r}"),
                                      f"backup:DescribeRestoreJob in {r}, polled until COMPLETED (bounded)"]},
        {"step": "apply", "calls": ["terraform state rm <the old file system, its replication, the protect guard> (kept in AWS, untouched)",
                                    ("write envs/<env>/chromactl.auto.tfvars.json: existing_file_system_id, existing_root_directory, "
                                    "existing_kms_key_arn"), "terraform plan + apply (access point and mount targets move to the new file system)"]},
        {"step": "wait", "calls": [f"ecs:DescribeServices, elbv2:DescribeTargetHealth in {r}, bounded"]},
        {"step": "gate", "calls": ["Chroma: smoke, closed-loop latency vs the SLOs, collections and counts vs the manifest"]},
    ]
    return RestorePlan(env=d2.env.name, region=r, recovery_point=rp, steps=steps, protected=d2.env.protected)


def run_restore(env_name: str, recovery_point: str, *, output: Output, region: str | None = None, dry_run: bool = False,
                resume: bool = False, yes: bool = False, confirm_env: str | None = None, profile: str | None = None,
                root: Path | None = None, outputs: dict[str, Any] | None = None, factory: Any = None, ports: Ports | None = None,
                clock: A.Clock | None = None, settings: Settings | None = None, run_key: str | None = None,
                restore_dir: str | None = None) -> RestoreResult | RestorePlan:
    """`run_key` names a restore started by another verb (the upgrade's rollback): its own journal, never a user's restore's."""
    env = aws_env(env_name, "restore", root)
    check_arn(env, env.region_or_primary(region), recovery_point)  # before Terraform or AWS is asked anything
    d2 = open_env(env_name, "restore", region=region, output=output, profile=profile, outputs=outputs, factory=factory, root=root)
    if dry_run:
        return dry_run_plan(d2, recovery_point)
    path = journal_file(root or project_root(), "restore", d2.env.name, d2.region, run_key)
    journal = open_journal(path, verb="restore", env=d2.env.name, region=d2.region, steps=STEPS, resume=resume,
                           inputs={"recovery_point": recovery_point, "restore_dir": restore_dir}, output=output)
    if journal.status != "completed":
        # another env's or region's recovery point is refused before the question and before any journal is written
        checked = check_recovery_point(d2, recovery_point) if journal.next_step() == "preflight" else None
        confirm(d2, yes, confirm_env)
        run = RestoreRun(d2=d2, journal=journal, ports=ports or Ports(), settings=settings or Settings(), clock=clock or A.Clock(),
                         recovery_point=recovery_point, checked=checked, restore_dir=restore_dir or journal.inputs.get("restore_dir"))
        run_steps(journal, {name: getattr(run, name) for name in STEPS}, output, verb="restore")
    return summary(journal, d2)


def summary(journal: Any, d2: Any) -> RestoreResult:
    pre, restored, applied = journal.outputs("preflight"), journal.outputs("restore"), journal.outputs("apply")
    old = pre.get("old_file_system_id")
    return RestoreResult(
        env=d2.env.name, region=d2.region, status=journal.status,
        recovery_point_arn=(pre.get("recovery_point") or {}).get("recovery_point_arn"),
        data_as_of=restored.get("data_as_of"),
        file_system_id=restored.get("file_system_id"), root_directory=restored.get("root_directory"),
        restore_job_id=restored.get("restore_job_id"),
        old_file_system_id=old,
        tfvars_file=applied.get("tfvars_file"),
        remove_old_file_system=(f"aws efs delete-file-system --region {d2.region} --file-system-id {old}" if old else None),
        gate=journal.outputs("gate"),
        journal=str(journal.path),
        steps={n: {"status": journal.step(n).get("status"), "attempts": journal.step(n).get("attempts"),
                   "seconds": journal.step(n).get("seconds")} for n in journal.step_names},
    )
