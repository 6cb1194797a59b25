"""`chromactl failover`: rebuild the env in another region when the primary is gone.

Steps (model.STEPS): preflight -> fence -> promote -> apply -> wait -> gate -> dns.
Each runs at most once to completion; the journal (journal.py) is written
after every step and at mid-step checkpoints, so `--resume` continues from the
failed step and a completed failover, run again, changes nothing.

Size: the failover's steps in order (preflight, fence, promote, apply, wait, gate, dns), the journal
mirror and the protected-env confirmation; one file is the one place to read the sequence (and the
mutation score of docs/testing.md is measured on it as one module).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chromactl import settings as chromactl_settings
from chromactl.aws.session import ClientFactory, describe_aws_error
from chromactl.checks.target import Target
from chromactl.config import EnvConfig, load_env, project_root
from chromactl.errors import ChromactlError, OperationFailed, UsageError
from chromactl.failover import aws as A
from chromactl.failover import manifest as M
from chromactl.failover.journal import Journal, journal_path
from chromactl.failover.model import (
    RTO_TARGET_REPLICA_S,
    STEPS,
    modelled_rto_s,
    planned_calls,
    step_model,
)
from chromactl.failover.ports import Ports
from chromactl.failover.version_record import record_after_check
from chromactl.lifecycle.guard import Change, confirm_change
from chromactl.lifecycle.plan import declared_variables
from chromactl.output import Output
from chromactl.regions import check_region

ENDPOINT_OVERRIDE_ENV = "CHROMACTL_FAILOVER_ENDPOINT"

# Outputs of the primary's state that the failover needs (none of them secret); each is a StackOutputs field.
_PRIMARY_KEYS = ("cluster_name", "service_name", "file_system_id", "replica_file_system_id", "dr_backup_vault_name",
                 "dr_kms_key_arn", "backup_role_arn", "endpoint_url", "failover_region")


@dataclass
class Settings:
    promote_timeout_s: float = 900.0
    restore_timeout_s: float = 4 * 3600.0
    poll_interval_s: float = 10.0
    wait_timeout_s: float = 900.0
    dns_timeout_s: float = 120.0
    latency_queries: int = 200
    latency_concurrency: int = 4
    smoke_vectors: int = 500
    latency_seed_vectors: int = 1000
    gate_timeout_s: float = 10.0
    endpoint_override: str | None = field(default_factory=lambda: chromactl_settings.current().failover_endpoint)


@dataclass
class Run:
    env: EnvConfig
    target: str
    journal: Journal
    factory: Any
    ports: Ports
    clock: A.Clock
    settings: Settings
    output: Output
    profile: str | None
    recovery_point: str | None
    restore_dir: str | None
    accept_data_diff: bool
    secret_action: str | None = None  # --force-delete-secret / --restore-secret, as for `up`

    def out(self, step: str) -> dict[str, Any]:
        return self.journal.outputs(step)


# --- the steps -----------------------------------------------------------------------------------------


def _preflight(run: Run) -> dict[str, Any]:
    env, target, factory = run.env, run.target, run.factory
    creds = A.check_credentials(env, target, factory)
    bucket = A.check_state_bucket(env, factory)
    state = A.read_primary_state(env, factory)
    outputs = A.state_outputs(state)
    primary = outputs.pick(_PRIMARY_KEYS)  # keeps Terraform's sensitive flags for the journal
    role = A.backup_role_arn(state)
    if role:
        primary["backup_role_arn"] = role
    root = A.access_point_root(state)
    wanted = run.journal.source  # "auto" | "replica" | "backup"
    replica = rp = None
    if wanted in ("auto", "replica") and not run.recovery_point:
        replica = A.find_replica(env, target, factory, outputs)
    if replica is None and wanted in ("auto", "backup"):
        rp = A.find_recovery_point(env, target, factory, outputs, run.recovery_point)
    if replica is None and rp is None:
        where = f"vault {outputs.get('dr_backup_vault_name')}" if outputs.get("dr_backup_vault_name") else "a DR backup vault (none recorded)"
        if wanted == "replica":
            raise OperationFailed(f"No EFS replica of env {env.name!r} in {target}.", "Fail over from a backup with --from backup.")
        raise OperationFailed(
            f"No data to fail over from in {target}: no EFS replica of env {env.name!r} and no recovery point in {where}.",
            "Check the env's replication and backup copies to this region (chromactl status), or pick another region.",
        )
    source = "replica" if replica else "backup"
    lag = None
    if replica and replica.get("last_replicated"):
        lag = round((run.clock.now() - datetime.fromisoformat(replica["last_replicated"])).total_seconds(), 1)
    image = A.check_image(A.task_images(state), target, str(env.primary_region), factory)
    manifest = M.read_manifest(env, factory)
    return {
        "account": creds["account"],
        "state_bucket": bucket,
        "primary_state_found": state is not None,
        "primary": primary,
        "root_directory": root,
        "source": source,
        "replica": replica,
        "replication_lag_seconds": lag,
        "recovery_point": rp,
        "image": image,
        "manifest_entries": len(manifest["entries"]) if manifest else 0,
    }


def _fence(run: Run) -> dict[str, Any]:
    result = A.fence_primary(run.env, run.factory, run.out("preflight").get("primary", {}))
    if result["outcome"] != "fenced":
        run.output.warn(
            f"the old primary in {run.env.primary_region} was not fenced ({result['outcome']}: {result.get('reason')}); "
            f"if it comes back, scale it to 0 before it takes writes: {result['manual']}"
        )
    return result


def _promote(run: Run) -> dict[str, Any]:
    pre = run.out("preflight")
    common = {"timeout_s": run.settings.promote_timeout_s, "interval_s": run.settings.poll_interval_s, "root": pre["root_directory"]}
    if pre["source"] == "replica":
        res = A.promote_replica(run.target, run.factory, pre["replica"], run.journal, run.clock, output=run.output, **common)
        rpo = res.get("rpo_seconds")
        if rpo is not None and rpo > run.env.slo.rpo_minutes * 60:
            run.output.warn(f"RPO {rpo:.0f} s is above the env's target of {run.env.slo.rpo_minutes:g} min.")
        return res
    common["timeout_s"] = run.settings.restore_timeout_s
    return A.promote_backup(run.env, run.target, run.factory, pre["recovery_point"], pre.get("primary", {}), pre.get("account"),
                            run.journal, run.clock, restore_dir=run.restore_dir, output=run.output, **common)


def _apply(run: Run) -> dict[str, Any]:
    promoted = run.out("promote")
    extra = {
        "existing_file_system_id": promoted["file_system_id"],
        "existing_root_directory": promoted["root_directory"],
        "enable_cross_region_dr": "false",
    }
    kms = run.out("preflight").get("primary", {}).get("dr_kms_key_arn")
    if kms:
        extra["existing_kms_key_arn"] = kms  # the replica's / restored file system's key (the DR key)
    declared = declared_variables(run.env)
    for name in ("dns_zone_id", "dns_record_name"):
        if name in declared:
            extra[name] = ""  # the stack must not take the record: the dns step moves it after the gate
    kw = {"secret_action": run.secret_action} if run.secret_action else {}  # ports swapped in tests may not take it
    outputs = run.ports.apply_region(run.env, run.target, extra_vars=extra, output=run.output, auto_approve=True,
                                     allow_protected_changes=False, profile=run.profile, **kw)
    if not isinstance(outputs, dict) or not outputs.get("endpoint_url"):
        raise OperationFailed(f"The apply in {run.target} returned no endpoint_url output.", "Check the stack's outputs, then --resume.")
    return {"extra_vars": extra, "outputs": outputs}


def _wait(run: Run) -> dict[str, Any]:
    outputs = run.out("apply")["outputs"]
    res = run.ports.wait_stable(run.env, run.target, outputs, run.factory, run.settings.wait_timeout_s, run.output)
    return {k: v for k, v in (res or {}).items() if k in ("stable", "running", "desired", "healthy", "seconds", "polls")}


def gate_endpoint(outputs: dict[str, Any], override: str | None = None) -> tuple[str, bool, str | None]:
    """(URL, verify TLS, TLS server name) the gate checks: the NEW region's ALB.

    Not `endpoint_url` as such: in the rebuild that is the clients' name (domain_name), which
    keeps pointing at the old region until the DNS step after the gate, so the gate would test
    the failed (or fenced) stack. It dials the ALB's own DNS name and, where the endpoint's name
    is on the certificate (`endpoint_tls_verifiable`), presents and verifies that name (SNI, Host);
    else (no domain: the endpoint is the ALB's own name) TLS cannot be verified.
    """
    if override:
        return override, True, None
    alb = outputs.get("alb_dns_name")
    endpoint = str(outputs["endpoint_url"])
    if not alb:
        return endpoint, outputs.get("endpoint_tls_verifiable") is not False, None
    url = f"https://{str(alb).rstrip('.')}"
    host = urllib.parse.urlsplit(endpoint).hostname
    if outputs.get("endpoint_tls_verifiable") is False or not host or host == str(alb).rstrip("."):
        return url, False, None
    return url, True, host


def _gate(run: Run) -> dict[str, Any]:
    outputs = run.out("apply")["outputs"]
    url, verify_tls, server_name = gate_endpoint(outputs, run.settings.endpoint_override)
    if run.settings.endpoint_override:
        run.output.warn(f"gate endpoint overridden by {ENDPOINT_OVERRIDE_ENV} (tests and drills only).")
    else:
        run.output.info(f"gate: checking the new stack through its ALB ({url})"
                        + (f", verifying the certificate for {server_name}" if server_name else ", TLS unverified (no domain)")
                        + "; the clients' name still points at the old region until the DNS step.")
    token = run.ports.read_token(outputs, run.target, run.profile, run.factory)
    target = Target(url=url, token=token, timeout_s=run.settings.gate_timeout_s, verify_tls=verify_tls, env=run.env.name,
                    region=run.target, server_name=server_name)
    promoted = run.out("promote")
    as_of = promoted.get("data_as_of")
    observed = M.snapshot(target)
    data = M.compare(M.read_manifest(run.env, run.factory), observed, datetime.fromisoformat(as_of) if as_of else None)
    smoke_ok, smoke = run.ports.smoke(target, vectors=run.settings.smoke_vectors)
    lat_ok, lat = run.ports.latency(target, run.env.slo, run.settings.latency_queries, run.settings.latency_concurrency,
                                    seed_vectors=run.settings.latency_seed_vectors)
    failed = []
    if not data.ok and not run.accept_data_diff:
        failed.append(f"data check ({data.summary()})")
    if not smoke_ok:
        bad = [s["name"] for s in smoke.get("steps", []) if not s.get("ok")]
        failed.append(f"smoke ({', '.join(bad) or 'failed'})")
    if not lat_ok:
        failed.append(f"latency ({'; '.join(lat.get('breaches', [])) or 'failed'})")
    report = {"endpoint": url, "data": data.to_dict(), "smoke_ok": smoke_ok, "latency_ok": lat_ok, "latency": lat.get("report", {})}
    if failed:
        hint = "Fix the cause, then --resume (the gate runs again; earlier steps are not redone)."
        if not data.ok:
            hint = ("If the differences are deletes made after the manifest, check them and pass --accept-data-diff with --resume; "
                    "else fail over from an older recovery point.")
        run.journal.steps["gate"]["last_report"] = report
        raise OperationFailed(f"The gate failed in {run.target}: {'; '.join(failed)}.", hint)
    entry = M.record_manifest(run.env, run.target, target, run.factory)
    report["manifest_recorded_at"] = entry["recorded_at"]
    # a passing gate is a check like up's smoke: the Chroma version that opened the data is recorded (issue 18),
    # so an upgrade after the failover refuses a downgrade below it.
    report["chroma_version_recorded"] = record_after_check(run.env, run.target, run.factory, run.output)
    return report


def _dns(run: Run) -> dict[str, Any]:
    outputs = run.out("apply")["outputs"]
    if run.env.dns.managed:
        return A.cutover_dns(run.env, run.target, run.factory, outputs, run.clock, timeout_s=run.settings.dns_timeout_s,
                             interval_s=min(run.settings.poll_interval_s, 5.0), output=run.output)
    endpoint = outputs["endpoint_url"]
    return {
        "managed": False,
        "endpoint": endpoint,
        "what_to_change": f"Point clients (or your DNS record) at {endpoint}; the token is in {outputs.get('token_secret_arn', 'the env secret')} "
                          f"in {run.target}.",
    }


STEP_FUNCS: dict[str, Callable[[Run], dict[str, Any]]] = {
    "preflight": _preflight, "fence": _fence, "promote": _promote, "apply": _apply, "wait": _wait, "gate": _gate, "dns": _dns,
}


# --- orchestration -------------------------------------------------------------------------------------


def validate(env_name: str, target: str, source: str | None, recovery_point: str | None, root: Path | None) -> EnvConfig:
    """Everything checkable without AWS; raises before anything is written."""
    env = load_env(env_name, root)
    if not env.is_aws:
        raise UsageError(f"Env {env.name!r} is a local env; failover is for AWS envs.", "Pick an AWS env (see `chromactl envs`).")
    check_region(target)
    if target == env.primary_region:
        raise UsageError(f"The target region {target} is env {env.name!r}'s primary region; a failover must go to another region.",
                         f"Pick one of the env's failover regions: {', '.join(env.failover_regions) or 'none configured'}.")
    if env.failover_regions and target not in env.failover_regions:
        raise UsageError(f"{target} is not a failover region of env {env.name!r} (its replica, DR vault and key are in "
                         f"{', '.join(env.failover_regions)}).", f"Use --region {env.failover_regions[0]}.")
    if source not in (None, "auto", "replica", "backup"):
        raise UsageError(f"--from must be replica or backup, not {source!r}.", "Use --from replica or --from backup.")
    if recovery_point and source == "replica":
        raise UsageError("--recovery-point goes with --from backup, not --from replica.", "Drop one of them.")
    return env


@dataclass(frozen=True)
class FailoverPlan:
    """`chromactl failover --dry-run`'s result: every step's modelled time, figure and calls, and the modelled RTO."""

    env: str
    primary_region: str | None
    target_region: str
    source: str  # as asked (auto, replica, backup)
    modelled_for: str  # replica or backup
    steps: list[dict[str, Any]]
    modelled_rto_seconds: float
    modelled_rto_minutes: float
    rto_target_minutes: float | None
    modelled_rto_backup_minutes: float
    dry_run: bool = True
    changes: str = "none (dry run)"

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "env": self.env, "primary_region": self.primary_region, "target_region": self.target_region,
                "source": self.source, "modelled_for": self.modelled_for, "steps": self.steps,
                "modelled_rto_seconds": self.modelled_rto_seconds, "modelled_rto_minutes": self.modelled_rto_minutes,
                "rto_target_minutes": self.rto_target_minutes, "modelled_rto_backup_minutes": self.modelled_rto_backup_minutes,
                "changes": self.changes}


@dataclass(frozen=True)
class FailoverResult:
    """`chromactl failover`'s result, from the journal: where the data came from, the endpoint, each step's status."""

    env: str
    primary_region: str
    target_region: str
    status: str  # the journal's
    already_completed: bool  # the failover had completed before this run
    source: str
    file_system_id: str | None
    root_directory: str | None
    rpo_seconds: float | None
    data_as_of: str | None
    fence: str | None  # fence_primary's outcome
    endpoint: str | None
    dns: dict[str, Any]  # the dns step's outputs
    journal: str
    steps: dict[str, dict[str, Any]]  # step -> status, attempts, seconds
    measured_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "primary_region": self.primary_region, "target_region": self.target_region, "status": self.status,
                "already_completed": self.already_completed, "source": self.source, "file_system_id": self.file_system_id,
                "root_directory": self.root_directory, "rpo_seconds": self.rpo_seconds, "data_as_of": self.data_as_of,
                "fence": self.fence, "endpoint": self.endpoint, "dns": self.dns, "journal": self.journal, "steps": self.steps,
                "measured_seconds": self.measured_seconds}


def dry_run_plan(env: EnvConfig, target: str, source: str, journal: Journal | None) -> FailoverPlan:
    shown = "replica" if source == "auto" else source
    calls = planned_calls(source, primary=str(env.primary_region), target=target,
                          state_region=env.state.region if env.state else "?", dns_managed=env.dns.managed)
    steps = []
    for m in step_model(shown):
        steps.append({
            "step": m.name, "title": m.title, "modelled_seconds": m.seconds, "source_of_figure": m.source,
            "calls": calls[m.name], "status": journal.step(m.name).get("status") if journal else "pending",
        })
    total = modelled_rto_s(shown)
    return FailoverPlan(
        env=env.name, primary_region=env.primary_region, target_region=target,
        source=source, modelled_for=shown, steps=steps, modelled_rto_seconds=total,
        modelled_rto_minutes=round(total / 60, 2),
        rto_target_minutes=RTO_TARGET_REPLICA_S / 60 if shown == "replica" else None,
        modelled_rto_backup_minutes=round(modelled_rto_s("backup") / 60, 1),
    )


class JournalMirror:
    """A copy of the journal in the state bucket (`<prefix>/<env>/failover/<region>.json`), so a failover started on
    one machine can be resumed from another. Best effort: a failed upload warns once and never stops the failover."""

    def __init__(self, env: EnvConfig, target: str, factory: Any, output: Output):
        assert env.state is not None
        self.bucket, self.region = env.state.bucket, env.state.region
        self.key = f"{env.state.key_prefix}/{env.name}/failover/{target}.json"
        self.factory, self.output, self.warned = factory, output, False

    @property
    def where(self) -> str:
        return f"{self.bucket}/{self.key}"

    def put(self, body: bytes) -> None:
        try:
            self.factory.client("s3", self.region).put_object(Bucket=self.bucket, Key=self.key, Body=body,
                                                              ContentType="application/json", ServerSideEncryption="AES256")
        except Exception as exc:  # noqa: BLE001 - best effort by design
            if not self.warned:
                self.output.warn(f"cannot copy the journal to s3://{self.where} ({describe_aws_error(exc)}); it is kept locally.")
                self.warned = True

    def fetch(self, path: Path) -> bool:
        """Write the bucket's copy to `path` when there is one; False when none (or unreachable)."""
        try:
            body = self.factory.client("s3", self.region).get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except Exception:  # noqa: BLE001 - no copy, or the bucket is unreachable: preflight reports the bucket
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".fetched")
        tmp.write_bytes(body)
        tmp.replace(path)
        return True


def _confirm_protected(env: EnvConfig, target: str, yes: bool, confirm_env: str | None, output: Output) -> None:
    """The one don't-ask policy (lifecycle/guard.py): a protected env's failover needs its name, --yes alone never."""
    confirm_change(env, output, Change(
        where=env.name,
        what=f"failover promotes its data and rebuilds the stack in {target}",
        details=("The old primary is fenced and the endpoint moves to the new region.",),
    ), yes=yes, confirm_env=confirm_env)


def run_failover(
    env_name: str,
    target: str,
    *,
    output: Output,
    source: str | None = None,
    recovery_point: str | None = None,
    restore_dir: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    yes: bool = False,
    confirm_env: str | None = None,
    secret_action: str | None = None,
    accept_data_diff: bool = False,
    profile: str | None = None,
    root: Path | None = None,
    factory: Any = None,
    ports: Ports | None = None,
    clock: A.Clock | None = None,
    settings: Settings | None = None,
    journal_dir: Path | None = None,
) -> FailoverResult | FailoverPlan:
    env = validate(env_name, target, source, recovery_point, root)
    wanted = "backup" if recovery_point and not source else (source or "auto")
    if journal_dir is not None:
        path = journal_dir / f"{env.name}-{target}.json"
    else:
        path = journal_path(root or project_root(), env.name, target)
    journal = Journal.load(path, env=env.name, region=target) if path.is_file() else None

    if dry_run:
        return dry_run_plan(env, target, journal.source if journal else wanted, journal)

    _confirm_protected(env, target, yes, confirm_env, output)  # before any AWS call
    factory = factory or ClientFactory(profile=profile)
    mirror = JournalMirror(env, target, factory, output)
    if journal is None and mirror.fetch(path):
        output.info(f"Journal of this failover restored from s3://{mirror.where} (it was started on another machine).")
        journal = Journal.load(path, env=env.name, region=target)

    if journal is not None:
        if journal.status == "completed":
            output.info(f"The failover of {env.name} to {target} completed earlier ({journal.updated_at}); nothing to do.")
            return _summary(journal, already=True)
        if not resume:
            raise UsageError(f"A failover of {env.name} to {target} stopped at step {journal.next_step()!r} ({path}).",
                             "Run again with --resume to continue from there.")
        if source and source != "auto" and journal.source not in ("auto", source):
            raise UsageError(f"The journal's failover uses --from {journal.source}, not --from {source}.", "Resume without --from, or move the journal aside.")
        if recovery_point and journal.inputs.get("recovery_point") not in (None, recovery_point):
            raise UsageError("The journal's failover restores another recovery point.", "Resume without --recovery-point.")
        recovery_point = journal.inputs.get("recovery_point")
        restore_dir = restore_dir or journal.inputs.get("restore_dir")
        accept_data_diff = accept_data_diff or bool(journal.inputs.get("accept_data_diff"))
    else:
        if resume:
            output.info(f"No journal for {env.name} in {target}: starting a new failover.")
        journal = Journal(path=path, env=env.name, target_region=target, primary_region=str(env.primary_region), source=wanted,
                          inputs={"recovery_point": recovery_point, "restore_dir": restore_dir, "accept_data_diff": accept_data_diff})
    if accept_data_diff and not journal.inputs.get("accept_data_diff"):
        journal.inputs["accept_data_diff"] = True
    journal.mirror = mirror.put

    run = Run(env=env, target=target, journal=journal, factory=factory, ports=ports or Ports(),
              clock=clock or A.Clock(), settings=settings or Settings(), output=output, profile=profile,
              recovery_point=recovery_point, restore_dir=restore_dir, accept_data_diff=accept_data_diff,
              secret_action=secret_action)
    total = len(STEPS)
    for i, name in enumerate(STEPS, 1):
        if journal.done(name):
            output.info(f"[{i}/{total}] {name}: done earlier, skipped")
            continue
        output.info(f"[{i}/{total}] {name} ...")
        fresh = name == "preflight" and not path.is_file()
        journal.begin(name)
        if not fresh:
            journal.save()
        started = time.monotonic()
        try:
            with output.status(f"{name} ..."):
                result = STEP_FUNCS[name](run)
        except BaseException as exc:
            seconds = time.monotonic() - started
            message = exc.message if isinstance(exc, ChromactlError) else f"{type(exc).__name__}: {exc}"
            if fresh:
                # A fresh run whose preflight fails has changed nothing: leave no journal behind.
                raise
            journal.fail(name, message, seconds)
            journal.save()
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, ChromactlError) and exc.exit_code != 1:
                raise
            hint = exc.hint if isinstance(exc, ChromactlError) and exc.hint else "Fix the cause, then run again with --resume."
            raise OperationFailed(f"Failover stopped at step {name!r}: {message.rstrip('.')}.",
                                  f"{hint} Finished steps are not redone (journal: {path}).") from None
        if name == "preflight":
            journal.source = result["source"] if journal.source == "auto" else journal.source
        journal.finish(name, result, time.monotonic() - started)
        if name == "dns":
            journal.status = "completed"
        journal.save()
        output.info(f"[{i}/{total}] {name}: done ({time.monotonic() - started:.1f} s)")
    return _summary(journal, already=False)


def _summary(journal: Journal, *, already: bool) -> FailoverResult:
    promote = journal.outputs("promote")
    apply = journal.outputs("apply").get("outputs", {})
    dns = journal.outputs("dns")
    return FailoverResult(
        env=journal.env,
        primary_region=journal.primary_region,
        target_region=journal.target_region,
        status=journal.status,
        already_completed=already,
        source=journal.source,
        file_system_id=promote.get("file_system_id"),
        root_directory=promote.get("root_directory"),
        rpo_seconds=promote.get("rpo_seconds"),
        data_as_of=promote.get("data_as_of"),
        fence=journal.outputs("fence").get("outcome"),
        endpoint=apply.get("endpoint_url"),
        dns=dns,
        journal=str(journal.path),
        steps={n: {"status": journal.step(n).get("status"), "attempts": journal.step(n).get("attempts"),
                   "seconds": journal.step(n).get("seconds")} for n in STEPS},
        measured_seconds=round(sum(float(journal.step(n).get("seconds") or 0) for n in STEPS), 1),
    )
