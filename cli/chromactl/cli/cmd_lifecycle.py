"""Lifecycle verbs: doctor, bootstrap, plan, apply, up, destroy, output, status.

Thin: parse options, call chromactl.lifecycle / chromactl.aws, print. Heavy
imports stay inside the functions so `chromactl --help` is fast.

Exit codes: 0 ok; 1 an operation or check failed, or a prompt was answered
no ("cancelled"); 2 usage or config error (including a confirmation that could
not be asked: nothing was changed). `plan --check` follows Terraform's
-detailed-exitcode: 0 no changes, 1 error (any: usage and config errors too),
2 changes present (chromactl.cli.app.main maps the exit codes).

"Don't ask" is `--yes`/`-y` everywhere (`--auto-approve` stays as a hidden
alias); a protected env's deletes and replaces still need its name, typed at
the prompt or given as `--confirm-env NAME` (one policy for every verb:
chromactl.lifecycle.guard).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chromactl.cli.context import (
    AUTO_APPROVE_OPT,
    CONFIRM_ENV_OPT,
    ENV_OPT,
    JSON_OPT,
    REGION_OPT,
    YES_OPT,
    app_context,
    complete_env,
)

SANDBOX_OPT = typer.Option(
    False, "--sandbox", help="This env is a sandbox: plan (with a warning) although its files hold placeholders (REPLACE, 123456789012, example.com); up/apply refuse them all the same. Same as sandbox = true under [env]."
)


def _load(actx: Any, name: str) -> Any:
    from chromactl.config import load_env

    return load_env(name, actx.root)


def _factory(actx: Any) -> Any:
    from chromactl.aws.session import ClientFactory

    return ClientFactory(profile=actx.profile)


def _vars(items: list[str] | None) -> dict[str, str]:
    from chromactl.errors import UsageError

    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--var {item!r} is not KEY=VALUE.", "Write it as --var name=value.")
        out[key] = value
    return out


def _aws_only(env: Any, verb: str) -> None:
    from chromactl.errors import UsageError

    if not env.is_aws:
        raise UsageError(f"`{verb}` works on AWS envs; {env.name!r} is a {env.kind} env.", f"Use `chromactl up/status/destroy --env {env.name}` for the local server.")


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(
        ctx: typer.Context,
        env: str | None = typer.Option(None, "--env", "-e", help="Check this env (default: every env).", envvar="CHROMACTL_ENV",
                                        autocompletion=complete_env),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Check Terraform, credentials, regions, state bucket and config: each line ok or a fix.

        `--env local` checks the chroma command, the local server and its port (no Terraform, no AWS).
        """
        actx = app_context(ctx, json_out)
        local = _load(actx, env) if env else None
        if local is not None and not local.is_aws:
            from chromactl.local.health import local_doctor

            checks: list[Any] = local_doctor(local)
            ok = not any(c.status == "fail" for c in checks)
        else:
            from chromactl.workflows.doctor import failed, run_doctor

            checks = run_doctor(env, _factory(actx), root=actx.root, loaded=local)
            ok = not failed(checks)
        data = {"ok": ok, "checks": [c.to_dict() for c in checks]}

        def render(console: Any) -> None:
            marks = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]", "skip": "[dim]skip[/]"}
            for c in checks:
                console.print(f"{marks[c.status]} {c.name}: {c.detail}", markup=True)
                if c.fix and c.status != "ok":
                    console.print(f"      fix: {c.fix}")

        actx.output.result(data, render)
        if not data["ok"]:
            raise typer.Exit(1)

    @app.command("bootstrap")
    def bootstrap(
        ctx: typer.Context,
        env: str = ENV_OPT,
        sse: str = typer.Option("aws:kms", "--sse", help="Default encryption: aws:kms (AWS managed key, bucket key) or AES256."),
        noncurrent_days: int = typer.Option(90, "--noncurrent-days", help="Expire old state versions after this many days."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Create the env's Terraform state bucket (versioned, encrypted, private, TLS only). Idempotent."""
        from chromactl.workflows.bootstrap import bootstrap as run

        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        data = run(e, _factory(actx), sse=sse, noncurrent_days=noncurrent_days)

        def render(console: Any) -> None:
            console.print(f"state bucket s3://{data.bucket} in {data.region} ({'created' if data.created else 'exists'}):")
            for k, v in data.settings.items():
                console.print(f"  {k}: {v}")

        actx.output.result(data, render)

    @app.command("plan")
    def plan(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        out: Path | None = typer.Option(None, "--out", help="Where to save the plan (default: envs/<env>/.chromactl/plans/<region>.tfplan)."),  # noqa: B008
        check: bool = typer.Option(False, "--check", help="Drift mode, like terraform -detailed-exitcode: exit 0 no changes, 2 changes present, 1 any error (usage and configuration errors included)."),
        var: list[str] | None = typer.Option(None, "--var", help="Extra Terraform variable KEY=VALUE (repeatable)."),  # noqa: B008
        reinit: bool = typer.Option(False, "--reinit", help="Run terraform init even if nothing changed."),
        diff: bool = typer.Option(False, "--diff", help="Also print Terraform's attribute-level diff (terraform show)."),
        sandbox: bool = SANDBOX_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Plan an env in a region to a saved file, with a summary by action and resource type.

        The backend is computed: the S3 bucket of the env's state table in chromactl.toml,
        key prefix/env/region/terraform.tfstate, lockfile and encryption on.
        CHROMACTL_BACKEND=local keeps the state under .chromactl/state/ (tests, demos).

        --check (Terraform's -detailed-exitcode): exit 0 no changes, 2 changes present, 1 any error
        (usage and configuration errors included: no credentials, an unknown env, placeholders).
        """
        from chromactl.lifecycle import plan as core

        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        _aws_only(e, "plan")
        the_region = e.region_or_primary(region)
        with actx.output.keepalive(f"plan {e.name}/{the_region}"):
            res = core.plan(e, the_region, actx.output, out=out, extra_vars=_vars(var), profile=actx.profile, reinit=reinit, sandbox=sandbox)
        diff_text = ""
        if diff and res.changes:
            from chromactl.terraform.runner import Runner

            diff_text = core.plan_diff(Runner(e, the_region, actx.output, profile=actx.profile), res.path)

        if actx.output.json:
            actx.output.result(res.to_dict())
        else:  # plain text: no rich import on the plan path (it counts against the 10 % budget)
            import sys

            text = diff_text + res.summary.text(f"plan {e.name}/{the_region}")
            if res.changes:
                text += f"Saved to {res.path}. Apply it with: chromactl apply --env {e.name} --region {the_region}"
                text += (f" --plan {res.path}" if out else "") + "\n"
            else:
                text += "No changes: the infrastructure matches the configuration.\n"
            sys.stdout.write(text)
            sys.stdout.flush()
        if check and res.changes:
            from chromactl.errors import ChangesPresent

            actx.output.info(f"drift check: changes present in {e.name}/{the_region} (exit 2).")
            raise ChangesPresent()

    @app.command("apply")
    def apply(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        plan_file: Path | None = typer.Option(None, "--plan", help="The saved plan to apply (default: the env/region's last `chromactl plan`)."),  # noqa: B008
        yes: bool = YES_OPT,
        auto_approve: bool = AUTO_APPROVE_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        sandbox: bool = SANDBOX_OPT,
        force_delete_secret: bool = typer.Option(
            False, "--force-delete-secret",
            help="If the plan creates a secret whose name one scheduled for deletion holds, delete that one for good first.",
        ),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Apply a saved plan (never plans again). Protected envs: deletes/replaces need the env's name typed."""
        from chromactl.lifecycle import apply as core

        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        _aws_only(e, "apply")
        the_region = e.region_or_primary(region)
        with actx.output.keepalive(f"apply {e.name}/{the_region}"):
            data = core.apply_saved(e, the_region, actx.output, plan_path=plan_file, auto_approve=yes or auto_approve, confirm_env=confirm_env,
                                    profile=actx.profile, sandbox=sandbox, check_secrets=True,
                                    secret_action="force-delete" if force_delete_secret else None)
        actx.output.result(data, lambda c: c.print(f"Applied {e.name}/{the_region} in {data.seconds} s."))

    @app.command("up")
    def up(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        yes: bool = YES_OPT,
        auto_approve: bool = AUTO_APPROVE_OPT,
        skip_checks: bool = typer.Option(False, "--skip-checks", help="Skip the wait for a stable service and the smoke check."),
        wait_timeout: float = typer.Option(900.0, "--wait-timeout", help="Seconds to wait for the service to be stable and healthy."),
        confirm_env: str | None = CONFIRM_ENV_OPT,
        diff: bool = typer.Option(False, "--diff", help="Show Terraform's attribute-level diff before the confirmation."),
        sandbox: bool = SANDBOX_OPT,
        force_delete_secret: bool = typer.Option(
            False, "--force-delete-secret",
            help="If the token secret's name is held by a secret scheduled for deletion (destroyed within its recovery window), delete that one for good first (its old token is lost).",
        ),
        restore_secret: bool = typer.Option(
            False, "--restore-secret", help="Instead, restore that secret (and its KMS key) and import it into the state."
        ),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Init, plan, confirm, apply, wait until stable and healthy, then smoke-check. `--env local` runs Chroma here."""
        from chromactl.cli.validate import bounded
        from chromactl.workflows import up as core

        actx = app_context(ctx, json_out)
        if force_delete_secret and restore_secret:
            from chromactl.errors import UsageError

            raise UsageError("--force-delete-secret and --restore-secret exclude each other.", "Pick one: delete the old secret for good, or restore it.")
        bounded("--wait-timeout", wait_timeout, 0.0, 6 * 3600.0, "900")
        e = _load(actx, env)
        with actx.output.keepalive(f"up {e.name}"):
            data = core.up(
                e, region, actx.output, auto_approve=yes or auto_approve, skip_checks=skip_checks, wait_timeout=wait_timeout,
                confirm_env=confirm_env, profile=actx.profile, diff=diff, sandbox=sandbox,
                secret_action="force-delete" if force_delete_secret else "restore" if restore_secret else None,
            )

        def render(console: Any) -> None:
            console.print(f"{e.name} is up: {data.endpoint or '(no endpoint output)'}")
            if data.smoke is not None:
                console.print(f"smoke: {'ok' if data.smoke.ok else 'FAILED'}")

        actx.output.result(data, render)

    @app.command("destroy")
    def destroy(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        yes: bool = YES_OPT,
        auto_approve: bool = AUTO_APPROVE_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        delete_data: bool = typer.Option(
            False, "--delete-data", help="local env only: also delete the local data directory (asks first; --yes does not ask)."
        ),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Destroy an env's stack in a region. Protected envs need the env's name typed (--yes is not enough)."""
        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        if not e.is_aws:
            from chromactl.local.cli import destroy_local

            destroy_local(e, actx.output, delete_data=delete_data, yes=yes or auto_approve, confirm_env=confirm_env)
            return
        from chromactl.lifecycle import apply as core

        the_region = e.region_or_primary(region)
        with actx.output.keepalive(f"destroy {e.name}/{the_region}"):
            data = core.destroy(e, the_region, actx.output, auto_approve=yes or auto_approve, confirm_env=confirm_env, profile=actx.profile)
        actx.output.result(data, lambda c: c.print(f"Destroyed {e.name}/{the_region}: {data.destroyed} resource(s)."))

    @app.command("output")
    def output_cmd(
        ctx: typer.Context,
        name: str | None = typer.Argument(None, help="Print only this output."),
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """The stack's outputs (sensitive values are never printed)."""
        from chromactl.errors import OperationFailed, UsageError

        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        if not e.is_aws:
            from chromactl.local.server import local_endpoint

            shown: dict[str, Any] = {"endpoint_url": local_endpoint(e)}
            the_region = "local"
        else:
            from chromactl.stack.outputs import read_outputs_full, redact

            the_region = e.region_or_primary(region)
            shown = redact(read_outputs_full(e, the_region, output=actx.output, profile=actx.profile))
            if not shown:
                raise OperationFailed(
                    f"{e.name}/{the_region} has no outputs: the stack is not applied there.",
                    f"Run `chromactl up --env {e.name} --region {the_region}`.",
                )
        if name is not None:
            if name not in shown:
                raise UsageError(f"{e.name}/{the_region} has no output {name!r}.", "Known outputs: " + ", ".join(sorted(shown)))
            shown = {name: shown[name]}

        def render(console: Any) -> None:
            import json as _json

            width = max(len(k) for k in shown)
            for k, v in sorted(shown.items()):
                text = v if isinstance(v, str) else _json.dumps(v)
                console.print(f"{k.ljust(width)} = {text}", markup=False)

        actx.output.result(shown, render)

    @app.command("status")
    def status(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Endpoint, service tasks and deployments, target health, alarms, EFS replication lag, newest backup."""
        actx = app_context(ctx, json_out)
        e = _load(actx, env)
        if not e.is_aws:
            from chromactl.local.health import local_failure, render_local_status
            from chromactl.workflows.status import local_status

            local = local_status(e)
            actx.output.result(local, lambda c: render_local_status(c, local.to_dict()))
            if not local.healthy:  # stopped, stale or hung: exit 1 with the reason, as for an unhealthy AWS stack
                raise local_failure(e.name, local.to_dict())
            return
        from chromactl.stack.outputs import read_outputs
        from chromactl.workflows.status import collect_status

        the_region = e.region_or_primary(region)
        outputs = read_outputs(e, the_region, output=actx.output, profile=actx.profile)
        if not outputs:
            from chromactl.errors import OperationFailed

            raise OperationFailed(
                f"{e.name}/{the_region} has no outputs: the stack is not applied there.",
                f"Run `chromactl up --env {e.name} --region {the_region}`.",
            )
        data = collect_status(e, the_region, outputs, _factory(actx))
        from chromactl.cli.status_view import render_status

        actx.output.result(data, lambda c: render_status(c, data))
        if not data.healthy:
            raise typer.Exit(1)

