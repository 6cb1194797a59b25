"""`chromactl drill --env E <scenario>`: rehearse a failure and measure the recovery."""

from __future__ import annotations

from typing import Any

import click
import typer

from chromactl.cli.context import (
    CONFIRM_ENV_OPT,
    ENV_OPT,
    JSON_OPT,
    REGION_OPT,
    YES_OPT,
    app_context,
)
from chromactl.drills import SCENARIOS

# Click does not print arguments' help, so the scenarios are listed in the command's own help text
# (kept in step with chromactl.drills.plans by tests/unit/test_cli_drill.py).
DRILL_HELP = """Disrupt one thing on purpose, measure the recovery against its target, undo every change.

SCENARIO is one of:

kill-task: stop the running task; measure until a new one is RUNNING and healthy.

az-loss: move the service out of the running task's AZ; measure recovery in another AZ.

token-rotation: rotate the API token while clients query; 0 errors expected.

restore-test: restore the newest backup into a temporary file system and check the data.

--dry-run prints what the scenario would disrupt, measure and restore, and changes nothing.

A protected env needs its name typed at the prompt or given as --confirm-env NAME (--yes alone is not enough).

Exit 0: recovered within the target, checks passed, cleanup complete. Exit 1: otherwise (or a cancelled prompt).
Exit 2: refused (protected env without its name, bad input) before anything was changed.
"""


def register(app: typer.Typer) -> None:
    @app.command("drill", help=DRILL_HELP)
    def drill(
        ctx: typer.Context,
        scenario: str = typer.Argument(..., metavar="SCENARIO", click_type=click.Choice(SCENARIOS), show_default=False),
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        timeout: float = typer.Option(900.0, "--timeout", help="Bound, in seconds, on every wait of the drill."),
        poll_seconds: float = typer.Option(5.0, "--poll-seconds", help="How often the waits look (seconds)."),
        target_seconds: float | None = typer.Option(None, "--target-seconds",
                                                       help="Recovery target in seconds (default: the env's slo.rto_minutes)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be disrupted, measured and restored; change nothing."),
        # Folded into the one don't-ask policy: the env's name (typed or --confirm-env) is the confirmation,
        # so the old opt-in flag is accepted (scripts keep parsing) and changes nothing.
        _protected: bool = typer.Option(False, "--i-know-this-is-protected", hidden=True, help="No longer needed: see --confirm-env."),
        yes: bool = YES_OPT,
        confirm_env: str | None = CONFIRM_ENV_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        actx = app_context(ctx, json_out)
        if dry_run:
            from chromactl.config import load_env
            from chromactl.drills.common import check_timeout
            from chromactl.drills.plans import dry_run as plan_of
            from chromactl.errors import UsageError

            check_timeout(timeout)
            the_env = load_env(env, actx.root)
            if not the_env.is_aws:
                raise UsageError(f"Env {the_env.name!r} is a local env; drills disrupt AWS resources.", "Pick an AWS env (see `chromactl envs`).")
            plan = plan_of(the_env, scenario, the_env.region_or_primary(region), target_seconds)
            actx.output.result(plan, lambda c: _render_plan(c, plan))
            return
        from chromactl.drills.core import run_drill

        with actx.output.keepalive(f"drill {scenario} on {env}"):
            result = run_drill(env, scenario, output=actx.output, region=region, timeout_s=timeout, poll_s=poll_seconds,
                               target_s=target_seconds, yes=yes, confirm_env=confirm_env, profile=actx.profile, root=actx.root)
        data = result.to_dict()
        actx.output.result(data, lambda c: _render(c, result))
        if not result.passed:
            raise typer.Exit(1)


def _render_plan(console: Any, plan: dict[str, Any]) -> None:
    from rich.markup import escape

    guard = f" (protected: needs its name typed or --confirm-env {plan['env']})" if plan["protected"] else ""
    console.print(f"[bold]drill {plan['scenario']} on {plan['env']}/{plan['region']}[/] (dry run; nothing was changed){guard}")
    for line in plan["disrupts"]:
        console.print(f"  disrupts: {escape(line)}")
    console.print(f"  measures: {escape(plan['measures'])}, against {escape(plan['target'])}")
    for line in plan["restores"]:
        console.print(f"  restores: {escape(line)}")


def _render(console: Any, result: Any) -> None:
    colour = "green" if result.passed else "red"
    console.print(f"[{colour}]{result.line()}[/]")
    for step in result.steps:
        console.print(f"  {step['name']}: {step['seconds']:.1f} s")
    for name, ok in result.checks.items():
        console.print(f"  check {name}: {'ok' if ok else 'FAILED'}")
    if result.error:
        console.print(f"  [red]error:[/] {result.error}" + (f" ({result.hint})" if result.hint else ""))
    for c in result.cleanup:
        mark = "ok" if c["ok"] else "[red]FAILED[/]"
        console.print(f"  cleanup {c['name']}: {mark} {c.get('detail', '')}" + (f" -- by hand: {c['manual']}" if c.get("manual") else ""))
