"""restore-test: prove the newest backup restores and holds the data, then remove it all.

1. The newest COMPLETED recovery point of the stack's file system in its local
   backup vault (the failover module's lookup).
2. StartRestoreJob into a NEW encrypted file system, with the source file
   system's KMS key, waited on (bounded) - the failover's backup promote path,
   with an in-memory journal. The data lands in `aws-backup-restore_<time>/`.
3. Mount targets for it (the source's subnets and security groups) and an
   access point rooted at `<restore dir>/<root>` with the source's POSIX user.
4. A temporary endpoint on that data: a one-off ECS task (the service's task
   definition with the volume pointed at the restored file system), in a
   temporary target group behind the env's ALB, reached through a temporary
   listener rule that matches only a random `X-Chromactl-Restore-Test` header.
5. The data check: collections and counts against the env's manifest (the
   failover gate's rule, with the recovery point's time as "data as of").
6. Tear down, newest first, in a `finally`: rule, target group, task, task
   definition, access point, mount targets, file system. A restore job still
   running at that point is reported with what to delete when it finishes.

The measured time is restore start to data check done; the target is the
env's RTO (a backup restore is the slow DR path: hours for big file systems).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chromactl.aws.session import error_code
from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.snapshot import collections_snapshot
from chromactl.drills import ecs as E
from chromactl.drills.common import (
    Cleanup,
    DrillResult,
    aws_call,
    poll_until,
    record_failure,
    rto_target,
)
from chromactl.drills.context import DrillContext
from chromactl.errors import OperationFailed
from chromactl.failover import aws as A
from chromactl.failover import manifest as M

HEADER = "X-Chromactl-Restore-Test"
PORT = 8000


@dataclass
class MemoryJournal:
    """What failover.aws.promote_backup needs from a journal, kept in memory."""

    run_id: str = field(default_factory=lambda: secrets.token_hex(8))
    steps: dict[str, dict[str, Any]] = field(default_factory=lambda: {"promote": {"checkpoint": {}}})

    def checkpoints(self, step: str) -> dict[str, Any]:
        return self.steps.setdefault(step, {"checkpoint": {}}).setdefault("checkpoint", {})

    def checkpoint(self, step: str, key: str, value: Any) -> None:
        self.checkpoints(step)[key] = value

    def save(self) -> None:
        return None


# --- the temporary endpoint --------------------------------------------------------------------------------


class AwsTempEndpoint:
    """A one-off task on the restored data behind a temporary ALB rule; everything registered for cleanup."""

    def open(self, ctx: DrillContext, fs_id: str, ap_id: str, cleanup: Cleanup, result: DrillResult) -> tuple[str, dict[str, str]]:
        ecs, elbv2 = ctx.client("ecs"), ctx.client("elbv2")
        cluster, service, _ = ctx.cluster_service_tg()
        svc = E.describe_service(ecs, cluster, service)
        conf = E.awsvpc(svc)
        td = aws_call("reading the service's task definition", ecs.describe_task_definition, taskDefinition=svc["taskDefinition"])["taskDefinition"]
        family = f"{td['family']}-restore-test"[:255]
        volumes = []
        for vol in td.get("volumes") or []:
            vol = dict(vol)
            if vol.get("efsVolumeConfiguration"):
                efs_conf = dict(vol["efsVolumeConfiguration"])
                efs_conf["fileSystemId"] = fs_id
                efs_conf["rootDirectory"] = "/"
                auth = dict(efs_conf.get("authorizationConfig") or {})
                auth["accessPointId"] = ap_id
                efs_conf["authorizationConfig"] = auth
                vol["efsVolumeConfiguration"] = efs_conf
            volumes.append(vol)
        keep = ("containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn",
                "taskRoleArn", "runtimePlatform", "ephemeralStorage")
        spec = {k: td[k] for k in keep if td.get(k)}
        new_td = aws_call("registering the restore-test task definition", ecs.register_task_definition, family=family, volumes=volumes,
                          tags=[{"key": "chromactl-drill", "value": "restore-test"}], **spec)["taskDefinition"]["taskDefinitionArn"]
        cleanup.add(f"task definition {new_td.rsplit('/', 1)[-1]}",
                    lambda: (aws_call("deregistering the task definition", ecs.deregister_task_definition, taskDefinition=new_td), "deregistered")[1],
                    manual=f"aws ecs deregister-task-definition --task-definition {new_td}")
        task = aws_call("starting the restore-test task", ecs.run_task, cluster=cluster, taskDefinition=new_td, count=1, launchType="FARGATE",
                        startedBy="chromactl-restore-test", networkConfiguration={"awsvpcConfiguration": conf})
        tasks = task.get("tasks") or []
        if not tasks:
            raise OperationFailed(f"ECS did not start the restore-test task: {task.get('failures')}.", "Check the cluster's capacity and the task definition.")
        task_arn = tasks[0]["taskArn"]

        def stop_task() -> str:
            aws_call("stopping the restore-test task", ecs.stop_task, cluster=cluster, task=task_arn, reason="chromactl restore-test done")
            return "stopped"

        cleanup.add(f"task {task_arn.rsplit('/', 1)[-1]}", stop_task,
                    verify=lambda: E.task_status(ecs, cluster, task_arn) in (None, "STOPPED", "DEPROVISIONING", "STOPPING"),
                    manual=f"aws ecs stop-task --cluster {cluster} --task {task_arn}")

        def running() -> tuple[bool, dict[str, Any]]:
            found = E.describe_tasks(ecs, cluster, [task_arn])
            if not found:
                return False, {"why": "task not found yet"}
            info = found[0]
            if info.last_status == "STOPPED":
                raise OperationFailed("The restore-test task stopped before it served (the restored data may not mount).",
                                      "See the task's stopped reason and the log group in CloudWatch.")
            return info.last_status == "RUNNING" and bool(info.ip), {"why": f"task {info.last_status}", "ip": info.ip}

        info, secs = poll_until(running, timeout_s=ctx.timeout_s, poll_s=ctx.poll_s, what="the restore-test task to run", clock=ctx.clock, output=ctx.output)
        result.step("temporary task", secs, ip=info["ip"])
        vpc = ctx.need("vpc_id")
        nonce = secrets.token_hex(32)
        tg = aws_call("creating the temporary target group", elbv2.create_target_group,
                      Name=f"chromactl-rt-{secrets.token_hex(4)}", Protocol="HTTP", Port=PORT, VpcId=vpc, TargetType="ip",
                      HealthCheckPath="/api/v2/heartbeat", HealthCheckIntervalSeconds=10, HealthyThresholdCount=2,
                      Tags=[{"Key": "chromactl-drill", "Value": "restore-test"}])["TargetGroups"][0]["TargetGroupArn"]

        def tg_gone() -> bool:
            try:
                elbv2.describe_target_groups(TargetGroupArns=[tg])
            except Exception as exc:  # noqa: BLE001
                return error_code(exc) == "TargetGroupNotFound"
            return False

        cleanup.add("temporary target group", lambda: (aws_call("deleting the target group", elbv2.delete_target_group, TargetGroupArn=tg), "deleted")[1],
                    verify=tg_gone, manual=f"aws elbv2 delete-target-group --target-group-arn {tg}")
        aws_call("registering the task", elbv2.register_targets, TargetGroupArn=tg, Targets=[{"Id": info["ip"], "Port": PORT}])
        listener = ctx.need("https_listener_arn")
        used = {r.get("Priority") for r in aws_call("reading the listener rules", elbv2.describe_rules, ListenerArn=listener).get("Rules") or []}
        priority = next(p for p in range(1000, 50000) if str(p) not in used)
        rule = aws_call("adding the temporary listener rule", elbv2.create_rule, ListenerArn=listener, Priority=priority,
                        Conditions=[{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": HEADER, "Values": [nonce]}}],
                        Actions=[{"Type": "forward", "TargetGroupArn": tg}])["Rules"][0]["RuleArn"]

        def rule_gone() -> bool:
            try:
                elbv2.describe_rules(RuleArns=[rule])
            except Exception as exc:  # noqa: BLE001
                return error_code(exc) == "RuleNotFound"
            return False

        cleanup.add("temporary listener rule", lambda: (aws_call("deleting the listener rule", elbv2.delete_rule, RuleArn=rule), "deleted")[1],
                    verify=rule_gone, manual=f"aws elbv2 delete-rule --rule-arn {rule}")

        def healthy() -> tuple[bool, dict[str, Any]]:
            states = [d.get("TargetHealth", {}).get("State") for d in
                      aws_call("reading target health", elbv2.describe_target_health, TargetGroupArn=tg).get("TargetHealthDescriptions") or []]
            return "healthy" in states, {"why": f"target {', '.join(s or '?' for s in states) or 'not registered'}"}

        _, secs = poll_until(healthy, timeout_s=ctx.timeout_s, poll_s=ctx.poll_s, what="the restore-test target to be healthy", clock=ctx.clock, output=ctx.output)
        result.step("temporary endpoint", secs)
        return ctx.endpoint, {HEADER: nonce}


# --- the data check ------------------------------------------------------------------------------------------


def snapshot(url: str, headers: dict[str, str], *, verify_tls: bool = True, timeout_s: float = 10.0) -> dict[str, int]:
    """Collections and record counts through the temporary endpoint (the one snapshot, checks.collections;
    a bounded client sending the rule's header). The check collections are kept in: `observed` records
    what the restored file system holds."""
    try:
        with ChromaClient(url, verify_tls=verify_tls, timeout_s=timeout_s, extra_headers=headers) as client:
            return collections_snapshot(client, include_checks=True)
    except ChromaError as exc:
        if exc.status is not None:
            raise OperationFailed(f"The temporary endpoint answered HTTP {exc.status} to the data check.",
                                  "The restored data may not have mounted; see the restore-test task's logs.") from None
        raise OperationFailed(f"The temporary endpoint did not answer the data check ({exc.kind}).",
                              "Check the temporary rule and target in the ALB.") from None


# --- the drill -------------------------------------------------------------------------------------------------


def _fs_gone(efs: Any, fs_id: str) -> bool:
    try:
        fss = efs.describe_file_systems(FileSystemId=fs_id).get("FileSystems") or []
    except Exception as exc:  # noqa: BLE001
        return error_code(exc) == "FileSystemNotFound"
    return not fss or fss[0].get("LifeCycleState") in ("deleting", "deleted")


def _delete_fs(ctx: DrillContext, efs: Any, fs_id: str) -> str:
    mts = aws_call("listing mount targets", efs.describe_mount_targets, FileSystemId=fs_id).get("MountTargets") or []
    for mt in mts:
        aws_call("deleting a mount target", efs.delete_mount_target, MountTargetId=mt["MountTargetId"])

    def no_mounts() -> tuple[bool, dict[str, Any]]:
        left = aws_call("listing mount targets", efs.describe_mount_targets, FileSystemId=fs_id).get("MountTargets") or []
        return not left, {"why": f"{len(left)} mount target(s) left"}

    poll_until(no_mounts, timeout_s=min(ctx.timeout_s, 600), poll_s=ctx.poll_s, what="the mount targets to go", clock=ctx.clock, output=ctx.output)
    aws_call("deleting the restored file system", efs.delete_file_system, FileSystemId=fs_id)
    return f"deleted {fs_id} ({len(mts)} mount target(s) first)"


def run(ctx: DrillContext) -> DrillResult:
    result = DrillResult("restore-test", ctx.env.name, ctx.region, measured_label="restore and verify")
    result.target_s, result.target_source = rto_target(ctx.env, ctx.target_override_s)
    cleanup = Cleanup()
    out = ctx.output
    endpoint = ctx.data_endpoint or AwsTempEndpoint()
    journal = MemoryJournal()
    efs = ctx.client("efs")
    try:
        source_fs = ctx.need("file_system_id")
        vault = ctx.need("backup_vault_name")
        found = A.find_recovery_point(ctx.env, ctx.region, ctx.factory, {"dr_backup_vault_name": vault, "file_system_id": source_fs}, None)
        if not found:
            raise OperationFailed(f"No completed recovery point of {source_fs} in vault {vault}.",
                                  "Wait for the first scheduled backup (or start one in AWS Backup), then drill.")
        result.details["recovery_point"] = found
        src = aws_call("reading the source file system", efs.describe_file_systems, FileSystemId=source_fs)["FileSystems"][0]
        kms = src.get("KmsKeyId")
        if not kms:
            raise OperationFailed(f"The source file system {source_fs} reports no KMS key.", "The stack encrypts EFS with a KMS key; check the file system.")
        aps = aws_call("reading the access point", efs.describe_access_points, FileSystemId=source_fs).get("AccessPoints") or []
        wanted_ap = ctx.stack.access_point_id
        ap = next((a for a in aps if a.get("AccessPointId") == wanted_ap), aps[0] if aps else None)
        root = (ap or {}).get("RootDirectory", {}).get("Path") or ctx.stack.file_system_root_directory or A.DEFAULT_ROOT
        account = ctx.stack.account_id or ctx.env.account_id

        def undo_restore() -> str:
            job = journal.checkpoints("promote").get("restore_job_id")
            if not job:
                return "no restore job was started"
            desc = aws_call("reading the restore job", ctx.client("backup").describe_restore_job, RestoreJobId=job)
            created = str(desc.get("CreatedResourceArn") or "")
            fs = created.rsplit("/", 1)[-1] if created else ""
            if desc.get("Status") in ("PENDING", "RUNNING", "CREATED"):
                raise OperationFailed(f"Restore job {job} is still {desc.get('Status')}; its file system cannot be deleted yet.",
                                      "When it completes, delete the file system it created (CreatedResourceArn).")
            if not fs.startswith("fs-"):
                return f"restore job {job} {desc.get('Status')} without a file system"
            if _fs_gone(efs, fs):
                return f"{fs} already gone"
            return _delete_fs(ctx, efs, fs)

        def restored_gone() -> bool:
            fs = journal.checkpoints("promote").get("file_system_id")
            return True if not fs else _fs_gone(efs, fs)

        cleanup.add("restored file system", undo_restore, verify=restored_gone,
                    manual="aws backup describe-restore-job (CreatedResourceArn), then aws efs delete-mount-target / delete-file-system")
        out.info(f"Restoring {found['recovery_point_arn']} into a new file system ...")
        t0 = ctx.clock.monotonic()
        promo = A.promote_backup(ctx.env, ctx.region, ctx.factory, found,
                                 {"dr_kms_key_arn": kms, "file_system_id": source_fs, "backup_role_arn": ctx.stack.backup_role_arn},
                                 account, journal, ctx.clock,
                                 timeout_s=ctx.timeout_s, interval_s=ctx.poll_s, root=root)
        fs_id = promo["file_system_id"]
        journal.checkpoint("promote", "file_system_id", fs_id)
        result.details["restore"] = {k: promo.get(k) for k in ("file_system_id", "root_directory", "restore_job_id", "data_as_of")}
        result.step("restore", ctx.clock.monotonic() - t0, file_system_id=fs_id)

        # mount targets like the source's (subnets and security groups)
        s0 = ctx.clock.monotonic()
        for mt in aws_call("listing the source's mount targets", efs.describe_mount_targets, FileSystemId=source_fs).get("MountTargets") or []:
            sgs = aws_call("reading mount target security groups", efs.describe_mount_target_security_groups,
                           MountTargetId=mt["MountTargetId"]).get("SecurityGroups") or []
            aws_call("creating a mount target", efs.create_mount_target, FileSystemId=fs_id, SubnetId=mt["SubnetId"], SecurityGroups=sgs)
        posix = (ap or {}).get("PosixUser") or {"Uid": 1000, "Gid": 1000}
        info = (ap or {}).get("RootDirectory", {}).get("CreationInfo") or {"OwnerUid": posix["Uid"], "OwnerGid": posix["Gid"], "Permissions": "0750"}
        new_ap = aws_call("creating the access point", efs.create_access_point, FileSystemId=fs_id, ClientToken=f"chromactl-rt-{journal.run_id}",
                          PosixUser={"Uid": posix["Uid"], "Gid": posix["Gid"]},
                          RootDirectory={"Path": promo["root_directory"], "CreationInfo": info},
                          Tags=[{"Key": "chromactl-drill", "Value": "restore-test"}])["AccessPointId"]

        def ap_gone() -> bool:
            try:
                return not efs.describe_access_points(AccessPointId=new_ap).get("AccessPoints")
            except Exception as exc:  # noqa: BLE001
                return error_code(exc) == "AccessPointNotFound"

        cleanup.add(f"access point {new_ap}", lambda: (aws_call("deleting the access point", efs.delete_access_point, AccessPointId=new_ap), "deleted")[1],
                    verify=ap_gone, manual=f"aws efs delete-access-point --access-point-id {new_ap}")
        result.step("mount targets and access point", ctx.clock.monotonic() - s0, access_point_id=new_ap)

        url, headers = endpoint.open(ctx, fs_id, new_ap, cleanup, result)
        c0 = ctx.clock.monotonic()
        observed = snapshot(url, headers, verify_tls=ctx.verify_tls)
        as_of = promo.get("data_as_of")
        check = M.compare(M.read_manifest(ctx.env, ctx.factory), observed, datetime.fromisoformat(as_of) if as_of else None)
        result.details["data_check"] = check.to_dict()
        result.details["observed"] = observed
        result.checks["data"] = check.ok
        result.checks["manifest_baseline"] = check.baseline_at is not None
        result.step("data check", ctx.clock.monotonic() - c0, ok=check.ok, summary=check.summary())
        result.measured_s = ctx.clock.monotonic() - t0
        out.info(f"Data check: {check.summary()}")
        result.ok = True
    except BaseException as exc:
        record_failure(result, exc)
        if not isinstance(exc, Exception):
            raise
    finally:
        result.cleanup = cleanup.run(out)
        result.details["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return result

