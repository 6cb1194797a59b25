"""Who may apply what, without surprises.

Rules (also in `chromactl apply --help`):
- A protected env: any plan that deletes or replaces something, and every
  destroy, needs the env's name typed at a terminal (or passed as
  `--confirm-env <name>`). `--yes` (old name `--auto-approve`) alone is never enough.
- With no terminal to ask and no `--confirm-env`, chromactl refuses with exit
  code 2 (a usage error: nothing was changed; the saved plan is kept so it can
  be applied from a terminal).
- Anything else: `--yes` proceeds; otherwise a y/N question at a
  terminal, and a refusal (exit 2) with no terminal.
"""

from __future__ import annotations

from chromactl.config import EnvConfig
from chromactl.errors import UsageError
from chromactl.lifecycle.summary import PlanSummary
from chromactl.output import Output


def check_apply(
    env: EnvConfig,
    region: str,
    summary: PlanSummary,
    output: Output,
    *,
    auto_approve: bool,
    allow_protected_changes: bool = False,
    confirm_env: str | None = None,
    destroy: bool = False,
) -> None:
    """Return when the apply may go ahead; raise UsageError otherwise."""
    where = f"{env.name}/{region}"
    needs_name = env.protected and (destroy or summary.destructive > 0) and not allow_protected_changes
    if needs_name:
        what = "destroys the stack" if destroy else f"deletes or replaces {summary.destructive} resource(s)"
        if confirm_env is not None:
            if confirm_env == env.name:
                return
            raise UsageError(f"--confirm-env {confirm_env!r} does not match the env name {env.name!r}.", f"Pass --confirm-env {env.name} to confirm.")
        from rich.markup import escape

        addresses = summary.destructive_addresses()
        lines = [f"  - {escape(a)}" for a in addresses[:20]]
        if len(addresses) > 20:
            lines.append(f"  ... and {len(addresses) - 20} more")
        prompt = f"[bold red]{env.name} is a protected env and this plan {what} in {region}:[/]\n" + "\n".join(lines)
        if output.confirm_text(prompt, env.name):
            return
        raise UsageError(
            f"Refusing: this plan {what} in protected env {where}, and the env's name was not typed.",
            f"Run it at a terminal and type {env.name!r} when asked, or pass --confirm-env {env.name}; --yes alone is not enough. Nothing was changed.",
        )
    if auto_approve:
        return
    if output.confirm(f"Apply to {where} ({summary.line()})?"):
        return
    raise UsageError(
        f"Not applied: {where} needs a yes to apply and none was given.",
        "Pass --yes to apply without asking (CI). Nothing was changed.",
    )
