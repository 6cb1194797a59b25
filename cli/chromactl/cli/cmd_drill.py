"""`chromactl drill --env E <scenario>`: rehearse a failure and measure the recovery."""

from __future__ import annotations

from typing import Any

import typer

from chromactl.cli.context import ENV_OPT, JSON_OPT, REGION_OPT, app_context

SCENARIO_HELP = (
    "kill-task (stop the running task), az-loss (move the service out of the task's AZ), "
    "token-rotation (rotate while clients query; 0 errors expected), restore-test (restore the newest backup "
    "into a temporary file system and check the data)."
)


def register(app: typer.Typer) -> None:
    @app.command("drill")
    def drill(
        ctx: typer.Context,
        scenario: str = typer.Argument(..., help=SCENARIO_HELP, metavar="SCENARIO"),
        env: str = ENV_OPT,
        region: str | None = REGION_OPT,
        timeout: float = typer.Option(900.0, "--timeout", help="Bound, in seconds, on every wait of the drill."),
        poll_seconds: float = typer.Option(5.0, "--poll-seconds", help="How often the waits look (seconds)."),
        target_seconds: float | None = typer.Option(None, "--target-seconds",
                                                       help="Recovery target in seconds (default: the env's slo.rto_minutes)."),
        protected: bool = typer.Option(False, "--i-know-this-is-protected", help="Allow a drill on a protected env (still asks for its name)."),
        yes: bool = typer.Option(False, "--yes", help="With --i-know-this-is-protected: skip typing the env's name (CI)."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Disrupt one thing on purpose, measure the recovery against its target, undo every change.

        Exit 0: recovered within the target, checks passed, cleanup complete. Exit 1: otherwise.
        Exit 2: refused (protected env, bad input) before anything was changed.
        """
        from chromactl.drills.core import run_drill

        actx = app_context(ctx, json_out)
        result = run_drill(env, scenario, output=actx.output, region=region, timeout_s=timeout, poll_s=poll_seconds, target_s=target_seconds,
                           allow_protected=protected, yes=yes, profile=actx.profile)
        data = result.to_dict()
        actx.output.result(data, lambda c: _render(c, result))
        if not result.passed:
            raise typer.Exit(1)


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
