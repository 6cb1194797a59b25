"""`chromactl failover` (rebuild the env in another region) and `chromactl manifest` (the data manifest)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from chromactl.cli.context import CONFIRM_ENV_OPT, ENV_OPT, JSON_OPT, YES_OPT, app_context

if TYPE_CHECKING:  # pragma: no cover
    from chromactl.failover.core import FailoverPlan, FailoverResult

# Shared with `chromactl restore` (cmd_day2): both restore through failover.aws.promote_backup, which derives the name.
RESTORE_DIR_OPT = typer.Option(None, "--restore-dir", help="The aws-backup-restore_<time> directory, when it differs "
                                                            "from the one derived from the restore job.")


def _render_plan(plan: FailoverPlan) -> Any:
    def render(console: Any) -> None:
        from rich.markup import escape

        console.print(f"[bold]failover {plan.env}: {plan.primary_region} -> {plan.target_region}[/bold] "
                      f"(dry run; data from {plan.source}, modelled for {plan.modelled_for})")
        for i, s in enumerate(plan.steps, 1):
            console.print(f"\n{i}. [bold]{s['title']}[/bold] {escape('[' + str(s['status']) + ']')}: modelled {s['modelled_seconds']} s")
            for call in s["calls"]:
                console.print(f"   - {escape(call)}")
            console.print(f"   [dim]figure: {escape(s['source_of_figure'])}[/dim]")
        target = f" (target {plan.rto_target_minutes:g} min)" if plan.rto_target_minutes else ""
        console.print(f"\nModelled RTO ({plan.modelled_for}): {plan.modelled_rto_seconds} s = {plan.modelled_rto_minutes} min{target}")
        console.print(f"Modelled RTO from a backup instead: about {plan.modelled_rto_backup_minutes} min. Nothing was changed.")

    return render


def _render_summary(res: FailoverResult, output: Any) -> Any:
    def render(console: Any) -> None:
        head = "already completed earlier" if res.already_completed else res.status
        rows = [(name, str(s["status"]), str(s["attempts"]), f"{s['seconds'] or 0:.1f}") for name, s in res.steps.items()]
        output.table(console, f"failover {res.env}: {res.primary_region} -> {res.target_region} ({head})",
                     ("step", "status", "attempts", "seconds"), rows)
        rpo = res.rpo_seconds
        console.print(f"Data from: {res.source} ({res.file_system_id}, root {res.root_directory}); "
                      f"data as of {res.data_as_of}; RPO {'unknown' if rpo is None else f'{rpo:.0f} s'}")
        console.print(f"Old primary fenced: {res.fence}. Endpoint: {res.endpoint}")
        dns = res.dns or {}
        if dns.get("record"):
            console.print(f"DNS: {dns['record']} -> {dns['alias_to']} ({dns.get('change_status')})")
        elif dns.get("what_to_change"):
            console.print(f"DNS not managed by chromactl: {dns['what_to_change']}")
        console.print(f"Journal: {res.journal}")

    return render


def register(app: typer.Typer) -> None:
    @app.command("failover")
    def failover(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str = typer.Option(..., "--region", "-r", help="The target region to rebuild in (one of the env's failover regions; never taken from CHROMACTL_REGION)."),
        source: str | None = typer.Option(None, "--from", help="Data source: replica (EFS replica) or backup (AWS Backup recovery point). "
                                                                  "Default: the replica if present, else the newest recovery point."),
        recovery_point: str | None = typer.Option(None, "--recovery-point", help="Restore this recovery point ARN (implies --from backup)."),
        restore_dir: str | None = RESTORE_DIR_OPT,
        dry_run: bool = typer.Option(False, "--dry-run", help="Print every step, its calls and modelled time; change nothing."),
        resume: bool = typer.Option(False, "--resume", help="Continue a stopped failover from its journal."),
        yes: bool = YES_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        force_delete_secret: bool = typer.Option(
            False, "--force-delete-secret",
            help="If the rebuild's token secret name is held by a secret scheduled for deletion in the target region, delete that one for good first.",
        ),
        restore_secret: bool = typer.Option(
            False, "--restore-secret", help="Instead, restore that secret (and its KMS key) and import it into the target region's state."
        ),
        accept_data_diff: bool = typer.Option(False, "--accept-data-diff", help="Let the gate pass when counts are below the manifest "
                                                                              "(after a human checked the differences)."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Rebuild the env's stack in another region from its EFS replica or a backup, then move the endpoint there.

        A protected env needs its name typed at the prompt or given as --confirm-env NAME (--yes alone is not enough).
        """
        from chromactl.errors import EXIT_FAILED
        from chromactl.failover.core import FailoverPlan, run_failover

        actx = app_context(ctx, json_out)
        if force_delete_secret and restore_secret:
            from chromactl.errors import UsageError

            raise UsageError("--force-delete-secret and --restore-secret exclude each other.", "Pick one: delete the old secret for good, or restore it.")
        secret_action = "force-delete" if force_delete_secret else "restore" if restore_secret else None
        with actx.output.keepalive(f"failover {env} -> {region}"):
            res = run_failover(env, region, output=actx.output, source=source, recovery_point=recovery_point, restore_dir=restore_dir,
                               dry_run=dry_run, resume=resume, yes=yes, confirm_env=confirm_env, secret_action=secret_action, accept_data_diff=accept_data_diff, profile=actx.profile,
                               root=actx.root)
        if isinstance(res, FailoverPlan):
            actx.output.result(res, _render_plan(res))
            return
        actx.output.result(res, _render_summary(res, actx.output))
        if res.status != "completed":
            raise typer.Exit(EXIT_FAILED)

    manifest = typer.Typer(help="The data manifest (collections and counts) a failover checks against.", no_args_is_help=True)
    app.add_typer(manifest, name="manifest")

    @manifest.command("record")
    def record(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = typer.Option(None, "--region", "-r", help="Region of the endpoint (default: the env's primary).",
                                             envvar="CHROMACTL_REGION"),
        endpoint: str | None = typer.Option(None, "--endpoint", help="Endpoint URL (default: the stack's endpoint_url output)."),
        token_env: str | None = typer.Option(None, "--token-env", help="Name of an env variable holding the token (with --endpoint)."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Record the endpoint's collections and counts in the state bucket (run after successful checks)."""
        from chromactl.aws.preflight import require_credentials
        from chromactl.aws.session import ClientFactory
        from chromactl.checks.target import Target, token_from_env_var
        from chromactl.config import load_env
        from chromactl.errors import UsageError
        from chromactl.failover.manifest import record_manifest
        from chromactl.workflows.endpoint import resolve_target

        actx = app_context(ctx, json_out)
        the_env = load_env(env, actx.root)
        if not the_env.is_aws:
            raise UsageError(f"Env {env!r} is a local env; the manifest lives in an AWS env's state bucket.", "Pick an AWS env.")
        require_credentials(ClientFactory(profile=actx.profile))  # exit 2, as status/plan say it (failover/ is frozen)
        the_region = the_env.region_or_primary(region)
        if endpoint:
            target = Target(url=endpoint.rstrip("/"), token=token_from_env_var(token_env), env=env, region=the_region)
        else:
            target = resolve_target(env, None, None, the_region, actx.profile, root=actx.root, output=actx.output, env=the_env)
        entry = record_manifest(the_env, the_region, target, ClientFactory(profile=actx.profile))
        actx.output.result(entry, lambda c: c.print(
            f"Recorded {len(entry['collections'])} collections, {entry['total_records']} records at {entry['recorded_at']}."))

    @manifest.command("show")
    def show(ctx: typer.Context, env: str = ENV_OPT, json_out: bool = JSON_OPT) -> None:
        """Show the env's recorded manifest entries."""
        from chromactl.aws.preflight import require_credentials
        from chromactl.aws.session import ClientFactory
        from chromactl.config import load_env
        from chromactl.errors import OperationFailed, UsageError
        from chromactl.failover.manifest import manifest_key, read_manifest

        actx = app_context(ctx, json_out)
        the_env = load_env(env, actx.root)
        if not the_env.is_aws:
            raise UsageError(f"Env {env!r} is a local env; it has no manifest.", "Pick an AWS env.")
        require_credentials(ClientFactory(profile=actx.profile))  # exit 2, as status/plan say it (failover/ is frozen)
        data = read_manifest(the_env, ClientFactory(profile=actx.profile))
        if data is None:
            raise OperationFailed(f"No manifest recorded for env {env!r} (s3://{the_env.state.bucket}/{manifest_key(the_env)}).",  # type: ignore[union-attr]
                                  f"Record one with: chromactl manifest record --env {env}.")

        def render(console: Any) -> None:
            for e in data["entries"][-10:]:
                console.print(f"{e['recorded_at']} {e['region']}: {len(e['collections'])} collections, {e['total_records']} records")

        actx.output.result(data, render)
