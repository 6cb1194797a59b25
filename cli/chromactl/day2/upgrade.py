"""`chromactl upgrade --env E --image IMAGE@DIGEST`: change the Chroma image safely.

Steps (journaled like the failover; `--resume` continues, a done step is never redone):
  preflight  the image is a Chroma release pinned by tag and digest, and its manifest exists in its registry
             (day2.image_check; --skip-image-check overrides an unreachable registry); its version is not lower
             than the highest that has opened the env's data (failover.version_record) - refused before anything changes;
  backup     an on-demand recovery point (day2.backup), waited on: the way back if the data migrates;
  apply      the new image (envs/<env>/chromactl.auto.tfvars.json, then Terraform);
  wait       stable and healthy, the PRIMARY deployment on the new task definition (a wait that fails, or
             ends on another task definition after the circuit breaker rolled back, fails the gate);
  gate       smoke, latency SLOs, the data manifest; a pass records the new version;
  rollback   only after a failed gate (or wait): the previous image applied again, waited on and checked; if the
             previous version cannot serve the data (it was migrated), the pre-upgrade recovery point is
             restored (day2.restore) and the run says which and how long it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromactl.config import project_root
from chromactl.day2 import tfvars
from chromactl.day2 import upgrade_model as M
from chromactl.day2.backup import backup_target, take_backup
from chromactl.day2.context import Day2, aws_env, confirm_changes, open_env
from chromactl.day2.gate import run_gate
from chromactl.day2.image_check import ECR_HOST, check_image, split_reference
from chromactl.day2.restore import RestoreResult, restore_changes, run_restore
from chromactl.day2.steps import journal_file, open_journal, run_steps
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover import aws as A
from chromactl.failover import version_record as V
from chromactl.failover.core import Settings
from chromactl.failover.ports import Ports
from chromactl.failover.version_record import configured_image
from chromactl.output import Output

STEPS: tuple[str, ...] = ("preflight", "backup", "apply", "wait", "gate", "rollback")
_CHANGES = [("replace", "aws_ecs_task_definition", "module.stack.module.ecs.aws_ecs_task_definition.this")]


@dataclass
class UpgradeSettings(Settings):
    backup_timeout_s: float = 3600.0
    backup_poll_s: float = 15.0
    image_check_timeout_s: float = 10.0
    # registry host -> base URL to ask instead (a local mirror, a test's fake registry); empty: the host itself
    registry_endpoints: dict[str, str] = field(default_factory=dict)


def current_image(d2: Any) -> str | None:
    """The image of the stack's task definition, from the env's Terraform state (local or in the state bucket)."""
    require_primary(d2.env, d2.region)
    images = A.task_images(A.read_primary_state(d2.env, d2.factory))
    return images[0] if images else None


def require_primary(env: Any, region: str) -> None:
    """An upgrade runs in the env's primary region (the real run and the dry run refuse alike)."""
    if region != env.primary_region:
        raise UsageError(f"upgrade runs in the primary region {env.primary_region} of env {env.name!r}, not {region}.",
                         "Drop --region (after a failover, upgrade once the env's primary is set to the new region).")


def preflight(d2: Any, image: str, settings: UpgradeSettings, *, skip_image_check: bool = False) -> dict[str, Any]:
    """Everything that can refuse the upgrade; changes nothing."""
    target = V.parse_image(image)
    running_image = current_image(d2)
    previous = configured_image(d2.env)
    if not running_image or not previous:
        raise OperationFailed(f"No task definition in the state of {d2.env.name}/{d2.region}, or no image in its tfvars: nothing runs to upgrade.",
                              f"Bring the env up first: chromactl up --env {d2.env.name} (with image = \"{image}\" in its terraform.tfvars).")
    record = V.read_record(d2.env, d2.factory)
    floor = dict(record)
    try:
        running = V.parse_image(running_image).version
    except UsageError:
        running = None  # an unpinned image from before this check: the record alone decides
    if running and (not floor.get("highest") or V.version_key(running) > V.version_key(str(floor["highest"]))):
        floor = {**floor, "highest": running, "history": [*floor.get("history", []), {"chroma_version": running, "recorded_at": "now (running)"}]}
    V.refuse_downgrade(d2.env, target.version, floor)
    if skip_image_check:
        d2.output.warn(f"not checking that {target.reference} exists (--skip-image-check): a missing image fails only after "
                       "ECS has stopped the old task.")
        found: dict[str, Any] = {"skipped": True}
    else:
        found = check_image(target, factory=d2.factory, region=d2.region, timeout_s=settings.image_check_timeout_s,
                            endpoints=settings.registry_endpoints)
    return {"image": target.reference, "image_check": found, "version": target.version, "previous_image": previous, "running_image": running_image,
            "previous_version": running,
            "highest_recorded": record.get("highest"), "same": previous == target.reference}


@dataclass
class UpgradeRun:
    d2: Any
    journal: Any
    ports: Ports
    settings: UpgradeSettings
    clock: A.Clock
    image: str
    root: Path
    checked: dict[str, Any] | None = None  # the preflight as run before the confirmation
    skip_image_check: bool = False

    def out(self, step: str) -> dict[str, Any]:
        return dict(self.journal.outputs(step))

    def preflight(self) -> dict[str, Any]:
        return self.checked or preflight(self.d2, self.image, self.settings, skip_image_check=self.skip_image_check)

    def backup(self) -> dict[str, Any]:
        t = backup_target(self.d2.env, self.d2.region, self.d2.outputs)
        res = take_backup(t, self.d2.factory, self.clock, wait=True, timeout_s=self.settings.backup_timeout_s,
                          poll_s=self.settings.backup_poll_s, token=f"chromactl-{t.env}-upgrade-{self.journal.run_id}",
                          checkpoint=lambda k, v: self.journal.checkpoint("backup", k, v),
                          job_id=self.journal.checkpoints("backup").get("backup_job_id"), output=self.d2.output)
        return {k: getattr(res, k) for k in ("backup_job_id", "recovery_point_arn", "size_bytes", "completed", "copy")}

    def _apply_image(self, image: str) -> dict[str, Any]:
        written = tfvars.update(self.d2.env, {"image": image})
        outputs = self.ports.apply_region(self.d2.env, self.d2.region, extra_vars={"image": image}, output=self.d2.output,
                                          auto_approve=True, allow_protected_changes=True, profile=self.d2.profile)  # confirmed up front
        if not isinstance(outputs, dict) or not outputs.get("endpoint_url"):
            raise OperationFailed(f"The apply of {self.d2.env.name}/{self.d2.region} returned no endpoint_url output.", "Check the stack, then --resume.")
        # The revision the apply made: aws_ecs_task_definition's `arn` is the full ARN, family and revision
        # (provider website/docs/r/ecs_task_definition.html.markdown), as ECS reports a deployment's taskDefinition.
        arn = A.state_attr(A.read_primary_state(self.d2.env, self.d2.factory), "aws_ecs_task_definition", lambda a: a["arn"])
        return {"image": image, "tfvars_file": str(written), "outputs": outputs, "task_definition_arn": arn}

    def apply(self) -> dict[str, Any]:
        return self._apply_image(self.out("preflight")["image"])

    def _wait(self, applied: dict[str, Any]) -> dict[str, Any]:
        """{"stable": True, ...} when the service is stable and healthy on the applied revision, else {"stable": False,
        "why": ...}: a wait that gives up, a rollout the circuit breaker failed (terraform/modules/ecs/main.tf,
        rollback = true), or a stable service whose PRIMARY deployment runs another task definition, which is
        what a wait sees once the circuit breaker has rolled back (ECS DescribeServices deployments[].status
        PRIMARY is the newest deployment, .taskDefinition its revision, .rolloutState COMPLETED|FAILED|IN_PROGRESS:
        botocore/data/ecs/2014-11-13/service-2.json, Deployment)."""
        try:
            res = self.ports.wait_stable(self.d2.env, self.d2.region, applied["outputs"], self.d2.factory, self.settings.wait_timeout_s,
                                         self.d2.output)
        except OperationFailed as exc:
            return {"stable": False, "why": exc.message.rstrip(".")}
        kept = {k: v for k, v in (res or {}).items() if k in ("stable", "running", "desired", "healthy", "seconds")}
        want = applied.get("task_definition_arn")
        primary = [d.get("task_definition") for d in (res or {}).get("deployments", []) if d.get("status") == "PRIMARY"]
        if want and primary != [want]:
            return {**kept, "stable": False, "task_definition": primary[0] if primary else None,
                    "why": (f"the service is stable on {primary[0] if primary else 'no PRIMARY deployment'}, not on the new {want}: "
                            "the circuit breaker rolled the deployment back")}
        return {**kept, "task_definition": want}

    def wait(self) -> dict[str, Any]:
        res = self._wait(self.out("apply"))
        if not res.get("stable"):
            self.d2.output.warn(f"the new tasks did not become stable: {res['why']}; the gate fails and the upgrade rolls back.")
        return res

    def gate(self) -> dict[str, Any]:
        pre, waited = self.out("preflight"), self.out("wait")
        if not waited.get("stable", True):  # nothing to check on tasks that never became stable: roll back
            failed = [f"stable and healthy ({waited.get('why')})"]
            self.d2.output.warn(f"the gate failed on {pre['image']}: {failed[0]}; rolling back to {pre['previous_image']}.")
            return {"ok": False, "failed": failed, "report": {"wait": waited}}
        result = run_gate(self.d2, self.out("apply")["outputs"], self.ports, self.settings, data_as_of=None)
        if result.ok:
            V.record(self.d2.env, pre["version"], image=pre["image"], region=self.d2.region, factory=self.d2.factory)
        else:
            self.d2.output.warn(f"the gate failed on {pre['image']}: {'; '.join(result.failed)}; rolling back to {pre['previous_image']}.")
        return {"ok": result.ok, "failed": result.failed, "report": result.report}

    def rollback(self) -> dict[str, Any]:
        if self.out("gate").get("ok"):
            return {"needed": False}
        pre, marks = self.out("preflight"), self.journal.checkpoints("rollback")
        if not marks.get("applied"):
            applied = self._apply_image(pre["previous_image"])
            self.journal.checkpoint("rollback", "applied", applied)
        applied = self.journal.checkpoints("rollback")["applied"]
        if not marks.get("checked"):
            waited = self._wait(applied)
            if not waited.get("stable"):
                raise OperationFailed(f"The previous image {pre['previous_image']} did not become stable either: {waited['why']}.",
                                      "Check the service's events and logs (`chromactl status`)")
            check = run_gate(self.d2, applied["outputs"], self.ports, self.settings, data_as_of=None)
            self.journal.checkpoint("rollback", "checked", {"ok": check.ok, "failed": check.failed})
        checked = self.journal.checkpoints("rollback")["checked"]
        if checked["ok"]:
            return {"needed": True, "image": pre["previous_image"], "restored": False,
                    "why": "the previous version serves the data: it was not migrated"}
        rp = self.out("backup")["recovery_point_arn"]
        self.d2.output.warn(f"Chroma {pre['previous_version']} fails on the data too ({'; '.join(checked['failed'])}): "
                            f"restoring the pre-upgrade recovery point {rp}.")
        started = time.monotonic()
        # A restore of this upgrade run's own (journal keyed by the run id): resumed only when this rollback is,
        # never an earlier, finished restore of the env returned as if it had just run.
        restored = run_restore(self.d2.env.name, rp, output=self.d2.output, region=self.d2.region, resume=True, yes=True,
                               confirm_env=self.d2.env.name, profile=self.d2.profile, root=self.root, outputs=self.d2.outputs,
                               factory=self.d2.factory, ports=self.ports, clock=self.clock, settings=self.settings,
                               run_key=f"upgrade-{self.journal.run_id}")
        assert isinstance(restored, RestoreResult)  # not a dry run
        return {"needed": True, "image": pre["previous_image"], "restored": True, "recovery_point_arn": rp,
                "restore_seconds": round(time.monotonic() - started, 1), "file_system_id": restored.file_system_id,
                "remove_old_file_system": restored.remove_old_file_system,
                "why": "the previous version could not serve the data the new one had migrated"}


def _image_check_call(target: V.ChromaImage) -> str:
    host, name = split_reference(target.repo)
    if ECR_HOST.match(host):
        return f"ecr:DescribeImages {name} imageDigest=sha256:{target.digest} (the image exists)"
    return f"HEAD https://{host}/v2/{name}/manifests/sha256:{target.digest} (the image exists; anonymous token if challenged)"


@dataclass(frozen=True)
class UpgradePlan:
    """`chromactl upgrade --dry-run`'s result: every step's calls and the modelled downtime against the RTO."""

    env: str
    region: str
    image: str
    version: str
    steps: list[dict[str, Any]]
    modelled_downtime: dict[str, float | int] | None  # upgrade_model.Downtime's; None: the env's size is not set
    rto_target_minutes: float
    within_rto: bool | None
    dry_run: bool = True
    changes: str = "none (dry run)"

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "env": self.env, "region": self.region, "image": self.image, "version": self.version,
                "steps": self.steps, "modelled_downtime": self.modelled_downtime, "rto_target_minutes": self.rto_target_minutes,
                "within_rto": self.within_rto, "changes": self.changes}


@dataclass(frozen=True)
class UpgradeUnchanged:
    """`chromactl upgrade`'s result when the env already runs the image: nothing was done."""

    env: str
    region: str
    image: str
    note: str
    status: str = "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "status": self.status, "image": self.image, "note": self.note}


@dataclass(frozen=True)
class UpgradeResult:
    """`chromactl upgrade`'s result: the image now configured, the gate, the rollback, each step's status."""

    env: str
    region: str
    status: str  # the journal's
    image: str | None
    version: str | None
    previous_image: str | None
    pre_upgrade_recovery_point: str | None
    gate_ok: bool | None
    gate_failed: list[str]
    rollback: dict[str, Any]  # the rollback step's outputs ({"needed": False} after a passing gate)
    journal: str
    steps: dict[str, dict[str, Any]]  # step -> status, attempts, seconds

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "status": self.status, "image": self.image, "version": self.version,
                "previous_image": self.previous_image, "pre_upgrade_recovery_point": self.pre_upgrade_recovery_point,
                "gate_ok": self.gate_ok, "gate_failed": self.gate_failed, "rollback": self.rollback, "journal": self.journal,
                "steps": self.steps}


def dry_run_plan(d2: Any, image: str) -> UpgradePlan:
    target = V.parse_image(image)
    r = d2.region
    size = M.expected_size(d2.env.dir)
    down = M.downtime(*size).to_dict() if size else None
    steps: list[dict[str, Any]] = [
        {"step": "preflight", "calls": [f"s3:GetObject (the state; the version record {V.s3_key(d2.env)})",
                                        _image_check_call(target),
                                        "refuse a version lower than the highest that opened the data"]},
        {"step": "backup", "calls": [f"backup:StartBackupJob (vault {d2.outputs.get('backup_vault_name', '<vault>')}) in {r}",
                                     f"backup:DescribeBackupJob in {r}, polled until COMPLETED (bounded)",
                                     "backup:StartCopyJob + DescribeCopyJob to the failover vault, where the env copies"],
         "modelled": "incremental: grows with the data changed since the last backup; bounded by the wait"},
        {"step": "apply", "calls": [f"write envs/{d2.env.name}/chromactl.auto.tfvars.json: image = {target.reference}",
                                    "terraform plan + apply: a new task definition revision, the service moves to it"],
         "modelled_downtime": down},
        {"step": "wait", "calls": [f"ecs:DescribeServices, elbv2:DescribeTargetHealth in {r}, bounded"]},
        {"step": "gate", "calls": ["Chroma: smoke, closed-loop latency vs the SLOs, collections and counts vs the manifest",
                                   f"s3:PutObject {V.s3_key(d2.env)} (the version record, on a pass)"]},
        {"step": "rollback", "calls": [("only after a failed gate: apply the previous image, wait, check; if the previous "
                                       "version fails on the data, restore the pre-upgrade recovery point (chromactl restore's steps)")]},
    ]
    return UpgradePlan(env=d2.env.name, region=r, image=target.reference, version=target.version, steps=steps, modelled_downtime=down,
                       rto_target_minutes=d2.env.slo.rto_minutes,
                       within_rto=(down["total_s"] <= d2.env.slo.rto_minutes * 60) if down else None)


def run_upgrade(env_name: str, image: str, *, output: Output, region: str | None = None, dry_run: bool = False, resume: bool = False,
                yes: bool = False, confirm_env: str | None = None, profile: str | None = None, root: Path | None = None,
                outputs: dict[str, Any] | None = None, factory: Any = None, ports: Ports | None = None, clock: A.Clock | None = None,
                settings: UpgradeSettings | None = None, skip_image_check: bool = False) -> UpgradeResult | UpgradeUnchanged | UpgradePlan:
    env = aws_env(env_name, "upgrade", root)
    V.parse_image(image)  # not a pinned Chroma image: refused before Terraform or AWS is asked anything
    if dry_run:
        require_primary(env, env.region_or_primary(region))

        return dry_run_plan(Day2(env=env, region=env.region_or_primary(region), outputs=outputs or {}, factory=None, output=output), image)
    d2 = open_env(env_name, "upgrade", region=region, output=output, profile=profile, outputs=outputs, factory=factory, root=root)
    the_root = root or project_root()
    path = journal_file(the_root, "upgrade", d2.env.name, d2.region)
    journal = open_journal(path, verb="upgrade", env=d2.env.name, region=d2.region, steps=STEPS, resume=resume,
                           inputs={"image": image}, output=output)
    the_settings = settings or UpgradeSettings()
    if journal.status != "completed":
        checked = None
        if journal.next_step() == "preflight":
            # a downgrade or a missing image is refused here: no journal, no backup, nothing applied
            checked = preflight(d2, image, the_settings, skip_image_check=skip_image_check)
            if checked["same"]:
                return UpgradeUnchanged(env=d2.env.name, region=d2.region, image=image, note=f"{d2.env.name} already runs {image}")
        # The rollback may restore without asking again (run_restore(yes=True)): the one question covers that too.
        d2.output.warn("if the gate fails and the previous version cannot serve the data the new one migrated, the rollback restores "
                       "the pre-upgrade recovery point without asking again: that moves the stack onto a new file system (the old one "
                       "is kept) and replaces the EFS access point and mount targets, listed below with the task definition.")
        confirm_changes(d2, [*_CHANGES, *restore_changes(d2)], yes=yes, confirm_env=confirm_env)
        run = UpgradeRun(d2=d2, journal=journal, ports=ports or Ports(), settings=the_settings, clock=clock or A.Clock(),
                         image=image, root=the_root, checked=checked, skip_image_check=skip_image_check)
        run_steps(journal, {name: getattr(run, name) for name in STEPS}, output, verb="upgrade")
    res = summary(journal, d2)
    rb = res.rollback
    if rb.get("needed"):
        restored = (f"; the data was restored from the pre-upgrade recovery point {rb['recovery_point_arn']} in {rb['restore_seconds']:.0f} s"
                    if rb.get("restored") else "; the data was not migrated, so it was not restored")
        raise OperationFailed(f"The upgrade of {d2.env.name} to {res.image} failed its gate ({'; '.join(res.gate_failed)}) and was "
                              f"rolled back to {rb['image']}{restored}.",
                              f"The rollback is done and checked (journal: {journal.path}); fix the cause before upgrading again.",
                              detail=None)
    return res


def summary(journal: Any, d2: Any) -> UpgradeResult:
    pre, gate = journal.outputs("preflight"), journal.outputs("gate")
    return UpgradeResult(
        env=d2.env.name, region=d2.region, status=journal.status,
        image=pre.get("image"), version=pre.get("version"), previous_image=pre.get("previous_image"),
        pre_upgrade_recovery_point=journal.outputs("backup").get("recovery_point_arn"),
        gate_ok=gate.get("ok"), gate_failed=gate.get("failed", []),
        rollback=journal.outputs("rollback"),
        journal=str(journal.path),
        steps={n: {"status": journal.step(n).get("status"), "attempts": journal.step(n).get("attempts"),
                   "seconds": journal.step(n).get("seconds")} for n in journal.step_names},
    )
