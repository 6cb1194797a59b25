"""Day-2 verbs: `backup`, `backup list`, `restore`, `upgrade` (issue 18). Thin: the core is chromactl.day2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from chromactl.cli.cmd_failover import RESTORE_DIR_OPT
from chromactl.cli.context import (
    CONFIRM_ENV_OPT,
    ENV_OPT,
    JSON_OPT,
    REGION_OPT,
    YES_OPT,
    app_context,
    complete_env,
)

if TYPE_CHECKING:  # pragma: no cover
    from chromactl.day2.backup import BackupResult, RecoveryPoints
    from chromactl.day2.restore import RestorePlan, RestoreResult
    from chromactl.day2.upgrade import UpgradePlan, UpgradeResult, UpgradeUnchanged

# Options restore and upgrade share, spelled once (--yes and --confirm-env: every verb's, cli/context.py).
RESUME_OPT = typer.Option(False, "--resume", help="Continue a stopped run from its journal (finished steps are not redone).")


def _print_steps(console: Any, steps: list[dict[str, Any]]) -> None:
    """A dry run's numbered steps and the calls each would make."""
    from rich.markup import escape

    for i, s in enumerate(steps, 1):
        console.print(f"{i}. {s['step']}")
        for call in s["calls"]:
            console.print(f"   - {escape(call)}")
        if s.get("modelled"):
            console.print(f"   [dim]modelled: {escape(s['modelled'])}[/dim]")


def _age(seconds: Any) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def _size(n: Any) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def _render_backup(res: BackupResult) -> Any:
    def render(console: Any) -> None:
        console.print(f"Backup job {res.backup_job_id} of {res.file_system_id} into {res.vault} ({res.region}): {res.state}")
        if res.recovery_point_arn:
            console.print(f"Recovery point: {res.recovery_point_arn}" + (f" ({_size(res.size_bytes)})" if res.size_bytes else ""))
        copy = res.copy
        if copy:
            console.print(f"Copy to {copy['region']}: {copy['state']}" + (f" ({copy['recovery_point_arn']})" if copy.get("recovery_point_arn") else "")
                          + (f"; {copy['note']}" if copy.get("note") else ""))
        if res.state != "COMPLETED":
            console.print(f"Follow it with: chromactl backup list --env {res.env}")

    return render


def _render_list(res: RecoveryPoints, output: Any) -> Any:
    def render(console: Any) -> None:
        rows = []
        for r in res.recovery_points:
            copies = ", ".join(c["region"] for c in r["copies"]) or "-"
            rows.append((r["recovery_point_arn"], r["status"], _age(r["age_s"]), _size(r["size_bytes"]),
                         "on-demand" if r["on_demand"] else "plan", copies))
        output.table(console, f"recovery points of {res.env} in {res.vault} ({res.region})",
                     ("recovery point", "status", "age", "size", "made by", "copies"), rows)

    return render


def register(app: typer.Typer) -> None:
    register_backup(app)
    register_restore(app)
    register_upgrade(app)


def register_backup(app: typer.Typer) -> None:
    backup = typer.Typer(help="On-demand AWS Backup recovery points of the env's data (and `backup list`).",
                         invoke_without_command=True, no_args_is_help=False)
    app.add_typer(backup, name="backup")

    @backup.callback()
    def backup_now(
        ctx: typer.Context,
        env: str | None = typer.Option(None, "--env", "-e", help="Environment name (a folder under envs/).", envvar="CHROMACTL_ENV",
                                       autocompletion=complete_env),
        region: str | None = REGION_OPT,
        wait: bool = typer.Option(False, "--wait", help="Wait for the recovery point (and its copy to the failover region)."),
        timeout: float = typer.Option(3600.0, "--timeout", help="With --wait: give up waiting after this many seconds (the job keeps running)."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Start an on-demand recovery point of the env's file system in its vault."""
        if ctx.invoked_subcommand is not None:
            return
        from chromactl.day2.backup import run_backup
        from chromactl.day2.context import open_env
        from chromactl.errors import UsageError

        if not env:
            raise UsageError("`chromactl backup` needs --env.", "Pass --env NAME (or run `chromactl backup list --env NAME`).")
        actx = app_context(ctx, json_out)
        d2 = open_env(env, "backup", region=region, output=actx.output, profile=actx.profile, root=actx.root)
        with actx.output.keepalive(f"backup {env}"):
            res = run_backup(d2, wait=wait, timeout_s=timeout)
        actx.output.result(res, _render_backup(res))

    @backup.command("list")
    def backup_list(
        ctx: typer.Context,
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """List the env's recovery points: age, size, who made them and where their copies are."""
        from chromactl.day2.backup import run_list
        from chromactl.day2.context import open_env

        actx = app_context(ctx, json_out)
        d2 = open_env(env, "backup list", region=region, output=actx.output, profile=actx.profile, root=actx.root)
        res = run_list(d2)
        actx.output.result(res, _render_list(res, actx.output))


def _render_restore(res: RestoreResult | RestorePlan) -> Any:
    def render(console: Any) -> None:
        from rich.markup import escape

        from chromactl.day2.restore import RestorePlan

        if isinstance(res, RestorePlan):
            rp = res.recovery_point
            console.print(f"[bold]restore {res.env}/{res.region}[/bold] from {escape(rp['recovery_point_arn'])} "
                          f"(made {rp.get('recovery_point_created')}) - dry run")
            _print_steps(console, res.steps)
            if res.protected:
                console.print(f"{res.env} is protected: the run asks for the env's name (or --confirm-env {res.env}).")
            console.print("Nothing was changed.")
            return
        console.print(f"restore {res.env}/{res.region}: {res.status}")
        console.print(f"Data from {res.recovery_point_arn} (as of {res.data_as_of}) on {res.file_system_id}, "
                      f"root {res.root_directory}")
        if res.tfvars_file:
            console.print(f"The stack now points at it through {res.tfvars_file}: commit that file with the env.")
        if res.remove_old_file_system:
            console.print(f"The old file system {res.old_file_system_id} is kept, untouched. When you no longer need it:\n"
                          f"  {res.remove_old_file_system}")
        console.print(f"Journal: {res.journal}")

    return render


def register_restore(app: typer.Typer) -> None:
    @app.command("restore")
    def restore(
        ctx: typer.Context,
        env: str = ENV_OPT,
        recovery_point: str = typer.Option(..., "--recovery-point", help="The recovery point ARN to restore (see `chromactl backup list`)."),
        region: str | None = REGION_OPT,
        dry_run: bool = typer.Option(False, "--dry-run", help="Check the recovery point and print every step and call; change nothing."),
        resume: bool = RESUME_OPT,
        restore_dir: str | None = RESTORE_DIR_OPT,
        yes: bool = YES_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Restore a recovery point into a new file system and point the env's stack at it (the old one is kept)."""
        from chromactl.day2.restore import RestoreResult, run_restore
        from chromactl.errors import EXIT_FAILED

        actx = app_context(ctx, json_out)
        with actx.output.keepalive(f"restore {env}"):
            res = run_restore(env, recovery_point, output=actx.output, region=region, dry_run=dry_run, resume=resume, yes=yes,
                              confirm_env=confirm_env, profile=actx.profile, restore_dir=restore_dir, root=actx.root)
        actx.output.result(res, _render_restore(res))
        if isinstance(res, RestoreResult) and res.status != "completed":
            raise typer.Exit(EXIT_FAILED)


def _render_upgrade(res: UpgradeResult | UpgradeUnchanged | UpgradePlan) -> Any:
    def render(console: Any) -> None:
        from rich.markup import escape

        from chromactl.day2.upgrade import UpgradePlan, UpgradeUnchanged

        if isinstance(res, UpgradePlan):
            console.print(f"[bold]upgrade {res.env}/{res.region} to {escape(res.image)}[/bold] (Chroma {res.version}) - dry run")
            _print_steps(console, res.steps)
            d = res.modelled_downtime
            if d:
                console.print(f"\nModelled downtime with one writer: {d['total_s']:.0f} s = {d['total_s'] / 60:.1f} min "
                              f"(stop {d['stop_s']:.0f} s + start {d['start_s']:.0f} s + healthy {d['healthy_s']:.0f} s + "
                              f"index load {d['index_load_s']:.0f} s for {d['vectors']:,} x {d['dims']} vectors = {d['index_mib']:,} MiB); "
                              f"RTO target {res.rto_target_minutes:g} min. Figures: docs/upgrade.md.")
            else:
                console.print("\nNo expected_vectors / vector_dimensions in the env's terraform.tfvars: downtime not modelled.")
            console.print("Nothing was changed.")
            return
        if isinstance(res, UpgradeUnchanged):
            console.print(res.note)
            return
        console.print(f"upgrade {res.env}/{res.region}: {res.status}, now {res.image} (was {res.previous_image})")
        console.print(f"Pre-upgrade recovery point: {res.pre_upgrade_recovery_point}")
        console.print(f"Journal: {res.journal}")

    return render


def register_upgrade(app: typer.Typer) -> None:
    @app.command("upgrade")
    def upgrade(
        ctx: typer.Context,
        env: str = ENV_OPT,
        image: str = typer.Option(..., "--image", help="The Chroma image, pinned: repo:tag@sha256:<digest>."),
        region: str | None = REGION_OPT,
        dry_run: bool = typer.Option(False, "--dry-run", help="Print every step, its calls and the modelled downtime; change nothing."),
        resume: bool = RESUME_OPT,
        skip_image_check: bool = typer.Option(False, "--skip-image-check",
                                              help="Do not ask the registry (or ECR) whether the image exists: only when it cannot be reached "
                                                   "and you checked the image yourself (docs/upgrade.md)."),
        yes: bool = YES_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Upgrade Chroma: backup first, apply the image, gate on checks; roll back (and restore) on a failed gate."""
        from chromactl.day2.upgrade import run_upgrade

        actx = app_context(ctx, json_out)
        with actx.output.keepalive(f"upgrade {env}"):
            res = run_upgrade(env, image, output=actx.output, region=region, dry_run=dry_run, resume=resume, yes=yes,
                              confirm_env=confirm_env, profile=actx.profile, skip_image_check=skip_image_check, root=actx.root)
        actx.output.result(res, _render_upgrade(res))
