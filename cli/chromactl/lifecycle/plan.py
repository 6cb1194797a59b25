"""plan for one (env, region), callable without the CLI: init when needed, `terraform plan -json
-detailed-exitcode -out=FILE`, summary from the event stream, sidecar next to the plan; before it,
the placeholder guard and the rotation zip; before an apply, the pending-secret check
(settle_pending_secrets); after it, the second plan that shows the stack converged.

apply and destroy are in apply.py; Terraform itself runs through terraform/runner.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.session import ClientFactory, describe_aws_error
from chromactl.config import EnvConfig
from chromactl.errors import ChromactlError, OperationFailed, UsageError
from chromactl.lifecycle import planfile
from chromactl.lifecycle import secrets as S
from chromactl.lifecycle.placeholders import placeholder_warning, refuse_placeholders
from chromactl.lifecycle.summary import PlanSummary, from_events, from_plan_json
from chromactl.modules import pin_warning
from chromactl.output import Output
from chromactl.rotation import package
from chromactl.terraform.runner import Runner, TfResult

DEFAULT_WAIT_S = 900.0


@dataclass
class PlanResult:
    env: str
    region: str
    path: Path
    changes: bool
    summary: PlanSummary
    destroy: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "plan_file": str(self.path),
            "changes": self.changes,
            "destroy": self.destroy,
            "summary": self.summary.to_dict(),
        }


def _var_args(extra_vars: dict[str, str] | None) -> list[str]:
    args: list[str] = []
    for key, value in (extra_vars or {}).items():
        if not key.replace("_", "").isalnum():
            raise UsageError(f"{key!r} is not a Terraform variable name.", "Variable names are letters, digits and underscores.")
        args.append(f"-var={key}={value}")
    return args


_VAR_DECL = re.compile(r'^\s*variable\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def declared_variables(env: EnvConfig) -> set[str]:
    """Variables the env root declares (a cheap scan of its *.tf files)."""
    names: set[str] = set()
    for path in env.dir.glob("*.tf"):
        try:
            names.update(_VAR_DECL.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return names


def region_vars(env: EnvConfig, region: str) -> dict[str, str]:
    """`region` and `failover_region` for the root, when it declares them.

    failover_region: the env's first failover region other than `region`; when
    `region` is itself a failover target, the primary (DR copies point back).
    """
    declared = declared_variables(env)
    out: dict[str, str] = {}
    if "region" in declared:
        out["region"] = region
    if "failover_region" in declared:
        others = [r for r in env.failover_regions if r != region]
        fallback = env.primary_region if env.primary_region != region else None
        target = others[0] if others else fallback
        if target:
            out["failover_region"] = target
    return out


def _progress(output: Output, verbose_only: bool) -> Callable[[dict[str, Any]], None]:
    shown = ("apply_complete", "apply_errored", "apply_start")

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("type")
        message = str(event.get("@message", ""))
        if kind == "diagnostic":
            diag = event.get("diagnostic") or {}
            if diag.get("severity") == "warning":
                output.debug(f"terraform warning: {diag.get('summary')}")
            return
        if output.verbose and kind != "version":
            output.debug(message)
        elif not verbose_only and kind in shown:
            output.info(f"  {message}")

    return on_event


def ensure_build_artifacts(env: EnvConfig, output: Output) -> None:
    """Build what the env root reads from build/ (the rotation Lambda's zip) before a plan.

    The build is reproducible (same sources, same bytes), so rebuilding every
    time costs milliseconds and never shows as a change; it means `up` works
    on a fresh clone without a separate build step.
    """
    root = env.dir.parent.parent
    try:
        src = package.source_dir()  # the installed wheel's copy, or this checkout's functions/token_rotation
    except ChromactlError:
        return  # no function source at all: doctor reports the missing zip

    dest = root / "build" / "token-rotation.zip"
    package.build_zip(dest, src)
    output.debug(f"built {dest}")


def plan(
    env: EnvConfig,
    region: str,
    output: Output,
    *,
    out: Path | None = None,
    destroy: bool = False,
    extra_vars: dict[str, str] | None = None,
    profile: str | None = None,
    reinit: bool = False,
    runner: Runner | None = None,
    sandbox: bool = False,
) -> PlanResult:
    """Plan (env, region) to a saved file with its sidecar; returns the summary.

    Before Terraform runs: an env whose files still hold placeholders is refused
    (naming file, line and value) unless it is a sandbox (`sandbox`, or
    `sandbox = true` in its chromactl.toml), which plans with a warning (its apply
    is refused all the same). A destroy plan is never refused: it sends no value to AWS.
    """
    if not destroy:
        guard_placeholders(env, "plan", sandbox=sandbox, output=output)
    runner = runner or Runner(env, region, output, profile=profile)
    if (pinned := pin_warning(env.dir)) is not None:
        output.warn(pinned)  # before Terraform, so a failure below comes with the reason it may have
    ensure_build_artifacts(env, output)
    runner.ensure_init(force=reinit)
    path = (out or planfile.default_plan_path(env, region, destroy=destroy)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    planfile.discard(path)  # an older plan for the same target is replaced, never half-reused
    all_vars = {**region_vars(env, region), **(extra_vars or {})}
    args = ["plan", "-input=false", "-json", "-detailed-exitcode", f"-out={path}", *_var_args(all_vars)]
    if destroy:
        args.append("-destroy")
    try:
        with output.status(f"terraform plan for {env.name}/{region}"):
            result = runner.run(args, json_events=True, on_event=_progress(output, verbose_only=True), step="plan")
    except BaseException:
        planfile.discard(path)
        raise
    if failed_plan(result) or not path.is_file():
        planfile.discard(path)  # a plan made without a broken file's values is never kept
        raise runner.failure("plan", result)
    summary = from_events(result.events)
    changes = result.rc == 2
    planfile.write_sidecar(
        path,
        env=env.name,
        region=region,
        state_key=runner.backend.state_key,
        backend=runner.backend.kind,
        terraform_version=runner.engine.version,
        destroy=destroy,
        changes=changes,
        summary=summary.to_dict(),
    )
    return PlanResult(env.name, region, path, changes, summary, destroy)


def failed_plan(result: TfResult) -> bool:
    """A plan failed when Terraform exits other than 0/2 (-detailed-exitcode) or reports any error diagnostic.

    Terraform 1.15 reports a syntax error in a variable definitions file it loads by itself
    (*.auto.tfvars, terraform.tfvars.json, *.auto.tfvars.json) as a `"severity": "error"`
    diagnostic in its -json output, then plans without that file's values and exits 2
    ("changes present"), as tests/lifecycle/test_plan_error_diagnostics.py shows with the bundled
    engine. The diagnostic format: https://developer.hashicorp.com/terraform/internals/machine-readable-ui#diagnostic
    """
    return result.rc not in (0, 2) or bool(result.diagnostics("error"))


def guard_placeholders(env: EnvConfig, verb: str, *, sandbox: bool = False, output: Output | None = None) -> None:
    """Refuse (ConfigError, exit 2) an AWS env with placeholders before Terraform runs.

    Only a plan of a sandbox (`sandbox`, or sandbox = true under [env]) goes ahead, with a warning;
    up/apply (and failover's apply) refuse sandbox or not: a real apply never starts with placeholders.
    """
    if not env.is_aws:
        return
    if verb == "plan" and (sandbox or env.sandbox):
        if output is not None and (warning := placeholder_warning(env.name, env.dir)) is not None:
            output.warn(warning)
        return
    refuse_placeholders(env.name, env.dir, verb)


def settle_pending_secrets(
    env: EnvConfig,
    region: str,
    output: Output,
    result: PlanResult,
    *,
    runner: Runner,
    action: str | None,
    factory: Any = None,
    profile: str | None = None,
    sandbox: bool = False,
    verb: str = "up",
    extra_vars: dict[str, str] | None = None,
) -> tuple[PlanResult, dict[str, Any] | None]:
    """Before the apply: a secret the plan creates must not collide with one scheduled for deletion.

    Without a flag such a collision is refused (exit 2) naming the secret and both
    flags; `action` "force-delete" deletes it for good (the plan stands), "restore"
    brings it back, imports it into the state and plans again. Returns the plan to
    apply and what was done (None: nothing to do).
    """
    if not any(key in result.summary.counts for key in (("create", S.SECRET_TYPE), ("replace", S.SECRET_TYPE))):
        return result, None
    plan_json = _show_json(runner, result.path)
    planned = S.planned_secret_creates(plan_json, region)
    if not planned:
        return result, None
    if factory is None:
        factory = ClientFactory(profile=profile, max_attempts=2)
    try:
        pending = S.find_pending(planned, factory)
    except Exception as exc:  # noqa: BLE001 - a warning: the apply says the rest
        output.warn(f"could not check whether the secret name(s) {', '.join(p.name for p in planned)} are free "
                    f"({describe_aws_error(exc)}); if the apply fails with 'scheduled for deletion', run again with "
                    f"--force-delete-secret or --restore-secret.")
        return result, None
    if not pending:
        return result, None
    if action is None:
        if verb != "apply":
            planfile.discard(result.path)  # `up` and a failover plan anew next time; a saved plan (apply) stays for the rerun
        raise S.refusal(pending, env.name, region, verb=verb)
    if action == S.FORCE_DELETE:
        names = S.force_delete(pending, factory)
        output.info(f"Force-deleted {', '.join(names)} without recovery (--force-delete-secret): the apply creates it anew "
                    f"and the first rotation writes a new token.")
        return result, {"action": action, "secrets": names}
    keys = S.kms_key_imports(plan_json, pending, factory)  # before the restore: a key the stack cannot adopt stops here
    names = S.restore(pending, factory)
    kept = f" and its KMS key{'s' if len(keys) > 1 else ''} {', '.join(k for _, k in keys)}" if keys else ""
    output.info(f"Restored {', '.join(names)}{kept} (--restore-secret); importing into the state of {env.name}/{region} "
                f"and planning again.")
    planfile.discard(result.path)
    var_args = _var_args({**region_vars(env, region), **(extra_vars or {})})
    # the key first: imported, the stack keeps it instead of creating a new one and orphaning it
    for address, ident in [*keys, *((p.address, p.arn) for p in pending)]:
        imported = runner.run(["import", "-input=false", "-no-color", *var_args, address, ident], step="import", timeout_s=600)
        if imported.rc != 0:
            raise runner.failure("import", imported)
    done = {"action": action, "secrets": names, "kms_keys": [k for _, k in keys]}
    return plan(env, region, output, extra_vars=extra_vars, runner=runner, sandbox=sandbox), done


def _show_json(runner: Runner, path: Path) -> dict[str, Any]:
    result = runner.run(["show", "-json", "-no-color", str(path)], step="show", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("show", result)
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise OperationFailed(f"terraform show did not print the plan {path} as JSON.", "Run `chromactl plan` again.") from None
    return data if isinstance(data, dict) else {}


def check_converged(
    env: EnvConfig, region: str, output: Output, *, runner: Runner, extra_vars: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Plan again right after an apply: the plan must be empty.

    A change in it is a perpetual diff: every later apply changes the same
    resources again (on the task definition, a new deployment each time: with
    one writer per data directory, an outage per apply). Returns
    {"converged", "changes": action -> addresses, "output_changes"}; no plan
    file is saved (nothing is meant to be applied from it).
    """
    all_vars = {**region_vars(env, region), **(extra_vars or {})}
    args = ["plan", "-input=false", "-json", "-detailed-exitcode", *_var_args(all_vars)]
    with output.status(f"terraform plan again for {env.name}/{region} (after the apply it must be empty)"):
        result = runner.run(args, json_events=True, on_event=_progress(output, verbose_only=True), step="second plan")
    if failed_plan(result):
        raise runner.failure("plan", result)
    summary = from_events(result.events)
    changes = {action: list(addrs) for action, addrs in summary.addresses.items() if addrs}
    return {"converged": not summary.has_resource_changes, "changes": changes, "output_changes": summary.output_changes}


def require_converged(env: EnvConfig, region: str, second: dict[str, Any]) -> None:
    """OperationFailed (exit 1) naming the addresses a second plan still changes."""
    if second["converged"]:
        return
    listed = [f"{addr} ({action})" for action, addrs in second["changes"].items() for addr in addrs]
    shown = ", ".join(listed[:10]) + (f" and {len(listed) - 10} more" if len(listed) > 10 else "")
    raise OperationFailed(
        f"{env.name}/{region} does not converge: right after the apply, a second plan still changes {len(listed)} resource(s): {shown}.",
        f"Every apply would change them again (on the task definition: a new deployment, an outage with one writer); "
        f"see the attributes with `chromactl plan --env {env.name} --region {region} --diff` and fix the configuration. The apply itself is done.",
    )


def show_plan(runner: Runner, path: Path) -> PlanSummary:
    """What a saved plan really does, from `terraform show -json`."""
    result = runner.run(["show", "-json", "-no-color", str(path)], step="show", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("show", result)
    try:
        return from_plan_json(json.loads(result.stdout))
    except json.JSONDecodeError:
        raise OperationFailed(f"terraform show did not print the plan {path} as JSON.", "Run `chromactl plan` again.") from None


def plan_diff(runner: Runner, path: Path) -> str:
    """Terraform's own attribute-level diff of a saved plan (`terraform show`), no colour."""
    result = runner.run(["show", "-no-color", str(path)], step="show", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("show", result)
    return result.stdout


